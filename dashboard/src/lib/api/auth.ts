// Signing in from the dashboard's pages: the API sets the session cookie (HttpOnly); the pages only
// ever hold the CSRF token that GET auth/me returns.
import { api, call } from './client';

/** Signs in; the error message when that failed. */
export async function logIn(email: string, password: string): Promise<string | undefined> {
  const result = await call(api.POST('/api/v1/auth/login', { body: { email, password } }));
  return result.ok ? undefined : result.message;
}

/** Creates the account and signs in; the error message when either failed. */
export async function signUp(email: string, password: string): Promise<string | undefined> {
  const result = await call(api.POST('/api/v1/auth/signup', { body: { email, password } }));
  return result.ok ? logIn(email, password) : result.message;
}
