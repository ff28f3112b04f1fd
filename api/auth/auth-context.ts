// Who is calling: resolved once per request from the session cookie or a bearer token
// (api/auth/authenticate.ts) and attached to the Express request.

export const SCOPES = ['profiles:read', 'profiles:write', 'analytics:read'] as const;
export type Scope = (typeof SCOPES)[number];

export type UserRole = 'creator' | 'admin';

export interface SessionAuth {
  via: 'session';
  userId: string;
  role: UserRole;
  sessionId: string;
  csrfToken: string;
}

export interface TokenAuth {
  via: 'token';
  userId: string;
  role: UserRole;
  tokenId: string;
  scopes: readonly Scope[];
}

export type AuthContext = SessionAuth | TokenAuth;

declare global {
  // Express's documented way to type request properties that middleware adds.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: AuthContext;
    }
  }
}
