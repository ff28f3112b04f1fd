// One GitHub sync run: claim the due repositories, fetch each conditionally (github-client.ts),
// store what changed, and record the run in github_sync_runs.
//
// - Due: next_sync_at has passed and at least one link shows the repository (one github_repos row
//   per repository, shared by every link to it). Claiming pushes next_sync_at forward by a lease in
//   the same statement (FOR UPDATE SKIP LOCKED), so concurrent runs, in this process or another,
//   never fetch one repository for the same due time.
// - Rate limits: a run claims no more repositories than the last known budget allows (remaining
//   minus a reserve); with the limit spent it sends nothing until the reset, even in another process
//   (the reset is recorded with the run). A secondary limit is waited out as told when the wait is
//   short, and ends the run otherwise. 5xx, timeouts and network failures are retried with
//   exponential backoff and jitter; a repository that still fails is retried at a later run, sooner
//   than its interval.
// - Results: changed → stored; 304 → only last_synced_at; renamed or transferred → followed, owner
//   and name updated; deleted or private → 'unavailable', last known data kept for the card.
import type { SyncRun, SyncRunError, SyncTrigger } from '../../lib/github/sync-run.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { RateLimited, SecondaryRateLimited, TransientGitHubError, type GitHubClient, type RepositoryFetch } from './github-client.js';

export interface SyncSettings {
  /** GITHUB_SYNC_INTERVAL_MINUTES: how often each repository is refreshed (links may ask for more often). */
  intervalMinutes: number;
  /** Most repositories one run claims. */
  maxPerRun?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Attempts per repository and run for transient failures. */
  attempts?: number;
  /** First backoff; doubled per attempt, with jitter. */
  backoffMs?: number;
  /** Longest secondary-limit wait done inside a run; longer ones end it. */
  maxWaitMs?: number;
  /** Requests left untouched at the end of a window, for "refresh now". */
  reserve?: number;
}

export interface SyncDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  github: GitHubClient;
  logger: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A finished run: the record it left in github_sync_runs, and the pause that ended it early. */
export interface SyncRunOutcome extends SyncRun {
  /** Set when the run stopped early for a rate limit (the rest stays due). */
  pausedUntil: Date | null;
}

/** What a run counts as it goes. */
type SyncTally = Pick<SyncRunOutcome, 'id' | 'due' | 'updated' | 'unchanged' | 'unavailable' | 'failed' | 'requests' | 'pausedUntil'>;

interface ClaimedRepository {
  id: number;
  owner: string;
  name: string;
  etag: string | null;
  sync_failures: number;
  interval_minutes: number | null;
}

const LEASE_MS = 10 * 60_000;
const MAX_ERRORS_RECORDED = 50;
/** Before GitHub has told us anything: what an unauthenticated hour allows. */
const UNKNOWN_BUDGET = 60;

class StopRun extends Error {
  constructor(readonly until: Date) {
    super('rate limited');
  }
}

