import { redirect } from '@sveltejs/kit';
import { sessionCookieName } from '../../../../lib/http/session-cookie-name.js';
import type { PageServerLoad } from './$types';

/**
 * A signed-in creator goes to their pages. The cookie's presence is enough: a stale one is cleared by
 * the API's first answer on the dashboard, so the landing page shows again after that.
 */
export const load: PageServerLoad = ({ cookies, url, setHeaders }) => {
  if (cookies.get(sessionCookieName(url.origin))) redirect(303, '/dashboard');
  // The same for every visitor without a session, but it depends on the cookie: no shared caching.
  setHeaders({ 'cache-control': 'private, no-cache', vary: 'Cookie' });
};
