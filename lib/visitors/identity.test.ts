import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uuidv7 } from '../events/uuid7.js';
import { ipPrefix, utcDay, visitorId } from './identity.js';

describe('visitor identity', () => {
  const salt = randomBytes(32);
  it('is stable for one salt, ip, agent and profile, and changes with any of them', () => {
    const id = visitorId(salt, '203.0.113.7', 'Firefox', 'p1');
    expect(id).toMatch(/^\d{1,20}$/);
    expect(visitorId(salt, '203.0.113.7', 'Firefox', 'p1')).toBe(id);
    expect(visitorId(randomBytes(32), '203.0.113.7', 'Firefox', 'p1')).not.toBe(id);
    expect(visitorId(salt, '203.0.113.8', 'Firefox', 'p1')).not.toBe(id);
    expect(visitorId(salt, '203.0.113.7', 'Chrome', 'p1')).not.toBe(id);
    expect(visitorId(salt, '203.0.113.7', 'Firefox', 'p2')).not.toBe(id);
  });

  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['::ffff:198.51.100.9', '198.51.100.0'],
    ['2001:db8:abcd:12::1', '2001:db8:abcd::'],
    ['2001:db8::1', '2001:db8:0::'],
    ['::1', '0:0:0::'],
    ['fe80::1%eth0', 'fe80:0:0::'],
    ['not an ip', ''],
  ])('keeps only the network of %s', (address, prefix) => {
    expect(ipPrefix(address)).toBe(prefix);
  });

  it('names UTC days', () => {
    expect(utcDay(Date.UTC(2026, 10, 24, 23, 59, 59))).toBe('2026-11-24');
    expect(utcDay(Date.UTC(2026, 10, 25, 0, 0, 0))).toBe('2026-11-25');
  });
});

describe('uuidv7', () => {
  it('is a version 7, RFC 9562 variant UUID that sorts by time', () => {
    const early = uuidv7(Date.UTC(2026, 0, 1));
    const late = uuidv7(Date.UTC(2026, 0, 2));
    for (const id of [early, late]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(early < late).toBe(true);
    expect(Number.parseInt(late.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 0, 2));
  });

  it('never repeats, across many refills of its pool of random bytes', () => {
    const now = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 10_000 }, () => uuidv7(now));
    expect(new Set(ids).size).toBe(ids.length);
    // 74 random bits per id: at 10,000 ids in one millisecond, the random part differs in every one.
    expect(new Set(ids.map((id) => id.slice(14))).size).toBe(ids.length);
  });
});
