// Login throttling with back-off, per account and per client address, on top of the per-IP request
// limit of credential routes. After a few free failures each further failure doubles the wait
// (1 s, 2 s, 4 s … capped at 15 min) before that account, or that address, may try again. Counters
// live in the shared cache (Redis in scaled mode), keyed by keyed hashes: no email or IP in Redis.
// If the cache is down, logins still work (the per-IP request limiter keeps its local fallback).
import { createHmac } from 'node:crypto';
import type { Cache } from '../../lib/cache/cache.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

export interface ThrottlePolicy {
  /** Failures allowed before back-off starts. */
  freeFailures: number;
}

export const ACCOUNT_POLICY: ThrottlePolicy = { freeFailures: 3 };
export const ADDRESS_POLICY: ThrottlePolicy = { freeFailures: 10 };
const FAILURE_WINDOW_MS = 60 * 60 * 1000;
const MAX_BACKOFF_SECONDS = 15 * 60;

export interface LoginThrottle {
  /** Throws RATE_LIMIT (with Retry-After) while the account or the address is backing off. */
  check(email: string, ip: string): Promise<void>;
  recordFailure(email: string, ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

export function backoffSeconds(failures: number, policy: ThrottlePolicy): number {
  const over = failures - policy.freeFailures;
  return over <= 0 ? 0 : Math.min(2 ** (over - 1), MAX_BACKOFF_SECONDS);
}

export function createLoginThrottle(deps: { cache: Cache; hashSecret: string; logger: Logger; now?: () => number }): LoginThrottle {
  const logger = deps.logger.child({ module: 'login-throttle' });
  const now = deps.now ?? Date.now;
  const keyOf = (kind: 'account' | 'address', value: string) =>
    `login:${kind}:${createHmac('sha256', deps.hashSecret).update(`login-${kind}:${value}`).digest('base64url').slice(0, 32)}`;
  const subjects = (email: string, ip: string) =>
    [
      { key: keyOf('account', email.toLowerCase()), policy: ACCOUNT_POLICY },
      { key: keyOf('address', ip), policy: ADDRESS_POLICY },
    ] as const;
  const degrade = (error: unknown) => logger.debug({ err: error }, 'login throttle unavailable; relying on request rate limits');

  return {
    async check(email, ip) {
      try {
        for (const { key } of subjects(email, ip)) {
          const until = Number(await deps.cache.get(`${key}:until`));
          if (until > now()) {
            throw new AppError('RATE_LIMIT', 'Too many failed sign-in attempts; wait before trying again', {
              retryAfterSeconds: (until - now()) / 1000,
            });
          }
        }
      } catch (error) {
        if (error instanceof AppError) throw error;
        degrade(error);
      }
    },
    async recordFailure(email, ip) {
      try {
        for (const { key, policy } of subjects(email, ip)) {
          const { count } = await deps.cache.increment(`${key}:failures`, FAILURE_WINDOW_MS);
          const wait = backoffSeconds(count, policy);
          if (wait > 0) await deps.cache.set(`${key}:until`, String(now() + wait * 1000), wait);
        }
      } catch (error) {
        degrade(error);
      }
    },
    async recordSuccess(email) {
      const key = keyOf('account', email.toLowerCase());
      await Promise.all([deps.cache.delete(`${key}:failures`), deps.cache.delete(`${key}:until`)]).catch(degrade);
    },
  };
}
