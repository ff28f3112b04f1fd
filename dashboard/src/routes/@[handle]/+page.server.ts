// A published profile as visitors see it: rendered on the server from the cached public profile (no
// database on a cache hit), with Cache-Control a CDN can follow. No client-side JavaScript: the page
// works without it, and the only script is the tracker (served by ingest under script-src 'self').
import { error, redirect } from '@sveltejs/kit';
import { publicPageCacheControl } from '../../../../lib/public-profile.js';
import type { PageServerLoad } from './$types';

export const csr = false;

export const load: PageServerLoad = async ({ params, platform, setHeaders, url }) => {
  if (!platform) error(503, 'The page service is not available');
  const handle = params.handle.toLowerCase();
  if (handle !== params.handle) redirect(301, `/@${handle}`);
  const { body, etag, freshness } = await platform.publicProfiles.get(handle);
  setHeaders({ 'cache-control': publicPageCacheControl(freshness), etag });
  if (!body) error(404, 'No published profile has this handle');
  return { page: body, trackerUrl: platform.trackerUrl, canonical: new URL(`/@${handle}`, url.origin).href, origin: url.origin };
};
