// The analytics reconciler: aggregates must be provably derived from the raw rows whatever happened
// (an engine that died mid-insert, a disk restored from backup, a bug in a view). It checks closed
// periods only — hours no event can still reach — compares every aggregate table with what its
// view computes from the raw rows (aggregates.ts), and rebuilds the slices that differ. Used by the
// scheduler every few minutes over the last days, and by `linkpulse analytics verify|rebuild`.
//
// Closed: ingest stamps an event when it accepts it and the bus acknowledges it within
// PUBLISH_GRACE_MS (ingest answers 503 rather than wait longer), and the consumers commit a record
// only once every table took it. So once the consumer group has committed everything published
// before H + PUBLISH_GRACE_MS, every event stamped before the hour boundary H is in every table.
import { TOPICS } from '../bus/topics.js';
import type { EventBus } from '../bus/event-bus.js';
import type { Logger } from '../logger.js';
import type { ClickHouse } from './clickhouse.js';
import {
  listAggregateTables,
  rebuildAggregateTable,
  verifyAggregates,
  wholePeriods,
  type AggregateMismatch,
  type AggregatePeriod,
  type AggregateTable,
} from './aggregates.js';

/** Longest time between ingest stamping an event and the bus acknowledging it (publish timeouts and retries included). */
export const PUBLISH_GRACE_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface ReconcileDeps {
  clickhouse: ClickHouse;
  /** Asked which periods the consumers have finished. */
  bus: Pick<EventBus, 'hasConsumedUntil'>;
  /** EVENTS_CONSUMER_GROUP: the group that writes to this ClickHouse database. */
  group: string;
  /** ANALYTICS_RETENTION_DAYS: raw rows older than this are gone, and with them the means to verify. */
  retentionDays: number;
  logger: Logger;
}

/**
 * The end of the closed hours: every event stamped before it is stored in every table. Consumed up to
 * a time means consumed up to every earlier one, so the hour boundaries of the lookback are searched
 * by bisection: a few questions to the bus even when the consumers are far behind.
 */
export async function closedUntil(deps: Pick<ReconcileDeps, 'bus' | 'group'>, now: Date, lookbackHours = 24 * 7): Promise<Date | undefined> {
  const latest = Math.floor((now.getTime() - PUBLISH_GRACE_MS) / HOUR_MS) * HOUR_MS;
  const isClosed = (hoursBack: number) => deps.bus.hasConsumedUntil(TOPICS.events.name, deps.group, new Date(latest - hoursBack * HOUR_MS + PUBLISH_GRACE_MS));
  if (!(await isClosed(lookbackHours - 1))) return undefined;
  // Bisect for the fewest hours back that are closed: `closed` is, `open` is not (-1: the latest may be).
  let closed = lookbackHours - 1;
  let open = -1;
  while (closed - open > 1) {
    const middle = Math.floor((closed + open) / 2);
    if (await isClosed(middle)) closed = middle;
    else open = middle;
  }
  return new Date(latest - closed * HOUR_MS);
}

/** The oldest time whose raw rows are all still kept (a day of margin for TTL merges in progress). */
export function oldestVerifiable(now: Date, retentionDays: number): Date {
  return new Date(Math.ceil((now.getTime() - (retentionDays - 1) * DAY_MS) / DAY_MS) * DAY_MS);
}

export interface RepairedSlice {
  table: string;
  period: AggregatePeriod;
  start: Date;
  profiles: number;
}

export interface ReconcileReport {
  /** What was verified: closed periods within the lookback; undefined when nothing is closed yet. */
  range: { from: Date; to: Date } | undefined;
  mismatches: AggregateMismatch[];
  repaired: RepairedSlice[];
  /** Mismatches that remained after the rebuild (should never happen: a bug or a concurrent writer). */
  remaining: AggregateMismatch[];
}

const PERIOD_MS: Record<AggregatePeriod, number> = { hour: HOUR_MS, day: DAY_MS };

