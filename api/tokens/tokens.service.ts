// Personal access tokens: for scripts and CI, with scopes, optional expiry, revocable at any time.
// The secret is shown once, at creation; only its keyed hash is stored.
import type { Request } from 'express';
import { AppError, notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { lockCurrentUser } from '../auth/auth.repository.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Scope } from '../auth/auth-context.js';
import type { Credentials } from '../auth/credentials.js';
import { countLiveTokens, insertToken, listTokens, revokeToken, type TokenRow } from './tokens.repository.js';

export const MAX_LIVE_TOKENS = 25;

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const iso = (date: Date | null) => date?.toISOString() ?? null;
const toApiToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  name: row.name,
  prefix: row.token_prefix,
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  expiresAt: iso(row.expires_at),
  lastUsedAt: iso(row.last_used_at),
  revokedAt: iso(row.revoked_at),
});

export function createTokensService(deps: { db: Database; credentials: Credentials; audit: AuditLog }) {
  const { db, credentials, audit } = deps;
  return {
    list: (userId: string) => withUser(db, userId, async (tx) => (await listTokens(tx)).map(toApiToken)),

    async create(request: Request, userId: string, input: { name: string; scopes: Scope[]; expiresInDays?: number | undefined }) {
      const secret = credentials.newApiToken();
      const row = await withUser(db, userId, async (tx) => {
        await lockCurrentUser(tx);
        if ((await countLiveTokens(tx)) >= MAX_LIVE_TOKENS) {
          throw new AppError('CONFLICT', `An account can have at most ${MAX_LIVE_TOKENS} live tokens; revoke one first`);
        }
        const expiresAt = input.expiresInDays === undefined ? null : new Date(Date.now() + input.expiresInDays * 86_400_000);
        return insertToken(tx, { userId, name: input.name, hash: secret.hash, prefix: secret.prefix, scopes: [...new Set(input.scopes)], expiresAt });
      });
      await audit.record(request, { action: 'token.create', outcome: 'success', target: row.id, details: { scopes: row.scopes.join(' ') } });
      return { ...toApiToken(row), token: secret.token };
    },

    async revoke(request: Request, userId: string, tokenId: string): Promise<void> {
      if (!(await withUser(db, userId, (tx) => revokeToken(tx, tokenId)))) throw notFound('No such live token');
      await audit.record(request, { action: 'token.revoke', outcome: 'success', target: tokenId });
    },
  };
}

export type TokensService = ReturnType<typeof createTokensService>;
