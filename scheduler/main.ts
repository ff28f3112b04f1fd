// Composition root of the scheduler role: background jobs, connected to PostgreSQL as
// linkpulse_scheduler (only the grants its jobs need). For now one job: erasing deleted profiles'
// analytics (analytics-erasure.ts), every few minutes. The Agenda jobs (GitHub sync, asset sweep)
// arrive with their issues.
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';
import type { Role } from '../lib/runtime/role.js';
import { eraseQueuedAnalytics } from './analytics-erasure.js';

const ERASURE_INTERVAL_MS = 5 * 60_000;

export interface SchedulerDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  clickhouse: ClickHouse;
  logger: Logger;
}

export function createSchedulerRole(deps: SchedulerDeps): Role {
  const logger = deps.logger.child({ module: 'scheduler' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  // One run at a time; the next is scheduled when this one ends, so a slow run never overlaps.
  const run = () => {
    running = eraseQueuedAnalytics({ ...deps, logger })
      .then(
        () => undefined,
        (error: unknown) => logger.error({ err: error }, 'analytics erasure failed; the queue is kept and retried at the next run'),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(run, ERASURE_INTERVAL_MS).unref();
      });
  };

  return {
    name: 'scheduler',
    routes: [],
    async start() {
      run();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
