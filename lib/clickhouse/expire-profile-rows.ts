// Deletes profiles' analytics older than their cutoff from every table that holds rows per profile:
// the raw events (by `timestamp`) and every aggregate (by its `hour` or `day` bucket). A cutoff is
// 00:00 UTC of a day (lib/analytics/profile-retention.ts), so an hourly or daily bucket is either
// wholly before it and deleted, or wholly kept: the aggregates of the days kept still equal their raw
// rows. The scheduler's analytics-retention job calls this with its profiles grouped by cutoff.
//
// A lightweight DELETE is a mutation (tens of milliseconds on merged parts in chDB, seconds while
// fresh parts are merging), and one even when it matches nothing. So each table is first asked which profiles have rows before
// their cutoff (the sort keys lead with profile_id: a cheap read), and then gets at most one DELETE
// for every group at once. A run that finds nothing writes nothing; one after a crash repeats what is
// left. On a cluster the question goes through the Distributed table (every shard) and the DELETE
// names the shard-local table ON CLUSTER (cluster-tables.ts).
import { assertIdentifier, assertTableName, type ClickHouse, type QueryParams } from './clickhouse.js';
import { mutationTargetOfStored } from './cluster-tables.js';
import { listProfileTables, type AgeColumn, type ProfileTable } from './profile-tables.js';

const DAY_MS = 86_400_000;

/** The parameter type each age column is compared in. */
const CUTOFF_TYPE: Record<AgeColumn, string> = { timestamp: "DateTime64(3, 'UTC')", hour: "DateTime('UTC')", day: 'Date' };

export type ExpirableTable = ProfileTable & { ageColumn: AgeColumn };

/** Profiles whose rows before `before` (a UTC midnight) go. */
export interface ExpiryGroup {
  profiles: readonly string[];
  before: Date;
}

/** The profile tables, each with the column that dates its rows; refuses a table it cannot date. */
export async function listExpirableTables(clickhouse: ClickHouse): Promise<ExpirableTable[]> {
  const tables = await listProfileTables(clickhouse);
  const undated = tables.filter((table) => table.ageColumn === undefined).map((table) => table.storedTable);
  // Keeping a table's rows past the retention would break the promise silently: fail loudly instead.
  if (undated.length > 0) throw new Error(`tables ${undated.join(', ')} hold rows per profile but no timestamp, hour or day column: their rows' age is unknown`);
  return tables as ExpirableTable[];
}

/** `(profile_id IN {p0} AND day < {c0}) OR …` and its parameters, for the groups that are not empty. */
function olderThanCutoffs(column: AgeColumn, groups: readonly ExpiryGroup[]): { where: string; params: QueryParams } {
  const terms: string[] = [];
  const params: Record<string, string | string[] | Date> = {};
  groups.forEach((group, index) => {
    if (group.profiles.length === 0) return;
    terms.push(`(profile_id IN {p${index}:Array(UUID)} AND ${column} < {c${index}:${CUTOFF_TYPE[column]}})`);
    params[`p${index}`] = [...group.profiles];
    params[`c${index}`] = column === 'day' ? group.before.toISOString().slice(0, 10) : group.before;
  });
  return { where: terms.join(' OR '), params };
}

/**
 * Deletes each group's rows dated before its cutoff from every table that holds rows per profile (or
 * from `tables`). Returns, per table as the app reads it, the profiles that had rows deleted.
 */
export async function expireProfileRows(clickhouse: ClickHouse, groups: readonly ExpiryGroup[], tables?: readonly ExpirableTable[]): Promise<Record<string, string[]>> {
  for (const group of groups) {
    if (group.before.getTime() % DAY_MS !== 0) throw new Error(`a retention cutoff is a UTC midnight, not ${group.before.toISOString()}`);
  }
  const deleted: Record<string, string[]> = {};
  if (groups.every((group) => group.profiles.length === 0)) return deleted;
  for (const table of tables ?? (await listExpirableTables(clickhouse))) {
    assertTableName(table.storedTable);
    assertTableName(table.readable);
    assertIdentifier(table.ageColumn, 'column');
    const asked = olderThanCutoffs(table.ageColumn, groups);
    const due = new Set(
      (await clickhouse.query<{ profile_id: string }>(`SELECT DISTINCT profile_id FROM ${table.readable} WHERE ${asked.where}`, asked.params)).map((row) => row.profile_id),
    );
    if (due.size === 0) continue;
    const doomed = olderThanCutoffs(
      table.ageColumn,
      groups.map((group) => ({ before: group.before, profiles: group.profiles.filter((profile) => due.has(profile)) })),
    );
    // A lightweight delete: the rows disappear from every read at once, from disk at the next merges.
    await clickhouse.command(`DELETE FROM ${mutationTargetOfStored(clickhouse, table.storedTable)} WHERE ${doomed.where}`, doomed.params);
    deleted[table.readable] = [...due].sort();
  }
  return deleted;
}
