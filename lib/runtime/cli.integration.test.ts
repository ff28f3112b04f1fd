// The command line as operators use it: real processes, real signals.
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, TEST_PUBLIC_URL } from '../../api/testing/api-harness.js';
import { linkpulse, runningUrl, type CliProcess } from '../testing/cli-process.js';
import type { TestDatabase } from '../testing/postgres.js';
import { allRealServices, realServicesEnv } from '../testing/real-services.js';
import { describeWithService } from '../testing/services.js';

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
    expect(Object.keys(schedulerReady.dependencies).sort()).toEqual(['clickhouse', 'postgres', 'postgres_scheduler', 'storage']);

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
