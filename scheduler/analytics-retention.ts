// Per-profile analytics retention (issue 18): a profile whose owner chose how long its analytics are
// kept (profiles.analytics_retention_days, migrations/0016) loses its raw events and every aggregate
// row dated before 00:00 UTC of the day that many days ago. When the operator's maximum
// (ANALYTICS_RETENTION_DAYS) was lowered below a choice, the events TTL cuts the raw events sooner and
// the aggregates still follow the choice (choiceDeletesAggregates, lib/analytics/profile-retention.ts).
// Profiles without a choice are left to the events TTL (lib/clickhouse/retention.ts), their daily
// aggregates kept.
//
// Runs as linkpulse_scheduler, which may read profiles' ids and choices and nothing else of them.
// Profiles are read in pages of PAGE_SIZE, grouped by cutoff, and each page costs one cheap read and
// at most one lightweight DELETE per table for all its groups (lib/clickhouse/expire-profile-rows.ts):
// mutations only where there is something to delete, which happens once a day as the cutoffs move.
// Idempotent: a second run, or one after a crash, deletes what is left. Holds the
// analytics-maintenance lock: a rebuild must not write back a day it deletes.
import { expireProfileRows, listExpirableTables, type ExpirableTable } from '../lib/clickhouse/expire-profile-rows.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { retentionCutoff } from '../lib/analytics/profile-retention.js';
import type { Logger } from '../lib/logger.js';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../lib/postgres/advisory-lock.js';
import type { Database } from '../lib/postgres/database.js';

/** Profiles per page, and so at most per DELETE. */
const PAGE_SIZE = 1_000;

export interface RetentionDeps {
  /** Connected as linkpulse_scheduler (SELECT (id, analytics_retention_days) of profiles that chose one). */
  db: Database;
  clickhouse: ClickHouse;
  logger: Logger;
}

export interface RetentionReport {
  /** Profiles with a retention of their own. */
  profiles: number;
  /** Per table, how many profiles had rows deleted. */
  deleted: Record<string, number>;
}

/** One pass over every profile with a retention of its own; undefined when another process holds the maintenance lock. */
export async function runAnalyticsRetention(deps: RetentionDeps, now = new Date()): Promise<RetentionReport | undefined> {
  const locked = await withAdvisoryLock(deps.db, ADVISORY_LOCKS.analyticsMaintenance, () => expireChosenRetention(deps, now));
  if (!locked.acquired) {
    deps.logger.info({ module: 'analytics-retention' }, 'another process is rebuilding or erasing analytics; skipping this run');
    return undefined;
  }
  return locked.result;
}

async function expireChosenRetention(deps: RetentionDeps, now: Date): Promise<RetentionReport> {
  const report: RetentionReport = { profiles: 0, deleted: {} };
  let tables: ExpirableTable[] | undefined;
  let after: { days: number; id: string } | undefined;
  for (;;) {
    const { rows } = await deps.db.query<{ id: string; days: number }>(
      `SELECT id, analytics_retention_days AS days FROM profiles
        WHERE analytics_retention_days IS NOT NULL AND ($1::int IS NULL OR (analytics_retention_days, id) > ($1::int, $2::uuid))
        ORDER BY analytics_retention_days, id LIMIT $3`,
      [after?.days ?? null, after?.id ?? null, PAGE_SIZE],
    );
    if (rows.length === 0) break;
    report.profiles += rows.length;
    tables ??= await listExpirableTables(deps.clickhouse);
    const byCutoff = new Map<number, string[]>();
    for (const row of rows) {
      // The owner's own choice, even above a lowered operator maximum (the TTL then cuts the raw
      // events sooner; the aggregates stay as long as the owner chose: choiceDeletesAggregates).
      const before = retentionCutoff(row.days, now).getTime();
      const group = byCutoff.get(before);
      if (group) group.push(row.id);
      else byCutoff.set(before, [row.id]);
    }
    const deleted = await expireProfileRows(deps.clickhouse, [...byCutoff].map(([before, profiles]) => ({ before: new Date(before), profiles })), tables);
    const counts = Object.fromEntries(Object.entries(deleted).map(([table, profiles]) => [table, profiles.length]));
    if (Object.keys(counts).length > 0) deps.logger.info({ profiles: rows.length, cutoffs: byCutoff.size, deleted: counts }, 'analytics past their profiles’ retention deleted');
    for (const [table, count] of Object.entries(counts)) report.deleted[table] = (report.deleted[table] ?? 0) + count;
    if (rows.length < PAGE_SIZE) break;
    const last = rows.at(-1)!;
    after = { days: last.days, id: last.id };
  }
  return report;
}
