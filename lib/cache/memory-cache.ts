// Cache in this process's memory: entries expire by TTL, and the map is bounded (oldest entries are
// evicted first) so a flood of distinct keys cannot exhaust memory.
import { MemoryStore } from 'express-rate-limit';
import { assertCacheKey, assertTtl, type Cache } from './cache.js';

interface Entry {
  value: string;
  expiresAt: number;
}

export interface MemoryCacheOptions {
  maxEntries?: number;
  now?: () => number;
}

export function createMemoryCache(options: MemoryCacheOptions = {}): Cache {
  const maxEntries = options.maxEntries ?? 100_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  const stores: MemoryStore[] = [];

  const read = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const write = (key: string, entry: Entry) => {
    // Re-inserting moves the key to the end: the map's order is the eviction order.
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest === undefined) break;
      entries.delete(oldest);
    }
  };
  const sweep = setInterval(() => {
    const time = now();
    for (const [key, entry] of entries) if (entry.expiresAt <= time) entries.delete(key);
  }, 30_000);
  sweep.unref();

  return {
    kind: 'memory',
    async get(key) {
      assertCacheKey(key);
      return read(key)?.value;
    },
    async set(key, value, ttlSeconds) {
      assertCacheKey(key);
      assertTtl(ttlSeconds);
      write(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    async add(key, value, ttlSeconds) {
      assertCacheKey(key);
      assertTtl(ttlSeconds);
      if (read(key)) return false;
      write(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async delete(key) {
      assertCacheKey(key);
      entries.delete(key);
    },
    async increment(key, windowMs) {
      assertCacheKey(key);
      assertTtl(windowMs);
      const current = read(key);
      const count = current ? Number(current.value) + 1 : 1;
      const expiresAt = current?.expiresAt ?? now() + windowMs;
      write(key, { value: String(count), expiresAt });
      return { count, resetMs: expiresAt - now() };
    },
    rateLimitStore() {
      // One MemoryStore per limiter: separate instances are separate namespaces.
      const store = new MemoryStore();
      stores.push(store);
      return store;
    },
    healthCheck: () => ({ name: 'cache', required: false, check: async () => ({ state: 'ok', detail: 'in-process memory' }) }),
    async close() {
      clearInterval(sweep);
      for (const store of stores) store.shutdown();
      entries.clear();
    },
  };
}
