// The tables that hold rows per profile, found from the engine's catalogue so that a table added by a
// later migration is not missed: every MergeTree table of the analytics database with a `profile_id`
// column (the raw events and every aggregate). What deletes a profile's rows — the erasure of a deleted
// profile, a profile's retention — deletes from each of these.
//
// On a cluster the catalogue lists the shard-local tables (the Distributed ones are not MergeTree):
// deletes name them ON CLUSTER (mutationTargetOfStored), reads go through `readable`.
import type { ClickHouse } from './clickhouse.js';
import { readableTableName } from './cluster-tables.js';

/** The column that dates a row, from the finest grain: raw events, hourly buckets, UTC days. */
export const AGE_COLUMNS = ['timestamp', 'hour', 'day'] as const;
export type AgeColumn = (typeof AGE_COLUMNS)[number];

export interface ProfileTable {
  /** As the catalogue lists it on this node (the shard-local table on a cluster). */
  storedTable: string;
  /** The table to read all its rows from (the Distributed one on a cluster). */
  readable: string;
  /** The column that dates its rows, if it has one of AGE_COLUMNS. */
  ageColumn: AgeColumn | undefined;
}

export async function listProfileTables(clickhouse: ClickHouse): Promise<ProfileTable[]> {
  const rows = await clickhouse.query<{ table: string; columns: string[] }>(
    `SELECT table, groupArray(name) AS columns FROM system.columns
      WHERE database = currentDatabase()
        AND table IN (SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%MergeTree')
      GROUP BY table
     HAVING has(columns, 'profile_id')
      ORDER BY table`,
  );
  return rows.map((row) => ({
    storedTable: row.table,
    readable: readableTableName(clickhouse, row.table),
    ageColumn: AGE_COLUMNS.find((column) => row.columns.includes(column)),
  }));
}
