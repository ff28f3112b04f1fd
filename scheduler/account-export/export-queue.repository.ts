// The queue of account exports as the scheduler's login sees it (migrations/0017): the queue's
// columns of every account's requests, never the accounts' data. A build claims a request by moving it
// to 'building' with a fresh started_at, which then fences every later write of that build: a build
// presumed dead (its lease over) and taken up by another process can no longer overwrite the result.
import type { Database } from '../../lib/postgres/database.js';

export interface ClaimedExport {
  id: string;
  user_id: string;
  requested_at: Date;
  /** The claim's fence (whole milliseconds, so it survives the trip through a JavaScript Date). */
  started_at: Date;
  attempts: number;
}

/** The oldest request waiting, or building under a lease older than `leaseMs` (its process died). */
export async function claimNextExport(db: Database, leaseMs: number): Promise<ClaimedExport | undefined> {
  const { rows } = await db.query<ClaimedExport>(
    `UPDATE account_exports SET status = 'building', started_at = date_trunc('milliseconds', clock_timestamp()), attempts = attempts + 1
      WHERE id = (SELECT id FROM account_exports
                   WHERE status = 'pending' OR (status = 'building' AND started_at < now() - make_interval(secs => $1::double precision / 1000))
                   ORDER BY requested_at FOR UPDATE SKIP LOCKED LIMIT 1)
      RETURNING id, user_id, requested_at, started_at, attempts`,
    [leaseMs],
  );
  return rows[0];
}

/** Records a built archive; false when the claim was lost meanwhile (another build took over). */
export async function markExportReady(
  db: Database,
  claim: ClaimedExport,
  result: { objectKey: string; sizeBytes: number; tokenHash: Buffer; ttlMs: number },
): Promise<{ finished_at: Date; expires_at: Date } | undefined> {
  const { rows } = await db.query<{ finished_at: Date; expires_at: Date }>(
    `UPDATE account_exports
        SET status = 'ready', finished_at = now(), expires_at = now() + make_interval(secs => $5::double precision / 1000),
            object_key = $3, size_bytes = $4, token_hash = $6, error = NULL
      WHERE id = $1 AND status = 'building' AND started_at = $2
      RETURNING finished_at, expires_at`,
    [claim.id, claim.started_at, result.objectKey, result.sizeBytes, result.ttlMs, result.tokenHash],
  );
  return rows[0];
}

/** Records a failure (`error` is what the account holder is told); false when the claim was lost. */
export async function markExportFailed(db: Database, claim: ClaimedExport, error: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE account_exports
        SET status = 'failed', finished_at = now(), error = $3, object_key = NULL, size_bytes = NULL, token_hash = NULL, expires_at = NULL
      WHERE id = $1 AND status IN ('building', 'ready') AND started_at = $2`,
    [claim.id, claim.started_at, error.slice(0, 300)],
  );
  return (rowCount ?? 0) > 0;
}

/** Archives whose link has expired, or which their account deleted, and whose object is still there. */
export async function listExpiredObjects(db: Database, now: Date, limit: number): Promise<{ id: string; object_key: string }[]> {
  return (
    await db.query<{ id: string; object_key: string }>(
      'SELECT id, object_key FROM account_exports WHERE object_key IS NOT NULL AND (expires_at <= $1 OR deleted_at IS NOT NULL) ORDER BY expires_at LIMIT $2',
      [now, limit],
    )
  ).rows;
}

export async function forgetObject(db: Database, exportId: string): Promise<void> {
  await db.query('UPDATE account_exports SET object_key = NULL WHERE id = $1', [exportId]);
}

/** Rows listed long enough: expired or failed more than `keptMs` ago. */
export async function deleteOldRows(db: Database, now: Date, keptMs: number): Promise<number> {
  const { rowCount } = await db.query(
    `DELETE FROM account_exports
      WHERE object_key IS NULL
        AND ((status = 'ready' AND expires_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000))
          OR (status = 'failed' AND finished_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000)))`,
    [now, keptMs],
  );
  return rowCount ?? 0;
}

/** Of `exportIds`, the ones whose row still names its object or is being built (their objects stay). */
export async function liveExportIds(db: Database, exportIds: string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ id: string }>(
    "SELECT id FROM account_exports WHERE id = ANY($1::uuid[]) AND (object_key IS NOT NULL OR status = 'building')",
    [exportIds],
  );
  return new Set(rows.map((row) => row.id));
}
