// What an account export reads from PostgreSQL, always as the account itself: every function takes a
// Tx from withUser() on the app role's pool, so Row-Level Security holds the export to what its owner
// may read through the API, whatever this file asks for. Each query names its columns: a secret
// (password hash, TOTP secret, recovery codes, token and session hashes) is never selected, and a
// column added to a table later stays out of exports until someone adds it here.
import type { Tx } from '../../lib/postgres/tenant.js';

export interface AccountRow {
  id: string;
  email: string;
  role: string;
  created_at: Date;
  email_verified_at: Date | null;
  password_changed_at: Date;
  two_factor_enabled: boolean;
}

export async function readAccount(tx: Tx, userId: string): Promise<AccountRow | undefined> {
  const { rows } = await tx.query<AccountRow>(
    `SELECT id, email, role, created_at, email_verified_at, password_changed_at,
            EXISTS (SELECT 1 FROM user_totp t WHERE t.confirmed_at IS NOT NULL) AS two_factor_enabled
       FROM users WHERE id = $1`,
    [userId],
  );
  return rows[0];
}

export interface SessionRow {
  user_agent: string | null;
  created_at: Date;
  expires_at: Date;
  revoked_at: Date | null;
}

export async function listSessions(tx: Tx): Promise<SessionRow[]> {
  return (await tx.query<SessionRow>('SELECT user_agent, created_at, expires_at, revoked_at FROM sessions ORDER BY created_at')).rows;
}

export interface TokenRow {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function listTokens(tx: Tx): Promise<TokenRow[]> {
  return (await tx.query<TokenRow>('SELECT id, name, scopes, created_at, expires_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at')).rows;
}

export interface MembershipRow {
  profile_id: string;
  handle: string;
  display_name: string;
  role: string;
  joined_at: Date;
  is_owner: boolean;
}

/** Every profile the account is on, with its role (its own pages as owner). */
export async function listMemberships(tx: Tx, userId: string): Promise<MembershipRow[]> {
  const { rows } = await tx.query<MembershipRow>(
    `SELECT m.profile_id, p.handle, p.display_name, m.role, m.created_at AS joined_at, p.user_id = $1 AS is_owner
       FROM profile_members m JOIN profiles p ON p.id = m.profile_id
      WHERE m.user_id = $1 ORDER BY m.created_at`,
    [userId],
  );
  return rows;
}

export interface OwnedProfileRow {
  id: string;
  handle: string;
  display_name: string;
  bio: string;
  avatar_asset_id: string | null;
  theme: string;
  accent_color: string;
  page_theme: string;
  social_links: unknown;
  published: boolean;
  respect_gpc: boolean;
  created_at: Date;
  updated_at: Date;
}

/** The profiles the account owns (RLS also shows the ones it is a member of: those are someone else's data). */
export async function listOwnedProfiles(tx: Tx, userId: string): Promise<OwnedProfileRow[]> {
  const { rows } = await tx.query<OwnedProfileRow>(
    `SELECT id, handle, display_name, bio, avatar_asset_id, theme, accent_color, page_theme, social_links, published, respect_gpc, created_at, updated_at
       FROM profiles WHERE user_id = $1 ORDER BY created_at`,
    [userId],
  );
  return rows;
}

export interface TeamMemberRow {
  user_id: string;
  email: string;
  role: string;
  joined_at: Date;
}

export async function listTeam(tx: Tx, profileId: string): Promise<TeamMemberRow[]> {
  return (await tx.query<TeamMemberRow>('SELECT user_id, email, role, joined_at FROM profile_team($1)', [profileId])).rows;
}

export interface LinkRow {
  id: string;
  position: number;
  title: string;
  url: string;
  kind: string;
  enabled: boolean;
  starts_at: Date | null;
  ends_at: Date | null;
  icon: string | null;
  thumbnail_asset_id: string | null;
  sync_interval_minutes: number | null;
  github_repository: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function listLinks(tx: Tx, profileId: string): Promise<LinkRow[]> {
  const { rows } = await tx.query<LinkRow>(
    `SELECT l.id, l.position, l.title, l.url, l.kind, l.enabled, l.starts_at, l.ends_at, l.icon, l.thumbnail_asset_id, l.sync_interval_minutes,
            CASE WHEN r.id IS NULL THEN NULL ELSE r.owner || '/' || r.name END AS github_repository, l.created_at, l.updated_at
       FROM links l LEFT JOIN github_repos r ON r.id = l.github_repo_id
      WHERE l.profile_id = $1 ORDER BY l.position`,
    [profileId],
  );
  return rows;
}

export interface AssetRow {
  id: string;
  object_key: string;
  content_type: string;
  size_bytes: number;
  width: number;
  height: number;
  created_at: Date;
}

/** The account's stored images (its uploads; RLS shows no one else's). */
export async function listStoredAssets(tx: Tx): Promise<AssetRow[]> {
  return (await tx.query<AssetRow>("SELECT id, object_key, content_type, size_bytes, width, height, created_at FROM assets WHERE status = 'stored' ORDER BY created_at")).rows;
}

export interface ActivityRow {
  id: string;
  occurred_at: Date;
  actor_user_id: string | null;
  actor_token_id: string | null;
  entity: string;
  entity_id: string;
  action: string;
  changes: Record<string, unknown>;
}

/** One page of a profile's activity log, oldest first, after the entry `afterId` (keyset). */
export async function activityPage(tx: Tx, profileId: string, afterId: string | undefined, limit: number): Promise<ActivityRow[]> {
  const { rows } = await tx.query<ActivityRow>(
    `SELECT id::text AS id, occurred_at, actor_user_id, actor_token_id, entity, entity_id, action, changes
       FROM activity_log WHERE profile_id = $1 AND ($2::bigint IS NULL OR id > $2::bigint)
      ORDER BY activity_log.id LIMIT $3`,
    [profileId, afterId ?? null, limit],
  );
  return rows;
}
