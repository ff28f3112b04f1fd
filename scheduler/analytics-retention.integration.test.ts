// Per-profile analytics retention through the scheduler's own login: a profile whose owner chose 30
// days loses its raw events and every aggregate row before 00:00 UTC of the day 30 days ago — and
// nothing from that instant on — while a profile on the operator's default keeps everything, and one
// that chose 90 days is cut at its own day. The analytics API then reads only what is kept.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { listProfileTables } from '../lib/clickhouse/profile-tables.js';
import { retentionCutoff } from '../lib/analytics/profile-retention.js';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { visitRows } from '../lib/testing/analytics-rows.js';
import { createTestClickHouse, type TestClickHouse } from '../lib/testing/clickhouse.js';
import { testLogger } from '../lib/testing/services.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../server/testing/api-harness.js';
import { runAnalyticsRetention } from './analytics-retention.js';

const DAY_MS = 86_400_000;
/** Every table with rows per profile, and the column that dates them. */
const TABLES = {
  events: 'timestamp',
  traffic_hourly: 'hour',
  traffic_daily: 'day',
  geo_daily: 'day',
  dimension_daily: 'day',
  utm_daily: 'day',
  heatmap_daily: 'day',
  ab_test_daily: 'day',
} as const;

let engine: TestClickHouse;
let clickhouse: ClickHouse;
let harness: ApiHarness;
let schedulerDb: Database;

beforeAll(async () => {
  engine = await createTestClickHouse('retention');
  clickhouse = engine.clickhouse;
  harness = await startApiHarness('retention', { clickhouse });
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-scheduler', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
  await engine?.close();
});

/** Rows of a profile per table, before and from `cutoff`. */
async function rowsAround(profileId: string, cutoff: Date): Promise<Record<string, { before: number; from: number }>> {
  const counts: Record<string, { before: number; from: number }> = {};
  for (const [table, column] of Object.entries(TABLES)) {
    const bound = column === 'day' ? "{cutoff:Date}" : column === 'hour' ? "{cutoff:DateTime('UTC')}" : "{cutoff:DateTime64(3, 'UTC')}";
    const [row] = await clickhouse.query<{ before: string; from: string }>(
      `SELECT countIf(${column} < ${bound}) AS before, countIf(${column} >= ${bound}) AS from FROM ${table} WHERE profile_id = {profile:UUID}`,
      { profile: profileId, cutoff: column === 'day' ? cutoff.toISOString().slice(0, 10) : cutoff },
    );
    counts[table] = { before: Number(row?.before), from: Number(row?.from) };
  }
  return counts;
}

/** Views over [from, to) as the analytics API reads them: from traffic_* (summary) and from geo_daily (countries). */
async function viewsRead(client: ApiClient, profileId: string, from: Date, to: Date): Promise<number> {
  const range = `from=${from.toISOString()}&to=${to.toISOString()}`;
  const summary = await client.get<{ current: { views: number } }>(`/api/v1/profiles/${profileId}/analytics/summary?${range}`);
  const geo = await client.get<{ tables: { countries: { views: number }[] } }>(`/api/v1/profiles/${profileId}/analytics/geo?${range}`);
  expect([summary.status, geo.status]).toEqual([200, 200]);
  expect(geo.body.tables.countries.reduce((sum, row) => sum + row.views, 0)).toBe(summary.body.current.views);
  return summary.body.current.views;
}

