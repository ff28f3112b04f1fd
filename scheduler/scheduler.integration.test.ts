// The scheduler role with Agenda, against the fake GitHub:
// - two scheduler processes on one database sync every repository exactly once per due time;
// - github-sync wakes when the next repository is due, not at its repeat interval;
// - a whole process on embedded defaults fills a new GitHub link's card from the queued
//   github-sync-now job, long before the scheduled run.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ApiClient, startApiHarness, type ApiHarness } from '../server/testing/api-harness.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { startSite } from '../server/testing/site.js';
import { asOwner } from '../lib/testing/postgres.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { startFakeGitHub, type FakeGitHub } from '../lib/testing/fake-github.js';

let github: FakeGitHub | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await github?.close();
});
afterAll(async () => {
  await github?.close();
});

async function dataDirectory(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `linkpulse-${label}-`));
  await chmod(dir, 0o755);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('scheduler role', () => {
  it('runs in two processes without syncing any repository twice for one due time', async () => {
    github = await startFakeGitHub();
    github.faults.slowMs = 30;
    const harness: ApiHarness = await startApiHarness('scheduler_pair');
    cleanups.push(() => harness.close());
    const creator = await harness.newUser();
    const profile = await creator.newProfile({ published: true });
    const names = Array.from({ length: 20 }, (_, i) => `pair-${i}`);
    for (const name of names) {
      github.add({ owner: 'octo-org', name, description: name, language: 'Go', stars: 1, forks: 0, topics: [], pushedAt: '2026-11-01T00:00:00Z' });
      // Each new repository also queues a github-sync-now job: both processes compete for 20 of them.
      expect((await creator.newLink(profile.id, { title: name, url: `https://github.com/octo-org/${name}` })).id).toBeTruthy();
    }
    const processes: CliProcess[] = [];
    for (const label of ['a', 'b']) {
      const env = {
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: await dataDirectory(`scheduler-${label}`),
        DATABASE_URL: harness.database.appUrl,
        SCHEDULER_DATABASE_URL: harness.database.schedulerUrl,
        GITHUB_API_URL: github.url,
        GITHUB_SYNC_INTERVAL_MINUTES: '5',
        HASH_SECRET: 'x'.repeat(32),
        SESSION_SECRET: 'y'.repeat(32),
      };
      const cli = linkpulse(['start', '--role', 'scheduler'], env);
      processes.push(cli);
      cleanups.push(async () => {
        if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
      });
    }
    await Promise.all(processes.map((cli) => runningUrl(cli)));
    const synced = () =>
      harness.database.db.query<{ n: number }>("SELECT count(*)::int AS n FROM github_repos WHERE owner = 'octo-org' AND name LIKE 'pair-%' AND last_synced_at IS NOT NULL");
    await waitFor(async () => (await synced()).rows[0]!.n === names.length || undefined, { what: 'every repository synced', timeoutMs: 60_000 });
    // Give both processes time to run whatever else they had queued.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const fetched = github.requests.filter((request) => request.path.startsWith('/repos/octo-org/pair-'));
    expect(fetched).toHaveLength(names.length);
    expect(new Set(fetched.map((request) => request.path)).size).toBe(names.length);

    for (const cli of processes) cli.child.kill('SIGTERM');
    expect(await Promise.all(processes.map((cli) => cli.exited))).toEqual([0, 0]);
  }, 120_000);

  it('wakes github-sync when the next repository is due, not at its repeat interval', async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'octo-org', name: 'often', description: 'Refreshed every 5 minutes', language: 'Go', stars: 1, forks: 0, topics: [], pushedAt: '2026-11-01T00:00:00Z' });
    const harness: ApiHarness = await startApiHarness('scheduler_wake');
    cleanups.push(() => harness.close());
    const creator = await harness.newUser();
    const profile = await creator.newProfile({ published: true });
    const cli = linkpulse(['start', '--role', 'scheduler'], {
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: await dataDirectory('scheduler-wake'),
      DATABASE_URL: harness.database.appUrl,
      SCHEDULER_DATABASE_URL: harness.database.schedulerUrl,
      GITHUB_API_URL: github.url,
      // github-sync repeats every 30 minutes; the link asks for 5.
      GITHUB_SYNC_INTERVAL_MINUTES: '360',
      HASH_SECRET: 'x'.repeat(32),
      SESSION_SECRET: 'y'.repeat(32),
    });
    cleanups.push(async () => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    });
    await runningUrl(cli);
    await creator.newLink(profile.id, { title: 'Often', url: 'https://github.com/octo-org/often', syncIntervalMinutes: 5 });
    const synced = await waitFor(
      async () => (await harness.database.db.query<{ at: Date | null }>("SELECT last_synced_at AS at FROM github_repos WHERE name = 'often'")).rows[0]?.at ?? undefined,
      { what: 'the first sync', timeoutMs: 30_000 },
    );
    // After the sync-now run, github-sync is due by the repository's window (4.5 minutes), not in 30.
    const wake = await waitFor(
      async () => {
        const { rows } = await asOwner(harness.database, (client) => client.query<{ at: Date }>("SELECT next_run_at AS at FROM agenda_jobs WHERE name = 'github-sync' AND type = 'single'"));
        const at = rows[0]?.at;
        // A run that began before the first sync may have aimed at the repository's first due time
        // (now): that run finds nothing due and aims again, at the window after the sync.
        return at && at.getTime() > synced.getTime() && at.getTime() <= synced.getTime() + 4.5 * 60_000 + 5_000 ? at : undefined;
      },
      { what: 'github-sync aimed at the due repository', timeoutMs: 20_000 },
    );
    expect(wake.getTime()).toBeGreaterThan(synced.getTime());
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 90_000);

  it('fills a new GitHub link’s card without waiting for the scheduled run, in a whole process on embedded defaults', async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'linkpulse', name: 'cards', description: 'Live repository cards', language: 'TypeScript', stars: 42, forks: 7, topics: ['analytics'], pushedAt: '2026-11-23T08:00:00Z' });
    const site = await startSite('cards', ['api', 'scheduler'], { GITHUB_API_URL: github.url });
    cleanups.push(() => site.stop());
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true });
    await creator.newLink(profile.id, { title: 'Cards', url: 'https://github.com/linkpulse/cards' });
    const card = await waitFor(
      async () => {
        const page = await new ApiClient(origin).get<{ links: { repository: { status: string; stars: number; language: string; languageColor: string } | null }[] }>(
          `/api/v1/public/profiles/${profile.handle}`,
        );
        const repository = page.body.links[0]?.repository;
        return repository?.status === 'ok' ? repository : undefined;
      },
      { what: 'the card’s data', timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(card).toMatchObject({ stars: 42, language: 'TypeScript', languageColor: '#3178c6' });
  }, 60_000);
});
