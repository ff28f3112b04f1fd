// Cache and counters: Redis when REDIS_URL is set (shared by every instance), otherwise memory in this
// process. One contract suite (cache.integration.test.ts) holds both to the same behaviour. Callers
// treat the cache as optional: a failed read is a miss, never a failed request.
import type { Store } from 'express-rate-limit';
import type { HealthCheck } from '../health.js';

export interface WindowCount {
  /** Hits in the current window, including this one. */
  count: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

export interface Cache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Stores value only if key is absent (atomically; Redis SET NX); true when this call stored it. */
  add(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * Fixed-window counter: counts a hit under key; the window starts with the first hit. Never fails
   * because the shared backend is down: it counts in this process meanwhile, so limits stay on.
   */
  increment(key: string, windowMs: number): Promise<WindowCount>;
  /** An express-rate-limit store over the same backend (shared across instances with Redis). */
  rateLimitStore(prefix: string): Store;
  healthCheck(): HealthCheck;
  close(): Promise<void>;
}

/** Every key Linkpulse writes is namespaced, so a shared Redis stays tidy. */
export const KEY_PREFIX = 'lp:';

export function assertCacheKey(key: string): void {
  if (key.length === 0 || key.length > 512 || /\s/.test(key) || key.includes('\u0000')) throw new Error(`invalid cache key ${JSON.stringify(key)}`);
}

export function assertTtl(ttlSeconds: number): void {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new Error('cache entries need a positive TTL');
}
