// A cluster-wide mutex on PostgreSQL's advisory locks, for work that must not run twice at once in any
// process: rebuilding analytics aggregates (the reconciler, `linkpulse analytics rebuild`) and erasing
// a profile's analytics would otherwise interleave their deletes and inserts. The lock lives with the
// session that took it, so a process that dies releases it.
import type { Database } from './database.js';

/** Named locks, so every user of one agrees on its key. */
export const ADVISORY_LOCKS = {
  /** Writes to ClickHouse other than the consumers' inserts: rebuilds and erasures. */
  analyticsMaintenance: 'linkpulse:analytics-maintenance',
} as const;

export type AdvisoryLockName = (typeof ADVISORY_LOCKS)[keyof typeof ADVISORY_LOCKS];

/**
 * Runs `work` holding the lock. With `wait: false` (the default) returns `{ acquired: false }` at once
 * when another session holds it; with `wait: true` waits for it.
 */
export async function withAdvisoryLock<T>(
  db: Database,
  name: AdvisoryLockName,
  work: () => Promise<T>,
  options: { wait?: boolean } = {},
): Promise<{ acquired: true; result: T } | { acquired: false }> {
  const client = await db.connect();
  // A connection that waited had its statement timeout lifted: it does not go back to the pool.
  let broken = options.wait === true;
  try {
    if (options.wait) {
      // No statement timeout while waiting: the other holder may run for minutes.
      await client.query('SET statement_timeout = 0');
      await client.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
    } else {
      const { rows } = await client.query<{ acquired: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS acquired', [name]);
      if (!rows[0]?.acquired) return { acquired: false };
    }
    try {
      return { acquired: true, result: await work() };
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name]).catch(() => {
        broken = true;
      });
    }
  } catch (error) {
    broken = true;
    throw error;
  } finally {
    // Nor does one whose unlock failed: it would still hold the lock.
    client.release(broken);
  }
}
