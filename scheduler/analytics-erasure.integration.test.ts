// Deleting a profile erases its analytics from ClickHouse — raw events and every aggregate — after
// the grace period, through the scheduler's own login; other profiles' analytics stay untouched.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../server/testing/api-harness.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { NO_LINK } from '../lib/events/analytics-row.js';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { visitRows } from '../lib/testing/analytics-rows.js';
import { createTestClickHouse, type TestClickHouse } from '../lib/testing/clickhouse.js';
import { testLogger } from '../lib/testing/services.js';
import { ERASURE_DELAY_MS, eraseQueuedAnalytics } from './analytics-erasure.js';

const TABLES = ['events', 'traffic_hourly', 'traffic_daily', 'geo_daily', 'dimension_daily', 'utm_daily', 'heatmap_daily'];

let engine: TestClickHouse;
let clickhouse: ClickHouse;
let harness: ApiHarness;
let schedulerDb: Database;

/** Rows per table for a profile. */
async function rowsOf(profileId: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${table} WHERE profile_id = {profile:UUID}`, { profile: profileId });
    counts[table] = Number(row?.n);
  }
  return counts;
}

beforeAll(async () => {
  engine = await createTestClickHouse('erasure');
  clickhouse = engine.clickhouse;
  harness = await startApiHarness('erasure', { clickhouse });
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-scheduler', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
  await engine?.close();
});

describe('analytics erasure', () => {
  it('erases a deleted profile’s rows from every ClickHouse table once the grace period has passed, and nothing else', async () => {
    const creator = await harness.newUser();
    const deleted = (await creator.newProfile()).id;
    const kept = (await creator.newProfile()).id;
    await clickhouse.insert('events', [...visitRows(deleted, { linkId: (await creator.newLink(deleted)).id, visitorId: '42' }), ...visitRows(kept, { linkId: (await creator.newLink(kept)).id, visitorId: '42' })]);
    for (const counts of [await rowsOf(deleted), await rowsOf(kept)]) {
      for (const table of TABLES) expect(counts[table], table).toBeGreaterThan(0);
    }

    expect((await creator.delete(`/api/v1/profiles/${deleted}`)).status).toBe(204);
    const deps = { db: schedulerDb, clickhouse, logger: testLogger };
    // Within the grace period (events may still be on the bus), nothing happens.
    expect(await eraseQueuedAnalytics(deps)).toBe(0);
    expect((await rowsOf(deleted)).events).toBeGreaterThan(0);

    expect(await eraseQueuedAnalytics(deps, Date.now() + ERASURE_DELAY_MS)).toBe(1);
    expect(await rowsOf(deleted)).toEqual(Object.fromEntries(TABLES.map((table) => [table, 0])));
    for (const [table, count] of Object.entries(await rowsOf(kept))) expect(count, table).toBeGreaterThan(0);
    const { rows } = await schedulerDb.query('SELECT 1 FROM analytics_erasures');
    expect(rows).toEqual([]);
    // Idempotent: a second run (another scheduler process) finds nothing to do.
    expect(await eraseQueuedAnalytics(deps, Date.now() + ERASURE_DELAY_MS)).toBe(0);
  });

  it('erases every profile of a deleted account, in batches', async () => {
    const creator = await harness.newUser();
    const profiles: string[] = [];
    for (let i = 0; i < 3; i++) profiles.push((await creator.newProfile()).id);
    await clickhouse.insert('events', profiles.flatMap((profile) => visitRows(profile, { linkId: NO_LINK, visitorId: '42' }).filter((row) => row.event_type === 'view')));
    const account = await creator.delete('/api/v1/auth/me', { password: creator.password });
    expect(account.status).toBe(204);
    expect(await eraseQueuedAnalytics({ db: schedulerDb, clickhouse, logger: testLogger }, Date.now() + ERASURE_DELAY_MS)).toBe(3);
    for (const profile of profiles) expect((await rowsOf(profile)).events).toBe(0);
  });

  it('runs with the scheduler login’s grants only: it cannot read creators’ data', async () => {
    await expect(schedulerDb.query('SELECT * FROM profiles')).rejects.toThrow(/permission denied/);
    await expect(schedulerDb.query('INSERT INTO analytics_erasures (profile_id) VALUES ($1)', [randomUUID()])).rejects.toThrow(/permission denied/);
  });
});
