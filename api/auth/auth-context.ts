// Who is calling: resolved once per request from the session cookie or a bearer token
// (api/auth/authenticate.ts) and attached to the Express request.

// webhooks:*: a scope of its own, so that a token made to edit links cannot send the page's events,
// or a new signing secret, somewhere else (migrations/0020).
export const SCOPES = ['profiles:read', 'profiles:write', 'analytics:read', 'webhooks:read', 'webhooks:write'] as const;
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
