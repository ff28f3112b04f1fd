import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryCache } from '../lib/cache/memory-cache.js';
import { utcDay } from '../lib/visitors/identity.js';
import { createVisitorIds } from './visitor-ids.js';
import type { VisitorSalts } from './visitor-salts.js';

const MINUTE = 60_000;
const midnight = Date.UTC(2026, 10, 25);

function fixedSalts(): VisitorSalts {
  const salts = new Map([utcDay(midnight - 1), utcDay(midnight)].map((day) => [day, randomBytes(32)]));
  return { saltFor: (time) => salts.get(utcDay(time)), refresh: async () => undefined, start: async () => undefined, stop: () => undefined };
}

describe('visitor ids across midnight', () => {
  it('keeps a visit that crosses midnight under one id, and gives new visits the new day’s id', async () => {
    let now = midnight - 10 * MINUTE;
    const cache = createMemoryCache({ now: () => now });
    const ids = createVisitorIds({ salts: fixedSalts(), cache });
    const before = await ids.idFor('p', '203.0.113.7', 'Firefox', now);

    now = midnight + 5 * MINUTE;
    expect(await ids.idFor('p', '203.0.113.7', 'Firefox', now)).toBe(before);
    const newcomer = await ids.idFor('p', '203.0.113.8', 'Firefox', now);
    // Still the same visit while its events keep coming (each renews it); the newcomer keeps today's id.
    for (const minutes of [30, 55]) {
      now = midnight + minutes * MINUTE;
      expect(await ids.idFor('p', '203.0.113.7', 'Firefox', now)).toBe(before);
    }
    expect(await ids.idFor('p', '203.0.113.8', 'Firefox', now)).toBe(newcomer);
  });

  it('ends the carried id after 30 minutes of silence, and on another profile', async () => {
    let now = midnight - 5 * MINUTE;
    const cache = createMemoryCache({ now: () => now });
    const ids = createVisitorIds({ salts: fixedSalts(), cache });
    const before = await ids.idFor('p', '203.0.113.7', 'Firefox', now);
    expect(await ids.idFor('q', '203.0.113.7', 'Firefox', midnight + MINUTE)).not.toBe(before);
    now = midnight + 40 * MINUTE;
    expect(await ids.idFor('p', '203.0.113.7', 'Firefox', now)).not.toBe(before);
  });

  it('falls back to today’s id when the cache is down', async () => {
    const down = () => Promise.reject(new Error('ECONNREFUSED'));
    const ids = createVisitorIds({ salts: fixedSalts(), cache: { ...createMemoryCache(), get: down, set: down } });
    expect(await ids.idFor('p', '203.0.113.7', 'Firefox', midnight - MINUTE)).toMatch(/^\d+$/);
    expect(await ids.idFor('p', '203.0.113.7', 'Firefox', midnight + MINUTE)).toMatch(/^\d+$/);
  });
});
