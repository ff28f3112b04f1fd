// Cache on Redis (ioredis). Commands fail fast while Redis is unreachable (no offline queue), so
// callers degrade at once instead of piling up requests; ioredis keeps reconnecting with backoff.
// Limits must not switch off meanwhile: counters (increment) and rate limits
// (failover-rate-limit-store.ts) then count in this process until Redis answers again.
import { MemoryStore, type Store } from 'express-rate-limit';
import { Redis } from 'ioredis';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { describeError } from '../health.js';
import type { Logger } from '../logger.js';
import { KEY_PREFIX, assertCacheKey, assertTtl, type Cache } from './cache.js';
import { createFailoverRateLimitStore } from './failover-rate-limit-store.js';
import { createMemoryCache } from './memory-cache.js';

// One round trip, atomic: count the hit, start the window on the first one, report the time left.
const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`;

export interface RedisCacheOptions {
  url: string;
  logger: Logger;
}

export function createRedisCache(options: RedisCacheOptions): Cache {
  const logger = options.logger.child({ module: 'redis-cache' });
  const redis = new Redis(options.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
  });
  let lastError: string | undefined;
  redis.on('error', (error: Error) => {
    const description = describeError(error);
    if (description !== lastError) logger.warn({ err: description }, 'Redis connection problem');
    lastError = description;
  });
  redis.on('ready', () => {
    if (lastError) logger.info('Redis connection restored');
    lastError = undefined;
  });
  const connecting = redis.connect().catch(() => undefined);
  const ready = async () => {
    await connecting;
  };
  const rateLimitStores: Store[] = [];
  const localCounters = createMemoryCache();
  let isCountingLocally = false;

  return {
    kind: 'redis',
    async get(key) {
      assertCacheKey(key);
      await ready();
      return (await redis.get(KEY_PREFIX + key)) ?? undefined;
    },
    async set(key, value, ttlSeconds) {
      assertCacheKey(key);
      assertTtl(ttlSeconds);
      await ready();
      await redis.set(KEY_PREFIX + key, value, 'PX', Math.ceil(ttlSeconds * 1000));
    },
    async add(key, value, ttlSeconds) {
      assertCacheKey(key);
      assertTtl(ttlSeconds);
      await ready();
      return (await redis.set(KEY_PREFIX + key, value, 'PX', Math.ceil(ttlSeconds * 1000), 'NX')) === 'OK';
    },
    async delete(key) {
      assertCacheKey(key);
      await ready();
      await redis.del(KEY_PREFIX + key);
    },
    async increment(key, windowMs) {
      assertCacheKey(key);
      assertTtl(windowMs);
      try {
        await ready();
        const [count, resetMs] = (await redis.eval(INCREMENT_SCRIPT, 1, KEY_PREFIX + key, Math.ceil(windowMs))) as [number, number];
        if (isCountingLocally) {
          isCountingLocally = false;
          logger.info('Redis answers again; counting across instances again');
        }
        return { count, resetMs };
      } catch (error) {
        if (!isCountingLocally) {
          isCountingLocally = true;
          logger.warn({ err: describeError(error) }, 'Redis failed; counting in this process until it recovers');
        }
        return localCounters.increment(key, windowMs);
      }
    },
    rateLimitStore(prefix) {
      const shared = new RedisStore({
        prefix: `${KEY_PREFIX}${prefix}`,
        sendCommand: async (...args: string[]) => {
          await ready();
          const [command, ...rest] = args;
          return (await redis.call(command!, ...rest)) as RedisReply;
        },
      });
      const store = createFailoverRateLimitStore(shared, new MemoryStore(), logger.child({ rateLimitPrefix: prefix }));
      rateLimitStores.push(store);
      return store;
    },
    healthCheck: () => ({
      name: 'cache',
      // Without Redis the app still serves (cache misses); shared rate limits are what degrade.
      required: false,
      async check() {
        await ready();
        await redis.ping();
        return { state: 'ok', detail: 'redis' };
      },
    }),
    async close() {
      for (const store of rateLimitStores) await store.shutdown?.();
      await localCounters.close();
      await connecting;
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
