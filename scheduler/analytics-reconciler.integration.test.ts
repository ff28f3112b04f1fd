// The scheduled reconciler on the real engines (chDB, PostgreSQL with its bus): aggregates that differ
// from the raw events in closed periods are found and rebuilt, logged and counted; open periods (the
// consumers have not finished them) and periods whose raw rows have expired are left alone; a second
// run finds nothing; and a run is skipped while another process holds the maintenance lock.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../lib/bus/event-bus.js';
import { createPostgresBus } from '../lib/bus/postgres-bus.js';
import { ALL_TOPICS, TOPICS } from '../lib/bus/topics.js';
import { verifyAggregates } from '../lib/clickhouse/aggregates.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { AnalyticsRow } from '../lib/events/analytics-row.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { ADVISORY_LOCKS, withAdvisoryLock } from '../lib/postgres/advisory-lock.js';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { visitRows } from '../lib/testing/analytics-rows.js';
import { createTestClickHouse, type TestClickHouse } from '../lib/testing/clickhouse.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { testLogger } from '../lib/testing/services.js';
import { uniqueName } from '../lib/testing/wait-for.js';
import { runAnalyticsReconciler, type ReconcilerDeps } from './analytics-reconciler.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let engine: TestClickHouse;
let clickhouse: ClickHouse;
let database: TestDatabase;
let schedulerDb: Database;
let bus: EventBus;
let metrics: Metrics;
let logLines: Record<string, unknown>[];
let deps: ReconcilerDeps;

/** Inserts the rows into `events` while these views are detached: what an engine crash mid-insert leaves. */
async function insertPastViews(views: readonly string[], rows: readonly AnalyticsRow[]): Promise<void> {
  for (const view of views) await clickhouse.command(`DETACH TABLE ${view}`);
  try {
    await clickhouse.insert('events', rows, { deduplicationToken: uniqueName('crash') });
  } finally {
    for (const view of views) await clickhouse.command(`ATTACH TABLE ${view}`);
  }
}

const repairsByTable = async () =>
  Object.fromEntries((await metrics.analyticsRepairs.get()).values.map((value) => [String(value.labels.table), value.value]));

beforeAll(async () => {
  engine = await createTestClickHouse('reconciler');
  clickhouse = engine.clickhouse;
  database = await createTestDatabase('reconciler');
  schedulerDb = createDatabase({ url: database.schedulerUrl, applicationName: 'linkpulse-test-scheduler', logger: testLogger });
  bus = createPostgresBus({ db: database.db, logger: testLogger, metrics: createMetrics() });
  await bus.ensureTopics(ALL_TOPICS);
});
afterAll(async () => {
  await bus?.close();
  await schedulerDb?.close();
  await database?.drop();
  await engine?.close();
});
beforeEach(() => {
  metrics = createMetrics();
  logLines = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  deps = { db: schedulerDb, clickhouse, bus, group: uniqueName('consumers'), retentionDays: 400, metrics, logger: pino({ level: 'info' }, sink) };
});

