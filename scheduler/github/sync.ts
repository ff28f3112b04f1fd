// One GitHub sync run: claim what is due, fetch it within GitHub's limits (github-client.ts, one
// budget for every process: budget.ts), store what GitHub said, and record the run.
//
// - What a run takes. A creator's requests first (a new link, a refresh click: sync_requested_at),
//   one conditional REST request each (an unchanged repository costs nothing), allowed into the
//   reserve. A scheduled run then takes every repository whose refresh window is open
//   (next_sync_at ≤ now, lib/github/sync-schedule.ts), in GraphQL queries of up to 100 when the
//   operator has a token, else conditional REST requests, 4 at a time; these leave the reserve
//   alone. A run triggered by the API ('now') takes only the requested repositories.
// - Claims lease the rows (next_sync_at pushed forward, FOR UPDATE SKIP LOCKED), so concurrent runs,
//   in this process or another, never fetch one repository twice for one due time.
// - Results: data → stored, and the next window set from the repository's interval (the most frequent
//   of its links'); deleted or private → 'unavailable', the last data kept; renamed → followed.
// - Failures are classified (network, timeout, 5xx, 401, unreadable), retried in the run with
//   backoff, then per repository: 1, 2, 4… minutes (at most its interval), recording since when it
//   fails, so the card can say so and keep its last data.
// - Stopping early: a spent limit or GitHub unreachable (the client's breaker) ends the run and leaves
//   the rest due; a secondary limit is waited out when short; a run claims nothing new after its
//   deadline. Whatever was claimed and not fetched is released, not failed.
// - A run that claimed nothing records nothing: concurrent triggers never leave empty runs.
import { retryAfterFailure, windowAfterSync, type SyncFailureKind } from '../../lib/github/sync-schedule.js';
import type { SyncRun, SyncRunError, SyncStop, SyncTrigger } from '../../lib/github/sync-run.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { Database } from '../../lib/postgres/database.js';
import type { GitHubBudget, RequestPurpose } from './budget.js';
import { GitHubRequestFailed, GitHubWait, type BatchEntry, type GitHubClient, type RepositoryFetch, type RequestTally } from './github-client.js';

export interface SyncSettings {
  /** GITHUB_SYNC_INTERVAL_MINUTES: how often each repository is refreshed (links may ask for more often). */
  intervalMinutes: number;
  /** Most repositories one run claims. */
  maxPerRun?: number;
  /** REST requests in flight at once. */
  concurrency?: number;
  /** Attempts per request in a run, for failures worth retrying at once (5xx, network, timeout). */
  attempts?: number;
  /** First backoff between them; doubled per attempt, with jitter. */
  backoffMs?: number;
  /** Longest secondary-limit wait done inside a run; longer ones end it. */
  maxWaitMs?: number;
  /** A run claims nothing new after this long (the rest stays due for the next run). */
  deadlineMs?: number;
}

export interface SyncDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  github: GitHubClient;
  /** The budget the client uses: read for the run's record. */
  budget: GitHubBudget;
  logger: Logger;
  metrics?: Pick<Metrics, 'githubSyncFailures' | 'githubSyncLag'>;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** A finished run: what it recorded (id null when it had nothing to do), and the pause that ended it early. */
export interface SyncRunOutcome extends Omit<SyncRun, 'id'> {
  id: string | null;
  /** Set when the run stopped for a limit or an unreachable GitHub: nothing is sent before then. */
  pausedUntil: Date | null;
}

interface ClaimedRepository {
  id: string;
  owner: string;
  name: string;
  etag: string | null;
  sync_failures: number;
  interval_minutes: number | null;
  /** When it was due (the lag metric); for a creator's request, when it was asked for. */
  due_at: Date;
  requested_at: Date | null;
}

const LEASE_MS = 10 * 60_000;
const MAX_ERRORS_RECORDED = 50;
/** Repositories claimed per round of REST requests. */
const REST_ROUND = 32;

/** Stops the run's workers: a limit, an unreachable GitHub, an operator's token refused. */
class StopRun extends Error {
  constructor(
    readonly stop: SyncStop,
    readonly until: Date | null,
  ) {
    super(stop);
  }
}

