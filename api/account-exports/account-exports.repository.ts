// SQL for the account's exports (migrations/0017_account_exports.sql), always inside withUser(): RLS
// shows an account its own rows only, so another account's export id matches nothing.
import type { Tx } from '../../lib/postgres/tenant.js';
import { SCHEDULER_JOBS } from '../../lib/scheduler-jobs.js';

export interface ExportRow {
  id: string;
  status: 'pending' | 'building' | 'ready' | 'failed';
  requested_at: Date;
  finished_at: Date | null;
  expires_at: Date | null;
  object_key: string | null;
  size_bytes: string | null;
  error: string | null;
  deleted_at: Date | null;
  /** Whether the link's time is over (by the database's clock, the one the sweep uses). */
  expired: boolean;
}

const COLUMNS = 'id, status, requested_at, finished_at, expires_at, object_key, size_bytes, error, deleted_at, coalesce(expires_at <= now(), false) AS expired';

/** The newest first. */
export async function listExports(tx: Tx, limit: number): Promise<ExportRow[]> {
  return (await tx.query<ExportRow>(`SELECT ${COLUMNS} FROM account_exports ORDER BY requested_at DESC LIMIT $1`, [limit])).rows;
}

/** The export still waiting or being built, if any (there is at most one: account_exports_one_open). */
export async function findOpenExport(tx: Tx): Promise<ExportRow | undefined> {
  return (await tx.query<ExportRow>(`SELECT ${COLUMNS} FROM account_exports WHERE status IN ('pending', 'building')`)).rows[0];
}

/** Seconds until another export may be asked for: the newest request that did not fail counts for `intervalMs`. */
export async function secondsUntilNextRequest(tx: Tx, intervalMs: number): Promise<number> {
  const { rows } = await tx.query<{ wait: number | null }>(
    `SELECT extract(epoch FROM max(requested_at) + make_interval(secs => $1::double precision / 1000) - now())::float8 AS wait
       FROM account_exports WHERE status <> 'failed'`,
    [intervalMs],
  );
  return Math.max(0, rows[0]?.wait ?? 0);
}

/**
 * A new request, and a run of the builder queued at once (the app role may insert a job row; the
 * scheduler also looks for waiting requests every minute, so a lost job only delays it).
 */
export async function insertExportRequest(tx: Tx, userId: string): Promise<ExportRow> {
  const { rows } = await tx.query<ExportRow>(`INSERT INTO account_exports (user_id) VALUES ($1) RETURNING ${COLUMNS}`, [userId]);
  await tx.query('INSERT INTO agenda_jobs (name, next_run_at, data) VALUES ($1, now(), $2)', [SCHEDULER_JOBS.accountExport, {}]);
  return rows[0]!;
}

export interface DownloadRow extends ExportRow {
  token_hash: Buffer | null;
}

export async function getExportForDownload(tx: Tx, exportId: string): Promise<DownloadRow | undefined> {
  return (await tx.query<DownloadRow>(`SELECT ${COLUMNS}, token_hash FROM account_exports WHERE id = $1`, [exportId])).rows[0];
}

/**
 * Marks a finished export deleted (the policy account_exports_own_delete allows nothing else); the
 * row stays for the hourly limit and the list. `objectKey` is its archive's key, for the caller to
 * delete the object now (the sweep does it otherwise). `unfinished`: it is still waiting or being built.
 */
export async function markExportDeleted(tx: Tx, exportId: string): Promise<{ deleted: boolean; unfinished: boolean; objectKey: string | null }> {
  const marked = await tx.query<{ object_key: string | null }>(
    "UPDATE account_exports SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL AND status IN ('ready', 'failed') RETURNING object_key",
    [exportId],
  );
  if (marked.rows[0]) return { deleted: true, unfinished: false, objectKey: marked.rows[0].object_key };
  const { rows } = await tx.query<{ status: ExportRow['status'] }>('SELECT status FROM account_exports WHERE id = $1', [exportId]);
  return { deleted: false, unfinished: rows[0]?.status === 'pending' || rows[0]?.status === 'building', objectKey: null };
}
