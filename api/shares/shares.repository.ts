// SQL for shared dashboards. The owner's reads and writes run inside withUser() (RLS: the owner
// only, migrations/0015); a visitor's, inside asVisitor(), reach a share only by its token, through
// shared_dashboard() and shared_dashboard_links().
import type { Tx } from '../../lib/postgres/tenant.js';

export interface ShareRow {
  id: string;
  label: string;
  token: string;
  password_hash: string | null;
  panels: string[];
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, label, token, password_hash, panels, created_at, updated_at';

export async function listShares(tx: Tx, profileId: string): Promise<ShareRow[]> {
  return (await tx.query<ShareRow>(`SELECT ${COLUMNS} FROM shared_dashboards WHERE profile_id = $1 ORDER BY created_at, id`, [profileId])).rows;
}

export async function countShares(tx: Tx, profileId: string): Promise<number> {
  return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM shared_dashboards WHERE profile_id = $1', [profileId])).rows[0]!.n;
}

export async function insertShare(
  tx: Tx,
  share: { profileId: string; label: string; token: string; passwordHash: string | null; panels: readonly string[]; createdBy: string },
): Promise<ShareRow> {
  const { rows } = await tx.query<ShareRow>(
    `INSERT INTO shared_dashboards (profile_id, label, token, password_hash, panels, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
    [share.profileId, share.label, share.token, share.passwordHash, share.panels, share.createdBy],
  );
  return rows[0]!;
}

/** Changes the given fields (undefined: unchanged; a null password removes it); undefined when there is no such share. */
export async function updateShare(
  tx: Tx,
  profileId: string,
  shareId: string,
  changes: { label?: string | undefined; token?: string | undefined; passwordHash?: string | null | undefined; panels?: readonly string[] | undefined },
): Promise<ShareRow | undefined> {
  const sets: string[] = [];
  const values: unknown[] = [profileId, shareId];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (changes.label !== undefined) set('label', changes.label);
  if (changes.token !== undefined) set('token', changes.token);
  if (changes.passwordHash !== undefined) set('password_hash', changes.passwordHash);
  if (changes.panels !== undefined) set('panels', changes.panels);
  if (sets.length === 0) return (await tx.query<ShareRow>(`SELECT ${COLUMNS} FROM shared_dashboards WHERE profile_id = $1 AND id = $2`, values)).rows[0];
  const { rows } = await tx.query<ShareRow>(`UPDATE shared_dashboards SET ${sets.join(', ')} WHERE profile_id = $1 AND id = $2 RETURNING ${COLUMNS}`, values);
  return rows[0];
}

export async function deleteShare(tx: Tx, profileId: string, shareId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM shared_dashboards WHERE profile_id = $1 AND id = $2', [profileId, shareId])).rowCount === 1;
}

export interface SharedDashboardRow {
  id: string;
  profile_id: string;
  label: string;
  panels: string[];
  password_hash: string | null;
  handle: string;
  display_name: string;
}

/** The share a token opens, with its profile's handle and name (asVisitor). */
export async function findSharedDashboard(tx: Tx, token: string): Promise<SharedDashboardRow | undefined> {
  return (await tx.query<SharedDashboardRow>('SELECT id, profile_id, label, panels, password_hash, handle, display_name FROM shared_dashboard($1)', [token])).rows[0];
}

/** The titles of the shared profile's links, by id (asVisitor). */
export async function sharedLinkTitles(tx: Tx, token: string): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ id: string; title: string }>('SELECT id, title FROM shared_dashboard_links($1)', [token]);
  return new Map(rows.map((row) => [row.id, row.title]));
}
