// SQL for profiles, always inside withUser(): RLS limits every statement to the caller's profiles,
// so another creator's id simply matches no row.
import type { Tx } from '../../lib/postgres/tenant.js';
import type { SocialLink } from '../../lib/profiles/social-links.js';
import type { ProfileRole } from '../../lib/profiles/roles.js';

export interface ProfileRow {
  id: string;
  /** The owner. */
  user_id: string;
  /** The caller's role on it (lib/profiles/roles.ts). */
  role: ProfileRole;
  handle: string;
  display_name: string;
  bio: string;
  avatar_asset_id: string | null;
  theme: 'auto' | 'light' | 'dark';
  accent_color: string;
  page_theme: string;
  social_links: SocialLink[];
  published: boolean;
  respect_gpc: boolean;
  /** Days of analytics to keep (30-1825), or null for the operator's default (migrations/0016). */
  analytics_retention_days: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface ProfileFields {
  handle: string;
  displayName: string;
  bio: string;
  theme: ProfileRow['theme'];
  accentColor: string;
  pageTheme: string;
  socialLinks: SocialLink[];
  published: boolean;
  respectGpc: boolean;
  /** One of the owner's stored assets (a composite foreign key makes it the owner's). */
  avatarAssetId?: string | null;
  /** Only the owner may change it (a trigger refuses anyone else). */
  analyticsRetentionDays?: number | null;
}

// The caller's role; a profile being created has no member row until its statement ends (a trigger
// adds it), so its creator is its owner then.
const COLUMNS = `id, user_id, coalesce(app_profile_role(id), CASE WHEN user_id = app_user_id() THEN 'owner' END) AS role, handle, display_name, bio,
  avatar_asset_id, theme, accent_color, page_theme, social_links, published, respect_gpc, analytics_retention_days, created_at, updated_at`;
const COLUMN_OF: Record<keyof ProfileFields, string> = {
  handle: 'handle',
  displayName: 'display_name',
  bio: 'bio',
  theme: 'theme',
  accentColor: 'accent_color',
  pageTheme: 'page_theme',
  socialLinks: 'social_links',
  published: 'published',
  respectGpc: 'respect_gpc',
  avatarAssetId: 'avatar_asset_id',
  analyticsRetentionDays: 'analytics_retention_days',
};

export async function listProfiles(tx: Tx): Promise<ProfileRow[]> {
  return (await tx.query<ProfileRow>(`SELECT ${COLUMNS} FROM profiles ORDER BY created_at`)).rows;
}

/** The profiles the caller owns (RLS also shows them the ones they are a member of: those do not count). */
export async function countOwnedProfiles(tx: Tx): Promise<number> {
  return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM profiles WHERE user_id = app_user_id()')).rows[0]!.n;
}

/** The profile, locked against concurrent edits of it and its links until the transaction ends. */
export async function getProfile(tx: Tx, profileId: string, options: { lock?: boolean } = {}): Promise<ProfileRow | undefined> {
  const { rows } = await tx.query<ProfileRow>(`SELECT ${COLUMNS} FROM profiles WHERE id = $1${options.lock ? ' FOR UPDATE' : ''}`, [profileId]);
  return rows[0];
}

export async function insertProfile(tx: Tx, userId: string, fields: ProfileFields): Promise<ProfileRow> {
  const { rows } = await tx.query<ProfileRow>(
    `INSERT INTO profiles (user_id, handle, display_name, bio, theme, accent_color, page_theme, social_links, published, respect_gpc)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [userId, fields.handle, fields.displayName, fields.bio, fields.theme, fields.accentColor, fields.pageTheme, JSON.stringify(fields.socialLinks), fields.published, fields.respectGpc],
  );
  return rows[0]!;
}

export async function updateProfile(tx: Tx, profileId: string, changes: Partial<ProfileFields>): Promise<ProfileRow | undefined> {
  const entries = Object.entries(changes).filter(([, value]) => value !== undefined) as [keyof ProfileFields, unknown][];
  if (entries.length === 0) return getProfile(tx, profileId);
  // Column names come from the fixed map above, values are parameters.
  const assignments = entries.map(([field], index) => `${COLUMN_OF[field]} = $${index + 2}`).join(', ');
  // node-postgres sends a JS array as a PostgreSQL array; the jsonb column wants JSON text.
  const { rows } = await tx.query<ProfileRow>(`UPDATE profiles SET ${assignments} WHERE id = $1 RETURNING ${COLUMNS}`, [
    profileId,
    ...entries.map(([field, value]) => (field === 'socialLinks' ? JSON.stringify(value) : value)),
  ]);
  return rows[0];
}

export async function deleteProfile(tx: Tx, profileId: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ handle: string }>('DELETE FROM profiles WHERE id = $1 RETURNING handle', [profileId]);
  return rows[0]?.handle;
}

export async function isHandleAvailable(tx: Tx, handle: string): Promise<boolean> {
  const { rows } = await tx.query<{ available: boolean }>('SELECT is_handle_available($1) AS available', [handle]);
  return rows[0]!.available;
}
