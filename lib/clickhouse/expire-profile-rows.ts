// Deletes some profiles' analytics older than a cutoff from every table that holds rows per profile:
// the raw events (by `timestamp`) and every aggregate (by its `hour` or `day` bucket). The cutoff is
// 00:00 UTC of a day (lib/analytics/profile-retention.ts), so an hourly or daily bucket is either
// wholly before it and deleted, or wholly kept: the aggregates of the days kept still equal their raw
// rows. The scheduler's analytics-retention job calls this per group of profiles with one cutoff.
//
// A lightweight DELETE is a mutation even when it matches nothing, so each table is first asked which
// of the profiles have rows before the cutoff (the sort keys lead with profile_id: a cheap read), and
// only those are deleted. A run that finds nothing writes nothing; one after a crash repeats what is
// left. On a cluster the question goes through the Distributed table (every shard) and the DELETE
// names the shard-local table ON CLUSTER (cluster-tables.ts).
import { assertIdentifier, assertTableName, type ClickHouse } from './clickhouse.js';
import { mutationTargetOfStored } from './cluster-tables.js';
import { listProfileTables, type AgeColumn, type ProfileTable } from './profile-tables.js';

const DAY_MS = 86_400_000;

/** The parameter type each age column is compared in. */
const CUTOFF_TYPE: Record<AgeColumn, string> = { timestamp: "DateTime64(3, 'UTC')", hour: "DateTime('UTC')", day: 'Date' };

export interface ExpiredRows {
  /** Per table (as the app reads it), the profiles whose rows before the cutoff were deleted. */
  deleted: Record<string, string[]>;
}

/** The profile tables, each with the column that dates its rows; refuses a table it cannot date. */
export async function listExpirableTables(clickhouse: ClickHouse): Promise<(ProfileTable & { ageColumn: AgeColumn })[]> {
  const tables = await listProfileTables(clickhouse);
  const undated = tables.filter((table) => table.ageColumn === undefined).map((table) => table.storedTable);
  // Keeping a table's rows past the retention would break the promise silently: fail loudly instead.
  if (undated.length > 0) throw new Error(`tables ${undated.join(', ')} hold rows per profile but no timestamp, hour or day column: their rows' age is unknown`);
  return tables as (ProfileTable & { ageColumn: AgeColumn })[];
}

/**
 * Deletes the rows of `profiles` dated before `before` (a UTC midnight) from every table that holds
 * rows per profile (or from `tables`).
 */
export async function expireProfileRows(
  clickhouse: ClickHouse,
  options: { profiles: readonly string[]; before: Date; tables?: readonly (ProfileTable & { ageColumn: AgeColumn })[] },
): Promise<ExpiredRows> {
  if (options.before.getTime() % DAY_MS !== 0) throw new Error(`a retention cutoff is a UTC midnight, not ${options.before.toISOString()}`);
  const deleted: Record<string, string[]> = {};
  if (options.profiles.length === 0) return { deleted };
  const tables = options.tables ?? (await listExpirableTables(clickhouse));
  const cutoff = (column: AgeColumn) => (column === 'day' ? options.before.toISOString().slice(0, 10) : options.before);
  for (const table of tables) {
    assertTableName(table.storedTable);
    assertTableName(table.readable);
    assertIdentifier(table.ageColumn, 'column');
    const older = `profile_id IN {profiles:Array(UUID)} AND ${table.ageColumn} < {cutoff:${CUTOFF_TYPE[table.ageColumn]}}`;
    const due = await clickhouse.query<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM ${table.readable} WHERE ${older} ORDER BY profile_id`, {
      profiles: [...options.profiles],
      cutoff: cutoff(table.ageColumn),
    });
    if (due.length === 0) continue;
    const profiles = due.map((row) => row.profile_id);
    // A lightweight delete: the rows disappear from every read at once, from disk at the next merges.
    await clickhouse.command(`DELETE FROM ${mutationTargetOfStored(clickhouse, table.storedTable)} WHERE ${older}`, { profiles, cutoff: cutoff(table.ageColumn) });
    deleted[table.readable] = profiles;
  }
  return { deleted };
}
