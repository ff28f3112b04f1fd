// The API's per-client request budget across instances, on real Redis: instances that share Redis
// share one budget, a client cannot buy more by inventing X-Forwarded-For values, and losing Redis
// degrades to a per-instance budget (still limited, still serving) until Redis is back.
//
// Keys in the shared Redis include the client address, and other test files use that Redis too, so
// every test gets a client address of its own: through a trusted proxy, an X-Forwarded-For value from
// the IPv6 documentation prefix 2001:db8::/32 (the limiter keys IPv6 clients by /56, and 2^24 /56
// prefixes make a repeat within one 60 s window negligible, unlike the 768 IPv4 TEST-NET addresses);
// without a trusted proxy, a source address of its own in 127.0.0.0/8.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { freePort } from '../lib/testing/ports.js';
import type { Cache } from '../lib/cache/cache.js';
import { createRedisCache } from '../lib/cache/redis-cache.js';
import { runHealthChecks } from '../lib/health.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { describeWithService, realServices, testConfig, testLogger } from '../lib/testing/services.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { startApiHarness, type ApiHarness } from '../server/testing/api-harness.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const ONE_MINUTE_BUDGET = 100;

/** A client address no other test run uses (see the top of the file). */
function uniqueDocumentationAddress(): string {
  const bits = randomBytes(3);
  return `2001:db8:${bits.readUInt16BE(0).toString(16)}:${bits[2]!.toString(16)}00::1`;
}

interface Reply {
  status: number;
  retryAfter: string | undefined;
}

