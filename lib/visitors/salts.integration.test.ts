// Salt rotation with a controllable clock: one id per visitor per day, a new one the next day, and
// the old salt gone once it is more than a day old.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { describeWithService, realServices } from '../testing/services.js';
import { visitorId } from './identity.js';
import { DAY_MS, loadSalts, rotateSalts } from './salts.js';

function saltContract(which: 'embedded' | 'real'): void {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('salts', which);
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('gives a visitor one id within a day, another the next day, and deletes salts after 48 hours', async () => {
    const { db } = database;
    const monday = Date.UTC(2026, 10, 23, 9, 0);
    const idOn = async (time: number) => {
      await rotateSalts(db, time);
      const salt = (await loadSalts(db)).get(new Date(time).toISOString().slice(0, 10));
      if (!salt) throw new Error('no salt for the day');
      return visitorId(salt, '203.0.113.7', 'Firefox', 'profile-1');
    };

    const morning = await idOn(monday);
    expect(await idOn(monday + 12 * 3600_000)).toBe(morning);
    const tuesday = await idOn(monday + DAY_MS);
    expect(tuesday).not.toBe(morning);
    // Monday's salt is kept through Tuesday (a visit crossing midnight), gone on Wednesday.
    expect([...(await loadSalts(db)).keys()].sort()).toEqual(['2026-11-23', '2026-11-24', '2026-11-25']);
    await rotateSalts(db, monday + 2 * DAY_MS);
    expect([...(await loadSalts(db)).keys()].sort()).toEqual(['2026-11-24', '2026-11-25', '2026-11-26']);
    // Concurrent rotations agree on one salt per day.
    await Promise.all(Array.from({ length: 5 }, () => rotateSalts(db, monday + 3 * DAY_MS)));
    const salts = await loadSalts(db);
    expect(salts.get('2026-11-26')).toHaveLength(32);
  });
}

describe('visitor salts on embedded PostgreSQL', () => saltContract('embedded'));
describeWithService('visitor salts on a PostgreSQL server', realServices.postgres, () => saltContract('real'));
