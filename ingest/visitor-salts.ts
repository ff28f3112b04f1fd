// The salts ingest hashes visitors with, held in memory and refreshed in the background, so hashing
// never waits for PostgreSQL. Each refresh also rotates (creates tomorrow's, deletes the expired).
import type { Logger } from '../lib/logger.js';
import type { Database } from '../lib/postgres/database.js';
import { utcDay } from '../lib/visitors/identity.js';
import { loadSalts, rotateSalts } from '../lib/visitors/salts.js';

const REFRESH_MS = 60_000;

export interface VisitorSalts {
  /** The salt of the UTC day of `time`; undefined only if ingest could never load one. */
  saltFor(time: number): Buffer | undefined;
  refresh(now?: number): Promise<void>;
  start(): Promise<void>;
  stop(): void;
}

export function createVisitorSalts(deps: { db: Database; logger: Logger; now?: () => number }): VisitorSalts {
  const logger = deps.logger.child({ module: 'visitor-salts' });
  const now = deps.now ?? Date.now;
  let salts = new Map<string, Buffer>();
  let timer: NodeJS.Timeout | undefined;

  const refresh = async (time = now()) => {
    await rotateSalts(deps.db, time);
    salts = await loadSalts(deps.db);
  };

  return {
    saltFor: (time) => salts.get(utcDay(time)),
    refresh,
    async start() {
      await refresh();
      timer = setInterval(() => {
        refresh().catch((error: unknown) => logger.warn({ err: error }, 'could not refresh visitor salts; using the ones in memory'));
      }, REFRESH_MS);
      timer.unref();
    },
    stop: () => clearInterval(timer),
  };
}
