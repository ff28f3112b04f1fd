// Signing in from the dashboard's pages: the API sets the session cookie (HttpOnly); the pages only
// ever hold the CSRF token that GET auth/me returns.
import { api, call } from './client';

/** Why signing in or up failed: the message for the whole form, and each refused field's own. */
export interface AuthRefusal {
  message: string;
  fields: Readonly<Record<string, string>>;
}

/** Signs in: done, the second step (two-factor on: a code with this challenge), or why not. */
export async function logIn(email: string, password: string): Promise<{ ok: true; challenge?: string } | ({ ok: false } & AuthRefusal)> {
  const result = await call(api.POST('/api/v1/auth/login', { body: { email, password } }));
  if (!result.ok) return { ok: false, message: result.message, fields: result.fields };
  return 'challenge' in result.data ? { ok: true, challenge: result.data.challenge } : { ok: true };
}

/** The second step of a two-factor login: a code from the app or a recovery code; why not, when it failed. */
export async function logInSecondFactor(challenge: string, code: string): Promise<AuthRefusal | undefined> {
  const result = await call(api.POST('/api/v1/auth/login/two-factor', { body: { challenge, code } }));
  return result.ok ? undefined : { message: result.message, fields: result.fields };
}

/** Why a mailed link's form failed: a link that is not live (404) is about the token, shown in its place. */
const linkRefusal = (result: { status: number; message: string; fields: Readonly<Record<string, string>> }): AuthRefusal =>
  result.status === 404 ? { message: result.message, fields: { token: result.message } } : { message: result.message, fields: result.fields };

/**
 * Creates the account, whose confirmation link (mailed) signs in: what to tell the user (the same for a
 * taken address, whose owner is mailed instead), or why not.
 */
export async function signUp(email: string, password: string): Promise<{ ok: true; message: string } | ({ ok: false } & AuthRefusal)> {
  const result = await call(api.POST('/api/v1/auth/signup', { body: { email, password } }));
  return result.ok ? { ok: true, message: result.data.message } : { ok: false, message: result.message, fields: result.fields };
}

/** What a mailed link's form ended with: signed in, done but to log in next (two-factor on: the code is needed), or why not. */
export type LinkOutcome = { ok: true; signedIn: boolean } | ({ ok: false } & AuthRefusal);

const linkOutcome = (result: { ok: true; data: object } | { ok: false; status: number; message: string; fields: Readonly<Record<string, string>> }): LinkOutcome =>
  result.ok ? { ok: true, signedIn: !('signedIn' in result.data) } : { ok: false, ...linkRefusal(result) };

/** Confirms an address with a mailed link's token, which also signs in unless two-factor is on. */
export async function verifyEmail(token: string): Promise<LinkOutcome> {
  return linkOutcome(await call(api.POST('/api/v1/auth/email-verification/confirm', { body: { token } })));
}

/** Mails the signed-in account a new confirmation link: the answer to show, and whether it went out. */
export async function requestEmailVerification(): Promise<{ ok: boolean; message: string }> {
  const result = await call(api.POST('/api/v1/auth/email-verification'));
  return { ok: result.ok, message: result.ok ? result.data.message : result.message };
}

/** Asks for a reset link: the API's answer (the same for any address), or why not. */
export async function requestPasswordReset(email: string): Promise<{ ok: true; message: string } | ({ ok: false } & AuthRefusal)> {
  const result = await call(api.POST('/api/v1/auth/password-reset', { body: { email } }));
  return result.ok ? { ok: true, message: result.data.message } : { ok: false, message: result.message, fields: result.fields };
}

/** Sets a new password with a reset link's token, which also signs in unless two-factor is on. */
export async function resetPassword(token: string, newPassword: string): Promise<LinkOutcome> {
  return linkOutcome(await call(api.POST('/api/v1/auth/password-reset/confirm', { body: { token, newPassword } })));
}
