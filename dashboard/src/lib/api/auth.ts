// Signing in from the dashboard's pages: the API sets the session cookie (HttpOnly); the pages only
// ever hold the CSRF token that GET auth/me returns.
import { errorMessage } from './session';

async function post(path: string, body: unknown): Promise<string | undefined> {
  const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return response.ok ? undefined : errorMessage(response);
}

/** Signs in; the error message when that failed. */
export const logIn = (email: string, password: string) => post('/api/v1/auth/login', { email, password });

/** Creates the account and signs in; the error message when either failed. */
export async function signUp(email: string, password: string): Promise<string | undefined> {
  return (await post('/api/v1/auth/signup', { email, password })) ?? logIn(email, password);
}