/** Repositories linked from at least one link (a repository no link shows is never fetched). */
const LINKED = 'EXISTS (SELECT 1 FROM links l WHERE l.github_repo_id = r.id)';

/**
 * When the scheduler must wake next for the GitHub sync: the earliest time a linked repository is due
 * (its window's end, or a retry); null when nothing is linked. Creators' requests wake github-sync-now.
 */
export async function nextGitHubSyncAt(db: Database): Promise<Date | null> {
  const { rows } = await db.query<{ at: Date | null }>(`SELECT min(r.sync_due_at) AS at FROM github_repos r WHERE ${LINKED}`);
  return rows[0]?.at ?? null;
}

/** Creators' requests still waiting (a run stopped for a limit before it took them). */
export async function hasGitHubSyncRequests(db: Database): Promise<boolean> {
  return (await db.query(`SELECT 1 FROM github_repos r WHERE r.sync_requested_at IS NOT NULL AND ${LINKED} LIMIT 1`)).rowCount === 1;
}

export async function runGitHubSync(deps: SyncDeps, trigger: SyncTrigger, settings: SyncSettings): Promise<SyncRunOutcome> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const { intervalMinutes, maxPerRun = 10_000, concurrency = 4, attempts = 3, backoffMs = 1_000, maxWaitMs = 60_000, deadlineMs = 4 * 60_000 } = settings;
  const { db, github, logger, metrics } = deps;

  const started = new Date(now());
  const { rows: dueRows } = await db.query<{ due: number }>(
    `SELECT count(*)::int AS due FROM github_repos r
      WHERE ${LINKED} AND (r.sync_requested_at IS NOT NULL${trigger === 'schedule' ? ' OR r.next_sync_at <= $1' : ''})`,
    trigger === 'schedule' ? [started] : [],
  );
  const due = dueRows[0]!.due;
  const tally: RequestTally = { requests: 0, points: 0 };
  const counts = { updated: 0, unchanged: 0, unavailable: 0, failed: 0 };
  const errors: SyncRunError[] = [];
  let stop: StopRun | undefined;
  let runId: string | null = null;
  let claimedTotal = 0;

  const intervalOf = (repository: ClaimedRepository) => repository.interval_minutes ?? intervalMinutes;

  /** The run's row, written when it first claims something: a run with nothing to do leaves none. */
  const recordStart = async () => {
    if (runId !== null) return;
    const { rows } = await db.query<{ id: string }>('INSERT INTO github_sync_runs (trigger, started_at, due) VALUES ($1, $2, $3) RETURNING id::text', [trigger, started, due]);
    runId = rows[0]!.id;
  };

  // Claims push next_sync_at forward by a lease (every other run then skips the row) and, for a
  // creator's request, take the request with them (a run that stops early gives it back: release).
  const claim = async (which: 'requested' | 'due', limit: number): Promise<ClaimedRepository[]> => {
    if (limit <= 0) return [];
    // A request counts whatever its stamp (the API's clock, the database's), so clocks that disagree
    // never hold one back.
    const condition = which === 'requested' ? 'c.sync_requested_at IS NOT NULL AND $1::timestamptz IS NOT NULL' : 'c.next_sync_at <= $1';
    const order = which === 'requested' ? 'c.sync_requested_at, c.id' : 'c.sync_due_at, c.id';
    const { rows } = await db.query<ClaimedRepository>(
      `WITH picked AS (
         SELECT c.id, c.sync_requested_at, c.sync_due_at FROM github_repos c
          WHERE ${condition} AND EXISTS (SELECT 1 FROM links l WHERE l.github_repo_id = c.id)
          ORDER BY ${order} LIMIT $3 FOR UPDATE SKIP LOCKED)
       UPDATE github_repos r SET next_sync_at = $2, sync_requested_at = NULL
         FROM picked WHERE r.id = picked.id
       RETURNING r.id::text, r.owner, r.name, r.etag, r.sync_failures, picked.sync_requested_at AS requested_at,
                 coalesce(picked.sync_requested_at, picked.sync_due_at) AS due_at,
                 (SELECT min(l.sync_interval_minutes) FROM links l WHERE l.github_repo_id = r.id) AS interval_minutes`,
      [new Date(now()), new Date(now() + LEASE_MS), limit],
    );
    if (rows.length > 0) await recordStart();
    claimedTotal += rows.length;
    return rows;
  };

  // Claimed but not fetched (the run stopped): due again at once, and a creator's request kept.
  const release = (repository: ClaimedRepository) =>
    db.query('UPDATE github_repos SET next_sync_at = $2, sync_requested_at = coalesce(sync_requested_at, $3) WHERE id = $1', [repository.id, started, repository.requested_at]);

  const store = async (repository: ClaimedRepository, result: RepositoryFetch, purpose: RequestPurpose) => {
    const at = now();
    const window = windowAfterSync(at, intervalOf(repository));
    if (purpose === 'schedule') metrics?.githubSyncLag.observe(Math.max(0, at - repository.due_at.getTime()) / 1000);
    const healthy = 'sync_failures = 0, last_error = NULL, last_error_kind = NULL, failing_since = NULL';
    if (result.kind === 'not_modified') {
      counts.unchanged++;
      await db.query(`UPDATE github_repos SET status = 'ok', last_synced_at = $2, last_attempt_at = $2, next_sync_at = $3, sync_due_at = $4, ${healthy} WHERE id = $1`, [
        repository.id,
        new Date(at),
        window.nextSyncAt,
        window.syncDueAt,
      ]);
      return;
    }
    if (result.kind === 'gone') {
      // GitHub answered: not a failure. The data last received (if ever) stays, with its date.
      counts.unavailable++;
      await db.query(
        `UPDATE github_repos SET status = 'unavailable', last_attempt_at = $2, next_sync_at = $3, sync_due_at = $4,
                sync_failures = 0, last_error_kind = NULL, failing_since = NULL,
                last_error = 'not found on GitHub (deleted, private, blocked, or renamed away)' WHERE id = $1`,
        [repository.id, new Date(at), window.nextSyncAt, window.syncDueAt],
      );
      return;
    }
    const data = result.repository;
    const release = data.latestRelease;
    const values = [
      repository.id,
      data.description,
      data.language,
      data.languageColor,
      data.stars,
      data.forks,
      data.topics,
      data.pushedAt,
      result.etag,
      window.nextSyncAt,
      window.syncDueAt,
      new Date(at),
      // $13: whether this answer says anything about releases (GraphQL does, REST does not).
      release !== undefined,
      release?.tag ?? null,
      release?.name ?? null,
      release?.publishedAt ?? null,
    ];
    const update = (renamed: boolean) =>
      db.query<{ changed: boolean }>(
        `UPDATE github_repos r SET description = $2, primary_language = $3, language_color = $4, stars = $5, forks = $6, topics = $7,
                pushed_at = $8, etag = coalesce($9, r.etag), next_sync_at = $10, sync_due_at = $11, status = 'ok', last_synced_at = $12,
                last_attempt_at = $12, ${healthy},
                latest_release_tag = CASE WHEN $13 THEN $14 ELSE r.latest_release_tag END,
                latest_release_name = CASE WHEN $13 THEN $15 ELSE r.latest_release_name END,
                latest_release_published_at = CASE WHEN $13 THEN $16::timestamptz ELSE r.latest_release_published_at END
                ${renamed ? ', owner = $17, name = $18' : ''}
           FROM github_repos before WHERE before.id = r.id AND r.id = $1
         RETURNING (before.status IS DISTINCT FROM 'ok' OR before.description IS DISTINCT FROM r.description OR before.primary_language IS DISTINCT FROM r.primary_language
                    OR before.stars IS DISTINCT FROM r.stars OR before.forks IS DISTINCT FROM r.forks OR before.topics IS DISTINCT FROM r.topics
                    OR before.pushed_at IS DISTINCT FROM r.pushed_at OR before.owner IS DISTINCT FROM r.owner OR before.name IS DISTINCT FROM r.name
                    OR before.latest_release_tag IS DISTINCT FROM r.latest_release_tag) AS changed`,
        renamed ? [...values, data.owner, data.name] : values,
      );
    const renamed = data.owner !== repository.owner || data.name !== repository.name;
    let changed: boolean;
    try {
      changed = (await update(renamed)).rows[0]?.changed ?? true;
    } catch (error) {
      // Renamed to a repository another row already tracks: keep this row's name, store the data.
      if (!renamed || (error as { code?: string }).code !== '23505') throw error;
      changed = (await update(false)).rows[0]?.changed ?? true;
    }
    if (changed) counts.updated++;
    else counts.unchanged++;
  };

  const fail = async (repository: ClaimedRepository, failure: GitHubRequestFailed) => {
    counts.failed++;
    metrics?.githubSyncFailures.inc({ kind: failure.kind });
    const message = failure.message.slice(0, 300);
    if (errors.length < MAX_ERRORS_RECORDED) errors.push({ repository: `${repository.owner}/${repository.name}`, kind: failure.kind, error: message });
    const at = now();
    const retry = retryAfterFailure(at, repository.sync_failures + 1, intervalOf(repository), random);
    await db.query(
      `UPDATE github_repos SET sync_failures = sync_failures + 1, last_error = $2, last_error_kind = $3, failing_since = coalesce(failing_since, $4),
              last_attempt_at = $4, next_sync_at = $5, sync_due_at = $5 WHERE id = $1`,
      [repository.id, message, failure.kind, new Date(at), retry],
    );
  };

  const anythingRequested = () => hasGitHubSyncRequests(db);
  const anythingDue = async () =>
    (await db.query(`SELECT 1 FROM github_repos r WHERE r.next_sync_at <= $1 AND ${LINKED} LIMIT 1`, [new Date(now())])).rowCount === 1;

  const deadline = started.getTime() + deadlineMs;
  const pastDeadline = () => now() >= deadline;

  /**
   * One request with the run's retries: failures worth retrying at once are (with backoff and
   * jitter); a short secondary limit is waited out; anything that stops the run throws StopRun.
   */
  const withRetries = async <T>(send: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      if (stop) throw stop;
      try {
        return await send();
      } catch (error) {
        if (error instanceof GitHubWait) {
          if (error.reason === 'secondary_rate_limited' && error.until.getTime() - now() <= maxWaitMs && !pastDeadline()) {
            await sleep(Math.max(0, error.until.getTime() - now()));
            attempt--;
            continue;
          }
          stop ??= new StopRun(error.reason, error.until);
          throw stop;
        }
        if (error instanceof GitHubRequestFailed) {
          if (error.kind === 'unauthorized') {
            // Every request would be refused: the operator's token, not the repositories.
            stop ??= new StopRun('unreachable', null);
            throw error;
          }
          const retryable = error.kind === 'network' || error.kind === 'timeout' || error.kind === 'server_error';
          if (retryable && attempt < attempts && !pastDeadline()) {
            // Exponential backoff with full jitter: never a tight loop, never in lockstep with others.
            await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + random()));
            continue;
          }
        }
        throw error;
      }
    }
  };

  const asFailure = (error: unknown) =>
    error instanceof GitHubRequestFailed ? error : new GitHubRequestFailed('bad_response', (error instanceof Error ? error.message : String(error)).slice(0, 200));

  /** REST, `concurrency` at a time; a repository whose request never went out is released. */
  const fetchEach = async (claimed: ClaimedRepository[], purpose: RequestPurpose) => {
    const queue = [...claimed];
    const worker = async () => {
      for (let repository = queue.shift(); repository; repository = queue.shift()) {
        if (stop) {
          await release(repository);
          continue;
        }
        try {
          const result = await withRetries(() => github.fetchRepository(repository, purpose, tally));
          await store(repository, result, purpose);
        } catch (error) {
          if (error instanceof StopRun) await release(repository);
          else await fail(repository, asFailure(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, claimed.length) }, worker));
  };

  /** GraphQL: one query for the batch; a repository GitHub gave an error for fails alone. */
  const fetchBatch = async (claimed: ClaimedRepository[]) => {
    let entries: BatchEntry[];
    try {
      entries = await withRetries(() => github.fetchRepositories(claimed, 'schedule', tally));
    } catch (error) {
      if (error instanceof StopRun) await Promise.all(claimed.map(release));
      else for (const repository of claimed) await fail(repository, asFailure(error));
      return;
    }
    for (const [i, repository] of claimed.entries()) {
      const entry = entries[i]!;
      if (entry.kind === 'failed') await fail(repository, entry.failure);
      else await store(repository, entry, 'schedule');
    }
  };

  /** Stops before claiming what could not be sent (a spent budget, a pause, the breaker open). */
  const ready = async (api: 'rest' | 'graphql', purpose: RequestPurpose) => {
    const wait = stop ? null : await github.blocked(api, purpose);
    if (wait && (wait.reason !== 'secondary_rate_limited' || wait.until.getTime() - now() > maxWaitMs)) stop = new StopRun(wait.reason, wait.until);
    else if (wait) await sleep(Math.max(0, wait.until.getTime() - now()));
    return !stop;
  };

  // A creator's requests first: one conditional REST request each, allowed into the reserve.
  while (!stop && claimedTotal < maxPerRun && !pastDeadline() && (await anythingRequested()) && (await ready('rest', 'refresh'))) {
    const claimed = await claim('requested', Math.min(REST_ROUND, maxPerRun - claimedTotal));
    if (claimed.length === 0) break;
    await fetchEach(claimed, 'refresh');
  }
  // REST's limit spent by refreshes leaves GraphQL's untouched: scheduled batches may go on.
  let requestsStop: StopRun | undefined;
  if (stop?.stop === 'rate_limited' && github.canBatch && trigger === 'schedule') {
    requestsStop = stop;
    stop = undefined;
  }
  // Then everything whose window is open, in the largest batches the client can send.
  if (trigger === 'schedule') {
    while (!stop && claimedTotal < maxPerRun) {
      if (pastDeadline()) {
        stop = new StopRun('deadline', null);
        break;
      }
      // Only when something is due: a pause with nothing to do is no reason to stop.
      if (claimedTotal === 0 && !(await anythingDue())) break;
      if (!(await ready(github.canBatch ? 'graphql' : 'rest', 'schedule'))) break;
      const claimed = await claim('due', Math.min(github.canBatch ? github.batchSize : REST_ROUND, maxPerRun - claimedTotal));
      if (claimed.length === 0) break;
      if (github.canBatch) await fetchBatch(claimed);
      else await fetchEach(claimed, 'schedule');
    }
  }

  // The pause that holds what was run last (the scheduled batches, or a creator's requests alone).
  const stopped = stop?.stop ?? requestsStop?.stop ?? null;
  const pausedUntil = stop?.until ?? null;
  const budget = await deps.budget.snapshot(github.canBatch && trigger === 'schedule' ? 'graphql' : 'core');
  const record: SyncRunOutcome = {
    id: runId,
    trigger,
    startedAt: started,
    finishedAt: new Date(now()),
    due,
    ...counts,
    requests: tally.requests,
    points: tally.points,
    stopped,
    rateLimitRemaining: budget.remaining,
    rateLimitReset: budget.resetAt,
    errors,
    pausedUntil,
  };
  if (runId === null) {
    logger.debug({ trigger, due, stopped }, 'GitHub sync run had nothing to claim');
    return record;
  }
  await db.query(
    `UPDATE github_sync_runs SET finished_at = $2, updated = $3, unchanged = $4, unavailable = $5, failed = $6, requests = $7, points = $8, stopped = $9,
            rate_limit_remaining = $10, rate_limit_reset = $11, errors = $12 WHERE id = $1`,
    [runId, record.finishedAt, record.updated, record.unchanged, record.unavailable, record.failed, record.requests, record.points, stopped, record.rateLimitRemaining, record.rateLimitReset, JSON.stringify(errors)],
  );
  const summary = { run: runId, trigger, due, claimed: claimedTotal, ...counts, requests: tally.requests, points: tally.points, stopped, pausedUntil: pausedUntil?.toISOString() ?? null };
  const synced = counts.updated + counts.unchanged + counts.unavailable;
  if (synced === 0 && (counts.failed > 0 || stopped === 'unreachable')) {
    // Nothing got through: GitHub down or unreachable from here, or the token refused.
    const kinds = [...new Set(errors.map((error) => error.kind))] as SyncFailureKind[];
    logger.warn({ ...summary, kinds, firstError: errors[0]?.error ?? null }, 'GitHub sync run failed wholesale; cards keep their last data and retry with backoff');
  } else if (stopped === 'rate_limited' || stopped === 'secondary_rate_limited') {
    logger.info(summary, 'GitHub sync run paused for a rate limit; the rest waits for it');
  } else {
    logger.info(summary, 'GitHub sync run finished');
  }
  return record;
}
