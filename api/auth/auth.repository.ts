// SQL for accounts and sessions. Functions taking a Tx run inside withUser(): RLS limits them to the
// caller's own rows. The two lookups that run before anyone is known call the SECURITY DEFINER
// functions of migrations/0004_accounts.sql, which answer one exact-match question each.
import type { Database } from '../../lib/postgres/database.js';
import type { Tx } from '../../lib/postgres/tenant.js';
import type { UserRole } from './auth-context.js';

export interface UserRow {
  id: string;
  email: string;
  role: UserRole;
  created_at: Date;
  email_verified_at: Date | null;
  password_hash: string;
  two_factor_enabled: boolean;
}

export async function findLoginCandidate(db: Database, email: string): Promise<{ userId: string; passwordHash: string } | undefined> {
  const { rows } = await db.query<{ user_id: string; password_hash: string }>('SELECT * FROM auth_login_candidate($1)', [email]);
  const row = rows[0];
  return row && { userId: row.user_id, passwordHash: row.password_hash };
}

export async function insertUser(tx: Tx, user: { id: string; email: string; passwordHash: string }): Promise<void> {
  await tx.query('INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)', [user.id, user.email, user.passwordHash]);
}

export async function getCurrentUser(tx: Tx): Promise<UserRow | undefined> {
  const { rows } = await tx.query<UserRow>('SELECT id, email, role, created_at, email_verified_at, password_hash, EXISTS (SELECT 1 FROM user_totp t WHERE t.confirmed_at IS NOT NULL) AS two_factor_enabled FROM users');
  return rows[0];
}

/** Serialises the caller's concurrent requests that check a per-account limit before inserting. */
export async function lockCurrentUser(tx: Tx): Promise<void> {
  await tx.query('SELECT 1 FROM users FOR UPDATE');
}

export async function updatePassword(tx: Tx, passwordHash: string): Promise<void> {
  await tx.query('UPDATE users SET password_hash = $1, password_changed_at = now()', [passwordHash]);
}

/** Deletes the caller's account; profiles, links, sessions and tokens go with it (ON DELETE CASCADE). */
export async function deleteCurrentUser(tx: Tx): Promise<string[]> {
  const { rows } = await tx.query<{ handle: string }>('SELECT handle FROM profiles');
  await tx.query('DELETE FROM users');
  return rows.map((row) => row.handle);
}

export async function insertSession(tx: Tx, session: { userId: string; tokenHash: Buffer; userAgent: string; expiresAt: Date }): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO sessions (user_id, token_hash, user_agent, expires_at) VALUES ($1, $2, $3, $4) RETURNING id',
    [session.userId, session.tokenHash, session.userAgent, session.expiresAt],
  );
  return rows[0]!.id;
}

export async function revokeSession(tx: Tx, sessionId: string): Promise<void> {
  await tx.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
}

export async function revokeAllSessions(tx: Tx): Promise<void> {
  await tx.query('UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL');
}

/** Ends every session but one: how many ended. */
export async function revokeOtherSessions(tx: Tx, keptSessionId: string): Promise<number> {
  const { rowCount } = await tx.query('UPDATE sessions SET revoked_at = now() WHERE revoked_at IS NULL AND id <> $1', [keptSessionId]);
  return rowCount ?? 0;
}

export interface SessionRow {
  id: string;
  user_agent: string | null;
  created_at: Date;
  last_seen_at: Date | null;
}

/** The account's live sessions, most recently used first. */
export async function listLiveSessions(tx: Tx): Promise<SessionRow[]> {
  const { rows } = await tx.query<SessionRow>(
    'SELECT id, user_agent, created_at, last_seen_at FROM sessions WHERE revoked_at IS NULL AND expires_at > now() ORDER BY coalesce(last_seen_at, created_at) DESC',
  );
  return rows;
}

/** Ends one live session of the account: false when there is none with this id. */
export async function revokeLiveSession(tx: Tx, sessionId: string): Promise<boolean> {
  const { rowCount } = await tx.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL AND expires_at > now()', [sessionId]);
  return rowCount === 1;
}

/** A new password reset link for the account with this address: its id and address, or undefined (no such account, or 5 links in the last hour). */
export async function requestPasswordReset(db: Database, email: string, tokenHash: Buffer, ttlSeconds: number): Promise<{ userId: string; email: string } | undefined> {
  const { rows } = await db.query<{ user_id: string; email: string }>('SELECT * FROM auth_request_password_reset($1, $2, $3)', [email, tokenHash, ttlSeconds]);
  const row = rows[0];
  return row && { userId: row.user_id, email: row.email };
}

/** The account a live password reset link belongs to. */
export async function findPasswordResetAccount(db: Database, tokenHash: Buffer): Promise<{ userId: string; email: string } | undefined> {
  const { rows } = await db.query<{ user_id: string; email: string }>('SELECT * FROM auth_password_reset_account($1)', [tokenHash]);
  const row = rows[0];
  return row && { userId: row.user_id, email: row.email };
}

/** Uses a live link (and ends the account's others): the account's id, or undefined if it was not live. */
export async function usePasswordReset(tx: Tx, tokenHash: Buffer): Promise<string | undefined> {
  const { rows } = await tx.query<{ user_id: string | null }>('SELECT auth_use_password_reset($1) AS user_id', [tokenHash]);
  return rows[0]?.user_id ?? undefined;
}

/** A confirmation link for the signed-in account's current address (as the account, through RLS). */
export async function insertEmailVerification(tx: Tx, token: { userId: string; email: string; tokenHash: Buffer; expiresAt: Date }): Promise<void> {
  await tx.query('INSERT INTO email_verification_tokens (user_id, email, token_hash, expires_at) VALUES ($1, $2, $3, $4)', [token.userId, token.email, token.tokenHash, token.expiresAt]);
}

/** Confirmation links the signed-in account was sent since `since`. */
export async function countEmailVerificationsSince(tx: Tx, since: Date): Promise<number> {
  const { rows } = await tx.query<{ count: string }>('SELECT count(*) FROM email_verification_tokens WHERE created_at > $1', [since]);
  return Number(rows[0]!.count);
}

/** Uses a live confirmation link: the account's id, or undefined if the link is not live. */
export async function useEmailVerification(db: Database, tokenHash: Buffer): Promise<string | undefined> {
  const { rows } = await db.query<{ user_id: string | null }>('SELECT auth_use_email_verification($1) AS user_id', [tokenHash]);
  return rows[0]?.user_id ?? undefined;
}
