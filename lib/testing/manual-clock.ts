// A clock a test moves by hand, for code that takes `now` and `sleep`: a simulated day runs in
// seconds. sleep(ms) moves the clock forward by ms (never back) and yields to the event loop, so
// concurrent sleepers interleave as they would in real time, only faster.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

export interface ManualClock {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Moves the clock to `at` (never back). */
  advanceTo: (at: number) => void;
  advanceBy: (ms: number) => void;
}

export function createManualClock(start = Date.parse('2026-12-01T00:00:00Z')): ManualClock {
  let current = start;
  const advanceTo = (at: number) => {
    current = Math.max(current, at);
  };
  return {
    now: () => current,
    sleep: async (ms) => {
      advanceTo(current + Math.max(0, ms));
      await yieldToEventLoop();
    },
    advanceTo,
    advanceBy: (ms) => advanceTo(current + ms),
  };
}
