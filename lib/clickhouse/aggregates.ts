// The aggregate tables are derived from the raw `events` by materialized views; this module checks that
// they still are, and rebuilds them from the raw rows where they are not. It is the reconciler's
// engine (scheduler/analytics-reconciler.ts, every few minutes over recent closed periods) and the
// operators' (`linkpulse analytics verify|rebuild`).
//
// Nothing here restates a view: each aggregate is found from the engine's own catalogue (every
// materialized view over `events`, its target table, its SELECT), so a table added by a later
// migration is verified and rebuilt without code changes. "What the raw rows say" is the view's own
// SELECT run over a slice of `events`; "what is stored" is the target table over the same periods.
// They are compared on every count the target keeps (its SimpleAggregateFunction(sum, …) columns),
// per profile and period (an hour for tables keyed by `hour`, a UTC day for tables keyed by `day`).
//
// A rebuild deletes a slice's rows from the target (lightweight DELETE) and inserts the view's SELECT
// over the same slice of raw rows, without block deduplication: the same rows inserted by an earlier
// rebuild must not be dropped as a duplicate after the delete. Both steps are idempotent together: a
// crash in between leaves a mismatch the next verification finds. Only periods no insert can still
// reach may be rebuilt (the caller checks the bus: Linkpulse's consumers commit only after every table
// took a batch), and only periods whose raw rows are all retained (the aggregates outlive them).
//
// On a cluster the views read and write shard-local tables (events_local → x_local). Verification and
// rebuilds read through the Distributed tables (every shard), the DELETE names the local table ON
// CLUSTER, and the rebuilt rows are inserted through the Distributed table, which sends each profile's
// rows to its shard (cluster-tables.ts).
import { assertIdentifier, type ClickHouse, type QueryParams } from './clickhouse.js';
import { mutationTargetOfStored, readableTableName, storedTableName } from './cluster-tables.js';

export type AggregatePeriod = 'hour' | 'day';

export interface AggregateTable {
  /** The materialized view that feeds the table. */
  view: string;
  /** The table to read and insert its rows through (the view's target, or its Distributed table on a cluster). */
  table: string;
  /** The table the view writes to on this node: `table` itself, or its shard-local table on a cluster. */
  storedTable: string;
  /** The table's time column: `hour` (DateTime) or `day` (Date). */
  period: AggregatePeriod;
  /** The view's SELECT as the engine stores it (reading `<database>.events`, or `events_local` on a cluster). */
  select: string;
  /** The view's output columns, in order: what a rebuild inserts. */
  columns: string[];
  /** Counts kept as plain sums, compared with the raw rows. */
  counts: string[];
}

/** Counts of one profile in one period of one table: what the raw rows give and what is stored. */
export interface AggregateMismatch {
  table: string;
  period: AggregatePeriod;
  /** Start of the hour or UTC day. */
  start: Date;
  profileId: string;
  expected: Record<string, number>;
  stored: Record<string, number>;
}

