// Keeps asset rows and stored objects in agreement (migrations/0006_assets.sql):
// - rows stuck in 'pending' (the upload died between the row and the write, or between the write
//   and 'stored') are deleted once they are SWEEP_GRACE_MS old; 'failed' and 'deleted' rows a week on;
// - objects under assets/ that no 'pending' or 'stored' row names are deleted once they are
//   SWEEP_GRACE_MS old, so an upload in flight (row first, then object) is never swept;
// - rendered Open Graph images (og/, a cache: lib/profiles/og-image.ts) older than OG_IMAGE_MAX_AGE_MS,
//   so images of profiles that changed since do not pile up (a current one is drawn again on request).
// Runs as linkpulse_scheduler: it reads keys and states of every user's assets (no owners, no
// content) and may delete rows that are not 'stored'. Idempotent, so two schedulers may overlap.
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';
import type { ObjectStorage } from '../lib/storage/object-storage.js';
import { OG_IMAGE_MAX_AGE_MS, OG_IMAGE_PREFIX } from '../lib/profiles/og-image.js';

export const SWEEP_GRACE_MS = 60 * 60_000;
const DEAD_ROW_AGE_MS = 7 * 24 * 60 * 60_000;
/** Keys checked against the database per query. */
const BATCH_SIZE = 500;

export interface SweepDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
}

export interface SweepResult {
  rowsDeleted: number;
  objectsDeleted: number;
}

export async function sweepAssets(deps: SweepDeps, now = Date.now()): Promise<SweepResult> {
  const { rowCount } = await deps.db.query(
    `DELETE FROM assets
      WHERE (status = 'pending' AND updated_at < $1) OR (status IN ('failed', 'deleted') AND updated_at < $2)`,
    [new Date(now - SWEEP_GRACE_MS), new Date(now - DEAD_ROW_AGE_MS)],
  );

  let objectsDeleted = 0;
  const sweepBatch = async (keys: string[]) => {
    const { rows } = await deps.db.query<{ object_key: string }>(
      "SELECT DISTINCT object_key FROM assets WHERE object_key = ANY($1::text[]) AND status IN ('pending', 'stored')",
      [keys],
    );
    const live = new Set(rows.map((row) => row.object_key));
    for (const key of keys.filter((candidate) => !live.has(candidate))) {
      await deps.storage.delete(key);
      objectsDeleted++;
    }
  };
  let batch: string[] = [];
  for await (const object of deps.storage.list('assets/')) {
    if (object.lastModified.getTime() > now - SWEEP_GRACE_MS) continue;
    batch.push(object.key);
    if (batch.length === BATCH_SIZE) {
      await sweepBatch(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await sweepBatch(batch);
  for await (const object of deps.storage.list(OG_IMAGE_PREFIX)) {
    if (object.lastModified.getTime() > now - OG_IMAGE_MAX_AGE_MS) continue;
    await deps.storage.delete(object.key);
    objectsDeleted++;
  }

  const result = { rowsDeleted: rowCount ?? 0, objectsDeleted };
  if (result.rowsDeleted + result.objectsDeleted > 0) deps.logger.info(result, 'asset sweep removed dead rows and unreferenced objects');
  return result;
}