describe('analytics retention', () => {
  it('deletes a profile’s raw events and every aggregate before its cutoff day, and nothing of other profiles', async () => {
    const now = new Date();
    const thirty = retentionCutoff(30, now);
    const ninety = retentionCutoff(90, now);
    const creator = await harness.newUser();
    const [short, medium, standard] = [(await creator.newProfile()).id, (await creator.newProfile()).id, (await creator.newProfile()).id];
    expect((await creator.patch(`/api/v1/profiles/${short}`, { analyticsRetentionDays: 30 })).status).toBe(200);
    expect((await creator.patch(`/api/v1/profiles/${medium}`, { analyticsRetentionDays: 90 })).status).toBe(200);

    // Visits on both sides of each cutoff, the nearest a millisecond before it (its hour and day go) and at it (kept).
    const times = [now.getTime() - 2 * 3_600_000, thirty.getTime() + 5 * DAY_MS, thirty.getTime(), thirty.getTime() - 1, thirty.getTime() - 10 * DAY_MS, ninety.getTime() - 10 * DAY_MS];
    for (const profile of [short, medium, standard]) {
      const linkId = (await creator.newLink(profile)).id;
      const abTestId = randomUUID();
      await clickhouse.insert('events', times.flatMap((time, index) => visitRows(profile, { time, linkId, visitorId: String(index + 1), abTestId })));
    }
    expect((await listProfileTables(clickhouse)).map((table) => table.storedTable).sort()).toEqual(Object.keys(TABLES).sort());
    const before = { short: await rowsAround(short, thirty), medium: await rowsAround(medium, ninety), standard: await rowsAround(standard, thirty) };
    for (const counts of Object.values(before)) {
      for (const [table, { before: older, from }] of Object.entries(counts)) {
        expect(older, table).toBeGreaterThan(0);
        expect(from, table).toBeGreaterThan(0);
      }
    }
    const range = { from: new Date(ninety.getTime() - 20 * DAY_MS), to: now };
    expect(await viewsRead(creator, short, range.from, range.to)).toBe(times.length);

    const deps = { db: schedulerDb, clickhouse, logger: testLogger };
    const report = await runAnalyticsRetention(deps, now);
    expect(report?.deleted).toEqual(Object.fromEntries(Object.keys(TABLES).map((table) => [table, 2])));

    // Before the cutoff nothing is left, in the raw events and every aggregate; from it, everything is.
    const after = { short: await rowsAround(short, thirty), medium: await rowsAround(medium, ninety), standard: await rowsAround(standard, thirty) };
    for (const [table, { from }] of Object.entries(before.short)) expect(after.short[table], table).toEqual({ before: 0, from });
    for (const [table, { from }] of Object.entries(before.medium)) expect(after.medium[table], table).toEqual({ before: 0, from });
    expect(after.standard).toEqual(before.standard);

    // The analytics API agrees: the same range now counts the kept visits only.
    expect(await viewsRead(creator, short, range.from, range.to)).toBe(3);
    expect(await viewsRead(creator, short, range.from, thirty)).toBe(0);
    expect(await viewsRead(creator, medium, range.from, range.to)).toBe(times.length - 1);
    expect(await viewsRead(creator, standard, range.from, range.to)).toBe(times.length);

    // Idempotent: a second run (another scheduler process, a retry) finds nothing to delete.
    expect((await runAnalyticsRetention(deps, now))?.deleted).toEqual({});
  });

  it('keeps the aggregates to the owner’s choice when the operator’s maximum was lowered below it', async () => {
    const now = new Date();
    const creator = await harness.newUser();
    const profile = (await creator.newProfile()).id;
    expect((await creator.patch(`/api/v1/profiles/${profile}`, { analyticsRetentionDays: 365 })).status).toBe(200);
    const abTestId = randomUUID();
    await clickhouse.insert('events', [
      ...visitRows(profile, { time: now.getTime() - 3_600_000, abTestId }),
      ...visitRows(profile, { time: now.getTime() - 100 * DAY_MS, abTestId }),
      ...visitRows(profile, { time: now.getTime() - 380 * DAY_MS, abTestId }),
    ]);
    // The job follows the choice (365 days), not the operator's new limit: the TTL cuts the raw events
    // at 60 days by itself, and what the owner chose to keep (100 days ago) stays in the aggregates.
    await runAnalyticsRetention({ db: schedulerDb, clickhouse, logger: testLogger }, now);
    const atChoice = await rowsAround(profile, retentionCutoff(365, now));
    for (const [table, { before: older, from }] of Object.entries(atChoice)) {
      expect(older, table).toBe(0);
      expect(from, table).toBeGreaterThan(0);
    }
    const atLoweredMaximum = await rowsAround(profile, retentionCutoff(60, now));
    expect(Object.values(atLoweredMaximum).some(({ before: older }) => older > 0)).toBe(true);
  });

  it('runs with the scheduler login’s grants only: the profiles’ ids and choices, and nothing else', async () => {
    await expect(schedulerDb.query('SELECT handle FROM profiles')).rejects.toThrow(/permission denied/);
    await expect(schedulerDb.query('UPDATE profiles SET analytics_retention_days = 30')).rejects.toThrow(/permission denied/);
    const { rows } = await schedulerDb.query<{ days: number | null }>('SELECT analytics_retention_days AS days FROM profiles');
    expect(rows.length).toBeGreaterThan(0);
    // Profiles on the default are not even visible to it.
    expect(rows.every((row) => row.days !== null)).toBe(true);
  });
});
