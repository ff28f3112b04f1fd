// GitHub sync runs against the fake GitHub (recorded payloads, both APIs, rate limits, faults) and a
// real database, through the scheduler's login: conditional REST requests, GraphQL batches, renames
// and deletions, per-link intervals, a budget learnt from GitHub's answers, transient faults retried,
// the limit respected across runs and processes, concurrent runs never fetching one repository twice,
// and cards keeping their last data. The issue 20 findings have their own file (sync-findings).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../lib/postgres/database.js';
import { startFakeGitHub, type FakeGitHub } from '../../lib/testing/fake-github.js';
import { testLogger } from '../../lib/testing/services.js';
import { startGitHubSyncHarness, type GitHubSyncHarness } from '../../server/testing/github-sync.js';
import { runGitHubSync, type SyncSettings } from './sync.js';

let h: GitHubSyncHarness;
let github: FakeGitHub;
const settings: SyncSettings = { intervalMinutes: 360, backoffMs: 5, maxWaitMs: 2_000 };

/** One run with a fresh client of the fake (REST without a token). */
const run = (options: { token?: boolean; trigger?: 'schedule' | 'now'; settings?: Partial<SyncSettings>; timeoutMs?: number } = {}) => {
  const budget = h.budget();
  const client = h.client(github, { token: options.token ?? false, budget, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  return runGitHubSync(h.deps(client, budget), options.trigger ?? 'schedule', { ...settings, ...options.settings });
};

beforeAll(async () => {
  h = await startGitHubSyncHarness('github_sync');
});
afterEach(async () => {
  await github?.close();
  await h.resetBudget();
});
afterAll(async () => {
  await h?.close();
});

describe('GitHub sync over REST (no token)', () => {
  it('stores repositories, then costs nothing of the rate limit while they are unchanged (304)', async () => {
    github = await startFakeGitHub();
    const { names, user } = await h.linkRepositories(github, 'basic', 3);
    // New links asked for a sync: a creator's refresh, one conditional request each.
    const first = await run();
    expect(first).toMatchObject({ due: 3, updated: 3, unchanged: 0, failed: 0, requests: 3 });
    const stored = await h.repositories(names);
    expect(stored.map((row) => [row.name, row.status, row.stars, row.description, row.language_color])).toEqual([
      ['basic-0', 'ok', 0, 'Repository 0', '#3178c6'],
      ['basic-1', 'ok', 1, 'Repository 1', '#3178c6'],
      ['basic-2', 'ok', 2, 'Repository 2', '#3178c6'],
    ]);
    // The card's data on the public page comes from PostgreSQL only.
    const [published] = await h.owner<{ handle: string }>('SELECT p.handle FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.email = $1', [user.email]);
    const page = await h.api.client().get<{ links: { repository: { stars: number; status: string; lastSyncedAt: string } | null }[] }>(`/api/v1/public/profiles/${published!.handle}`);
    expect(page.body.links.filter((link) => link.repository?.status === 'ok')).toHaveLength(3);

    // Not due again before its window opens; a run with nothing to do records nothing.
    const idle = await run();
    expect(idle).toMatchObject({ id: null, due: 0, requests: 0 });
    await h.makeDue(names);
    const remainingBefore = github.rateLimit().remaining;
    const second = await run();
    expect(second).toMatchObject({ due: 3, updated: 0, unchanged: 3, requests: 3 });
    expect(github.rateLimit().remaining).toBe(remainingBefore);
    expect(github.requests.slice(-3).map((request) => request.status)).toEqual([304, 304, 304]);
  });

  it('refreshes a repository as often as the most frequent of its links asks, within its window', async () => {
    github = await startFakeGitHub();
    const { names, user, profileId } = await h.linkRepositories(github, 'often', 1, { syncIntervalMinutes: 15 });
    expect((await user.post(`/api/v1/profiles/${profileId}/links`, { title: 'bad', url: 'https://github.com/octo-org/often-0', syncIntervalMinutes: 2 })).status).toBe(400);
    await run();
    const [row] = await h.owner<{ earliest: number; latest: number }>(
      "SELECT extract(epoch FROM next_sync_at - last_synced_at) / 60 AS earliest, extract(epoch FROM sync_due_at - last_synced_at) / 60 AS latest FROM github_repos WHERE name = 'often-0'",
    );
    // A tenth of 15 minutes ahead of the deadline, and as much again for batching.
    expect([Number(row!.earliest), Number(row!.latest)]).toEqual([12, 13.5]);
    // A link asking for 5 minutes pulls the window in at once.
    await user.post(`/api/v1/profiles/${profileId}/links`, { title: 'faster', url: `https://github.com/octo-org/${names[0]}`, syncIntervalMinutes: 5 });
    const [tightened] = await h.owner<{ latest: number }>("SELECT extract(epoch FROM sync_due_at - last_synced_at) / 60 AS latest FROM github_repos WHERE name = 'often-0'");
    expect(Number(tightened!.latest)).toBe(4.5);
  });

  it('learns the budget from GitHub’s first answer: without a token 60 an hour, all but the reserve for scheduled syncs', async () => {
    github = await startFakeGitHub({ limit: 60 });
    const { names } = await h.linkRepositories(github, 'budget', 70);
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    const limited = await run();
    // One request learns the budget (59 left), then scheduled syncs stop at the reserve: a tenth of 60.
    expect(limited.requests).toBe(54);
    expect(limited).toMatchObject({ stopped: 'rate_limited', updated: 54, failed: 0 });
    expect(limited.pausedUntil).not.toBeNull();
    expect(github.rateLimit().remaining).toBe(6);
    expect(github.requestsWhileExhausted).toBe(0);
    // A creator's refresh may still spend the reserve.
    const { user, profileId, linkIds } = await h.linkRepositories(github, 'budget-refresh', 1);
    expect((await user.post(`/api/v1/profiles/${profileId}/links/${linkIds[0]}/refresh`, {})).status).toBe(202);
    expect(await run({ trigger: 'now' })).toMatchObject({ updated: 1, requests: 1 });

    // Operators are shown the run as it recorded itself.
    const admin = await h.api.newUser();
    await h.owner("SELECT admin_set_role($1, 'admin')", [admin.email]);
    const listed = await admin.get<{ runs: { id: string }[] }>('/api/v1/admin/sync-runs?limit=200');
    const { pausedUntil, ...recorded } = limited;
    expect(pausedUntil!.getTime()).toBeGreaterThan(Date.now());
    expect(recorded).toMatchObject({ rateLimitRemaining: 6, stopped: 'rate_limited' });
    expect(listed.body.runs.find((entry) => entry.id === limited.id)).toEqual(JSON.parse(JSON.stringify(recorded)) as unknown);
  });

  it('follows a rename, and keeps the last known data of a deleted repository, marked unavailable', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'moves', 2);
    await run();
    github.rename('octo-org', 'moves-0', { owner: 'new-home', name: 'moved-0' });
    github.remove('octo-org', 'moves-1');
    await h.makeDue(names);
    const moved = await run();
    expect(moved).toMatchObject({ updated: 1, unavailable: 1, failed: 0 });
    expect(github.requests.some((request) => request.status === 301)).toBe(true);
    const rows = await h.repositories([...names, 'new-home']);
    expect(rows.map((row) => [row.owner, row.name, row.sync_state, row.stars])).toEqual([
      ['new-home', 'moved-0', 'ok', 0],
      ['octo-org', 'moves-1', 'unavailable', 1],
    ]);
  });

  it('with 20% transient faults, syncs at least 95% at the scheduled run and the rest at the next', async () => {
    github = await startFakeGitHub({ seed: 7 });
    const { names } = await h.linkRepositories(github, 'faulty', 40);
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    github.faults.transientRate = 0.2;
    const first = await run();
    expect(first.due).toBe(40);
    expect(first.updated).toBeGreaterThanOrEqual(38);
    expect(first.updated + first.failed).toBe(40);
    expect(github.requests.filter((request) => request.status >= 500).length).toBeGreaterThan(0);
    // Failed ones are retried a minute later: run as if that time had come.
    await h.owner("UPDATE github_repos SET next_sync_at = now() - interval '1 second' WHERE sync_failures > 0 AND name = ANY($1)", [names]);
    github.faults.transientRate = 0;
    const second = await run();
    expect(second.updated).toBe(first.failed);
    expect((await h.repositories(names)).every((row) => row.sync_state === 'ok')).toBe(true);
  });

  it('sends nothing before the reset once the rate limit is spent, in this run or the next, in any process; cards keep their data', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'limited', 4);
    await run();
    const before = await h.repositories(names);
    github.update('octo-org', 'limited-0', { stars: 99 });
    await h.makeDue(names);
    // Another application spends the token's limit: the first answer says so, and nothing follows it.
    github.exhaust(1_500);
    const limited = await run({ settings: { concurrency: 1 } });
    expect(limited).toMatchObject({ requests: 1, stopped: 'rate_limited' });
    const requestsSoFar = github.requests.length;
    // Another process (its own connection and client): nothing either.
    const other = createDatabase({ url: h.api.database.schedulerUrl, applicationName: 'linkpulse-test-github-other', logger: testLogger });
    try {
      const budget = h.budget(undefined, other);
      const waiting = await runGitHubSync(h.deps(h.client(github, { token: false, budget }), budget, { db: other }), 'schedule', settings);
      expect(waiting).toMatchObject({ requests: 0, due: 4, id: null });
    } finally {
      await other.close();
    }
    expect(github.requests.length).toBe(requestsSoFar);
    expect((await h.repositories(names)).map((row) => [row.sync_state, row.stars])).toEqual(before.map((row) => [row.sync_state, row.stars]));

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, limited.pausedUntil!.getTime() - Date.now()) + 100));
    const after = await run();
    expect(after).toMatchObject({ updated: 1, unchanged: 3, failed: 0 });
    expect((await h.repositories(['limited-0']))[0]!.stars).toBe(99);
  });

  it('waits out a short secondary limit as told, and ends the run on a long one, for every process', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'secondary', 2);
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    github.faults.secondaryLimitRequests = 1;
    github.faults.secondaryRetryAfterSeconds = 1;
    const waits: number[] = [];
    const budget = h.budget();
    const deps = {
      ...h.deps(h.client(github, { token: false, budget }), budget),
      sleep: async (ms: number) => {
        waits.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    };
    const short = await runGitHubSync(deps, 'schedule', { ...settings, concurrency: 1 });
    expect(short).toMatchObject({ updated: 2, failed: 0, stopped: null });
    // Waited as told (a timer may fire a moment early: then the rest of the pause is waited too),
    // and nothing was sent meanwhile: one refusal in all.
    expect(waits[0]).toBeGreaterThan(900);
    expect(github.requests.filter((request) => request.status === 403)).toHaveLength(1);

    await h.makeDue(names);
    github.faults.secondaryLimitRequests = 1;
    github.faults.secondaryRetryAfterSeconds = 600;
    const long = await run({ settings: { concurrency: 1 } });
    expect(long).toMatchObject({ requests: 1, stopped: 'secondary_rate_limited' });
    expect(long.pausedUntil!.getTime()).toBeGreaterThan(Date.now() + 500_000);
    // Recorded for every process: the next run sends nothing either.
    expect((await run()).requests).toBe(0);
  });

  it('waits at least a minute, in every process, for a secondary limit that gives no retry-after', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'no-retry-after', 2);
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    github.secondaryLimit({ seconds: 5, retryAfter: false });
    const before = Date.now();
    const refused = await run({ settings: { concurrency: 1 } });
    expect(refused).toMatchObject({ requests: 1, stopped: 'secondary_rate_limited', failed: 0 });
    expect(refused.pausedUntil!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    const [recorded] = await h.owner<{ until: Date }>("SELECT paused_until AS until FROM github_rate_limits WHERE resource = 'graphql'");
    expect(recorded!.until.getTime()).toBeGreaterThanOrEqual(before + 60_000);
  });

  it('survives a GitHub outage and slow answers: cards keep their last data, dated, and the next run catches up', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'outage', 3);
    await run();
    const before = await h.repositories(names);
    github.update('octo-org', 'outage-0', { stars: 500 });
    await h.makeDue(names);
    github.faults.transientRate = 1;
    // Two attempts each: 6 failures in a row, as many as open the client's breaker.
    const down = await run({ settings: { attempts: 2 } });
    expect(down).toMatchObject({ due: 3, updated: 0, failed: 3, requests: 6 });
    const failing = await h.repositories(names);
    expect(failing.map((row) => [row.sync_state, row.stars, row.description, row.last_error_kind, row.last_error])).toEqual(
      before.map((row) => ['stale', row.stars, row.description, 'server_error', expect.stringMatching(/^GitHub answered 50[23]$/) as unknown]),
    );
    // Answers slower than the client's timeout count as failures too, and say so.
    github.faults.transientRate = 0;
    github.faults.slowMs = 300;
    await h.makeDue(names);
    const slow = await run({ timeoutMs: 50, settings: { attempts: 2 } });
    expect(slow).toMatchObject({ updated: 0, failed: 3 });
    expect((await h.repositories(names)).map((row) => row.last_error_kind)).toEqual(['timeout', 'timeout', 'timeout']);
    github.faults.slowMs = 0;
    await h.makeDue(names);
    const back = await run();
    expect(back).toMatchObject({ updated: 1, unchanged: 2, failed: 0 });
    const recovered = await h.repositories(names);
    expect(recovered.map((row) => [row.sync_state, row.failing_since, row.sync_failures])).toEqual([
      ['ok', null, 0],
      ['ok', null, 0],
      ['ok', null, 0],
    ]);
    expect(recovered[0]!.stars).toBe(500);
  });

  it('never fetches one repository twice for one due time, however many runs go at once', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'parallel', 30);
    github.faults.slowMs = 20;
    const other = createDatabase({ url: h.api.database.schedulerUrl, applicationName: 'linkpulse-test-github-2', logger: testLogger });
    try {
      const budgetA = h.budget();
      const budgetB = h.budget(undefined, other);
      const runs = await Promise.all([
        runGitHubSync(h.deps(h.client(github, { token: false, budget: budgetA }), budgetA), 'schedule', settings),
        runGitHubSync(h.deps(h.client(github, { token: false, budget: budgetB }), budgetB, { db: other }), 'schedule', settings),
        runGitHubSync(h.deps(h.client(github, { token: false, budget: budgetB }), budgetB, { db: other }), 'now', settings),
      ]);
      expect(runs.reduce((sum, entry) => sum + entry.updated, 0)).toBe(30);
      const fetched = github.requests.filter((request) => names.some((name) => request.path.endsWith(`/${name}`)));
      expect(new Set(fetched.map((request) => request.path)).size).toBe(fetched.length);
    } finally {
      await other.close();
    }
  });
});

