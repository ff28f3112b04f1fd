// How long raw events live: ANALYTICS_RETENTION_DAYS, applied to the events table's TTL at start-up
// (the DDL in clickhouse/0001_events.sql says 400 days; SQL files cannot read our configuration).
// Only a changed value is applied, and without rewriting existing parts at once
// (materialize_ttl_after_modify = 0): rows past the new limit go at the next merges. On a cluster
// the TTL belongs to the shard-local tables (a Distributed table stores nothing), changed ON CLUSTER.
import type { Logger } from '../logger.js';
import type { ClickHouse } from './clickhouse.js';
import { mutationTarget, storedTableName } from './cluster-tables.js';

export async function applyRawRetention(clickhouse: ClickHouse, days: number, logger: Logger): Promise<void> {
  if (!Number.isInteger(days) || days < 1) throw new Error(`invalid retention ${days}`);
  const [table] = await clickhouse.query<{ ddl: string }>(
    'SELECT create_table_query AS ddl FROM system.tables WHERE database = currentDatabase() AND name = {table:String}',
    { table: storedTableName(clickhouse, 'events') },
  );
  const current = table ? /TTL toDateTime\(timestamp\) \+ toIntervalDay\((\d+)\)/.exec(table.ddl)?.[1] : undefined;
  if (current === String(days)) return;
  await clickhouse.command(`ALTER TABLE ${mutationTarget(clickhouse, 'events')} MODIFY TTL toDateTime(timestamp) + INTERVAL ${days} DAY SETTINGS materialize_ttl_after_modify = 0`);
  logger.info({ days, previous: current === undefined ? null : Number(current) }, 'raw analytics retention changed');
}
