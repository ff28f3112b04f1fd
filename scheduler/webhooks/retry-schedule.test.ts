import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, scaleRetrySchedule } from './retry-schedule.js';

const HOUR = 3_600_000;

/** Attempt times (ms after the delivery was made) until the first failure past the window. */
function timeline(random: () => number): number[] {
  const times = [0];
  while (times.at(-1)! < DEFAULT_RETRY_SCHEDULE.windowMs) times.push(times.at(-1)! + retryDelayMs(DEFAULT_RETRY_SCHEDULE, times.length, random));
  return times;
}

describe('the webhook retry schedule', () => {
  it('keeps retrying for at least 24 hours, whatever the jitter, in about 8 or 9 attempts', () => {
    for (const random of [() => 0, () => 0.5, () => 0.999999]) {
      const times = timeline(random);
      expect(times.at(-1)!).toBeGreaterThanOrEqual(24 * HOUR);
      expect(times.length).toBeGreaterThanOrEqual(8);
      expect(times.length).toBeLessThanOrEqual(10);
      expect(times.at(-2)!).toBeLessThan(24 * HOUR);
    }
    // The median case: attempts at about 0, 2.5 s, 2.5 min, 20 min, 1.5 h, 5 h, 12.5 h, 24.5 h.
    expect(timeline(() => 0.5).map((ms) => Math.round(ms / 60_000))).toEqual([0, 0, 3, 20, 95, 305, 755, 1475]);
  });

  it('spreads each retry over its band, every band after the previous one', () => {
    const delays = (random: number) => [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => retryDelayMs(DEFAULT_RETRY_SCHEDULE, attempt, () => random));
    expect(delays(0)).toEqual([0, 5_000, 300_000, 1_800_000, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR]);
    expect(delays(0.999999).map((ms) => Math.round(ms / 1000))).toEqual([5, 300, 1_800, 7_200, 18_000, 36_000, 50_400, 50_400]);
  });

  it('waits for a longer Retry-After, within bounds, and never retries sooner for a shorter one', () => {
    expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE, 1, () => 0.5, 120_000)).toBe(120_000);
    expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE, 3, () => 0.5, 1_000)).toBe(1_050_000);
    expect(retryDelayMs(DEFAULT_RETRY_SCHEDULE, 1, () => 0.5, 30 * 24 * HOUR)).toBe(6 * HOUR);
  });

  it('compresses for tests without changing its shape', () => {
    const fast = scaleRetrySchedule(DEFAULT_RETRY_SCHEDULE, 0.001);
    expect(fast.windowMs).toBe(86_400);
    expect(retryDelayMs(fast, 2, () => 1)).toBe(300);
  });
});
