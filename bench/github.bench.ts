// The GitHub sync at scale on one token: 10,000 linked repositories refreshed every hour
// (GITHUB_SYNC_INTERVAL_MINUTES=60) for 3 simulated hours, as the scheduler role runs it
// (scheduler/github/sync.ts, woken at the next due time, Agenda's 5 s poll taken as the worst case),
// against the fake GitHub (lib/testing/fake-github.ts: GraphQL points charged as GitHub documents,
// 5,000 an hour) on a manual clock, and a real PostgreSQL (embedded) for the schedule and the budget.
// Creators press refresh meanwhile (REST, the other budget). Reported: repositories refreshed per hour
// per token, GraphQL points per hour and what is left of the 5,000, the REST budget left for creators,
// the longest gap between two refreshes of a repository, and the wall time a simulated hour took;
// then a burst (every repository due at once) timed on the real clock.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { windowAfterSync } from '../lib/github/sync-schedule.js';
import { createDatabase } from '../lib/postgres/database.js';
import { startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { APP_ROLE, SCHEDULER_ROLE, migratePostgres } from '../lib/postgres/migrate.js';
import { startFakeGitHub } from '../lib/testing/fake-github.js';
import { createManualClock } from '../lib/testing/manual-clock.js';
import { createPostgresBudget } from '../scheduler/github/budget.js';
import { createGitHubClient } from '../scheduler/github/github-client.js';
import { nextGitHubSyncAt, runGitHubSync } from '../scheduler/github/sync.js';
import { refreshGaps, simulateScheduler, TEST_GITHUB_TOKEN } from '../server/testing/github-sync.js';
import { benchLogger, scratch } from './support/harness.js';
import { report, type Benchmark } from './support/measure.js';

const REPOSITORIES = 10_000;
const INTERVAL_MINUTES = 60;
const HOURS = 3;
/** Refresh clicks per simulated hour (creators), each a conditional REST request. */
const REFRESHES_PER_HOUR = 600;
const HOUR = 3_600_000;

export const githubBenchmark: Benchmark = {
  name: 'github',
  description: '10,000 repositories refreshed hourly on one token (GraphQL batches, 5,000 points an hour) for 3 simulated hours, with creators refreshing meanwhile',
  async run() {
    const dir = await scratch('github');
    const postgres = await startEmbeddedPostgres({ dataDir: dir, superuserPassword: randomBytes(18).toString('base64url'), logger: benchLogger });
    const schedulerPassword = randomBytes(18).toString('base64url');
    const clock = createManualClock(Date.now());
    const github = await startFakeGitHub({ now: clock.now });
    const ownerUrl = postgres.superuserUrl();
    await migratePostgres({ ownerUrl, loginPasswords: { [APP_ROLE]: randomBytes(18).toString('base64url'), [SCHEDULER_ROLE]: schedulerPassword }, logger: benchLogger });
    const db = createDatabase({ url: postgres.urlFor(SCHEDULER_ROLE, schedulerPassword), applicationName: 'linkpulse-bench-github', logger: benchLogger });
    const owner = new pg.Client({ connectionString: ownerUrl });
    await owner.connect();
    try {
      // 10,000 repositories linked from 100 profiles, last synced at random times in the hour before.
      const start = clock.now();
      const names = Array.from({ length: REPOSITORIES }, (_, i) => `repository-${i}`);
      for (const name of names) github.add({ owner: 'bench-org', name, description: name, language: 'TypeScript', stars: 1, forks: 0, topics: ['bench'], pushedAt: '2026-11-01T00:00:00Z' });
      const synced = names.map(() => start - Math.random() * INTERVAL_MINUTES * 60_000);
      const windows = synced.map((at) => windowAfterSync(at, INTERVAL_MINUTES));
      const { rows: users } = await owner.query<{ id: string }>("INSERT INTO users (id, email, password_hash) VALUES (gen_random_uuid(), 'bench-github@example.com', 'scrypt$bench') RETURNING id");
      const { rows: profiles } = await owner.query<{ id: string }>(
        "INSERT INTO profiles (user_id, handle, display_name) SELECT $1, 'bench-github-' || i, 'Bench' FROM generate_series(1, $2) AS i RETURNING id",
        [users[0]!.id, REPOSITORIES / 100],
      );
      const { rows: repos } = await owner.query<{ id: string }>(
        `INSERT INTO github_repos (owner, name, status, stars, last_synced_at, next_sync_at, sync_due_at)
         SELECT 'bench-org', name, 'ok', 1, synced, next, due FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[]) AS t(name, synced, next, due)
         RETURNING id`,
        [names, synced.map((at) => new Date(at)), windows.map((window) => window.nextSyncAt), windows.map((window) => window.syncDueAt)],
      );
      await owner.query(
        `INSERT INTO links (profile_id, user_id, position, title, url, kind, github_repo_id)
         SELECT ($1::uuid[])[(i - 1) / 100 + 1], $2, (i - 1) % 100, 'Repository', 'https://github.com/bench-org/repository', 'github', (($3::bigint[])[i])
           FROM generate_series(1, $4) AS i`,
        [profiles.map((profile) => profile.id), users[0]!.id, repos.map((repo) => repo.id), REPOSITORIES],
      );

      const budget = createPostgresBudget({ db, now: clock.now });
      const client = createGitHubClient({ baseUrl: github.url, token: TEST_GITHUB_TOKEN, budget, now: clock.now });
      const deps = { db, github: client, budget, logger: benchLogger, now: clock.now, sleep: clock.sleep };
      let clicks = 0;
      const hourly: { wallMs: number; runs: number }[] = [];
      for (let hour = 0; hour < HOURS; hour++) {
        const wallStart = performance.now();
        const { runs } = await simulateScheduler({
          clock,
          until: start + (hour + 1) * HOUR,
          repeatMs: Math.max(5, INTERVAL_MINUTES / 12) * 60_000,
          pollMs: 5_000,
          run: () => runGitHubSync(deps, 'schedule', { intervalMinutes: INTERVAL_MINUTES }),
          nextDue: () => nextGitHubSyncAt(db),
          // Creators press refresh: the API asks for a sync, github-sync-now runs it at once.
          between: async (at) => {
            const due = Math.floor(((at - start) / HOUR) * REFRESHES_PER_HOUR) - clicks;
            if (due <= 0) return;
            const picked = Array.from({ length: due }, () => repos[Math.floor(Math.random() * repos.length)]!.id);
            clicks += due;
            await owner.query('UPDATE github_repos SET sync_requested_at = $2 WHERE id = ANY($1::bigint[])', [picked, new Date(at)]);
            await runGitHubSync(deps, 'now', { intervalMinutes: INTERVAL_MINUTES });
          },
        });
        hourly.push({ wallMs: performance.now() - wallStart, runs: runs.length });
      }

      const measuredFrom = start + HOUR;
      const until = start + HOURS * HOUR;
      const hours = (until - measuredFrom) / HOUR;
      const inWindow = github.requests.filter((request) => request.at >= measuredFrom && request.at < until);
      const graphql = inWindow.filter((request) => request.api === 'graphql');
      const rest = inWindow.filter((request) => request.api === 'rest');
      const points = graphql.reduce((sum, request) => sum + (request.points ?? 0), 0) / hours;
      const refreshed = github.served.filter((entry) => entry.api === 'graphql' && entry.at >= measuredFrom && entry.at < until && entry.result === 'ok').length / hours;
      const gaps = refreshGaps(github.served, () => INTERVAL_MINUTES * 60_000, start, until);
      const longest = Math.max(...gaps.longestGapMs.values());
      const perPoint = refreshed / points;
      report(`GitHub sync, ${REPOSITORIES.toLocaleString('en-US')} repositories every ${INTERVAL_MINUTES} min on one token (GraphQL), hours 2-${HOURS} of ${HOURS} simulated`, {
        'repositories refreshed per hour': Math.round(refreshed).toLocaleString('en-US'),
        'GraphQL queries per hour': Math.round(graphql.length / hours).toLocaleString('en-US'),
        'GraphQL points per hour': `${Math.round(points)} of 5,000 (${Math.round(5000 - points).toLocaleString('en-US')} left)`,
        'repositories per point': perPoint.toFixed(1),
        'the 5,000 points would carry': `${Math.round(5000 * perPoint).toLocaleString('en-US')} refreshes an hour (secondary limit: 2,000 points a minute)`,
        'creators’ refreshes (REST)': `${Math.round(rest.length / hours)} requests an hour, ${Math.round(rest.filter((request) => request.status !== 304).length / hours)} of them charged (of REST’s own 5,000; a 304 is free)`,
        'longest gap between two refreshes': `${(longest / 60_000).toFixed(1)} min (interval ${INTERVAL_MINUTES} min); late: ${gaps.late}`,
        'runs per simulated hour': hourly.map((entry) => entry.runs).join(', '),
        'wall time per simulated hour': hourly.map((entry) => `${(entry.wallMs / 1000).toFixed(1)} s`).join(', '),
      });

      // A burst: every repository due at once (a long outage over), on the real clock.
      await owner.query("UPDATE github_repos SET next_sync_at = '-infinity', sync_due_at = '-infinity', sync_requested_at = NULL");
      const before = github.requests.length;
      const burstStart = performance.now();
      const burst = await runGitHubSync({ ...deps, now: clock.now }, 'schedule', { intervalMinutes: INTERVAL_MINUTES, deadlineMs: Number.MAX_SAFE_INTEGER });
      const burstMs = performance.now() - burstStart;
      report('GitHub sync burst: every repository due at once', {
        'one run': `${(burst.updated + burst.unchanged).toLocaleString('en-US')} repositories in ${(burstMs / 1000).toFixed(1)} s (${Math.round(((burst.updated + burst.unchanged) / burstMs) * 1000)}/s)`,
        'GraphQL queries, points': `${github.requests.length - before}, ${burst.points}`,
      });
    } finally {
      await owner.end();
      await db.close();
      await github.close();
      await postgres.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
