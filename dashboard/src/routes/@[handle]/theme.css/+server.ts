// The creator's accent colour as a stylesheet: style-src 'self' allows it, where an inline style
// attribute would need 'unsafe-inline'. The colour is validated (#rrggbb) by the database.
import type { RequestHandler } from './$types';

export const GET: RequestHandler = async ({ params, platform }) => {
  const accent = platform ? (await platform.publicProfiles.get(params.handle.toLowerCase())).body?.profile.accentColor : undefined;
  const color = accent && /^#[0-9a-f]{6}$/.test(accent) ? accent : '#2563eb';
  return new Response(`:root{--accent:${color}}\n`, {
    headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=60, stale-while-revalidate=60' },
  });
};