/** One rebuild per table and period, for the profiles that differ there. */
function slicesOf(mismatches: readonly AggregateMismatch[]): { table: string; period: AggregatePeriod; start: Date; profiles: string[] }[] {
  const slices = new Map<string, { table: string; period: AggregatePeriod; start: Date; profiles: string[] }>();
  for (const mismatch of mismatches) {
    const key = `${mismatch.table} ${mismatch.start.toISOString()}`;
    const slice = slices.get(key) ?? { table: mismatch.table, period: mismatch.period, start: mismatch.start, profiles: [] };
    slice.profiles.push(mismatch.profileId);
    slices.set(key, slice);
  }
  return [...slices.values()];
}

/**
 * Verifies the closed periods of the last `lookbackDays` UTC days (today included) and rebuilds what
 * differs. The caller makes sure no other rebuild runs at the same time.
 */
export async function reconcileAggregates(deps: ReconcileDeps, options: { now?: Date; lookbackDays?: number } = {}): Promise<ReconcileReport> {
  const logger = deps.logger.child({ module: 'analytics-reconciler' });
  const now = options.now ?? new Date();
  const to = await closedUntil(deps, now);
  const lookbackStart = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - (options.lookbackDays ?? 2) * DAY_MS);
  const from = new Date(Math.max(lookbackStart.getTime(), oldestVerifiable(now, deps.retentionDays).getTime()));
  if (!to || to <= from) {
    logger.info({ closedUntil: to }, 'no closed period to verify yet (the consumers are behind)');
    return { range: undefined, mismatches: [], repaired: [], remaining: [] };
  }
  const tables = await listAggregateTables(deps.clickhouse);
  const byName = new Map(tables.map((table): [string, AggregateTable] => [table.table, table]));
  const mismatches = await verifyAggregates(deps.clickhouse, { from, to }, tables);
  const repaired: RepairedSlice[] = [];
  const remaining: AggregateMismatch[] = [];
  for (const slice of slicesOf(mismatches)) {
    const aggregate = byName.get(slice.table)!;
    const range = { from: slice.start, to: new Date(slice.start.getTime() + PERIOD_MS[slice.period]), profiles: slice.profiles };
    const before = mismatches.filter((mismatch) => mismatch.table === slice.table && mismatch.start.getTime() === slice.start.getTime());
    await rebuildAggregateTable(deps.clickhouse, aggregate, range);
    const after = await verifyAggregates(deps.clickhouse, range, [aggregate]);
    remaining.push(...after);
    repaired.push({ table: slice.table, period: slice.period, start: slice.start, profiles: slice.profiles.length });
    logger.warn(
      {
        table: slice.table,
        period: slice.period,
        start: slice.start.toISOString(),
        profiles: slice.profiles.length,
        rawRows: totals(before, 'expected'),
        stored: totals(before, 'stored'),
        stillDiffering: after.length,
      },
      'rebuilt an aggregate slice that differed from the raw events',
    );
  }
  if (remaining.length > 0) logger.error({ remaining: remaining.length }, 'aggregates still differ from the raw events after a rebuild');
  logger.info({ from: from.toISOString(), to: to.toISOString(), tables: tables.length, mismatches: mismatches.length, repaired: repaired.length }, 'aggregates verified');
  return { range: { from, to }, mismatches, repaired, remaining };
}

/** Per count column, the sum over these mismatches of one side. */
function totals(mismatches: readonly AggregateMismatch[], side: 'expected' | 'stored'): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const mismatch of mismatches) for (const [name, value] of Object.entries(mismatch[side])) sums[name] = (sums[name] ?? 0) + value;
  return sums;
}

/** Rebuilds every aggregate table over the whole periods of [from, to), a UTC day at a time. */
export async function rebuildAllAggregates(
  clickhouse: ClickHouse,
  range: { from: Date; to: Date },
  onTable?: (table: AggregateTable, periods: number) => void,
): Promise<void> {
  for (const aggregate of await listAggregateTables(clickhouse)) {
    const periods = wholePeriods(range, aggregate.period);
    if (!periods) continue;
    for (let start = periods.from.getTime(); start < periods.to.getTime(); start += DAY_MS) {
      await rebuildAggregateTable(clickhouse, aggregate, { from: new Date(start), to: new Date(Math.min(start + DAY_MS, periods.to.getTime())) });
    }
    onTable?.(aggregate, (periods.to.getTime() - periods.from.getTime()) / PERIOD_MS[aggregate.period]);
  }
}
