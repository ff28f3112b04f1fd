// The command line as operators use it: real processes, real signals.
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, TEST_PUBLIC_URL } from './testing/api-harness.js';
import { createChdbAdapter } from '../lib/clickhouse/chdb-adapter.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { migrateClickHouse } from '../lib/clickhouse/migrate.js';
import { generateTraffic } from './demo/traffic.js';
import { linkpulse, runningUrl, type CliProcess } from './testing/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { allRealServices, realServicesEnv } from '../lib/testing/real-services.js';
import { describeWithService, testLogger } from '../lib/testing/services.js';

describe('configuration errors', () => {
  it.each([
    ['KAFKA_BROKERS', ':::', 'linkpulse: Invalid configuration: KAFKA_BROKERS: expected comma-separated host:port pairs such as kafka1:9092,kafka2:9092 (got ":::")'],
    ['PORT', 'abc', 'linkpulse: Invalid configuration: PORT: expected an integer port 0-65535 (got "abc")'],
  ])('stop start-up with one line naming %s', async (name, value, line) => {
    const cli = linkpulse(['start'], { [name]: value });
    expect(await cli.exited).toBe(78);
    expect(cli.stderr).toEqual([line]);
    expect(cli.stdout).toEqual([]);
  });

  it('rejects unknown roles and commands as usage errors', async () => {
    const cli = linkpulse(['start', '--role', 'api,gateway'], {});
    expect(await cli.exited).toBe(64);
    expect(cli.stderr[0]).toBe('linkpulse: unknown role "gateway" (expected all, or some of ingest, api, consumers, scheduler, dashboard)');
  });
});

