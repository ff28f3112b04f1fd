// The account-export-sweep job: keeps the exports' objects and rows in agreement with their links.
// - An archive whose link has expired (or that its account deleted, should the API not have deleted
//   its object) is deleted, and its row forgets the key (the row stays, so the dashboard can say
//   "expired" and the link answer 410, for EXPORT_ROW_KEPT_MS).
// - Rows expired or failed longer ago than that go.
// - Objects under exports/ that no row names and no build is writing (the account was deleted, the
//   export deleted while its object could not be, a build that died after its upload) go once they
//   are SWEEP_GRACE_MS old.
// Runs as linkpulse_scheduler. Idempotent, so two schedulers may overlap.
import { EXPORT_PREFIX, EXPORT_ROW_KEPT_MS } from '../../lib/account-exports/account-export.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { deleteOldRows, forgetObject, listExpiredObjects, liveExportIds } from './export-queue.repository.js';

export const SWEEP_GRACE_MS = 60 * 60_000;
const BATCH_SIZE = 500;
const KEY = /^exports\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.zip$/;

export interface ExportSweepDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  storage: ObjectStorage;
  logger: Logger;
}

export interface ExportSweepResult {
  expiredObjectsDeleted: number;
  rowsDeleted: number;
  strayObjectsDeleted: number;
}

export async function sweepAccountExports(deps: ExportSweepDeps, now = new Date()): Promise<ExportSweepResult> {
  const result: ExportSweepResult = { expiredObjectsDeleted: 0, rowsDeleted: 0, strayObjectsDeleted: 0 };
  for (;;) {
    const expired = await listExpiredObjects(deps.db, now, BATCH_SIZE);
    for (const { id, object_key } of expired) {
      // The object first: a row that forgot its key is never looked at again by this step.
      await deps.storage.delete(object_key);
      await forgetObject(deps.db, id);
      result.expiredObjectsDeleted++;
    }
    if (expired.length < BATCH_SIZE) break;
  }
  result.rowsDeleted = await deleteOldRows(deps.db, now, EXPORT_ROW_KEPT_MS);

  const sweepBatch = async (keys: Map<string, string>) => {
    const live = await liveExportIds(deps.db, [...keys.keys()]);
    for (const [id, key] of keys) {
      if (live.has(id)) continue;
      await deps.storage.delete(key);
      result.strayObjectsDeleted++;
    }
  };
  let batch = new Map<string, string>();
  for await (const object of deps.storage.list(EXPORT_PREFIX)) {
    if (object.lastModified.getTime() > now.getTime() - SWEEP_GRACE_MS) continue;
    const id = KEY.exec(object.key)?.[1];
    // Nothing else is written here; an object of another shape is no export's and goes too.
    if (!id) {
      await deps.storage.delete(object.key);
      result.strayObjectsDeleted++;
      continue;
    }
    batch.set(id, object.key);
    if (batch.size === BATCH_SIZE) {
      await sweepBatch(batch);
      batch = new Map();
    }
  }
  if (batch.size > 0) await sweepBatch(batch);

  if (result.expiredObjectsDeleted + result.rowsDeleted + result.strayObjectsDeleted > 0) deps.logger.info(result, 'account export sweep removed expired archives and old requests');
  return result;
}
