// Login throttling, on top of the per-IP request limit of credential routes. It holds guessing back
// without letting anyone lock an account's owner out: refusals are per (account, where the guess comes
// from), and what is counted per account alone only slows down.
//
// - Per account and client address (or, for a browser holding the account's known-device cookie,
//   known-device.ts, per account and device instead): after 3 free tries each further one must wait
//   twice as long as the one before (1 s, 2 s, 4 s … 15 min); earlier ones are refused (429 with
//   Retry-After). A success resets it. Guesses from one place are held to a few an hour.
// - Per client address across accounts (password spraying): after 20 failures in an hour the same
//   back-off, capped at 1 min, so an office behind one NAT is never held up for long. A known device
//   logging into its own account is exempt: it proved it knew this password before.
// - Per account across all addresses: after 10 failures in an hour every try without the account's
//   known-device cookie waits before its password is checked, 0.25 s doubling up to 5 s, and is then
//   answered as usual: never refused. A guesser spread over many addresses is slowed down; the owner,
//   anywhere, is at worst kept waiting a few seconds. The wait comes before the check, for right and
//   wrong passwords alike, so a guesser cannot spot a hit by its speed and abandon the slow tries.
//
// Atomic under concurrency: a try beyond the free ones must claim a "slot" key with SET NX for the
// length of its back-off, so of many parallel guesses exactly one gets through. Tries per account and
// place are counted as they arrive (a success resets them); failures per address and per account are
// counted when they happen, so an office logging in many people is not slowed down. Keys are keyed
// hashes: no email, IP or device id in the cache. Addresses are grouped like the request limiter
// groups them (IPv6 by /56), so rotating through one's own IPv6 prefix buys nothing. If the cache is
// down, logins still work (the request limiter falls back to counting in each process).
import { createHmac } from 'node:crypto';
import { ipKeyGenerator } from 'express-rate-limit';
import type { Cache } from '../../lib/cache/cache.js';
import { AppError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

interface BackoffPolicy {
  /** Tries allowed before back-off starts. */
  freeTries: number;
  maxBackoffSeconds: number;
}

const PLACE_POLICY: BackoffPolicy = { freeTries: 3, maxBackoffSeconds: 15 * 60 };
// An address may be an office behind one NAT: more free failures and a short cap, which still holds a
// guesser to about one try a minute without locking a whole office out for long.
const ADDRESS_POLICY: BackoffPolicy = { freeTries: 20, maxBackoffSeconds: 60 };
/** Failures of an account from anywhere before its logins slow down, and how much. */
export const ACCOUNT_SLOWDOWN = { freeFailures: 10, firstDelayMs: 250, maxDelayMs: 5_000 } as const;
const WINDOW_MS = 60 * 60 * 1000;

export interface LoginAttempt {
  email: string;
  ip: string;
  /** Set when the request carries a valid known-device cookie for this account (its id, known-device.ts). */
  deviceId?: string | undefined;
}

/** Which back-off refused a try. */
export type LoginBackoff = 'account-address' | 'account-device' | 'address';

/** A refused try: RATE_LIMIT with Retry-After; `backoff` is for the audit log, not the response. */
export class LoginBackoffError extends AppError {
  constructor(
    readonly backoff: LoginBackoff,
    retryAfterSeconds: number,
  ) {
    super('RATE_LIMIT', 'Too many sign-in attempts; wait before trying again', { retryAfterSeconds });
  }
}

export interface LoginThrottle {
  /**
   * Counts a login try: throws LoginBackoffError while this place must wait, and otherwise resolves,
   * after the account's slow-down when one applies.
   */
  admit(attempt: LoginAttempt): Promise<void>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

export interface LoginThrottleDeps {
  cache: Cache;
  hashSecret: string;
  logger: Logger;
  /** Waits out a slow-down (a timer; tests record the delays instead of waiting). */
  delay(ms: number): Promise<void>;
  /** Told of each slowed-down try, with its delay (a metric). */
  onSlowdown(ms: number): void;
}

/** How long the try numbered `tries` (1-based) holds the slot: 0 while free, then 1 s, 2 s, 4 s … */
function backoffSeconds(tries: number, policy: BackoffPolicy): number {
  const over = tries - policy.freeTries;
  return over <= 0 ? 0 : Math.min(2 ** (over - 1), policy.maxBackoffSeconds);
}

/** The wait before checking a try on an account that failed `failures` times this hour: 0, then 250 ms, 500 ms … 5 s. */
export function slowdownMs(failures: number): number {
  const over = failures - ACCOUNT_SLOWDOWN.freeFailures;
  return over < 0 ? 0 : Math.min(ACCOUNT_SLOWDOWN.firstDelayMs * 2 ** over, ACCOUNT_SLOWDOWN.maxDelayMs);
}

export function createLoginThrottle(deps: LoginThrottleDeps): LoginThrottle {
  const { cache } = deps;
  const logger = deps.logger.child({ module: 'login-throttle' });
  const keyOf = (kind: string, value: string) =>
    `login:${kind}:${createHmac('sha256', deps.hashSecret).update(`login-${kind}:${value}`).digest('base64url').slice(0, 32)}`;
  const account = (email: string) => email.toLowerCase();
  const accountKey = (attempt: LoginAttempt) => keyOf('account', account(attempt.email));
  const addressKey = (attempt: LoginAttempt) => keyOf('address', ipKeyGenerator(attempt.ip));
  // Where the try comes from, for this account: the known device, or else the client address.
  const placeKey = (attempt: LoginAttempt) =>
    attempt.deviceId === undefined
      ? keyOf('account-address', `${account(attempt.email)}\n${ipKeyGenerator(attempt.ip)}`)
      : keyOf('account-device', `${account(attempt.email)}\n${attempt.deviceId}`);
  const degrade = (error: unknown) => logger.debug({ err: error }, 'login throttle unavailable; relying on request rate limits');

  const claim = async (key: string, tries: number, policy: BackoffPolicy, backoff: LoginBackoff) => {
    const wait = backoffSeconds(tries, policy);
    if (wait > 0 && !(await cache.add(`${key}:slot`, '1', wait))) throw new LoginBackoffError(backoff, wait);
  };
  const failures = async (key: string) => Number((await cache.get(`${key}:failures`)) ?? 0);

  return {
    async admit(attempt) {
      const isKnownDevice = attempt.deviceId !== undefined;
      let wait = 0;
      try {
        const place = placeKey(attempt);
        await claim(place, (await cache.increment(`${place}:tries`, WINDOW_MS)).count, PLACE_POLICY, isKnownDevice ? 'account-device' : 'account-address');
        if (!isKnownDevice) {
          const address = addressKey(attempt);
          await claim(address, (await failures(address)) + 1, ADDRESS_POLICY, 'address');
          wait = slowdownMs(await failures(accountKey(attempt)));
        }
      } catch (error) {
        if (error instanceof AppError) throw error;
        degrade(error);
      }
      if (wait > 0) {
        deps.onSlowdown(wait);
        await deps.delay(wait);
      }
    },
    async recordFailure(attempt) {
      await Promise.all([cache.increment(`${addressKey(attempt)}:failures`, WINDOW_MS), cache.increment(`${accountKey(attempt)}:failures`, WINDOW_MS)]).catch(degrade);
    },
    async recordSuccess(attempt) {
      const place = placeKey(attempt);
      await Promise.all([cache.delete(`${place}:tries`), cache.delete(`${place}:slot`)]).catch(degrade);
    },
  };
}
