// SQL for personal access tokens, always inside withUser(): RLS keeps each creator to their own.
import type { Tx } from '../../lib/postgres/tenant.js';
import type { Scope } from '../auth/auth-context.js';

export interface TokenRow {
  id: string;
  name: string;
  token_prefix: string;
  scopes: Scope[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS = 'id, name, token_prefix, scopes, created_at, expires_at, last_used_at, revoked_at';

export async function listTokens(tx: Tx): Promise<TokenRow[]> {
  return (await tx.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC`)).rows;
}

export async function countLiveTokens(tx: Tx): Promise<number> {
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())');
  return rows[0]!.n;
}

export async function insertToken(
  tx: Tx,
  token: { userId: string; name: string; hash: Buffer; prefix: string; scopes: readonly Scope[]; expiresAt: Date | null },
): Promise<TokenRow> {
  const { rows } = await tx.query<TokenRow>(
    `INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [token.userId, token.name, token.hash, token.prefix, token.scopes, token.expiresAt],
  );
  return rows[0]!;
}

/** True when a live token of the caller's was revoked. */
export async function revokeToken(tx: Tx, tokenId: string): Promise<boolean> {
  const { rowCount } = await tx.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [tokenId]);
  return rowCount === 1;
}
