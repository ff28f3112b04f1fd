// GitHub sync runs against the fake GitHub (recorded payloads, rate limits, faults) and a real
// database, through the scheduler's login: conditional requests, renames and deletions, transient
// faults retried (≥ 95% at the scheduled run, 100% within the next), the rate limit respected across
// runs, concurrent runs never fetching one repository twice, and cards keeping their last data.
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { testLogger } from '../../lib/testing/services.js';
import { createGitHubClient, type GitHubClient } from './github-client.js';
import { runGitHubSync, type SyncSettings } from './sync.js';
import { startFakeGitHub, type FakeGitHub } from '../../lib/testing/fake-github.js';

let harness: ApiHarness;
let schedulerDb: Database;
let github: FakeGitHub;
let creator: ApiClient;
let profileId: string;
const settings: SyncSettings = { intervalMinutes: 360, backoffMs: 5, maxWaitMs: 2_000 };
const noSleep = { sleep: () => Promise.resolve() };

async function owner<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: harness.database.ownerUrl });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Creates the repositories on the fake GitHub and links to them on a new creator's profile; all due now. */
async function linkRepositories(prefix: string, count: number): Promise<string[]> {
  const user = await harness.newUser();
  const profile = (await user.newProfile({ published: true })).id;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    github.add({ owner: 'octo-org', name, description: `Repository ${i}`, language: 'TypeScript', stars: i, forks: 1, topics: ['linkpulse'], pushedAt: '2026-11-20T10:00:00Z' });
    const link = await user.post(`/api/v1/profiles/${profile}/links`, { title: name, url: `https://github.com/octo-org/${name}` });
    expect(link.status).toBe(201);
    names.push(name);
  }
  return names;
}

const makeDue = (names: string[]) => owner("UPDATE github_repos SET next_sync_at = now() - interval '1 second' WHERE name = ANY($1)", [names]);
const repositories = (names: string[]) =>
  owner<{ name: string; owner: string; status: string; stars: number | null; description: string | null; language_color: string | null; last_synced_at: Date | null; etag: string | null }>(
    'SELECT owner, name, status, stars, description, language_color, last_synced_at, etag FROM github_repos WHERE name = ANY($1) OR owner = ANY($1) ORDER BY name',
    [names],
  );
const client = (): GitHubClient => createGitHubClient({ baseUrl: github.url, token: 'test-token' });

beforeAll(async () => {
  harness = await startApiHarness('github_sync');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-github', logger: testLogger });
  creator = await harness.newUser();
  profileId = (await creator.newProfile({ published: true })).id;
});
afterEach(async () => {
  await github?.close();
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});

