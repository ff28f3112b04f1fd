import { describe, expect, it } from 'vitest';
import { describeError, runHealthChecks, type HealthCheck } from './health.js';

const check = (name: string, required: boolean, run: HealthCheck['check']): HealthCheck => ({ name, required, check: run });

describe('readiness', () => {
  it('is ok when every dependency is ok', async () => {
    const report = await runHealthChecks([check('postgres', true, async () => ({ state: 'ok' }))]);
    expect(report.status).toBe('ok');
    expect(report.dependencies.postgres).toMatchObject({ state: 'ok', required: true });
  });

  it('is down when a required dependency is down, degraded when an optional one is', async () => {
    const failing = check('storage', true, async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9000');
    });
    const optional = check('cache', false, async () => {
      throw new Error('redis gone');
    });
    expect((await runHealthChecks([optional])).status).toBe('degraded');
    const report = await runHealthChecks([failing, optional]);
    expect(report.status).toBe('down');
    expect(report.dependencies.storage).toMatchObject({ state: 'down', detail: 'connect ECONNREFUSED 127.0.0.1:9000' });
  });

  it('reports a hung dependency as down after the deadline instead of hanging', async () => {
    const hung = check('kafka', true, () => new Promise(() => undefined));
    const report = await runHealthChecks([hung], 50);
    expect(report.dependencies.kafka).toMatchObject({ state: 'down', detail: 'no answer within 50 ms' });
  });

  it('never reports credentials from connection errors', () => {
    expect(describeError(new Error('getaddrinfo ENOTFOUND postgres://app:s3cret@db:5432/x\nstack'))).toBe('getaddrinfo ENOTFOUND postgres://db:5432/x');
  });
});
