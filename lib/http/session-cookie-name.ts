// The session cookie's name, which the API sets (api/auth/session-cookie.ts) and the landing page
// looks for (a signed-in visitor goes to the dashboard): __Host-lp_session, so a sibling subdomain
// cannot set it; lp_session only where PUBLIC_URL is plain-http localhost (local development), since
// browsers refuse __Host- cookies that are not Secure.

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Local development (plain-http PUBLIC_URL on a loopback host): the one case cookies go without Secure. */
export function isLocalPlainHttp(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
}

export const sessionCookieName = (publicUrl: string) => (isLocalPlainHttp(publicUrl) ? 'lp_session' : '__Host-lp_session');
