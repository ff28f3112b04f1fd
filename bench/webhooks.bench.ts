// Webhook delivery (issue 19): worker processes (server/testing/webhook-worker-process.ts, the
// scheduler's worker alone) delivering to a receiver on this machine, on a fresh embedded PostgreSQL.
// Three runs, each through server/testing/webhook-reliability.ts: a healthy receiver at a steady rate
// (event → delivery latency), a healthy receiver with the whole backlog written at once (throughput),
// and a receiver failing 30 % of attempts and never answering 5 %, with a worker SIGKILLed mid-run and
// replaced, on a compressed retry schedule (delivered share, duplicates, latency with retries).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { APP_ROLE, migratePostgres, SCHEDULER_ROLE } from '../lib/postgres/migrate.js';
import { runWebhookReliability, seedAsSuperuser, type ReliabilityOptions, type ReliabilityReport } from '../server/testing/webhook-reliability.js';
import { benchLogger, scratch } from './support/harness.js';
import { ascending, percentile, rate, table, type Benchmark } from './support/measure.js';

const EVENTS = 1_000;

interface Run {
  name: string;
  options: Omit<ReliabilityOptions, 'schedulerUrl' | 'seed'>;
}

const RUNS: readonly Run[] = [
  {
    name: 'healthy, 100 events/s',
    options: { events: EVENTS, endpoints: 4, eventsPerSecond: 100, failRate: 0, hangRate: 0, workers: 1, windowMs: 60_000, worker: { timeoutMs: 2_000, pollIntervalMs: 1_000 } },
  },
  {
    name: 'healthy, backlog at once',
    options: { events: EVENTS, endpoints: 4, eventsPerSecond: 1_000_000, failRate: 0, hangRate: 0, workers: 1, windowMs: 60_000, worker: { timeoutMs: 2_000, pollIntervalMs: 1_000 } },
  },
  {
    name: 'failing 30 % + 5 % hangs, SIGKILL',
    options: {
      events: EVENTS,
      endpoints: 2,
      eventsPerSecond: 200,
      failRate: 0.3,
      hangRate: 0.05,
      workers: 1,
      killAt: 0.3,
      windowMs: 30_000,
      worker: { timeoutMs: 500, leaseMs: 2_000, pollIntervalMs: 200 },
    },
  },
];

const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(2)} %`;
const seconds = (ms: number) => (ms >= 1_000 ? `${(ms / 1_000).toFixed(2)} s` : `${Math.round(ms)} ms`);

function row(run: Run, report: ReliabilityReport): string[] {
  const sorted = ascending(report.latenciesMs);
  return [
    run.name,
    report.deliveries.toLocaleString('en-US'),
    percent(report.acknowledged, report.deliveries),
    percent(report.acknowledgedInWindow, report.deliveries),
    String(report.duplicates),
    String(report.failed),
    String(report.pending),
    report.requests.toLocaleString('en-US'),
    rate(report.acknowledged, report.durationMs),
    seconds(percentile(sorted, 50)),
    seconds(percentile(sorted, 99)),
  ];
}

export const webhooksBenchmark: Benchmark = {
  name: 'webhooks',
  description: 'webhook delivery: a healthy receiver (latency, throughput) and one failing 35 % of attempts with a worker SIGKILLed mid-run',
  async run() {
    const dataDir = await scratch('webhooks');
    const superuserPassword = randomBytes(16).toString('hex');
    const schedulerPassword = randomBytes(16).toString('hex');
    const server = await startEmbeddedPostgres({ dataDir, superuserPassword, logger: benchLogger });
    try {
      await migratePostgres({
        ownerUrl: server.superuserUrl(),
        loginPasswords: { [APP_ROLE]: randomBytes(16).toString('hex'), [SCHEDULER_ROLE]: schedulerPassword },
        logger: benchLogger,
      });
      const rows: string[][] = [];
      for (const run of RUNS) {
        const report = await runWebhookReliability({
          ...run.options,
          schedulerUrl: server.urlFor(SCHEDULER_ROLE, schedulerPassword),
          seed: seedAsSuperuser(server.superuserUrl()),
        });
        rows.push(row(run, report));
      }
      table(
        `webhook delivery: ${EVENTS.toLocaleString('en-US')} events per run, worker processes on embedded PostgreSQL, receiver on loopback`,
        ['run', 'deliveries', 'acknowledged', 'in window', 'duplicates', 'given up', 'pending', 'requests', 'throughput', 'p50 event→2xx', 'p99 event→2xx'],
        rows,
      );
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