describe('GitHub sync', () => {
  it('stores repositories, then costs nothing of the rate limit while they are unchanged (304)', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('basic', 3);
    const gh = client();
    const first = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(first).toMatchObject({ due: 3, updated: 3, unchanged: 0, failed: 0, requests: 3 });
    const stored = await repositories(names);
    expect(stored.map((row) => [row.name, row.status, row.stars, row.description, row.language_color])).toEqual([
      ['basic-0', 'ok', 0, 'Repository 0', '#3178c6'],
      ['basic-1', 'ok', 1, 'Repository 1', '#3178c6'],
      ['basic-2', 'ok', 2, 'Repository 2', '#3178c6'],
    ]);
    // The card's data on the public page comes from PostgreSQL only.
    const [published] = await owner<{ handle: string }>("SELECT p.handle FROM profiles p JOIN links l ON l.profile_id = p.id WHERE l.title = 'basic-0'");
    const page = await harness.client().get<{ links: { repository: { stars: number; status: string; lastSyncedAt: string } | null }[] }>(`/api/v1/public/profiles/${published!.handle}`);
    expect(page.body.links.filter((link) => link.repository?.status === 'ok')).toHaveLength(3);

    // Not due again until the interval passes.
    expect((await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings)).due).toBe(0);
    await makeDue(names);
    const remainingBefore = github.rateLimit().remaining;
    const second = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(second).toMatchObject({ due: 3, updated: 0, unchanged: 3, requests: 3 });
    expect(github.rateLimit().remaining).toBe(remainingBefore);
    expect(github.requests.slice(-3).map((request) => request.status)).toEqual([304, 304, 304]);
  });

  it('refreshes a repository as often as the most frequent of its links asks', async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'octo-org', name: 'often', description: null, language: null, stars: 0, forks: 0, topics: [], pushedAt: '2026-11-20T10:00:00Z' });
    const link = await creator.post<{ syncIntervalMinutes: number }>(`/api/v1/profiles/${profileId}/links`, { title: 'often', url: 'https://github.com/octo-org/often', syncIntervalMinutes: 5 });
    expect(link.body.syncIntervalMinutes).toBe(5);
    expect((await creator.post(`/api/v1/profiles/${profileId}/links`, { title: 'bad', url: 'https://github.com/octo-org/often', syncIntervalMinutes: 2 })).status).toBe(400);
    await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    const [row] = await owner<{ minutes: number }>("SELECT extract(epoch FROM next_sync_at - last_synced_at) / 60 AS minutes FROM github_repos WHERE name = 'often'");
    expect(Number(row!.minutes)).toBeCloseTo(5, 0);
  });

  it('sizes its claims to the budget GitHub reports: all of them with a token, 55 an hour without', async () => {
    // A fresh process knows no budget and claims 60 first; the answers then show 5,000 and it goes on.
    github = await startFakeGitHub();
    const many = await linkRepositories('budget', 70);
    const run = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(run).toMatchObject({ due: 70, updated: 70, requests: 70, pausedUntil: null });
    await github.close();

    // Unauthenticated: 60 an hour. The run spends all but the reserve, then waits for the reset.
    github = await startFakeGitHub({ limit: 60 });
    for (const name of many) github.add({ owner: 'octo-org', name, description: null, language: null, stars: 7, forks: 0, topics: [], pushedAt: '2026-11-21T00:00:00Z' });
    await makeDue(many);
    await owner("UPDATE github_repos SET etag = NULL WHERE name = ANY($1)", [many]);
    // A fresh deployment: no budget recorded by earlier runs.
    await owner('UPDATE github_sync_runs SET rate_limit_reset = NULL');
    const limited = await runGitHubSync({ db: schedulerDb, github: createGitHubClient({ baseUrl: github.url }), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(limited.requests).toBe(55);
    expect(limited.pausedUntil).not.toBeNull();
    expect(github.rateLimit().remaining).toBe(5);
    // Operators are shown the run as it recorded itself, the pause as an empty budget until its end.
    const admin = await harness.newUser();
    await owner("SELECT admin_set_role($1, 'admin')", [admin.email]);
    const listed = await admin.get<{ runs: { id: string }[] }>('/api/v1/admin/sync-runs?limit=200');
    const { pausedUntil, ...recorded } = limited;
    expect(recorded).toMatchObject({ rateLimitRemaining: 0, rateLimitReset: pausedUntil });
    expect(listed.body.runs.find((run) => run.id === limited.id)).toEqual(JSON.parse(JSON.stringify(recorded)) as unknown);
    // (End the pause, so the next test starts with a usable limit.)
    await owner("UPDATE github_sync_runs SET rate_limit_reset = now() WHERE rate_limit_reset > now()");
  });

  it('follows a rename, and keeps the last known data of a deleted repository, marked unavailable', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('moves', 2);
    const gh = client();
    await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    github.rename('octo-org', 'moves-0', { owner: 'new-home', name: 'moved-0' });
    github.remove('octo-org', 'moves-1');
    await makeDue(names);
    const run = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(run).toMatchObject({ updated: 1, unavailable: 1, failed: 0 });
    expect(github.requests.some((request) => request.status === 301)).toBe(true);
    const rows = await repositories([...names, 'new-home']);
    expect(rows.map((row) => [row.owner, row.name, row.status, row.stars])).toEqual([
      ['new-home', 'moved-0', 'ok', 0],
      ['octo-org', 'moves-1', 'unavailable', 1],
    ]);
  });

  it('with 20% transient faults, syncs at least 95% at the scheduled run and the rest at the next', async () => {
    github = await startFakeGitHub({ seed: 7 });
    const names = await linkRepositories('faulty', 40);
    github.faults.transientRate = 0.2;
    const gh = client();
    const first = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger }, 'schedule', settings);
    expect(first.due).toBe(40);
    expect(first.updated).toBeGreaterThanOrEqual(38);
    expect(first.updated + first.failed).toBe(40);
    expect(github.requests.filter((request) => request.status >= 500).length).toBeGreaterThan(0);
    // Failed ones are due again sooner than the interval: run as if that time had come.
    await owner("UPDATE github_repos SET next_sync_at = now() - interval '1 second' WHERE sync_failures > 0 AND name = ANY($1)", [names]);
    const second = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger }, 'schedule', settings);
    expect(second.updated).toBe(first.failed);
    expect((await repositories(names)).every((row) => row.status === 'ok')).toBe(true);
  });

  it('sends nothing before the reset once the rate limit is spent, in this run or the next; cards keep their data', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('limited', 4);
    const gh = client();
    await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    const before = await repositories(names);
    github.update('octo-org', 'limited-0', { stars: 99 });
    await makeDue(names);
    github.exhaust(1_500);
    const spentAt = Date.now();
    // One request at a time, so the first refusal stops the rest (requests already in flight when
    // it arrives could not be recalled: at most `concurrency` of them).
    const limited = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', { ...settings, concurrency: 1 });
    expect(limited.pausedUntil).not.toBeNull();
    expect(limited.requests).toBe(1);
    // A run before the reset, even with a client that knows nothing (another process): no request.
    const requestsSoFar = github.requests.length;
    const waiting = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(waiting).toMatchObject({ requests: 0, due: 4 });
    expect(github.requests.length).toBe(requestsSoFar);
    expect((await repositories(names)).map((row) => [row.status, row.stars])).toEqual(before.map((row) => [row.status, row.stars]));
    expect(github.requests.filter((request) => request.at > spentAt && request.status === 403)).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, limited.pausedUntil!.getTime() - Date.now()) + 100));
    const after = await runGitHubSync({ db: schedulerDb, github: gh, logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(after).toMatchObject({ updated: 1, unchanged: 3, failed: 0 });
    expect((await repositories(['limited-0']))[0]!.stars).toBe(99);
  });

  it('waits out a short secondary limit as told, and ends the run on a long one', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('secondary', 2);
    const waits: number[] = [];
    github.faults.secondaryLimitRequests = 1;
    github.faults.secondaryRetryAfterSeconds = 1;
    const run = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, sleep: async (ms) => void waits.push(ms) }, 'schedule', { ...settings, concurrency: 1 });
    expect(run).toMatchObject({ updated: 2, failed: 0 });
    expect(waits).toEqual([1_000]);

    await makeDue(names);
    github.faults.secondaryLimitRequests = 1;
    github.faults.secondaryRetryAfterSeconds = 600;
    const long = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', { ...settings, concurrency: 1 });
    expect(long.requests).toBe(1);
    expect(long.pausedUntil!.getTime()).toBeGreaterThan(Date.now() + 500_000);
    // Recorded for every process: the next run sends nothing either.
    expect((await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings)).requests).toBe(0);
    // (End the pause, so the next test starts with a usable limit.)
    await owner("UPDATE github_sync_runs SET rate_limit_reset = now() WHERE rate_limit_reset > now() + interval '1 minute'");
  });

  it('survives a GitHub outage and slow answers: cards keep their last data, and the next run catches up', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('outage', 3);
    await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    const before = await repositories(names);
    github.update('octo-org', 'outage-0', { stars: 500 });
    await makeDue(names);
    github.faults.transientRate = 1;
    const down = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(down).toMatchObject({ due: 3, updated: 0, failed: 3, requests: 9 });
    expect((await repositories(names)).map((row) => [row.status, row.stars, row.description])).toEqual(before.map((row) => [row.status, row.stars, row.description]));
    // Answers slower than the client's timeout count as failures too.
    github.faults.transientRate = 0;
    github.faults.slowMs = 300;
    await makeDue(names);
    const slow = await runGitHubSync({ db: schedulerDb, github: createGitHubClient({ baseUrl: github.url, timeoutMs: 50 }), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(slow).toMatchObject({ updated: 0, failed: 3 });
    github.faults.slowMs = 0;
    await makeDue(names);
    const back = await runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger, ...noSleep }, 'schedule', settings);
    expect(back).toMatchObject({ updated: 1, unchanged: 2, failed: 0 });
    expect((await repositories(['outage-0']))[0]!.stars).toBe(500);
  });

  it('never fetches one repository twice for one due time, however many runs go at once', async () => {
    github = await startFakeGitHub();
    const names = await linkRepositories('parallel', 30);
    github.faults.slowMs = 20;
    const other = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-github-2', logger: testLogger });
    try {
      const runs = await Promise.all([
        runGitHubSync({ db: schedulerDb, github: client(), logger: testLogger }, 'schedule', settings),
        runGitHubSync({ db: other, github: client(), logger: testLogger }, 'schedule', settings),
        runGitHubSync({ db: other, github: client(), logger: testLogger }, 'now', settings),
      ]);
      expect(runs.reduce((sum, run) => sum + run.updated, 0)).toBe(30);
      const fetched = github.requests.filter((request) => names.some((name) => request.path.endsWith(`/${name}`)));
      expect(new Set(fetched.map((request) => request.path)).size).toBe(fetched.length);
    } finally {
      await other.close();
    }
  });

  it('records every run for operators', async () => {
    const runs = await owner<{ trigger: string; finished_at: Date | null; requests: number; rate_limit_remaining: number | null }>(
      'SELECT trigger, finished_at, requests, rate_limit_remaining FROM github_sync_runs ORDER BY id',
    );
    expect(runs.length).toBeGreaterThan(10);
    expect(runs.every((run) => run.finished_at !== null)).toBe(true);
    expect(runs.some((run) => run.trigger === 'now')).toBe(true);
  });
});
