// The dashboard's one way to call /api/v1: openapi-fetch, typed by the API's own OpenAPI document
// (schema.d.ts, generated before every build and type-check by scripts/generate-api-types.ts), so a
// response the API changes fails the type-check where the dashboard reads it. The session's CSRF
// header and the error envelope (lib/errors.ts) are handled here, once.
//
// Browser only: pages call the API from onMount and event handlers. Server-side code (the public
// page, the status page) reads the process's services in-process through event.platform instead.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

/** The API's named response shapes: Profile, Link, GitHubCard, Asset, … */
export type Schemas = components['schemas'];
export type { paths };

/** What the dashboard says when a request never reached the server. */
export const UNREACHABLE = 'Could not reach Linkpulse: check your connection and try again.';

/**
 * The session's CSRF token, from GET auth/me (loadSession) or a password change (a new session).
 * Module state is safe here: only the browser ever sets it.
 */
let csrfToken: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

// The session cookie goes along by itself (same origin); a state-changing request must also carry the
// session's CSRF token, or the API refuses it (403).
const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && request.method !== 'GET' && request.method !== 'HEAD') request.headers.set('X-CSRF-Token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>();
api.use(csrf);

/**
 * An answer as pages use it: the data, or the message to show (status 0: no answer at all) and, for
 * a refused input, each field's own message keyed by the field's name (`password`), to show next to it.
 */
export type ApiResult<T> = { ok: true; status: number; data: T } | { ok: false; status: number; message: string; fields: Readonly<Record<string, string>> };

/**
 * details.fields of the error envelope ([{ field: 'body.password', message }]) by the field's last name,
 * and by its path inside the request part ('socialLinks.2.url') where that differs.
 */
export function fieldErrors(body: unknown): Record<string, string> {
  const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  const details = typeof error === 'object' && error !== null && 'details' in error ? error.details : undefined;
  const fields = typeof details === 'object' && details !== null && 'fields' in details ? details.fields : undefined;
  const byName: Record<string, string> = {};
  if (!Array.isArray(fields)) return byName;
  for (const entry of fields as unknown[]) {
    if (typeof entry !== 'object' || entry === null || !('field' in entry) || !('message' in entry)) continue;
    const { field, message } = entry;
    if (typeof field !== 'string' || typeof message !== 'string') continue;
    const name = field.split('.').pop()!;
    byName[name] ??= message;
    byName[field.replace(/^(body|query|params)\./, '')] ??= message;
  }
  return byName;
}

/** The API's own words for a refusal (the error envelope's message), or a plain description. */
export function errorMessage(status: number, body: unknown): string {
  const error = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  const message = typeof error === 'object' && error !== null && 'message' in error ? error.message : undefined;
  return typeof message === 'string' ? message : `The request failed (HTTP ${status})`;
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError';

/**
 * Waits for a call of `api` and says how it went. A request that got no answer (offline, or an
 * answer that is not JSON) is status 0 with UNREACHABLE; an aborted one still throws: whoever
 * aborted it has moved on and shows nothing for it.
 */
export async function call<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<ApiResult<T>> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await pending;
  } catch (error) {
    if (isAbort(error)) throw error;
    return { ok: false, status: 0, message: UNREACHABLE, fields: {} };
  }
  const { response } = answer;
  if (!response.ok) return { ok: false, status: response.status, message: errorMessage(response.status, answer.error), fields: fieldErrors(answer.error) };
  // openapi-fetch leaves data out of a bodiless answer (204); such a call's T is never read.
  return { ok: true, status: response.status, data: answer.data as T };
}

type JsonOf<R> = R extends { content: { 'application/json': infer T } } ? T : never;

/** The JSON a path's GET answers with (200). */
export type GetResponse<P extends keyof paths> = paths[P] extends { get: { responses: { 200: infer R } } } ? JsonOf<R> : never;

/** The query a path's GET takes. */
export type GetQuery<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } } ? NonNullable<Q> : never;
