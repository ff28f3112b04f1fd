// npm run test:e2e: the end-to-end journeys in e2e/ (a real browser over a whole process). They take
// minutes and drive Chromium, so `npm test` leaves them out; .ci/run runs both.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: { ...base.test, include: ['e2e/**/*.e2e.test.ts'], maxWorkers: 1, testTimeout: 300_000 },
});
