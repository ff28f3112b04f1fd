// The GitHub sync against the fake GitHub, for tests and benchmarks: the API (creators add links to
// repositories) and the scheduler's sync over one fresh database, the scheduler's own login, clients
// and budgets on a real or a manual clock, and fixtures through the owner login.
import pg from 'pg';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import type { FakeGitHub, FakeServed } from '../../lib/testing/fake-github.js';
import type { ManualClock } from '../../lib/testing/manual-clock.js';
import { testLogger } from '../../lib/testing/services.js';
import { createPostgresBudget, type GitHubBudget } from '../../scheduler/github/budget.js';
import { createGitHubClient, type GitHubClient, type GitHubClientOptions } from '../../scheduler/github/github-client.js';
import type { SyncDeps, SyncRunOutcome } from '../../scheduler/github/sync.js';
import { startApiHarness, type ApiClient, type ApiHarness } from './api-harness.js';

/** A token the fake accepts (GraphQL needs one). */
export const TEST_GITHUB_TOKEN = 'ghp_testtokenfortheFakeGitHub0000';

export interface LinkedRepositories {
  names: string[];
  user: ApiClient;
  profileId: string;
  linkIds: string[];
}

export interface RepositoryRow {
  id: string;
  owner: string;
  name: string;
  status: string;
  sync_state: string;
  stars: number | null;
  description: string | null;
  language_color: string | null;
  last_synced_at: Date | null;
  last_attempt_at: Date | null;
  failing_since: Date | null;
  last_error_kind: string | null;
  last_error: string | null;
  sync_failures: number;
  next_sync_at: Date;
  sync_due_at: Date;
  etag: string | null;
}

export interface GitHubSyncHarness {
  api: ApiHarness;
  /** Connected as linkpulse_scheduler. */
  db: Database;
  owner<T>(sql: string, values?: unknown[]): Promise<T[]>;
  budget(clock?: ManualClock, db?: Database): GitHubBudget;
  /**
   * A client of the fake: with the token (GraphQL batches) unless `token: false`. On a manual clock,
   * `latencyMs` is how long each request takes (the clock moves on by it once the answer is in).
   */
  client(
    github: FakeGitHub,
    options?: { token?: boolean; clock?: ManualClock; budget?: GitHubBudget; latencyMs?: number } & Partial<Omit<GitHubClientOptions, 'baseUrl' | 'token' | 'budget'>>,
  ): GitHubClient;
  /** What runGitHubSync needs, on the clock given (sleeps skip ahead on a manual clock; real ones are instant unless `realSleep`). */
  deps(github: GitHubClient, budget: GitHubBudget, options?: { clock?: ManualClock; realSleep?: boolean; db?: Database }): SyncDeps;
  /** Repositories on the fake, linked from a new creator's profile (another per 100) through the API (each new link asks for a sync). */
  linkRepositories(github: FakeGitHub, prefix: string, count: number, options?: { syncIntervalMinutes?: number; stars?: number }): Promise<LinkedRepositories>;
  repositories(names: string[]): Promise<RepositoryRow[]>;
  /** Makes them due now (on the database's clock, or at `at`), as if their windows had opened. */
  makeDue(names: string[], at?: number): Promise<void>;
  /** Forgets what GitHub said about the budget (a new fake GitHub starts a new window), and makes nothing due: a clean slate for the next test. */
  resetBudget(): Promise<void>;
  close(): Promise<void>;
}

export async function startGitHubSyncHarness(label: string): Promise<GitHubSyncHarness> {
  const api = await startApiHarness(label);
  const db = createDatabase({ url: api.database.schedulerUrl, applicationName: `linkpulse-test-${label}-scheduler`, logger: testLogger });
  const owner = async <T>(sql: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: api.database.ownerUrl });
    await client.connect();
    try {
      return (await client.query(sql, values)).rows as T[];
    } finally {
      await client.end();
    }
  };
  const instant = () => Promise.resolve();

  return {
    api,
    db,
    owner,
    budget: (clock, other) => createPostgresBudget({ db: other ?? db, ...(clock ? { now: clock.now } : {}) }),
    client(github, options = {}) {
      const { token = true, clock, budget, latencyMs, ...rest } = options;
      const client = createGitHubClient({
        baseUrl: github.url,
        ...(token ? { token: TEST_GITHUB_TOKEN } : {}),
        budget: budget ?? createPostgresBudget({ db, ...(clock ? { now: clock.now } : {}) }),
        ...(clock ? { now: clock.now } : {}),
        ...rest,
      });
      if (!clock || !latencyMs) return client;
      const slow =
        <A extends unknown[], R>(send: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          try {
            return await send(...args);
          } finally {
            await clock.sleep(latencyMs);
          }
        };
      return {
        ...client,
        fetchRepository: slow((...args: Parameters<GitHubClient['fetchRepository']>) => client.fetchRepository(...args)),
        fetchRepositories: slow((...args: Parameters<GitHubClient['fetchRepositories']>) => client.fetchRepositories(...args)),
      };
    },
    deps(github, budget, options = {}) {
      return {
        db: options.db ?? db,
        github,
        budget,
        logger: testLogger,
        ...(options.clock ? { now: options.clock.now, sleep: options.clock.sleep } : options.realSleep ? {} : { sleep: instant }),
      };
    },
    async linkRepositories(github, prefix, count, options = {}) {
      const user = await api.newUser();
      const profileId = (await user.newProfile({ published: true })).id;
      let current = profileId;
      const names: string[] = [];
      const linkIds: string[] = [];
      for (let i = 0; i < count; i++) {
        const name = `${prefix}-${i}`;
        // A profile holds at most 100 links.
        if (i > 0 && i % 100 === 0) current = (await user.newProfile({ published: true })).id;
        github.add({ owner: 'octo-org', name, description: `Repository ${i}`, language: 'TypeScript', stars: options.stars ?? i, forks: 1, topics: ['linkpulse'], pushedAt: '2026-11-20T10:00:00Z' });
        const link = await user.post<{ id: string }>(`/api/v1/profiles/${current}/links`, {
          title: name,
          url: `https://github.com/octo-org/${name}`,
          ...(options.syncIntervalMinutes ? { syncIntervalMinutes: options.syncIntervalMinutes } : {}),
        });
        if (link.status !== 201) throw new Error(`link creation failed: ${link.status} ${JSON.stringify(link.body)}`);
        names.push(name);
        linkIds.push(link.body.id);
      }
      return { names, user, profileId, linkIds };
    },
    repositories: (names) =>
      owner<RepositoryRow>(
        `SELECT id::text, owner, name, status, sync_state, stars, description, language_color, last_synced_at, last_attempt_at, failing_since, last_error_kind,
                last_error, sync_failures, next_sync_at, sync_due_at, etag
           FROM github_repos WHERE name = ANY($1) OR owner = ANY($1) ORDER BY name`,
        [names],
      ),
    makeDue: async (names, at) => {
      await owner(
        `UPDATE github_repos SET next_sync_at = coalesce($2, now()) - interval '1 second', sync_due_at = coalesce($2, now()) - interval '1 second', sync_requested_at = NULL
          WHERE name = ANY($1)`,
        [names, at === undefined ? null : new Date(at)],
      );
    },
    resetBudget: async () => {
      await owner('UPDATE github_rate_limits SET quota = NULL, remaining = NULL, reset_at = NULL, paused_until = NULL, observed_at = NULL');
      await owner('DELETE FROM github_rate_limit_leases');
      await owner("UPDATE github_repos SET next_sync_at = 'infinity', sync_due_at = 'infinity', sync_requested_at = NULL");
    },
    async close() {
      await db.close();
      await api.close();
    },
  };
}

