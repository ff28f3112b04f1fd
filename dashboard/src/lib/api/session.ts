// What every creator page loads first: who is signed in (with the CSRF token their changes need) and
// their profiles. The pages render these states the same way.
import { UNREACHABLE, api, call, setCsrfToken, type Schemas } from './client';

export type Profile = Schemas['Profile'];

export type Session =
  | { state: 'loading' }
  | { state: 'signed-out' }
  | { state: 'failed'; message: string }
  | { state: 'ready'; email: string; emailVerified: boolean; profiles: Profile[] };

/** A session a page can work with. */
export type ReadySession = Extract<Session, { state: 'ready' }>;

const failure = (status: number): Session => ({ state: 'failed', message: status === 0 ? UNREACHABLE : `Could not load your profiles (HTTP ${status})` });

export async function loadSession(): Promise<Session> {
  // Both at once: every creator page waits for them before it renders (one round trip, not two).
  const [me, profiles] = await Promise.all([call(api.GET('/api/v1/auth/me')), call(api.GET('/api/v1/profiles'))]);
  if (!me.ok) return me.status === 401 ? { state: 'signed-out' } : failure(me.status);
  if (!profiles.ok) return failure(profiles.status);
  setCsrfToken(me.data.csrfToken);
  markOwnBrowser(profiles.data.profiles.map((profile) => profile.id));
  return { state: 'ready', email: me.data.user.email, emailVerified: me.data.user.emailVerifiedAt !== null, profiles: profiles.data.profiles };
}

/**
 * The owner marker: a cookie readable by the tracker (not HttpOnly; it holds no secret) naming the
 * profiles this browser's creator owns. When the creator opens one of their own pages, the tracker
 * marks its events internal, and analytics leave them out by default. The page itself stays the same
 * cached HTML for everyone. A visitor who sets it excludes only themselves.
 */
export const OWNER_COOKIE = 'lp_owner';

function markOwnBrowser(profileIds: string[]): void {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${OWNER_COOKIE}=${profileIds.join('.')}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

/** After logging out or deleting the account: this browser's visits count again, and its token is gone. */
export function forgetOwnBrowser(): void {
  setCsrfToken(undefined);
  document.cookie = `${OWNER_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
}
