// Resolves the caller of every API request, before rate limiting (signed-in callers have their own
// budget) and before routing. A bearer token (personal access token) wins over the cookie; a bad
// bearer token fails the request (after the per-IP limiter has counted it, so guessing tokens is
// rate limited too), a stale cookie just leaves the caller anonymous, and the response clears it.
// Then, per route, authorize() applies the route's access level, token scopes and CSRF rules.
import type { Request, RequestHandler } from 'express';
import { AppError } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withActingToken } from '../../lib/postgres/tenant.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { RouteGuards, RouteSpec } from '../http/route.js';
import type { Scope, UserRole } from './auth-context.js';
import type { Credentials } from './credentials.js';
import type { SessionCookie } from './session-cookie.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CSRF_HEADER = 'x-csrf-token';

export interface AuthenticatorDeps {
  db: Database;
  credentials: Credentials;
  cookie: SessionCookie;
}

export function createAuthenticator(deps: AuthenticatorDeps): RequestHandler {
  const { db, credentials, cookie } = deps;
  return (request, response, next) => {
    (async (): Promise<string | undefined> => {
      const authorization = request.headers.authorization;
      if (authorization !== undefined) {
        const [scheme, token] = authorization.split(' ');
        const hash = scheme?.toLowerCase() === 'bearer' && token ? credentials.apiTokenHash(token) : undefined;
        const { rows } = hash
          ? await db.query<{ token_id: string; user_id: string; role: UserRole; scopes: Scope[] }>('SELECT * FROM auth_api_token($1)', [hash])
          : { rows: [] };
        const row = rows[0];
        if (!row) {
          failedAuthentication.set(request, new AppError('AUTH_FAILED', 'The access token is invalid, expired or revoked'));
          return;
        }
        request.auth = { via: 'token', userId: row.user_id, role: row.role, tokenId: row.token_id, scopes: row.scopes };
        return row.token_id;
      }
      const token = cookie.read(request);
      if (!token) return;
      const hash = credentials.sessionTokenHash(token);
      const { rows } = hash ? await db.query<{ session_id: string; user_id: string; role: UserRole }>('SELECT * FROM auth_session($1)', [hash]) : { rows: [] };
      const row = rows[0];
      if (row) {
        request.auth = { via: 'session', userId: row.user_id, role: row.role, sessionId: row.session_id, csrfToken: credentials.csrfTokenFor(row.session_id) };
      } else {
        // Expired, revoked or made up: the browser forgets it, so pages that go by the cookie's
        // presence (the landing page sends it to the dashboard) stop believing it at once.
        cookie.clear(response);
      }
      return undefined;
    })().then((tokenId) => (tokenId ? withActingToken(tokenId, () => next()) : next()), next);
  };
}

const failedAuthentication = new WeakMap<Request, AppError>();

/** Fails a request whose bearer token was bad; mounted after the rate limiters. */
export const rejectFailedAuthentication: RequestHandler = (request, _response, next) => next(failedAuthentication.get(request));

export interface GuardDeps {
  credentials: Credentials;
  audit: AuditLog;
  /** The site's own origin (from PUBLIC_URL): the only one allowed to change state with a cookie. */
  origin: string;
}

/**
 * A state change carried by a cookie must come from our own pages: the browser's Origin (or, when a
 * browser omits it, Sec-Fetch-Site) must say same-origin. Non-browser clients use bearer tokens.
 */
function isSameOrigin(request: Request, origin: string): boolean {
  const presented = request.headers.origin;
  if (presented !== undefined) return presented === origin;
  return request.headers['sec-fetch-site'] === 'same-origin';
}

export function createRouteGuards(deps: GuardDeps): RouteGuards {
  const deny = async (request: Request, route: RouteSpec, reason: string, message: string): Promise<never> => {
    await deps.audit.record(request, { action: 'permission.denied', outcome: 'denied', target: `${route.method.toUpperCase()} ${route.path}`, details: { reason } });
    throw new AppError('FORBIDDEN', message);
  };
  return {
    async authorize(route, request) {
      const auth = request.auth;
      const changesState = !SAFE_METHODS.has(request.method);
      if (route.access === 'public') {
        // Login and sign-up forms: refuse a cross-site post (login CSRF) when the browser says so.
        if (changesState && request.headers.origin !== undefined && request.headers.origin !== deps.origin) {
          await deny(request, route, 'cross-origin', 'Cross-site requests are not allowed');
        }
        return;
      }
      if (!auth) throw new AppError('UNAUTHORIZED', 'Sign in, or send a personal access token, to use this endpoint');
      if (auth.via === 'token') {
        if (route.access !== 'user') await deny(request, route, 'token-not-allowed', 'This endpoint needs a signed-in session; access tokens cannot use it');
        if (route.scope && !auth.scopes.includes(route.scope)) await deny(request, route, 'missing-scope', `This access token lacks the ${route.scope} scope`);
        return;
      }
      if (changesState) {
        if (!isSameOrigin(request, deps.origin)) await deny(request, route, 'cross-origin', 'Cross-site requests are not allowed');
        const presented = request.headers[CSRF_HEADER];
        if (typeof presented !== 'string' || !deps.credentials.isValidCsrfToken(auth.sessionId, presented)) {
          await deny(request, route, 'csrf', `Missing or invalid CSRF token: send the csrfToken from /api/v1/auth/me in the X-CSRF-Token header`);
        }
      }
      if (route.access === 'admin' && auth.role !== 'admin') await deny(request, route, 'not-admin', 'This endpoint is for administrators');
    },
  };
}
