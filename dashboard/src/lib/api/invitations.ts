// A team invitation's token, from the mailed link (#token=…) to the moment the invited creator is
// signed in: kept in this browser for a day (localStorage, so it survives logging in or confirming a
// new account from the mail in another tab), taken once.
import { api, call, type ApiResult } from './client';

const KEY = 'linkpulse.invitation';
const KEEP_MS = 24 * 60 * 60_000;

export function rememberInvitation(token: string): void {
  localStorage.setItem(KEY, JSON.stringify({ token, at: Date.now() }));
}

/** The remembered token, if any and still fresh; forgotten as it is taken. */
export function takeInvitation(): string | undefined {
  const stored = localStorage.getItem(KEY);
  localStorage.removeItem(KEY);
  if (!stored) return undefined;
  try {
    const { token, at } = JSON.parse(stored) as { token?: unknown; at?: unknown };
    return typeof token === 'string' && typeof at === 'number' && Date.now() - at < KEEP_MS ? token : undefined;
  } catch {
    return undefined;
  }
}

export const acceptInvitation = (token: string): Promise<ApiResult<{ profileId: string; role: string; joined: boolean }>> =>
  call(api.POST('/api/v1/invitations/accept', { body: { token } }));