describe('linkpulse start on embedded defaults', () => {
  it('serves, then drains and exits 0 on SIGTERM, stopping embedded PostgreSQL', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-cli-'));
    await chmod(dataDir, 0o755);
    try {
      const cli = linkpulse(['start'], { DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', PUBLIC_URL: TEST_PUBLIC_URL });
      const url = await runningUrl(cli);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { status: string }).status).toBe('ok');

      // `linkpulse admin grant` reaches the embedded server of the running process.
      const client = await new ApiClient(url).signUpAndLogIn();
      const unknown = linkpulse(['admin', 'grant', 'nobody@example.com'], { DATA_DIR: dataDir });
      expect(await unknown.exited).toBe(67);
      expect(unknown.stderr).toEqual(['linkpulse: no account has the email address nobody@example.com']);
      const grant = linkpulse(['admin', 'grant', client.email!], { DATA_DIR: dataDir });
      expect(await grant.exited).toBe(0);
      expect(grant.stdout).toEqual([`${client.email} is now an admin`]);
      expect((await client.get<{ user: { role: string } }>('/api/v1/auth/me')).body.user.role).toBe('admin');

      cli.child.kill('SIGTERM');
      expect(await cli.exited).toBe(0);
      await expect(stat(path.join(dataDir, 'pg', 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
      await expect(stat(path.join(dataDir, 'linkpulse.pid'))).rejects.toThrow(/ENOENT/);

      // With no process running, the command starts the embedded server itself.
      const revoke = linkpulse(['admin', 'revoke', client.email!], { DATA_DIR: dataDir });
      expect(await revoke.exited).toBe(0);
      expect(revoke.stdout).toEqual([`${client.email} is no longer an admin`]);
      await expect(stat(path.join(dataDir, 'pg', 'postmaster.pid'))).rejects.toThrow(/ENOENT/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('linkpulse analytics verify and rebuild', () => {
  it('prints each aggregate that differs from the raw events, exits 1, and rebuilds them from the raw events', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-analytics-cli-'));
    const database = await createTestDatabase('analytics_cli');
    // The engine is opened by this process and by each command in turn, never by two at once.
    const withEngine = async (work: (clickhouse: ClickHouse) => Promise<void>) => {
      const clickhouse = await createChdbAdapter({ path: path.join(dataDir, 'clickhouse'), database: 'analytics', logger: testLogger });
      try {
        await work(clickhouse);
      } finally {
        await clickhouse.close();
      }
    };
    const env = { DATA_DIR: dataDir, DATABASE_URL: database.appUrl, DATABASE_OWNER_URL: database.ownerUrl, SESSION_SECRET: 's'.repeat(40), HASH_SECRET: 'h'.repeat(40) };
    const run = async (...args: string[]) => {
      const cli = linkpulse(['analytics', ...args], env);
      return { code: await cli.exited, stdout: cli.stdout, stderr: cli.stderr };
    };
    const today = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000);
    const yesterday = new Date(today.getTime() - 86_400_000).toISOString().slice(0, 10);
    const profileId = randomUUID();
    try {
      await withEngine(async (clickhouse) => {
        await migrateClickHouse(clickhouse, { logger: testLogger });
        for (const rows of generateTraffic({ profileId, links: [{ id: randomUUID() }, { id: randomUUID() }], events: 3_000, days: 2, end: today, seed: 7 })) {
          await clickhouse.insert('events', rows);
        }
      });
      const clean = await run('verify', '--from', yesterday);
      expect(clean.stderr).toEqual([]);
      expect(clean.stdout.at(-1)).toBe('Every aggregate matches the raw events.');
      expect(clean.code).toBe(0);

      await withEngine(async (clickhouse) => {
        await clickhouse.command("DELETE FROM traffic_hourly WHERE profile_id = {p:UUID} AND hour = {h:DateTime('UTC')}", { p: profileId, h: new Date(today.getTime() - 10 * 3_600_000) });
        await clickhouse.command('DELETE FROM geo_daily WHERE profile_id = {p:UUID} AND country = {c:String}', { p: profileId, c: 'DE' });
      });
      const damaged = await run('verify', '--from', yesterday, '--to', today.toISOString());
      expect(damaged.code).toBe(1);
      const hour = new Date(today.getTime() - 10 * 3_600_000).toISOString().replace('.000Z', 'Z');
      expect(damaged.stdout).toEqual(
        expect.arrayContaining([
          expect.stringMatching(new RegExp(`^geo_daily +${yesterday} +profile ${profileId}: views \\d+ stored, \\d+ in raw events`)),
          expect.stringMatching(new RegExp(`^traffic_hourly +${hour} +profile ${profileId}: views 0 stored, [1-9]\\d* in raw events`)),
          expect.stringMatching(/^2 difference\(s\) in 2 table\(s\)\. Rebuild them with: linkpulse analytics rebuild --from /),
        ]),
      );

      const stillOpen = await run('rebuild', '--from', yesterday, '--to', new Date(Date.now() + 3_600_000).toISOString());
      expect(stillOpen.code).toBe(65);
      expect(stillOpen.stderr[0]).toMatch(/^linkpulse: periods after .* are still open/);
      const badDate = await run('verify', '--from', 'last tuesday');
      expect(badDate.code).toBe(64);
      expect(badDate.stderr[0]).toBe('linkpulse: --from must be a date (2026-12-01) or a date-time with its zone (2026-12-01T10:00:00Z), not "last tuesday"');

      const rebuilt = await run('rebuild', '--from', yesterday, '--to', today.toISOString());
      expect(rebuilt.stdout).toEqual(expect.arrayContaining(['rebuilt traffic_hourly: 24 hour(s)', 'rebuilt geo_daily: 1 day(s)']));
      expect(rebuilt.stdout.at(-1)).toBe('Done: every aggregate matches the raw events.');
      expect(rebuilt.code).toBe(0);
      expect((await run('verify', '--from', yesterday)).code).toBe(0);
    } finally {
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describeWithService('roles as separate processes against the real services', allRealServices, () => {
  let database: TestDatabase | undefined;
  const processes: CliProcess[] = [];
  afterAll(async () => {
    for (const cli of processes) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await database?.drop();
  });

  it('runs --role api, consumers and scheduler as their own processes, each ready, each stopping cleanly', async () => {
    const real = await realServicesEnv('roles');
    database = real.database;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-roles-'));
    const { SCHEDULER_DATABASE_URL: schedulerLogin, ...realEnv } = real.env;
    // Without SCHEDULER_DATABASE_URL, so that the scheduler's refusal below can be seen.
    const env = { ...realEnv, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir };
    const api = linkpulse(['start', '--role', 'api'], env);
    const consumers = linkpulse(['start', '--role', 'consumers'], env);
    const scheduler = linkpulse(['start', '--role', 'scheduler'], { ...env, SCHEDULER_DATABASE_URL: schedulerLogin! });
    // Without its own login the scheduler refuses to start rather than run as the app.
    const schedulerAsApp = linkpulse(['start', '--role', 'scheduler'], env);
    processes.push(api, consumers, scheduler, schedulerAsApp);
    const [apiUrl, consumersUrl, schedulerUrl] = await Promise.all([runningUrl(api), runningUrl(consumers), runningUrl(scheduler)]);
    expect(await schedulerAsApp.exited).not.toBe(0);
    expect(schedulerAsApp.stderr.join('\n')).toMatch(/SCHEDULER_DATABASE_URL/);
    expect(apiUrl).not.toBe(consumersUrl);

    const apiReady = (await (await fetch(`${apiUrl}/readyz`)).json()) as { status: string; roles: string[]; dependencies: Record<string, { state: string; detail?: string }> };
    expect(apiReady).toMatchObject({ status: 'ok', roles: ['api'] });
    expect(Object.keys(apiReady.dependencies).sort()).toEqual(['cache', 'clickhouse', 'postgres', 'storage']);
    expect(apiReady.dependencies).toMatchObject({ cache: { detail: 'redis' }, storage: { detail: 's3' }, clickhouse: { detail: 'clickhouse server' } });

    const consumersReady = (await (await fetch(`${consumersUrl}/readyz`)).json()) as { status: string; roles: string[]; dependencies: Record<string, { state: string; detail?: string }> };
    expect(consumersReady).toMatchObject({ status: 'ok', roles: ['consumers'] });
    expect(Object.keys(consumersReady.dependencies).sort()).toEqual(['bus', 'clickhouse']);
    expect(consumersReady.dependencies.bus?.detail).toMatch(/^kafka/);

    const schedulerReady = (await (await fetch(`${schedulerUrl}/readyz`)).json()) as { status: string; roles: string[]; dependencies: Record<string, { state: string }> };
    expect(schedulerReady).toMatchObject({ status: 'ok', roles: ['scheduler'] });
    // The bus too: the analytics reconciler asks it which periods the consumers have finished.
    expect(Object.keys(schedulerReady.dependencies).sort()).toEqual(['bus', 'clickhouse', 'postgres', 'postgres_scheduler', 'storage']);

    // Each process serves only its own role's routes.
    expect((await fetch(`${apiUrl}/api/v1`)).status).toBe(200);
    expect((await fetch(`${consumersUrl}/api/v1`)).status).toBe(404);

    for (const cli of [api, consumers, scheduler]) cli.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(await consumers.exited).toBe(0);
    expect(await scheduler.exited).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
  });
});