describe('analytics reconciler', () => {
  it('rebuilds the closed slices that differ from the raw events, logs and counts them, and finds nothing the second time', async () => {
    // The afternoon of today (UTC), whatever the clock says: "three hours ago" must be today, also
    // when the test runs just after midnight.
    const today = Math.floor(Date.now() / DAY) * DAY;
    const now = new Date(today + 15 * HOUR);
    const profile = randomUUID();
    const other = randomUUID();
    // Yesterday and three hours ago; some rows reached `events` but not every aggregate.
    const yesterdayNoon = today - DAY + 12 * HOUR;
    const hoursAgo = Math.floor((now.getTime() - 3 * HOUR) / HOUR) * HOUR + 60_000;
    await clickhouse.insert('events', [...visitRows(profile, { time: yesterdayNoon }), ...visitRows(other, { time: yesterdayNoon }), ...visitRows(profile, { time: hoursAgo })]);
    await insertPastViews(['traffic_hourly_mv', 'geo_daily_mv', 'heatmap_daily_mv'], visitRows(profile, { time: yesterdayNoon + 60_000 }));
    await insertPastViews(['traffic_hourly_mv'], visitRows(profile, { time: hoursAgo + 60_000 }));

    const report = await runAnalyticsReconciler(deps, now);
    expect(report?.range?.to.getTime()).toBe(Math.floor((now.getTime() - 5 * 60_000) / HOUR) * HOUR);
    const repaired = report!.repaired.map((slice) => `${slice.table} ${slice.start.toISOString()} ${slice.profiles}`).sort();
    expect(repaired).toEqual(
      [
        `geo_daily ${new Date(today - DAY).toISOString()} 1`,
        `heatmap_daily ${new Date(today - DAY).toISOString()} 1`,
        `traffic_hourly ${new Date(yesterdayNoon).toISOString()} 1`,
        `traffic_hourly ${new Date(hoursAgo - 60_000).toISOString()} 1`,
      ].sort(),
    );
    expect(report!.remaining).toEqual([]);
    expect(await verifyAggregates(clickhouse, { from: new Date(today - DAY), to: new Date(report!.range!.to) })).toEqual([]);
    expect(await repairsByTable()).toEqual({ geo_daily: 1, heatmap_daily: 1, traffic_hourly: 2 });
    expect((await metrics.analyticsReconciledUntil.get()).values[0]?.value).toBe(report!.range!.to.getTime() / 1000);
    const logged = logLines.filter((line) => line.msg === 'rebuilt an aggregate slice that differed from the raw events');
    expect(logged).toHaveLength(4);
    expect(logged.find((line) => line.table === 'heatmap_daily')).toMatchObject({ rawRows: { clicks: 2 }, stored: { clicks: 1 }, stillDiffering: 0 });

    const again = await runAnalyticsReconciler(deps, now);
    expect(again!.mismatches).toEqual([]);
    expect((await metrics.analyticsReconcileRuns.get()).values.map((value) => [value.labels.outcome, value.value]).sort()).toEqual([
      ['clean', 1],
      ['repaired', 1],
    ]);
  });

  it('leaves periods alone that the consumers have not finished, and those whose raw rows have expired', async () => {
    const profile = randomUUID();
    // A message on the bus the group has not consumed: nothing published after it is closed.
    await bus.publish(TOPICS.events.name, [{ key: `${profile}:1`, value: '{}' }]);
    const published = Date.now();
    const now = new Date(published + 3 * HOUR);
    const openHour = Math.floor((published - 5 * 60_000) / HOUR) * HOUR;
    await insertPastViews(['traffic_hourly_mv'], visitRows(profile, { time: openHour + 60_000 }));
    await insertPastViews(['traffic_hourly_mv'], visitRows(profile, { time: openHour - 2 * HOUR + 60_000 }));
    // Raw rows older than the retention (a day of margin): their aggregates are kept but cannot be checked.
    const expired = Math.floor(now.getTime() / DAY) * DAY - 2 * DAY + HOUR;
    await insertPastViews(['traffic_hourly_mv'], visitRows(profile, { time: expired }));

    const report = await runAnalyticsReconciler({ ...deps, retentionDays: 3 }, now);
    expect(report!.range!.to.getTime()).toBe(openHour);
    expect(report!.repaired.map((slice) => slice.start.getTime())).toEqual([openHour - 2 * HOUR]);
    const stillOpen = await verifyAggregates(clickhouse, { from: new Date(openHour), to: new Date(openHour + HOUR), profiles: [profile] });
    expect(stillOpen.map((mismatch) => mismatch.table)).toEqual(['traffic_hourly']);
    const notChecked = await verifyAggregates(clickhouse, { from: new Date(expired - HOUR), to: new Date(expired + HOUR), profiles: [profile] });
    expect(notChecked).toHaveLength(1);
  });

  it('skips a run while another process holds the analytics-maintenance lock', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let acquired!: () => void;
    const holding = new Promise<void>((resolve) => (acquired = resolve));
    const other = withAdvisoryLock(database.db, ADVISORY_LOCKS.analyticsMaintenance, async () => {
      acquired();
      await held;
    });
    await holding;
    expect(await runAnalyticsReconciler(deps)).toBeUndefined();
    release();
    await other;
    expect(await runAnalyticsReconciler(deps)).toBeDefined();
  });
});