/** GET /api/v1/ from a chosen source address (node:http: fetch cannot bind one), with extra headers. */
function getApiInfo(baseUrl: string, headers: Record<string, string>, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${baseUrl}/api/v1/`, { headers, agent: false, ...(localAddress ? { localAddress } : {}) }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] }));
    });
    request.on('error', reject);
  });
}

/**
 * Sends `count` requests, alternating between the instances, one after another (each waits for the
 * previous answer, so the order of counting is the order of sending). Returns the replies in order.
 */
async function alternate(urls: readonly string[], count: number, headers: () => Record<string, string>, localAddress?: string): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (let i = 0; i < count; i++) replies.push(await getApiInfo(urls[i % urls.length]!, headers(), localAddress));
  return replies;
}

/** Checks that exactly `budget` requests were served, then only refusals carrying Retry-After. */
function expectExactlyServed(replies: Reply[], budget: number): void {
  expect(replies.slice(0, budget).map((reply) => reply.status)).toEqual(Array(budget).fill(200));
  const refused = replies.slice(budget);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.map((reply) => reply.status)).toEqual(Array(refused.length).fill(429));
  for (const reply of refused) expect(Number(reply.retryAfter)).toBeGreaterThanOrEqual(1);
}

interface ApiProcess {
  url: string;
  cli: CliProcess;
  dataDir: string;
}

/** `linkpulse start --role api` as its own process, with exactly this environment (plus PATH and HOME). */
async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-rate-limit-'));
  const cli = linkpulse(['start', '--role', 'api'], { HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, ...env });
  return { url: await runningUrl(cli), cli, dataDir };
}

async function stopApiProcess(api: ApiProcess): Promise<void> {
  if (api.cli.child.exitCode === null) api.cli.child.kill('SIGTERM');
  await api.cli.exited;
  await rm(api.dataDir, { recursive: true, force: true });
}

describeWithService('rate limits shared through Redis', realServices.redis, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  // Separate processes, started as operators start them (`linkpulse start --role api`): each has its own
  // Redis connection, rate-limit stores and memory, exactly as two replicas behind a load balancer.
  it('lets two API processes sharing one Redis allow exactly N requests per minute from one IP between them', async () => {
    const database = await createTestDatabase('rate_limit_processes');
    cleanups.push(() => database.drop());
    const env = {
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
      REDIS_URL: testConfig.redisUrl!,
      // The test runner is the trusted proxy: the client address is the X-Forwarded-For it sends.
      TRUST_PROXY: 'loopback',
      API_RATE_LIMIT_PER_MINUTE: String(ONE_MINUTE_BUDGET),
      SESSION_SECRET: randomBytes(32).toString('base64url'),
      HASH_SECRET: randomBytes(32).toString('base64url'),
    };
    const processes = await Promise.all([startApiProcess(env), startApiProcess(env)]);
    for (const api of processes) cleanups.push(() => stopApiProcess(api));
    const urls = processes.map((api) => api.url);
    expect(urls[0]).not.toBe(urls[1]);

    const client = uniqueDocumentationAddress();
    const replies = await alternate(urls, ONE_MINUTE_BUDGET + 10, () => ({ 'x-forwarded-for': client }));
    // Alternating, each process served 50: counting on its own, either would still serve the next 50.
    expectExactlyServed(replies, ONE_MINUTE_BUDGET);

    // The budget is the client's, not the processes': another client is served by both.
    const other = uniqueDocumentationAddress();
    for (const url of urls) expect((await getApiInfo(url, { 'x-forwarded-for': other })).status).toBe(200);
  });

  it('does not raise the allowance for spoofed X-Forwarded-For values when no proxy is trusted', async () => {
    const database = await createTestDatabase('rate_limit_spoofing');
    cleanups.push(() => database.drop());
    // In-process instances: each with its own Redis connection and server, on the default TRUST_PROXY=false.
    const instances: ApiHarness[] = [];
    for (let i = 0; i < 2; i++) {
      const cache = createRedisCache({ url: testConfig.redisUrl!, logger: testLogger });
      cleanups.push(() => cache.close());
      const harness = await startApiHarness('rate_limit_spoofing', { database, cache, config: { rateLimits: { ipPerMinute: ONE_MINUTE_BUDGET, userPerMinute: 600, authPerMinute: 10 } } });
      cleanups.push(() => harness.close());
      instances.push(harness);
    }
    expect(instances.every((instance) => instance.config.trustProxy === false)).toBe(true);

    // One real client (a loopback source address of its own), claiming a different origin every time.
    const [b0, b1, b2] = randomBytes(3);
    const source = `127.${b0}.${b1}.${1 + (b2! % 254)}`;
    const spoofed = () => ({ 'x-forwarded-for': `${uniqueDocumentationAddress()}, 203.0.113.${randomBytes(1)[0]! % 255}` });
    const replies = await alternate(
      instances.map((instance) => instance.url),
      ONE_MINUTE_BUDGET + 5,
      spoofed,
      source,
    );
    expectExactlyServed(replies, ONE_MINUTE_BUDGET);
  });
});

/** redis-server of this test's own on a free loopback port, so killing it disturbs no other suite. */
interface OwnRedis {
  port: number;
  start(): Promise<void>;
  kill(): Promise<void>;
}

function ownRedis(port: number): OwnRedis {
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  return {
    port,
    async start() {
      const output: string[] = [];
      const started = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
      exited = new Promise((resolve) => started.on('exit', resolve));
      await waitFor(
        () => {
          if (started.exitCode !== null) throw new Error(`redis-server exited: ${output.join('')}`);
          return output.join('').includes('Ready to accept connections');
        },
        { what: `redis-server on port ${port}` },
      );
    },
    async kill() {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

interface ReadyReport {
  status: string;
  dependencies: Record<string, { state: string; required: boolean }>;
}

async function readiness(url: string): Promise<ReadyReport> {
  return (await (await fetch(`${url}/readyz`)).json()) as ReadyReport;
}

describeWithService('rate limits through a Redis outage', { configured: existsSync(REDIS_SERVER), variable: 'redis-server (apt-get install redis-server)' }, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('keeps serving and limiting per instance while Redis is down, and shares the limit again once it is back', async () => {
    const budget = 5;
    const redis = ownRedis(await freePort());
    await redis.start();
    cleanups.push(() => redis.kill());

    // Two instances on one database, each with its own connection to this Redis and the readiness a
    // process builds from its health checks (server/start.ts).
    const instances: ApiHarness[] = [];
    let database: TestDatabase | undefined;
    for (let i = 0; i < 2; i++) {
      const cache: Cache = createRedisCache({ url: `redis://127.0.0.1:${redis.port}`, logger: testLogger });
      cleanups.push(() => cache.close());
      const harness = await startApiHarness('rate_limit_outage', {
        database,
        cache,
        config: { trustProxy: ['loopback'], rateLimits: { ipPerMinute: budget, userPerMinute: budget, authPerMinute: budget } },
        readiness: () => runHealthChecks([cache.healthCheck()]),
      });
      cleanups.push(() => harness.close());
      database ??= harness.database;
      instances.push(harness);
    }
    const [first, second] = instances as [ApiHarness, ApiHarness];
    const urls = [first.url, second.url];
    for (const url of urls) expect(await readiness(url)).toMatchObject({ status: 'ok', dependencies: { cache: { state: 'ok' } } });

    // Redis up: one budget between the two instances.
    const before = uniqueDocumentationAddress();
    expectExactlyServed(await alternate(urls, budget + 2, () => ({ 'x-forwarded-for': before })), budget);

    // Redis gone: each instance still serves, and still limits, on a budget of its own.
    await redis.kill();
    const during = uniqueDocumentationAddress();
    expectExactlyServed(await alternate([first.url], budget + 1, () => ({ 'x-forwarded-for': during })), budget);
    expect((await alternate([second.url], budget, () => ({ 'x-forwarded-for': during }))).map((reply) => reply.status)).toEqual(Array(budget).fill(200));
    for (const url of urls) {
      // Degraded, not down: the cache is optional, so the instance stays in the load balancer.
      const report = await readiness(url);
      expect(report).toMatchObject({ status: 'degraded', dependencies: { cache: { state: 'down', required: false } } });
    }

    // Redis back on the same port: both reconnect on their own, and count in Redis again.
    await redis.start();
    for (const url of urls) await waitFor(async () => (await readiness(url)).status === 'ok', { what: `${url}/readyz to be ok again`, timeoutMs: 30_000 });
    const after = uniqueDocumentationAddress();
    expectExactlyServed(await alternate(urls, budget + 2, () => ({ 'x-forwarded-for': after })), budget);
  });
});
