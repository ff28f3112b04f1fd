import { describe, expect, it } from 'vitest';
import { retryAfterFailure, syncLeadMs, windowAfterSync } from './sync-schedule.js';

const MINUTE = 60_000;

describe('the refresh window', () => {
  it('opens and closes before the deadline, by a tenth of the interval at most 5 minutes', () => {
    expect(syncLeadMs(5)).toBe(30_000);
    expect(syncLeadMs(60)).toBe(5 * MINUTE);
    expect(syncLeadMs(10_080)).toBe(5 * MINUTE);
    const five = windowAfterSync(0, 5);
    expect([five.nextSyncAt.getTime(), five.syncDueAt.getTime()]).toEqual([4 * MINUTE, 4.5 * MINUTE]);
    const sixHours = windowAfterSync(0, 360);
    expect([sixHours.nextSyncAt.getTime(), sixHours.syncDueAt.getTime()]).toEqual([350 * MINUTE, 355 * MINUTE]);
  });
});

describe('the retry after a failure', () => {
  it('waits a minute, doubling per failure, jittered, and never longer than the interval', () => {
    const middle = () => 0.5;
    expect(retryAfterFailure(0, 1, 360, middle).getTime()).toBe(MINUTE);
    expect(retryAfterFailure(0, 3, 360, middle).getTime()).toBe(4 * MINUTE);
    expect(retryAfterFailure(0, 30, 360, middle).getTime()).toBe(360 * MINUTE);
    expect(retryAfterFailure(0, 10, 5, () => 0.99).getTime()).toBe(5 * MINUTE);
    expect(retryAfterFailure(0, 1, 360, () => 0).getTime()).toBe(0.8 * MINUTE);
    expect(retryAfterFailure(0, 1, 10_080, middle).getTime()).toBe(MINUTE);
    expect(retryAfterFailure(0, 40, 10_080, middle).getTime()).toBe(6 * 60 * MINUTE);
  });
});
