// Login throttling with back-off, per account and per client address, on top of the per-IP request
// limit of credential routes. After a few free tries each further one must wait twice as long as the
// one before (1 s, 2 s, 4 s … capped at 15 min per account, 1 min per address).
//
// Atomic under concurrency: a try beyond the free ones must claim a "slot" key with SET NX for the
// length of its back-off, so of many parallel guesses exactly one gets through. Per account the tries
// are counted (a success resets them); per address only failures are, so an office logging in many
// people is not slowed down. Keys are keyed hashes: no email or IP in the cache. Addresses are
// grouped like the request limiter groups them (IPv6 by /56), so rotating through one's own IPv6
// prefix buys nothing. If the cache is down, logins still work (the request limiter falls back).
import { createHmac } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Cache } from '../../lib/cache/cache.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

interface ThrottlePolicy {
  /** Tries allowed before back-off starts. */
  freeTries: number;
  maxBackoffSeconds: number;
}

const ACCOUNT_POLICY: ThrottlePolicy = { freeTries: 3, maxBackoffSeconds: 15 * 60 };
// An address may be an office behind one NAT: more free failures and a short cap, which still holds a
// guesser to about one try a minute without locking a whole office out for long.
const ADDRESS_POLICY: ThrottlePolicy = { freeTries: 20, maxBackoffSeconds: 60 };
const WINDOW_MS = 60 * 60 * 1000;

export interface LoginThrottle {
  /** Counts a login try; throws RATE_LIMIT (with Retry-After) while the account or address must wait. */
  admit(email: string, ip: string): Promise<void>;
  recordFailure(ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

/** How long the try numbered `tries` (1-based) holds the slot: 0 while free, then 1 s, 2 s, 4 s … */
function backoffSeconds(tries: number, policy: ThrottlePolicy): number {
  const over = tries - policy.freeTries;
  return over <= 0 ? 0 : Math.min(2 ** (over - 1), policy.maxBackoffSeconds);
}

export function createLoginThrottle(deps: { cache: Cache; hashSecret: string; logger: Logger }): LoginThrottle {
  const { cache } = deps;
  const logger = deps.logger.child({ module: 'login-throttle' });
  const keyOf = (kind: 'account' | 'address', value: string) =>
    `login:${kind}:${createHmac('sha256', deps.hashSecret).update(`login-${kind}:${value}`).digest('base64url').slice(0, 32)}`;
  const accountKey = (email: string) => keyOf('account', email.toLowerCase());
  const addressKey = (ip: string) => keyOf('address', ipKeyGenerator(ip));
  const degrade = (error: unknown) => logger.debug({ err: error }, 'login throttle unavailable; relying on request rate limits');

  const claim = async (key: string, tries: number, policy: ThrottlePolicy) => {
    const wait = backoffSeconds(tries, policy);
    if (wait > 0 && !(await cache.add(`${key}:slot`, '1', wait))) {
      throw new AppError('RATE_LIMIT', 'Too many sign-in attempts; wait before trying again', { retryAfterSeconds: wait });
    }
  };

  return {
    async admit(email, ip) {
      try {
        const account = accountKey(email);
        await claim(account, (await cache.increment(`${account}:tries`, WINDOW_MS)).count, ACCOUNT_POLICY);
        const address = addressKey(ip);
        await claim(address, Number((await cache.get(`${address}:failures`)) ?? 0) + 1, ADDRESS_POLICY);
      } catch (error) {
        if (error instanceof AppError) throw error;
        degrade(error);
      }
    },
    async recordFailure(ip) {
      await cache.increment(`${addressKey(ip)}:failures`, WINDOW_MS).catch(degrade);
    },
    async recordSuccess(email) {
      const account = accountKey(email);
      await Promise.all([cache.delete(`${account}:tries`), cache.delete(`${account}:slot`)]).catch(degrade);
    },
  };
}
