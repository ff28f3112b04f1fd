// What every creator page loads first: who is signed in (with the CSRF token their changes need) and
// their profiles. The pages render these states the same way.
export interface ProfileSummary {
  id: string;
  handle: string;
  displayName: string;
  avatarAssetId: string | null;
}

export type Session =
  | { state: 'loading' }
  | { state: 'signed-out' }
  | { state: 'failed'; message: string }
  | { state: 'ready'; csrfToken: string; email: string; profiles: ProfileSummary[] };

/** A session a page can work with. */
export type ReadySession = Extract<Session, { state: 'ready' }>;

export async function loadSession(): Promise<Session> {
  const me = await fetch('/api/v1/auth/me');
  if (me.status === 401) return { state: 'signed-out' };
  const profiles = await fetch('/api/v1/profiles');
  const failed = [me, profiles].find((response) => !response.ok);
  if (failed) return { state: 'failed', message: `Could not load your profiles (HTTP ${failed.status})` };
  const { csrfToken, user } = (await me.json()) as { csrfToken: string; user: { email: string } };
  const owned = ((await profiles.json()) as { profiles: ProfileSummary[] }).profiles;
  markOwnBrowser(owned.map((profile) => profile.id));
  return { state: 'ready', csrfToken, email: user.email, profiles: owned };
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

/** After logging out or deleting the account: this browser's visits count again. */
export function forgetOwnBrowser(): void {
  document.cookie = `${OWNER_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
}

/** The API's error message of a failed response (the error envelope), or a plain description. */
export async function errorMessage(response: Response): Promise<string> {
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? `The request failed (HTTP ${response.status})`;
}
