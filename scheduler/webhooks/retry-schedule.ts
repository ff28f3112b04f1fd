// When a failed webhook delivery is tried again, and when it is given up.
//
// The delays grow step by step, as the Standard Webhooks spec suggests (5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 14 h), with full jitter inside each step's band: the k-th retry comes uniformly between the
// (k-1)-th step and the k-th (the first between 0 and 5 s; past the list, in the last band). So
// retries of many deliveries that failed together spread over the whole band instead of arriving
// together, and every delay is still longer than the one before. A delivery is retried until it is at
// least `windowMs` old (24 h): the first attempt that fails after that gives it up. Expected: 8 or 9
// attempts over 24 to 32 hours.
//
// A 429 or 503 with Retry-After waits as long as asked when that is longer than the schedule, up to
// maxRetryAfterMs (a receiver cannot push a delivery out for days); a shorter Retry-After never makes
// a retry sooner than the schedule.
//
// Tests and benchmarks compress the schedule (scaleRetrySchedule) rather than the code taking another path.

export interface RetrySchedule {
  /** The upper ends of the retry bands, in order. */
  stepsMs: readonly number[];
  /** A delivery is retried until it is at least this old; the first failure after that gives it up. */
  windowMs: number;
  /** The longest Retry-After honoured. */
  maxRetryAfterMs: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  stepsMs: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 14 * HOUR],
  windowMs: 24 * HOUR,
  maxRetryAfterMs: 6 * HOUR,
};

/** The same schedule with every duration multiplied by `factor` (0.0001: the 24 h window in 8.6 s). */
export function scaleRetrySchedule(schedule: RetrySchedule, factor: number): RetrySchedule {
  return {
    stepsMs: schedule.stepsMs.map((step) => step * factor),
    windowMs: schedule.windowMs * factor,
    maxRetryAfterMs: schedule.maxRetryAfterMs * factor,
  };
}

/**
 * How long after its `failedAttempts`-th failed attempt (1 for the first) a delivery is tried again.
 * `random` is in [0, 1) (Math.random; injectable for tests).
 */
export function retryDelayMs(schedule: RetrySchedule, failedAttempts: number, random: () => number = Math.random, retryAfterMs: number | null = null): number {
  const steps = schedule.stepsMs;
  const index = Math.min(Math.max(failedAttempts, 1), steps.length) - 1;
  const high = steps[index]!;
  const low = index === 0 ? 0 : steps[index - 1]!;
  const scheduled = Math.round(low + random() * (high - low));
  if (retryAfterMs === null) return scheduled;
  return Math.max(scheduled, Math.min(retryAfterMs, schedule.maxRetryAfterMs));
}
