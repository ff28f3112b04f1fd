// Login throttling over HTTP (login-throttle.ts), on the in-memory cache and on Redis (REDIS_URL):
// guesses from one place are refused after a few tries; guesses spread over many addresses only slow
// the account down; and neither locks the owner out, whether their browser is known to the account
// or not. Client addresses come through a trusted proxy (X-Forwarded-For, one /56 per address, as the
// throttle groups IPv6). The slow-down's waits are recorded instead of waited (the harness's
// loginDelay), so the tests see every delay without timing anything.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Cache } from '../../lib/cache/cache.js';
import { createMemoryCache } from '../../lib/cache/memory-cache.js';
import { createRedisCache } from '../../lib/cache/redis-cache.js';
import { describeWithService, realServices, testConfig, testLogger } from '../../lib/testing/services.js';
import { uniqueName } from '../../lib/testing/wait-for.js';
import { TEST_PUBLIC_URL, startApiHarness, type ApiHarness, type ApiResponse } from '../../server/testing/api-harness.js';
import { KNOWN_DEVICE_TTL_MS, createKnownDevices } from './known-device.js';
import { ACCOUNT_SLOWDOWN } from './login-throttle.js';

/** A client address of its own /56 (IPv6 documentation prefix), so only this test's guesses count against it. */
const newAddress = () => {
  const bits = randomBytes(4);
  return `2001:db8:${bits.readUInt16BE(0).toString(16)}:${bits[2]!.toString(16)}00::${bits[3]!.toString(16)}`;
};

