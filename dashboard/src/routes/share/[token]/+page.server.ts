// A shared dashboard's page: its URL is its secret, so search engines are asked to leave it out and
// no page it links to learns the URL from a Referer. (The data comes from /api/v1/shared/<token>/…,
// read by the browser.)
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ setHeaders }) => {
  setHeaders({ 'X-Robots-Tag': 'noindex, nofollow', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-store' });
};
