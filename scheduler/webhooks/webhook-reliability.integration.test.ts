// Issue 19's promise, tested: against a receiver that fails 30 % of attempts (500) and never answers
// 5 % (the worker's timeout), with the worker process SIGKILLed mid-run and restarted, ≥ 99.5 % of the
// deliveries arrive within the (compressed) retry window, each identifiable by its webhook-id, and none
// is lost: every one ends delivered or given up, and the database never claims one the receiver did not get.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { RELIABILITY_SECRET_BOX, runWebhookReliability } from '../../server/testing/webhook-reliability.js';
import { registerEndpoint } from './webhook-testing.js';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness('webhook_reliability');
});
afterAll(async () => {
  await harness?.close();
});

describe('webhook delivery under failure', () => {
  it('delivers ≥ 99.5 % of events at least once despite a flaky receiver and a SIGKILLed worker', { timeout: 180_000 }, async () => {
    const report = await runWebhookReliability({
      schedulerUrl: harness.database.schedulerUrl,
      seed: async (urls) => {
        const owner = await harness.newUser();
        const profile = await owner.newProfile();
        for (const url of urls) await registerEndpoint(harness.database.db, owner.userId!, profile.id, url, ['link.created'], RELIABILITY_SECRET_BOX);
        return profile.id;
      },
      events: 200,
      endpoints: 2,
      eventsPerSecond: 100,
      failRate: 0.3,
      hangRate: 0.05,
      workers: 1,
      killAt: 0.3,
      windowMs: 12_000,
      worker: { timeoutMs: 250, leaseMs: 1_500, pollIntervalMs: 100, concurrency: 32, perEndpointConcurrency: 8 },
    });
    testLogger.info({ ...report, latenciesMs: undefined }, 'webhook reliability');
    expect(report.killed).toBe(1);
    expect(report.deliveries).toBe(400);
    expect(report.acknowledgedInWindow / report.deliveries).toBeGreaterThanOrEqual(0.995);
    // None lost: each is delivered or given up (failed, and resendable), none left pending.
    expect(report.pending).toBe(0);
    expect(report.delivered + report.failed).toBe(report.deliveries);
    expect(report.deliveredUnacknowledged).toBe(0);
    // Failures happened and were retried: far more requests than deliveries.
    expect(report.requests).toBeGreaterThan(report.deliveries * 1.3);
  });
});
