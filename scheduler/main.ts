// Composition root of the scheduler role: background jobs, connected to PostgreSQL as
// linkpulse_scheduler (only the grants its jobs need). Each job runs at start and then every
// interval, one run at a time; a failed run is logged and retried at the next interval. Jobs:
// - analytics erasure of deleted profiles (analytics-erasure.ts), every 5 minutes;
// - the asset sweep (asset-sweep.ts), every 15 minutes.
// The Agenda jobs (GitHub sync) arrive with their issue.
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';
import type { Role } from '../lib/runtime/role.js';
import type { ObjectStorage } from '../lib/storage/object-storage.js';
import { eraseQueuedAnalytics } from './analytics-erasure.js';
import { sweepAssets } from './asset-sweep.js';

export interface SchedulerDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  clickhouse: ClickHouse;
  storage: ObjectStorage;
  logger: Logger;
}

interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<unknown>;
}

export function createSchedulerRole(deps: SchedulerDeps): Role {
  const logger = deps.logger.child({ module: 'scheduler' });
  const jobs: Job[] = [
    { name: 'analytics-erasure', intervalMs: 5 * 60_000, run: () => eraseQueuedAnalytics({ ...deps, logger }) },
    { name: 'asset-sweep', intervalMs: 15 * 60_000, run: () => sweepAssets({ ...deps, logger }) },
  ];
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  // The next run is scheduled when this one ends, so a slow run never overlaps itself.
  const schedule = (job: Job) => {
    const run = job
      .run()
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error, job: job.name }, 'scheduled job failed; retrying at the next run'),
      )
      .finally(() => {
        running.delete(run);
        if (!stopped) timers.set(job.name, setTimeout(() => schedule(job), job.intervalMs).unref());
      });
    running.add(run);
  };

  return {
    name: 'scheduler',
    routes: [],
    async start() {
      for (const job of jobs) schedule(job);
    },
    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      await Promise.all(running);
    },
  };
}