function throttleSuite(makeCache: () => Cache) {
  let harness: ApiHarness;
  let cache: Cache;
  /** The waits the slow-down asked for, in order. */
  const delays: number[] = [];

  beforeAll(async () => {
    cache = makeCache();
    harness = await startApiHarness(`login_throttle_${cache.kind}`, {
      cache,
      config: { trustProxy: ['loopback'] },
      loginDelay: async (ms) => void delays.push(ms),
    });
  });
  afterAll(async () => {
    await harness?.close();
    await cache?.close();
  });
  beforeEach(() => {
    delays.length = 0;
  });

  const guess = (email: string, from = newAddress()) => harness.client(from).post('/api/v1/auth/login', { email, password: 'not the password!' });
  /** Answers to login tries, each with the wait the slow-down put before it (0: none). */
  const withDelay = async (send: () => Promise<ApiResponse>) => {
    const before = delays.length;
    const response = await send();
    expect(delays.length - before).toBeLessThanOrEqual(1);
    return { status: response.status, retryAfter: response.headers.get('retry-after'), delay: delays[before] ?? 0 };
  };
  /**
   * Three free wrong guesses from one address, and a fourth that claims a 1 s back-off: a try from there
   * right after this is refused (the tests rely on their next request coming within that second).
   */
  const useUpFreeTries = async (email: string, from: string) => {
    for (let i = 0; i < 4; i++) expect((await guess(email, from)).status).toBe(401);
  };
  /** Wrong guesses from a new address each, until the account's logins are slowed down. */
  const spreadGuesses = async (email: string, count = ACCOUNT_SLOWDOWN.freeFailures + 8) => {
    const answers = [];
    for (let i = 0; i < count; i++) answers.push(await withDelay(() => guess(email)));
    return answers;
  };
  const slowdownMetric = async () => {
    const metric = await harness.metrics.loginSlowdowns.get();
    const value = (suffix: string) => metric.values.find((entry) => entry.metricName === `linkpulse_login_slowdown_seconds_${suffix}`)?.value ?? 0;
    return { count: value('count'), sum: value('sum') };
  };

  it('refuses guesses from one address after three free tries, with Retry-After, even the right password, and audits it', async () => {
    const owner = await harness.newUser(newAddress());
    const stranger = newAddress();
    await useUpFreeTries(owner.email!, stranger);
    const right = await harness.client(stranger).logIn(owner.email!, owner.password!);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // An unknown address is throttled exactly alike: the throttle does not tell whether an account exists.
    const unknown = `${uniqueName('nobody')}@example.com`;
    await useUpFreeTries(unknown, stranger);
    expect((await guess(unknown, stranger)).status).toBe(429);

    const owners = new pg.Client({ connectionString: harness.database.ownerUrl });
    await owners.connect();
    try {
      const { rows } = await owners.query<{ details: Record<string, string> }>("SELECT details FROM security_audit_log WHERE action = 'rate_limit.block'");
      expect(rows.map((row) => row.details)).toContainEqual({ reason: 'login-backoff', backoff: 'account-address' });
    } finally {
      await owners.end();
    }
  });

  it('lets at most one parallel guess from one address past the free tries', async () => {
    const owner = await harness.newUser(newAddress());
    const stranger = newAddress();
    const statuses = (await Promise.all(Array.from({ length: 20 }, () => guess(owner.email!, stranger)))).map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(4);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(16);
  });

  it('slows down guesses spread over many addresses, more and more up to a cap, and refuses none of them', async () => {
    const owner = await harness.newUser(newAddress());
    const before = await slowdownMetric();
    const answers = await spreadGuesses(owner.email!);
    expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 401));
    const waits = answers.map((answer) => answer.delay);
    expect(waits.slice(0, ACCOUNT_SLOWDOWN.freeFailures)).toEqual(Array(ACCOUNT_SLOWDOWN.freeFailures).fill(0));
    const slowed = waits.slice(ACCOUNT_SLOWDOWN.freeFailures);
    expect(slowed[0]).toBe(ACCOUNT_SLOWDOWN.firstDelayMs);
    for (let i = 1; i < slowed.length; i++) expect(slowed[i]).toBeGreaterThanOrEqual(slowed[i - 1]!);
    expect(slowed.at(-1)).toBe(ACCOUNT_SLOWDOWN.maxDelayMs);
    expect(slowed.at(-2)).toBe(ACCOUNT_SLOWDOWN.maxDelayMs);
    // Operators see it: one observation per slowed try, and the seconds waited.
    const after = await slowdownMetric();
    expect(after.count - before.count).toBe(slowed.length);
    expect(after.sum - before.sum).toBeCloseTo(slowed.reduce((total, ms) => total + ms, 0) / 1000);
  });

  it('does not lock the owner out: after many guesses from elsewhere the right password logs in, with or without a known device', async () => {
    const home = newAddress();
    const owner = await harness.newUser(home);
    expect(owner.deviceCookie).toMatch(/^lp_device=/);
    // Guesses from everywhere, among them the three free tries and a refusal from one stranger's address.
    await spreadGuesses(owner.email!);

    // The owner's known browser, at home: straight in.
    expect(await withDelay(() => owner.logIn(owner.email!, owner.password!))).toMatchObject({ status: 200, delay: 0 });
    // A new browser at home, and one on the road: slowed down, still let in.
    const newBrowser = await withDelay(() => harness.client(home).logIn(owner.email!, owner.password!));
    expect(newBrowser).toMatchObject({ status: 200, delay: ACCOUNT_SLOWDOWN.maxDelayMs });
    expect(await withDelay(() => harness.client(newAddress()).logIn(owner.email!, owner.password!))).toMatchObject({ status: 200, delay: ACCOUNT_SLOWDOWN.maxDelayMs });
    // The known browser even from an address a stranger's guesses hold back: its device has a back-off of its own.
    const stranger = newAddress();
    await useUpFreeTries(owner.email!, stranger);
    owner.address = stranger;
    expect(await withDelay(() => owner.logIn(owner.email!, owner.password!))).toMatchObject({ status: 200, delay: 0 });
    expect((await harness.client(stranger).logIn(owner.email!, owner.password!)).status).toBe(429);
  });

  it('still refuses a known device that keeps guessing, on its own back-off', async () => {
    const owner = await harness.newUser(newAddress());
    const thief = Object.assign(harness.client(newAddress()), { deviceCookie: owner.deviceCookie });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await thief.post('/api/v1/auth/login', { email: owner.email, password: 'not the password!' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    // Other places are not held up by it.
    expect((await harness.client(newAddress()).logIn(owner.email!, owner.password!)).status).toBe(200);
  });

  it('binds the known-device cookie to its account, and ignores forged and expired ones', async () => {
    const owner = await harness.newUser(newAddress());
    const other = await harness.newUser(newAddress());
    await spreadGuesses(owner.email!);

    const name = owner.deviceCookie!.split('=')[0]!;
    const expired = createKnownDevices({ sessionSecret: harness.config.sessionSecret!, publicUrl: TEST_PUBLIC_URL, now: () => Date.now() - KNOWN_DEVICE_TTL_MS - 60_000 });
    const [issued, mac] = owner.deviceCookie!.split('=')[1]!.split('.') as [string, string];
    const cookies: Record<string, string> = {
      'another account’s': other.deviceCookie!,
      forged: `${name}=${issued}.${[...mac].reverse().join('')}`,
      're-dated': `${name}=${(Number.parseInt(issued, 36) + 60).toString(36)}.${mac}`,
      expired: `${name}=${expired.renew(undefined, owner.userId!)}`,
    };
    for (const [kind, cookie] of Object.entries(cookies)) {
      const from = (address: string) => Object.assign(harness.client(address), { deviceCookie: cookie });
      // No pass past the slow-down …
      expect(await withDelay(() => from(newAddress()).logIn(owner.email!, owner.password!)), kind).toMatchObject({ status: 200, delay: ACCOUNT_SLOWDOWN.maxDelayMs });
      // … nor past an address's back-off.
      const stranger = newAddress();
      await useUpFreeTries(owner.email!, stranger);
      expect((await from(stranger).logIn(owner.email!, owner.password!)).status, kind).toBe(429);
    }
    // The real one passes both.
    const stranger = newAddress();
    await useUpFreeTries(owner.email!, stranger);
    const known = Object.assign(harness.client(stranger), { deviceCookie: owner.deviceCookie });
    expect(await withDelay(() => known.logIn(owner.email!, owner.password!))).toMatchObject({ status: 200, delay: 0 });
  });
}

describe('login throttling on the in-memory cache', () => {
  throttleSuite(() => createMemoryCache());

  it('lets logins through while the cache is down', async () => {
    const broken = createMemoryCache();
    const failing = () => Promise.reject(new Error('cache down'));
    const harness = await startApiHarness('login_throttle_down', {
      cache: { ...broken, get: failing, set: failing, add: failing, delete: failing, increment: failing },
      config: { trustProxy: ['loopback'] },
      loginDelay: async () => undefined,
    });
    try {
      const owner = await harness.newUser(newAddress());
      const stranger = newAddress();
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await harness.client(stranger).post('/api/v1/auth/login', { email: owner.email, password: 'not the password!' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expect((await harness.client(stranger).logIn(owner.email!, owner.password!)).status).toBe(200);
    } finally {
      await harness.close();
      await broken.close();
    }
  });
});

describeWithService('login throttling on Redis', realServices.redis, () => {
  throttleSuite(() => createRedisCache({ url: testConfig.redisUrl!, logger: testLogger }));
});