export interface AggregateRange {
  /** Inclusive; hourly tables are checked for the hours starting in [from, to), daily ones for whole UTC days in it. */
  from: Date;
  to: Date;
  /** Only these profiles (all when absent). */
  profiles?: readonly string[];
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const PERIOD_MS: Record<AggregatePeriod, number> = { hour: HOUR_MS, day: DAY_MS };

/** The first period start at or after `time`. */
function ceilTo(time: Date, period: AggregatePeriod): Date {
  return new Date(Math.ceil(time.getTime() / PERIOD_MS[period]) * PERIOD_MS[period]);
}

/** The last period start at or before `time`. */
function floorTo(time: Date, period: AggregatePeriod): Date {
  return new Date(Math.floor(time.getTime() / PERIOD_MS[period]) * PERIOD_MS[period]);
}

/** The whole periods of this kind inside the range: [first, end), or undefined when there is none. */
export function wholePeriods(range: { from: Date; to: Date }, period: AggregatePeriod): { from: Date; to: Date } | undefined {
  const from = ceilTo(range.from, period);
  const to = floorTo(range.to, period);
  return from < to ? { from, to } : undefined;
}

/** Every materialized view over `events` in the current database, with its target table. */
export async function listAggregateTables(clickhouse: ClickHouse): Promise<AggregateTable[]> {
  const views = await clickhouse.query<{ name: string; as_select: string; create_table_query: string }>(
    `SELECT name, as_select, create_table_query FROM system.tables
      WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`,
  );
  const tables: AggregateTable[] = [];
  for (const view of views) {
    if (countSourceReferences(view.as_select, clickhouse) === 0) continue;
    const target = /\bTO\s+(?:`?(\w+)`?\.)?`?(\w+)`?/.exec(view.create_table_query)?.[2];
    if (!target) throw new Error(`materialized view ${view.name} has no TO table: aggregates must be written to a table of their own`);
    const columns = await clickhouse.query<{ table: string; name: string; type: string }>(
      `SELECT table, name, type FROM system.columns
        WHERE database = currentDatabase() AND table IN ({view:String}, {target:String}) ORDER BY position`,
      { view: view.name, target },
    );
    const targetColumns = columns.filter((column) => column.table === target);
    const period = targetColumns.some((column) => column.name === 'hour') ? 'hour' : targetColumns.some((column) => column.name === 'day') ? 'day' : undefined;
    if (!period || !targetColumns.some((column) => column.name === 'profile_id')) {
      throw new Error(`aggregate table ${target} needs a profile_id and an hour or day column to be verified`);
    }
    tables.push({
      view: view.name,
      table: readableTableName(clickhouse, target),
      storedTable: target,
      period,
      select: view.as_select,
      columns: columns.filter((column) => column.table === view.name).map((column) => column.name),
      counts: targetColumns.filter((column) => /^SimpleAggregateFunction\(sum, U?Int\d+\)$/.test(column.type)).map((column) => column.name),
    });
  }
  return tables;
}

/** ` FROM <database>.events` (`events_local` on a cluster) as the engine stores a view's SELECT. */
function sourcePattern(clickhouse: Pick<ClickHouse, 'cluster' | 'database'>): RegExp {
  const source = storedTableName(clickhouse, 'events');
  assertIdentifier(clickhouse.database, 'database name');
  return new RegExp(` FROM ${clickhouse.database}\\.${source}(?![A-Za-z0-9_])`, 'g');
}

function countSourceReferences(select: string, clickhouse: Pick<ClickHouse, 'cluster' | 'database'>): number {
  return select.match(sourcePattern(clickhouse))?.length ?? 0;
}

/**
 * The view's SELECT over a slice of the raw rows: its `FROM <database>.events` becomes a subquery
 * limited to {raw_from} ≤ timestamp < {raw_to} (and {profiles}, when given). Parameters, never values.
 * On a cluster the slice reads the Distributed `events`, so every shard's rows are counted.
 */
function selectOverSlice(clickhouse: Pick<ClickHouse, 'cluster' | 'database'>, aggregate: AggregateTable, withProfiles: boolean): string {
  const { database } = clickhouse;
  if (countSourceReferences(aggregate.select, clickhouse) !== 1) {
    throw new Error(`materialized view ${aggregate.view} must read ${database}.${storedTableName(clickhouse, 'events')} exactly once to be rebuilt`);
  }
  const slice = `(SELECT * FROM ${database}.events
      WHERE timestamp >= {raw_from:DateTime64(3, 'UTC')} AND timestamp < {raw_to:DateTime64(3, 'UTC')}
      ${withProfiles ? 'AND profile_id IN {profiles:Array(UUID)}' : ''}) AS events`;
  return aggregate.select.replace(sourcePattern(clickhouse), () => ` FROM ${slice}`);
}

function sliceParams(range: { from: Date; to: Date }, profiles: readonly string[] | undefined): QueryParams {
  return { raw_from: range.from, raw_to: range.to, ...(profiles ? { profiles: [...profiles] } : {}) };
}

const periodParamType = (period: AggregatePeriod) => (period === 'hour' ? "DateTime('UTC')" : 'Date');
const periodParam = (period: AggregatePeriod, time: Date): string | Date => (period === 'hour' ? time : time.toISOString().slice(0, 10));

/** Profiles and periods of one aggregate table whose counts differ from what its view computes from the raw rows. */
export async function verifyAggregateTable(clickhouse: ClickHouse, aggregate: AggregateTable, range: AggregateRange): Promise<AggregateMismatch[]> {
  const periods = wholePeriods(range, aggregate.period);
  if (!periods || aggregate.counts.length === 0) return [];
  for (const name of [...aggregate.counts, aggregate.period]) assertIdentifier(name, 'column');
  const { period, counts } = aggregate;
  const sums = counts.map((name) => `sum(${name}) AS ${name}`).join(', ');
  const differs = counts.map((name) => `expected.${name} != stored.${name}`).join(' OR ');
  const profiles = range.profiles && [...range.profiles];
  const rows = await clickhouse.query<Record<string, string>>(
    `SELECT profile_id, ${period} AS period_start,
            ${counts.map((name) => `expected.${name} AS expected_${name}, stored.${name} AS stored_${name}`).join(', ')}
       FROM (SELECT profile_id, ${period}, ${sums} FROM (${selectOverSlice(clickhouse, aggregate, profiles !== undefined)})
              GROUP BY profile_id, ${period}) AS expected
       FULL OUTER JOIN
            (SELECT profile_id, ${period}, ${sums} FROM ${aggregate.table}
              WHERE ${period} >= {first:${periodParamType(period)}} AND ${period} < {end:${periodParamType(period)}}
                ${profiles ? 'AND profile_id IN {profiles:Array(UUID)}' : ''}
              GROUP BY profile_id, ${period}) AS stored
       USING (profile_id, ${period})
      WHERE ${differs}
      ORDER BY period_start, profile_id`,
    { ...sliceParams(periods, profiles), first: periodParam(period, periods.from), end: periodParam(period, periods.to) },
  );
  return rows.map((row) => ({
    table: aggregate.table,
    period,
    start: new Date(period === 'hour' ? `${row.period_start!.replace(' ', 'T')}Z` : `${row.period_start}T00:00:00Z`),
    profileId: row.profile_id!,
    expected: Object.fromEntries(counts.map((name) => [name, Number(row[`expected_${name}`])])),
    stored: Object.fromEntries(counts.map((name) => [name, Number(row[`stored_${name}`])])),
  }));
}

/** Every aggregate table over the range. */
export async function verifyAggregates(clickhouse: ClickHouse, range: AggregateRange, tables?: readonly AggregateTable[]): Promise<AggregateMismatch[]> {
  const mismatches: AggregateMismatch[] = [];
  for (const aggregate of tables ?? (await listAggregateTables(clickhouse))) mismatches.push(...(await verifyAggregateTable(clickhouse, aggregate, range)));
  return mismatches;
}

/**
 * Rebuilds one aggregate table for the whole periods of the range (for `profiles`, or every
 * profile), from the raw rows. The caller makes sure no insert can still reach those periods.
 */
export async function rebuildAggregateTable(clickhouse: ClickHouse, aggregate: AggregateTable, range: AggregateRange): Promise<void> {
  const periods = wholePeriods(range, aggregate.period);
  if (!periods) return;
  for (const name of [...aggregate.columns, aggregate.period]) assertIdentifier(name, 'column');
  const { period } = aggregate;
  const profiles = range.profiles && [...range.profiles];
  const params = { ...sliceParams(periods, profiles), first: periodParam(period, periods.from), end: periodParam(period, periods.to) };
  await clickhouse.command(
    `DELETE FROM ${mutationTargetOfStored(clickhouse, aggregate.storedTable)}
      WHERE ${period} >= {first:${periodParamType(period)}} AND ${period} < {end:${periodParamType(period)}}
        ${profiles ? 'AND profile_id IN {profiles:Array(UUID)}' : ''}`,
    params,
  );
  const columns = aggregate.columns.join(', ');
  await clickhouse.command(
    `INSERT INTO ${aggregate.table} (${columns})
     SELECT ${columns} FROM (${selectOverSlice(clickhouse, aggregate, profiles !== undefined)})
     SETTINGS insert_deduplicate = 0`,
    params,
  );
}
