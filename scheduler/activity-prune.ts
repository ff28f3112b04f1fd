// Drops activity log entries older than ACTIVITY_RETENTION_DAYS (migrations/0014_activity_log.sql),
// in batches so one run never holds a long lock. Runs as linkpulse_scheduler, which may read the
// entries' ids and ages and delete them, nothing else. Idempotent.
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';

const BATCH_SIZE = 5_000;

export async function pruneActivity(deps: { db: Database; logger: Logger }, retentionDays: number, now = Date.now()): Promise<number> {
  const cutoff = new Date(now - retentionDays * 86_400_000);
  let deleted = 0;
  for (;;) {
    const { rowCount } = await deps.db.query(
      'DELETE FROM activity_log WHERE id IN (SELECT id FROM activity_log WHERE occurred_at < $1 ORDER BY occurred_at LIMIT $2)',
      [cutoff, BATCH_SIZE],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH_SIZE) break;
  }
  if (deleted > 0) deps.logger.info({ deleted, retentionDays }, 'activity log entries past their retention removed');
  return deleted;
}