export async function runGitHubSync(deps: SyncDeps, trigger: SyncTrigger, settings: SyncSettings): Promise<SyncRunOutcome> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const { intervalMinutes, maxPerRun = 500, concurrency = 4, attempts = 3, backoffMs = 1_000, maxWaitMs = 60_000, reserve = 5 } = settings;
  const { db, github, logger } = deps;

  const started = new Date(now());
  const { rows: dueRows } = await db.query<{ due: number }>(
    'SELECT count(*)::int AS due FROM github_repos r WHERE r.next_sync_at <= $1 AND EXISTS (SELECT 1 FROM links l WHERE l.github_repo_id = r.id)',
    [started],
  );
  const due = dueRows[0]!.due;
  const { rows: runRows } = await db.query<{ id: string }>('INSERT INTO github_sync_runs (trigger, started_at, due) VALUES ($1, $2, $3) RETURNING id::text', [trigger, started, due]);
  const run: SyncTally = { id: runRows[0]!.id, due, updated: 0, unchanged: 0, unavailable: 0, failed: 0, requests: 0, pausedUntil: null };
  const errors: SyncRunError[] = [];

  // A pause recorded by any process (the limit spent, or a long secondary limit) wins.
  const { rows: pauses } = await db.query<{ until: Date | null }>(
    'SELECT max(rate_limit_reset) AS until FROM github_sync_runs WHERE id <> $1 AND rate_limit_remaining <= $2 AND rate_limit_reset > $3',
    [run.id, reserve, new Date(now())],
  );
  const pausedUntil = pauses[0]?.until ?? null;
  // Otherwise the freshest budget: what GitHub told this process, or the last run recorded.
  const { rows: last } = await db.query<{ remaining: number | null; reset: Date | null }>(
    `SELECT rate_limit_remaining AS remaining, rate_limit_reset AS reset FROM github_sync_runs
      WHERE id <> $1 AND finished_at IS NOT NULL AND rate_limit_reset IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1`,
    [run.id],
  );
  const recorded = last[0]?.reset && last[0].remaining !== null ? { remaining: last[0].remaining, resetAt: last[0].reset } : undefined;
  const live = (limit: { remaining: number; resetAt: Date } | undefined) => (limit && limit.resetAt.getTime() > now() ? limit : undefined);
  /** Requests this run may still send: the freshest known budget minus the reserve. */
  const budget = () => {
    const current = live(github.rateLimit()) ?? live(recorded);
    if (current) return { requests: current.remaining - reserve, resetAt: current.resetAt };
    // A window that has passed is full again; before GitHub has told us anything, assume the least.
    return { requests: github.rateLimit() || recorded ? Number.MAX_SAFE_INTEGER : UNKNOWN_BUDGET - reserve, resetAt: undefined };
  };
  // Claims the next due repositories (the lease keeps every other run off them).
  const claim = async (limit: number) =>
    (
      await db.query<ClaimedRepository>(
        `UPDATE github_repos r SET next_sync_at = $2
          WHERE r.id IN (SELECT id FROM github_repos c
                          WHERE c.next_sync_at <= $1 AND EXISTS (SELECT 1 FROM links l WHERE l.github_repo_id = c.id)
                          ORDER BY c.next_sync_at, c.id LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING r.id, r.owner, r.name, r.etag, r.sync_failures,
                    (SELECT min(l.sync_interval_minutes) FROM links l WHERE l.github_repo_id = r.id) AS interval_minutes`,
        [started, new Date(now() + LEASE_MS), limit],
      )
    ).rows;

  const nextSyncAt = (repository: ClaimedRepository) => new Date(now() + (repository.interval_minutes ?? intervalMinutes) * 60_000);

  const fetchWithRetries = async (repository: ClaimedRepository): Promise<RepositoryFetch> => {
    for (let attempt = 1; ; attempt++) {
      if (run.pausedUntil) throw new StopRun(run.pausedUntil);
      try {
        run.requests++;
        return await github.fetchRepository(repository.owner, repository.name, repository.etag);
      } catch (error) {
        if (error instanceof RateLimited) {
          run.pausedUntil = error.resetAt;
          throw new StopRun(error.resetAt);
        }
        if (error instanceof SecondaryRateLimited) {
          if (error.retryAfterMs > maxWaitMs) {
            run.pausedUntil = new Date(now() + error.retryAfterMs);
            throw new StopRun(run.pausedUntil);
          }
          await sleep(error.retryAfterMs);
          continue;
        }
        if (error instanceof TransientGitHubError && attempt < attempts) {
          // Exponential backoff with full jitter: never a tight loop, never in lockstep with others.
          await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
          continue;
        }
        throw error;
      }
    }
  };

  const store = async (repository: ClaimedRepository, result: RepositoryFetch) => {
    const next = nextSyncAt(repository);
    if (result.kind === 'not_modified') {
      run.unchanged++;
      await db.query("UPDATE github_repos SET status = 'ok', last_synced_at = now(), next_sync_at = $2, sync_failures = 0, last_error = NULL WHERE id = $1", [repository.id, next]);
      return;
    }
    if (result.kind === 'gone') {
      run.unavailable++;
      await db.query(
        "UPDATE github_repos SET status = 'unavailable', last_synced_at = now(), next_sync_at = $2, sync_failures = 0, last_error = 'not found on GitHub (deleted, private or renamed away)' WHERE id = $1",
        [repository.id, next],
      );
      return;
    }
    run.updated++;
    const data = result.repository;
    const values = [repository.id, data.description, data.language, data.languageColor, data.stars, data.forks, data.topics, data.pushedAt, result.etag, next];
    const update = (renamed: boolean) =>
      db.query(
        `UPDATE github_repos SET description = $2, primary_language = $3, language_color = $4, stars = $5, forks = $6, topics = $7,
                pushed_at = $8, etag = $9, next_sync_at = $10, status = 'ok', last_synced_at = now(), sync_failures = 0, last_error = NULL
                ${renamed ? ', owner = $11, name = $12' : ''}
          WHERE id = $1`,
        renamed ? [...values, data.owner, data.name] : values,
      );
    const renamed = data.owner !== repository.owner || data.name !== repository.name;
    try {
      await update(renamed);
    } catch (error) {
      // Renamed to a repository another row already tracks: keep this row's name, store the data.
      if (!renamed || (error as { code?: string }).code !== '23505') throw error;
      await update(false);
    }
  };

  const fail = async (repository: ClaimedRepository, error: unknown) => {
    run.failed++;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
    if (errors.length < MAX_ERRORS_RECORDED) errors.push({ repository: `${repository.owner}/${repository.name}`, error: message });
    // Retried sooner than the interval: 5 minutes, doubling with each failure, at most the interval.
    const retryMs = Math.min((repository.interval_minutes ?? intervalMinutes) * 60_000, 5 * 60_000 * 2 ** Math.min(repository.sync_failures, 10));
    await db.query('UPDATE github_repos SET sync_failures = sync_failures + 1, last_error = $2, next_sync_at = $3 WHERE id = $1', [repository.id, message, new Date(now() + retryMs)]);
  };

  // Stopped for a rate limit: what was claimed but not fetched is due again at once (the next run
  // waits for the reset before sending anything).
  const release = (repository: ClaimedRepository) => db.query('UPDATE github_repos SET next_sync_at = $2 WHERE id = $1', [repository.id, started]);

  const processAll = async (claimed: ClaimedRepository[]) => {
    const queue = [...claimed];
    const worker = async () => {
      for (let repository = queue.shift(); repository; repository = queue.shift()) {
        if (run.pausedUntil) {
          await release(repository);
          continue;
        }
        try {
          await store(repository, await fetchWithRetries(repository));
        } catch (error) {
          if (error instanceof StopRun) await release(repository);
          else await fail(repository, error);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
  };

  // Rounds of claims sized to the budget: the first answers tell a fresh process what GitHub allows.
  if (pausedUntil) run.pausedUntil = pausedUntil;
  for (let processed = 0; !run.pausedUntil && processed < maxPerRun; ) {
    const allowed = budget();
    if (allowed.requests <= 0) {
      run.pausedUntil = allowed.resetAt ?? null;
      break;
    }
    const claimed = await claim(Math.min(maxPerRun - processed, allowed.requests));
    if (claimed.length === 0) break;
    processed += claimed.length;
    await processAll(claimed);
  }

  const rateLimit = github.rateLimit();
  const { pausedUntil: stoppedUntil, ...counts } = run;
  const record: SyncRun = {
    ...counts,
    trigger,
    startedAt: started,
    finishedAt: new Date(now()),
    // A pause is recorded as an empty budget until its end, so every process waits for it.
    rateLimitRemaining: stoppedUntil ? 0 : (rateLimit?.remaining ?? null),
    rateLimitReset: stoppedUntil ?? rateLimit?.resetAt ?? null,
    errors,
  };
  await db.query(
    `UPDATE github_sync_runs SET finished_at = $2, updated = $3, unchanged = $4, unavailable = $5, failed = $6, requests = $7,
            rate_limit_remaining = $8, rate_limit_reset = $9, errors = $10 WHERE id = $1`,
    [
      record.id,
      record.finishedAt,
      record.updated,
      record.unchanged,
      record.unavailable,
      record.failed,
      record.requests,
      record.rateLimitRemaining,
      record.rateLimitReset,
      JSON.stringify(record.errors),
    ],
  );
  if (stoppedUntil) logger.warn({ run: run.id, until: stoppedUntil.toISOString() }, 'GitHub rate limit reached; the rest waits for the reset');
  logger.info({ ...run, pausedUntil: stoppedUntil?.toISOString() ?? null }, 'GitHub sync run finished');
  return { ...record, pausedUntil: stoppedUntil };
}