export interface SimulationOptions {
  clock: ManualClock;
  /** One scheduled run (the github-sync job's body). */
  run: () => Promise<SyncRunOutcome>;
  /** The earliest due time the scheduler wakes for (nextGitHubSyncAt). */
  nextDue: () => Promise<Date | null>;
  /** Simulated time to stop at. */
  until: number;
  /** github-sync's repeat interval: the longest the scheduler sleeps (GITHUB_SYNC_INTERVAL_MINUTES / 12, at least 5 minutes). */
  repeatMs: number;
  /** Agenda's poll: a run starts up to this long after its time (the worst case is taken). */
  pollMs?: number;
  /** Called between runs (creators clicking refresh, GitHub changing). */
  between?: (at: number) => Promise<void>;
}

export interface SimulationResult {
  runs: SyncRunOutcome[];
}

/**
 * The scheduler role's github-sync job on a manual clock, as scheduler/main.ts schedules it: after a
 * run, the next one at the earliest due repository (not before a pause ends, at least a second
 * later), at the latest after the repeat interval, plus Agenda's poll latency.
 */
export async function simulateScheduler(options: SimulationOptions): Promise<SimulationResult> {
  const { clock, until, repeatMs, pollMs = 5_000 } = options;
  const runs: SyncRunOutcome[] = [];
  while (clock.now() < until) {
    const startedAt = clock.now();
    const outcome = await options.run();
    runs.push(outcome);
    const due = await options.nextDue();
    const wake = Math.max(due?.getTime() ?? Number.POSITIVE_INFINITY, outcome.pausedUntil?.getTime() ?? 0, clock.now() + 1_000);
    clock.advanceTo(Math.min(startedAt + repeatMs, wake) + pollMs);
    await options.between?.(clock.now());
  }
  return { runs };
}

export interface RefreshGaps {
  /** Per repository (the fake's id): the longest time between two refreshes that got data. */
  longestGapMs: Map<number, number>;
  /** Refreshes that got data, in all. */
  refreshes: number;
  /** Scheduled refreshes due (one per interval per repository) that came in time, and that did not. */
  inTime: number;
  late: number;
}

/**
 * From the fake's log of what it answered: the gaps between a repository's successful refreshes, and
 * how many of the refreshes its interval promised came in time, from `from` to `until`.
 */
export function refreshGaps(served: readonly FakeServed[], intervalMsOf: (id: number) => number, from: number, until: number): RefreshGaps {
  const times = new Map<number, number[]>();
  for (const entry of served) {
    if (entry.id === null || entry.result === 'not_found' || entry.at < from) continue;
    times.set(entry.id, [...(times.get(entry.id) ?? []), entry.at]);
  }
  const longestGapMs = new Map<number, number>();
  let refreshes = 0;
  let inTime = 0;
  let late = 0;
  for (const [id, list] of times) {
    const interval = intervalMsOf(id);
    const sorted = [...list].sort((a, b) => a - b);
    refreshes += sorted.length;
    let longest = 0;
    for (let i = 1; i < sorted.length; i++) {
      const gap = sorted[i]! - sorted[i - 1]!;
      longest = Math.max(longest, gap);
      if (gap <= interval) inTime++;
      else late += Math.floor(gap / interval);
    }
    const tail = until - sorted[sorted.length - 1]!;
    if (tail > interval) late += Math.floor(tail / interval);
    // A repository still waiting at the end counts as a gap only once it is overdue.
    longestGapMs.set(id, Math.max(longest, tail > interval ? tail : 0));
  }
  return { longestGapMs, refreshes, inTime, late };
}
