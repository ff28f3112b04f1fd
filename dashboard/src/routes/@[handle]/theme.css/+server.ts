// The page's theme and accent colour as a stylesheet (lib/profiles/page-themes.ts): style-src 'self'
// allows it, where an inline style attribute would need 'unsafe-inline'. Only a known theme id and a
// #rrggbb colour ever reach the CSS.
import { pageThemeStylesheet } from '../../../../../lib/profiles/page-themes.js';
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ params, platform }) => {
  const profile = platform ? (await platform.publicProfiles.get(params.handle.toLowerCase())).body?.profile : undefined;
  return new Response(pageThemeStylesheet(profile?.pageTheme, profile?.accentColor), {
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=60, stale-while-revalidate=60' },
  });
};
