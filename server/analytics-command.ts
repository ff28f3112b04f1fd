// `linkpulse analytics verify|rebuild`: the operator's view of the reconciler (lib/clickhouse/
// reconcile.ts). verify compares every aggregate table with the raw events over closed periods and
// prints each difference (exit 1 when there is one); rebuild recomputes every aggregate table from the
// raw events over a range, under the analytics-maintenance lock the scheduler's jobs also take.
import type { EventBus } from '../lib/bus/event-bus.js';
import { listAggregateTables, verifyAggregates, wholePeriods, type AggregateMismatch } from '../lib/clickhouse/aggregates.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { closedUntil, oldestVerifiable, rebuildAllAggregates } from '../lib/clickhouse/reconcile.js';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../lib/postgres/advisory-lock.js';
import type { Database } from '../lib/postgres/database.js';

export interface AnalyticsCommandDeps {
  clickhouse: ClickHouse;
  /** Asked which periods the consumers have finished. */
  bus: Pick<EventBus, 'hasConsumedUntil'>;
  /** For the maintenance lock; absent only when this process holds the DATA_DIR (embedded). */
  db: Database | undefined;
  group: string;
  retentionDays: number;
  write(line: string): void;
  now?: Date;
}

/** Input the operator got wrong: printed with the usage, exit 64. */
export class AnalyticsUsageError extends Error {}
/** The data does not allow it (periods still open, raw rows expired): exit 65. */
export class AnalyticsDataError extends Error {}

const DAY_MS = 86_400_000;

/** A UTC date (2026-12-01) or an ISO 8601 date-time with its zone (2026-12-01T10:00:00Z). */
export function parseInstant(option: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value;
  const time = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/.test(text) ? new Date(text) : undefined;
  if (!time || Number.isNaN(time.getTime())) throw new AnalyticsUsageError(`--${option} must be a date (2026-12-01) or a date-time with its zone (2026-12-01T10:00:00Z), not "${value}"`);
  return time;
}

const iso = (time: Date) => time.toISOString().replace('.000Z', 'Z');

function describe(mismatch: AggregateMismatch): string {
  const when = mismatch.period === 'hour' ? iso(mismatch.start) : mismatch.start.toISOString().slice(0, 10);
  const counts = Object.keys(mismatch.expected)
    .filter((name) => mismatch.expected[name] !== mismatch.stored[name])
    .map((name) => `${name} ${mismatch.stored[name]} stored, ${mismatch.expected[name]} in raw events`)
    .join('; ');
  return `${mismatch.table.padEnd(22)} ${when.padEnd(20)} profile ${mismatch.profileId}: ${counts}`;
}

/** The closed part of [from, to): where no event can still arrive and the raw rows are all kept. */
async function closedRange(deps: AnalyticsCommandDeps, from: Date, to: Date | undefined): Promise<{ from: Date; to: Date; closed: Date | undefined; oldest: Date }> {
  const now = deps.now ?? new Date();
  const closed = await closedUntil(deps, now);
  const oldest = oldestVerifiable(now, deps.retentionDays);
  return { from: new Date(Math.max(from.getTime(), oldest.getTime())), to: new Date(Math.min((to ?? now).getTime(), (closed ?? oldest).getTime())), closed, oldest };
}

/** Returns the exit code: 0 when every aggregate matches, 1 when any differs. */
export async function verifyCommand(deps: AnalyticsCommandDeps, options: { from?: string; to?: string }): Promise<number> {
  const now = deps.now ?? new Date();
  const requestedFrom = parseInstant('from', options.from) ?? new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - 2 * DAY_MS);
  const requestedTo = parseInstant('to', options.to);
  if (requestedTo && requestedTo <= requestedFrom) throw new AnalyticsUsageError('--to must be after --from');
  const range = await closedRange(deps, requestedFrom, requestedTo);
  if (range.from > requestedFrom) deps.write(`Raw events before ${iso(range.oldest)} are no longer kept (ANALYTICS_RETENTION_DAYS=${deps.retentionDays}): not checked.`);
  if (!range.closed || range.to < (requestedTo ?? now)) {
    deps.write(range.closed ? `Periods after ${iso(range.closed)} are still open (events may still arrive): not checked.` : 'No period is closed yet: the consumers are behind.');
  }
  if (range.to <= range.from) {
    deps.write('Nothing to check in that range.');
    return 0;
  }
  const tables = await listAggregateTables(deps.clickhouse);
  deps.write(`Checking ${tables.map((table) => table.table).join(', ')} against the raw events from ${iso(range.from)} to ${iso(range.to)}`);
  deps.write('(hourly tables by hour, daily tables by whole UTC day)');
  const mismatches = await verifyAggregates(deps.clickhouse, range, tables);
  for (const mismatch of mismatches) deps.write(describe(mismatch));
  if (mismatches.length === 0) {
    deps.write('Every aggregate matches the raw events.');
    return 0;
  }
  const affected = new Set(mismatches.map((mismatch) => mismatch.table));
  deps.write(
    `${mismatches.length} difference(s) in ${affected.size} table(s). Rebuild them with: linkpulse analytics rebuild --from ${iso(range.from)} --to ${iso(range.to)}`,
  );
  return 1;
}

/** Rebuilds every aggregate table over [from, to) from the raw events, then verifies it. */
export async function rebuildCommand(deps: AnalyticsCommandDeps, options: { from?: string; to?: string }): Promise<number> {
  const from = parseInstant('from', options.from);
  const to = parseInstant('to', options.to);
  if (!from || !to) throw new AnalyticsUsageError('rebuild needs --from and --to');
  if (to <= from) throw new AnalyticsUsageError('--to must be after --from');
  const range = await closedRange(deps, from, to);
  if (from < range.oldest) {
    throw new AnalyticsDataError(`raw events before ${iso(range.oldest)} are no longer kept (ANALYTICS_RETENTION_DAYS=${deps.retentionDays}): the aggregates there cannot be rebuilt`);
  }
  if (!range.closed || to > range.closed) {
    throw new AnalyticsDataError(
      range.closed
        ? `periods after ${iso(range.closed)} are still open (events may still arrive); rebuild up to --to ${iso(range.closed)} at most`
        : 'no period is closed yet: the consumers are behind',
    );
  }
  if (!wholePeriods({ from, to }, 'hour')) throw new AnalyticsUsageError('the range holds no whole hour');
  const rebuild = async () => {
    await rebuildAllAggregates(deps.clickhouse, { from, to }, (table, periods) => deps.write(`rebuilt ${table.table}: ${periods} ${table.period === 'hour' ? 'hour' : 'day'}(s)`));
    return verifyAggregates(deps.clickhouse, { from, to });
  };
  deps.write(`Rebuilding every aggregate table from the raw events from ${iso(from)} to ${iso(to)}…`);
  const remaining = deps.db ? await withAdvisoryLock(deps.db, ADVISORY_LOCKS.analyticsMaintenance, rebuild, { wait: true }) : { acquired: true as const, result: await rebuild() };
  if (!remaining.acquired) throw new Error('the analytics-maintenance lock was not acquired');
  for (const mismatch of remaining.result) deps.write(describe(mismatch));
  deps.write(remaining.result.length === 0 ? 'Done: every aggregate matches the raw events.' : `${remaining.result.length} difference(s) remain.`);
  return remaining.result.length === 0 ? 0 : 1;
}