describe('GitHub sync over GraphQL (with a token)', () => {
  it('fetches up to 100 repositories per query for 1 point each, renames and deletions included', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'batch', 150);
    // The links' own requests are REST refreshes; here the scheduled run does it all.
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    const first = await run({ token: true });
    expect(first).toMatchObject({ due: 150, updated: 150, failed: 0, requests: 2, points: 2 });
    expect(github.requests.map((request) => [request.api, request.status, request.points])).toEqual([
      ['graphql', 200, 1],
      ['graphql', 200, 1],
    ]);
    expect(github.rateLimit('graphql').remaining).toBe(4998);
    expect(first.rateLimitRemaining).toBe(4998);
    const stored = await h.repositories(['batch-7']);
    expect(stored[0]).toMatchObject({ stars: 7, description: 'Repository 7', language_color: '#3178c6', sync_state: 'ok' });

    github.rename('octo-org', 'batch-0', { owner: 'batch-home', name: 'moved' });
    github.remove('octo-org', 'batch-1');
    github.update('octo-org', 'batch-2', { stars: 1234 });
    await h.makeDue(names);
    const second = await run({ token: true });
    // Renamed: followed (data equal, the name changed); deleted: NOT_FOUND; one changed; the rest the same.
    expect(second).toMatchObject({ requests: 2, updated: 2, unavailable: 1, unchanged: 147, failed: 0 });
    const rows = await h.repositories(['batch-1', 'batch-2', 'batch-home']);
    expect(rows.map((row) => [row.owner, row.name, row.sync_state, row.stars])).toEqual([
      ['octo-org', 'batch-1', 'unavailable', 1],
      ['octo-org', 'batch-2', 'ok', 1234],
      ['batch-home', 'moved', 'ok', 0],
    ]);
  });

  it('reads each repository’s latest release in the same query, and a REST sync leaves it as it was', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'released', 2);
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    await run({ token: true });
    github.update('octo-org', 'released-1', { latestRelease: { tagName: 'v2.0.0', name: 'Two', publishedAt: '2026-12-01T10:00:00Z' } });
    await h.makeDue(names);
    const withRelease = await run({ token: true });
    expect(withRelease).toMatchObject({ requests: 1, points: 1, updated: 1, unchanged: 1 });
    const release = () =>
      h.owner<{ name: string; latest_release_tag: string | null; latest_release_name: string | null; latest_release_published_at: Date | null }>(
        'SELECT name, latest_release_tag, latest_release_name, latest_release_published_at FROM github_repos WHERE name = ANY($1) ORDER BY name',
        [names],
      );
    expect(await release()).toEqual([
      { name: 'released-0', latest_release_tag: null, latest_release_name: null, latest_release_published_at: null },
      { name: 'released-1', latest_release_tag: 'v2.0.0', latest_release_name: 'Two', latest_release_published_at: new Date('2026-12-01T10:00:00Z') },
    ]);
    github.update('octo-org', 'released-1', { stars: 99 });
    await h.makeDue(names);
    await run({ token: false });
    expect((await release())[1]).toMatchObject({ latest_release_tag: 'v2.0.0', latest_release_name: 'Two' });
  });

  it('never shows a repository that is private to the operator’s token, over GraphQL or REST', async () => {
    github = await startFakeGitHub();
    const { names } = await h.linkRepositories(github, 'secretive', 2);
    github.update('octo-org', 'secretive-1', { private: true, description: 'Internal roadmap' });
    await h.owner('UPDATE github_repos SET sync_requested_at = NULL WHERE name = ANY($1)', [names]);
    await h.makeDue(names);
    await run({ token: true });
    const rows = () => h.owner<{ name: string; sync_state: string; description: string | null }>('SELECT name, sync_state, description FROM github_repos WHERE name = ANY($1) ORDER BY name', [names]);
    expect((await rows()).map((row) => [row.name, row.sync_state])).toEqual([
      ['secretive-0', 'ok'],
      ['secretive-1', 'unavailable'],
    ]);
    await h.makeDue(names);
    await run({ token: false });
    expect((await rows())[1]).toMatchObject({ sync_state: 'unavailable' });
    expect((await rows())[1]!.description).not.toBe('Internal roadmap');
  });

  it('records every run for operators, and none for a run with nothing to do', async () => {
    const runs = await h.owner<{ trigger: string; finished_at: Date | null; due: number; requests: number }>('SELECT trigger, finished_at, due, requests FROM github_sync_runs ORDER BY id');
    expect(runs.length).toBeGreaterThan(10);
    expect(runs.every((entry) => entry.finished_at !== null && entry.due > 0)).toBe(true);
    expect(runs.some((entry) => entry.trigger === 'now')).toBe(true);
  });
});
