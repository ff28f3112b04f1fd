// The activity log's retention, through the scheduler's own login: entries past ACTIVITY_RETENTION_DAYS
// go, younger ones stay, and the scheduler can read nothing of them but their ids and ages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { testLogger } from '../lib/testing/services.js';
import { startApiHarness, type ApiHarness } from '../server/testing/api-harness.js';
import { pruneActivity } from './activity-prune.js';

let harness: ApiHarness;
let schedulerDb: Database;
beforeAll(async () => {
  harness = await startApiHarness('activity_prune');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-prune', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});

describe('activity log retention', () => {
  it('removes entries older than the retention and keeps the rest', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { bio: 'kept for now' })).status).toBe(200);
    const count = async () => (await schedulerDb.query<{ n: number }>('SELECT count(*)::int AS n FROM activity_log')).rows[0]!.n;
    const logged = await count();
    expect(logged).toBeGreaterThanOrEqual(3);
    expect(await pruneActivity({ db: schedulerDb, logger: testLogger }, 400)).toBe(0);
    // Two days on, with a retention of one day, every entry so far has passed it.
    expect(await pruneActivity({ db: schedulerDb, logger: testLogger }, 1, Date.now() + 2 * 86_400_000)).toBe(logged);
    expect(await count()).toBe(0);
    await expect(schedulerDb.query('SELECT changes FROM activity_log')).rejects.toThrow(/permission denied/);
  });
});
