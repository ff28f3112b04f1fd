// Erases a deleted profile's analytics. Deleting a profile (alone or with its account) queues its id
// in analytics_erasures in the same transaction (a trigger, migrations/0004), so no deletion can
// forget it. This job deletes the profile's rows from every ClickHouse table with a profile_id
// column — the raw events and every aggregate, found from the schema so that a table added later is
// not missed — and only then removes the queue entry. Both steps are idempotent: a crash between
// them, or two scheduler processes running the job at once, repeats a delete that finds nothing.
//
// Events a visitor sent just before the deletion can still be on the bus: ingest learns of the
// deletion within seconds and the consumers write within seconds more, or later when they lag. So an
// entry waits ERASURE_DELAY_MS (an hour) before it is processed; only rows written after that (the
// consumers stalled for over an hour) would escape, which is why the delay is generous.
//
// On a cluster the catalogue lists the shard-local tables (the Distributed ones are not MergeTree),
// and each DELETE runs ON CLUSTER: once per shard, replicated to the shard's other replicas.
import { assertTableName, type ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { mutationTargetOfStored } from '../lib/clickhouse/cluster-tables.js';
import { listProfileTables } from '../lib/clickhouse/profile-tables.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';

export const ERASURE_DELAY_MS = 60 * 60_000;
/** Profiles per round: one DELETE per table covers them all. */
const BATCH_SIZE = 100;

export interface ErasureDeps {
  /** Connected as linkpulse_scheduler (SELECT and DELETE on analytics_erasures). */
  db: Database;
  clickhouse: ClickHouse;
  logger: Logger;
}

/** Erases the analytics of every profile queued at least ERASURE_DELAY_MS before `now`; returns how many. */
export async function eraseQueuedAnalytics(deps: ErasureDeps, now = Date.now()): Promise<number> {
  let erased = 0;
  let tables: string[] | undefined;
  for (;;) {
    const { rows } = await deps.db.query<{ profile_id: string }>(
      'SELECT profile_id FROM analytics_erasures WHERE requested_at <= $1 ORDER BY requested_at, profile_id LIMIT $2',
      [new Date(now - ERASURE_DELAY_MS), BATCH_SIZE],
    );
    if (rows.length === 0) break;
    const profiles = rows.map((row) => row.profile_id);
    tables ??= (await listProfileTables(deps.clickhouse)).map((table) => table.storedTable);
    for (const table of tables) {
      assertTableName(table);
      // A lightweight delete: the rows disappear from every read at once, from disk at the next merges.
      await deps.clickhouse.command(`DELETE FROM ${mutationTargetOfStored(deps.clickhouse, table)} WHERE profile_id IN {profiles:Array(UUID)}`, { profiles });
    }
    await deps.db.query('DELETE FROM analytics_erasures WHERE profile_id = ANY($1::uuid[])', [profiles]);
    deps.logger.info({ profiles: profiles.length, tables }, 'analytics of deleted profiles erased');
    erased += profiles.length;
    if (rows.length < BATCH_SIZE) break;
  }
  return erased;
}
