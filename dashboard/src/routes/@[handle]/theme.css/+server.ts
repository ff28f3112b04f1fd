// The creator's accent colour as a stylesheet: style-src 'self' allows it, where an inline style
// attribute would need 'unsafe-inline'. The colour is validated (#rrggbb) by the database, and again here;
// link text is black or white, whichever contrasts more with it.
import { accentStylesheet } from '$lib/profile/accent';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ params, platform }) => {
  const accent = platform ? (await platform.publicProfiles.get(params.handle.toLowerCase())).body?.profile.accentColor : undefined;
  return new Response(accentStylesheet(accent), {
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=60, stale-while-revalidate=60' },
  });
};
