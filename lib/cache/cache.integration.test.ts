// The cache contract, run against memory (always) and Redis (REDIS_URL).
import type { Options } from 'express-rate-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService, realServices, testConfig, testLogger } from '../testing/services.js';
import { startSwitchableRelay } from '../testing/tcp-relay.js';
import { uniqueName, waitFor } from '../testing/wait-for.js';
import type { Cache } from './cache.js';
import { createMemoryCache } from './memory-cache.js';
import { createRedisCache } from './redis-cache.js';

function cacheContract(makeCache: () => Cache, makeSecondInstance: () => Cache): void {
  let cache: Cache;
  beforeAll(() => {
    cache = makeCache();
  });
  afterAll(async () => {
    await cache?.close();
  });

  it('stores, reads and deletes values', async () => {
    const key = uniqueName('value');
    expect(await cache.get(key)).toBeUndefined();
    await cache.set(key, 'hello ✓', 60);
    expect(await cache.get(key)).toBe('hello ✓');
    await cache.set(key, 'replaced', 60);
    expect(await cache.get(key)).toBe('replaced');
    await cache.delete(key);
    expect(await cache.get(key)).toBeUndefined();
  });

  it('expires values after their TTL', async () => {
    const key = uniqueName('ttl');
    await cache.set(key, 'short-lived', 0.2);
    expect(await cache.get(key)).toBe('short-lived');
    await waitFor(async () => (await cache.get(key)) === undefined, { what: 'expiry', timeoutMs: 3_000 });
  });

  it('adds a value only when its key is absent, exactly once under concurrency', async () => {
    const key = uniqueName('add');
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => cache.add(key, String(i), 60)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await cache.get(key)).toBe(String(claims.indexOf(true)));
    await cache.delete(key);
    expect(await cache.add(key, 'again', 60)).toBe(true);
  });

  it('counts hits in a fixed window that resets', async () => {
    const key = uniqueName('counter');
    const first = await cache.increment(key, 300);
    expect(first.count).toBe(1);
    expect(first.resetMs).toBeGreaterThan(0);
    expect(first.resetMs).toBeLessThanOrEqual(300);
    const counts = await Promise.all(Array.from({ length: 9 }, () => cache.increment(key, 300)));
    expect(counts.map((c) => c.count).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await waitFor(async () => (await cache.increment(uniqueName('x'), 1000)) && (await cache.get(key)) === undefined, {
      what: 'window reset',
      timeoutMs: 3_000,
    });
    expect((await cache.increment(key, 300)).count).toBe(1);
  });

  it('provides a rate-limit store that counts, decrements and resets per client', async () => {
    const store = cache.rateLimitStore(`${uniqueName('rl')}:`);
    await store.init?.({ windowMs: 60_000 } as Parameters<NonNullable<typeof store.init>>[0]);
    expect((await store.increment('client-a')).totalHits).toBe(1);
    expect((await store.increment('client-a')).totalHits).toBe(2);
    expect((await store.increment('client-b')).totalHits).toBe(1);
    await store.decrement('client-a');
    expect((await store.increment('client-a')).totalHits).toBe(2);
    await store.resetKey('client-a');
    const after = await store.increment('client-a');
    expect(after.totalHits).toBe(1);
    expect(after.resetTime?.getTime()).toBeGreaterThan(Date.now());
  });

  it('shares counters between instances exactly when its backend is shared', async () => {
    const other = makeSecondInstance();
    try {
      const key = uniqueName('shared');
      await cache.increment(key, 60_000);
      const seenByOther = await other.increment(key, 60_000);
      expect(seenByOther.count).toBe(cache.kind === 'redis' ? 2 : 1);
    } finally {
      await other.close();
    }
  });

  it('rejects keys that could collide or inject', async () => {
    await expect(cache.set('has space', 'x', 10)).rejects.toThrow(/invalid cache key/);
    await expect(cache.set('', 'x', 10)).rejects.toThrow(/invalid cache key/);
    await expect(cache.set('ok', 'x', 0)).rejects.toThrow(/TTL/);
  });

  it('reports healthy', async () => {
    expect((await cache.healthCheck().check()).state).toBe('ok');
  });
}

describe('cache contract: memory', () => {
  cacheContract(
    () => createMemoryCache(),
    () => createMemoryCache(),
  );

  it('evicts the oldest entries beyond its bound', async () => {
    const cache = createMemoryCache({ maxEntries: 3 });
    for (const key of ['a', 'b', 'c', 'd']) await cache.set(key, key, 60);
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('d')).toBe('d');
    await cache.close();
  });
});

// Needs no Redis: nothing listens on port 1.
describe('Redis cache while Redis is unreachable', () => {
  it('fails fast and reports down while Redis is unreachable, and keeps counting in this process', async () => {
    const unreachable = createRedisCache({ url: 'redis://127.0.0.1:1/0', logger: testLogger });
    try {
      await expect(unreachable.get('x')).rejects.toThrow();
      await expect(unreachable.healthCheck().check()).rejects.toThrow();
      const key = uniqueName('outage');
      const counts = [];
      for (let hit = 0; hit < 3; hit++) counts.push((await unreachable.increment(key, 60_000)).count);
      expect(counts).toEqual([1, 2, 3]);
    } finally {
      await unreachable.close();
    }
  });
});

describeWithService('cache contract: Redis', realServices.redis, () => {
  cacheContract(
    () => createRedisCache({ url: testConfig.redisUrl!, logger: testLogger }),
    () => createRedisCache({ url: testConfig.redisUrl!, logger: testLogger }),
  );

  it('keeps rate limiting per process while Redis is down, and shares counts again once it is back', async () => {
    const relay = await startSwitchableRelay(testConfig.redisUrl!, 6379);
    const cache = createRedisCache({ url: relay.url, logger: testLogger });
    const direct = createRedisCache({ url: testConfig.redisUrl!, logger: testLogger });
    try {
      const prefix = `${uniqueName('rl')}:`;
      const options = { windowMs: 60_000 } as Options;
      const store = cache.rateLimitStore(prefix);
      // Down while the limiter starts: the script cannot be loaded, and nothing throws.
      await store.init?.(options);
      expect((await store.increment('client-a')).totalHits).toBe(1);
      expect((await store.increment('client-a')).totalHits).toBe(2);

      relay.up();
      await waitFor(async () => (await cache.healthCheck().check()).state === 'ok', { what: 'Redis reconnection' });
      // Counted in Redis now (the script was loaded again): another instance sees the same count.
      expect((await store.increment('client-b')).totalHits).toBe(1);
      const otherInstance = direct.rateLimitStore(prefix);
      await otherInstance.init?.(options);
      expect((await otherInstance.increment('client-b')).totalHits).toBe(2);
    } finally {
      await cache.close();
      await direct.close();
      await relay.close();
    }
  });
});
