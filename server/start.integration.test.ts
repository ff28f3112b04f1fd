// A whole Linkpulse process on embedded defaults, started in this test: what `npm start` serves.
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig, type Env } from '../lib/config.js';
import { DASHBOARD_BUILD_DIR } from '../lib/paths.js';
import { createTestDatabase } from '../lib/testing/postgres.js';
import { startSwitchableRelay } from '../lib/testing/tcp-relay.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { startProcess, type RunningProcess } from './start.js';

async function dataDirectory(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'linkpulse-start-'));
  await chmod(dir, 0o755);
  return dir;
}

/** Only what the test names: the suite's own environment (real services in CI) must not leak in. */
function embeddedConfig(dataDir: string, extra: Env = {}) {
  return parseConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...extra });
}

describe('a process with every role on embedded defaults', () => {
  let dataDir: string;
  let running: RunningProcess;
  const get = (pathname: string, init?: RequestInit) => fetch(`${running.url}${pathname}`, init);

  beforeAll(async () => {
    dataDir = await dataDirectory();
    running = await startProcess(embeddedConfig(dataDir), ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], { installSignalHandlers: false });
  });
  afterAll(async () => {
    await running?.stop('test finished');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz', async () => {
    const response = await get('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('reports every embedded dependency ready on /readyz', async () => {
    const response = await get('/readyz');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; roles: string[]; dependencies: Record<string, { state: string; detail?: string }> };
    expect(body.status).toBe('ok');
    expect(body.roles).toEqual(['ingest', 'api', 'consumers', 'scheduler', 'dashboard']);
    expect(Object.keys(body.dependencies).sort()).toEqual(['bus', 'cache', 'clickhouse', 'postgres', 'postgres_scheduler', 'storage']);
    expect(body.dependencies).toMatchObject({
      bus: { state: 'ok', detail: 'postgres queue' },
      clickhouse: { state: 'ok', detail: 'embedded (chDB)' },
      storage: { state: 'ok', detail: 'local directory' },
    });
  });

  it('puts security headers and a request id on every response', async () => {
    for (const pathname of ['/healthz', '/api/v1', '/api/missing', '/', '/nope']) {
      const response = await get(pathname);
      expect(response.headers.get('x-request-id'), pathname).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers.get('strict-transport-security'), pathname).toContain('max-age=');
      expect(response.headers.get('x-content-type-options'), pathname).toBe('nosniff');
      expect(response.headers.get('x-frame-options'), pathname).toBe('DENY');
      expect(response.headers.get('referrer-policy'), pathname).toBe('strict-origin-when-cross-origin');
      expect(response.headers.get('content-security-policy'), pathname).toContain("frame-ancestors 'none'");
    }
  });

  it('answers API errors with the envelope, matching the X-Request-Id header', async () => {
    const response = await get('/api/missing', { headers: { 'X-Request-Id': 'client-trace-0001' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('client-trace-0001');
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({
      error: { code: 'NOT_FOUND', message: 'No API route for GET /api/missing', requestId: 'client-trace-0001', timestamp: body.error.timestamp },
    });
    expect(new Date(String(body.error.timestamp)).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const login = (body: string) => get('/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    const badJson = await login('{"broken"');
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: string } }).error.code).toBe('INVALID_INPUT');
    const tooLarge = await login(JSON.stringify({ a: 'x'.repeat(200_000) }));
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers a method a path does not have 405 with Allow, on every role’s routes', async () => {
    for (const [method, pathname, allow] of [
      ['POST', '/healthz', 'GET, HEAD'],
      ['DELETE', '/readyz', 'GET, HEAD'],
      ['PUT', '/metrics', 'GET, HEAD'],
      ['POST', '/api/v1', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/api/v1/openapi.json', 'GET, HEAD, OPTIONS'],
      ['GET', '/e', 'POST, OPTIONS'],
      ['POST', '/r/00000000-0000-4000-8000-000000000000', 'GET, HEAD'],
      ['POST', '/t.js', 'GET, HEAD'],
      ['DELETE', `/assets/${'0'.repeat(64)}`, 'GET, HEAD'],
    ] as const) {
      const response = await get(pathname, { method });
      const body = (await response.json()) as { error: { code: string } };
      expect({ method, pathname, status: response.status, allow: response.headers.get('allow'), code: body.error.code }).toEqual({ method, pathname, status: 405, allow, code: 'METHOD_NOT_ALLOWED' });
    }
    expect((await get('/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it('rate limits the API with standard headers', async () => {
    const response = await get('/api/v1');
    expect(response.status).toBe(200);
    expect(response.headers.get('ratelimit-policy')).toMatch(/^"address"; q=2000; w=60; pk=:[A-Za-z0-9+/=]+:, "api"; q=100; w=60; pk=:[A-Za-z0-9+/=]+:$/);
    expect(response.headers.get('ratelimit')).toMatch(/^"address"; r=\d+; t=\d+, "api"; r=\d+; t=\d+$/);
  });

  it('serves Prometheus metrics to local scrapers only', async () => {
    await get('/api/v1');
    const response = await get('/metrics');
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const metric of [
      'linkpulse_http_requests_total{role="ingest+api+consumers+scheduler+dashboard",method="GET",route="/api",status="200"}',
      'linkpulse_http_request_duration_seconds_bucket',
      'linkpulse_event_loop_delay_seconds{quantile="0.99"}',
      'linkpulse_pool_connections{pool="postgres",state="total"}',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toContain(metric);
    }
    expect((await get('/metrics', { headers: { 'X-Forwarded-For': '203.0.113.9' } })).status).toBe(404);
  });

  it('serves the dashboard with a nonce-based CSP and immutable assets', async () => {
    const page = await get('/status');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Platform status');
    expect(html).toContain('Operational');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'nonce-[^']+'/);
    expect(csp).not.toContain('unsafe-inline');
    const asset = /href="\.?\/?(_app\/immutable\/[^"]+\.css)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const css = await get(`/${asset}`);
    expect(css.status).toBe(200);
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await readdir(path.join(DASHBOARD_BUILD_DIR, 'client', '_app', 'immutable'))).length).toBeGreaterThan(0);
  });

  it('answers unknown pages with a 404', async () => {
    expect((await get('/no/such/page')).status).toBe(404);
  });
});

describe('the ClickHouse HTTP endpoint of the embedded engine, enabled by configuration', () => {
  it('lets analysts read what the app wrote, and nothing more', async () => {
    const dataDir = await dataDirectory();
    const running = await startProcess(
      embeddedConfig(dataDir, { CLICKHOUSE_HTTP_PORT: '0', CLICKHOUSE_HTTP_PASSWORD: 'analyst-password-1' }),
      ['consumers'],
      { installSignalHandlers: false },
    );
    try {
      const { clickhouse, clickhouseHttp } = running.platform;
      await clickhouse!.command('CREATE TABLE visits (id UInt32) ENGINE = MergeTree ORDER BY id');
      await clickhouse!.insert('visits', [{ id: 1 }, { id: 2 }]);
      const auth = { Authorization: `Basic ${Buffer.from('analyst:analyst-password-1').toString('base64')}` };
      const read = await fetch(`${clickhouseHttp!.url}/?query=${encodeURIComponent('SELECT count() FROM visits')}`, { headers: auth });
      expect(await read.text()).toBe('2\n');
      const write = await fetch(`${clickhouseHttp!.url}/`, { method: 'POST', headers: auth, body: 'INSERT INTO visits VALUES (3)' });
      expect(write.status).toBe(403);
      expect(await clickhouse!.query('SELECT count() AS c FROM visits')).toEqual([{ c: '2' }]);
      // Loopback only, as configured by default.
      expect(new URL(clickhouseHttp!.url).hostname).toBe('127.0.0.1');
    } finally {
      await running.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('degraded dependencies', () => {
  it('reports an unreachable optional cache as degraded but stays ready', async () => {
    const dataDir = await dataDirectory();
    const running = await startProcess(embeddedConfig(dataDir, { REDIS_URL: 'redis://127.0.0.1:1/0' }), ['dashboard'], { installSignalHandlers: false });
    try {
      const response = await fetch(`${running.url}/readyz`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; dependencies: Record<string, { state: string }> };
      expect(body.status).toBe('degraded');
      expect(body.dependencies.cache?.state).toBe('down');
      // The page still renders without its cache.
      expect((await fetch(`${running.url}/`)).status).toBe(200);
    } finally {
      await running.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('stays ready, degraded, when a dependency its roles can do without is down', async () => {
    const dataDir = await dataDirectory();
    // The scheduler only sweeps assets in object storage: its requests (none) and jobs go on.
    const running = await startProcess(
      embeddedConfig(dataDir, { S3_ENDPOINT: 'http://127.0.0.1:1', S3_BUCKET: 'unreachable', S3_ACCESS_KEY_ID: 'k', S3_SECRET_ACCESS_KEY: 's', S3_FORCE_PATH_STYLE: 'true' }),
      ['scheduler'],
      { installSignalHandlers: false },
    );
    try {
      const response = await fetch(`${running.url}/readyz`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { status: string; dependencies: Record<string, { state: string; required: boolean }> };
      expect(body.status).toBe('degraded');
      expect(body.dependencies.storage).toMatchObject({ state: 'down', required: false });
      expect(body.dependencies.postgres).toMatchObject({ state: 'ok', required: true });
    } finally {
      await running.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('answers 503 on /readyz when a dependency its roles require goes down, and is alive all the same', async () => {
    const dataDir = await dataDirectory();
    const database = await createTestDatabase('readyz');
    const relay = await startSwitchableRelay(database.appUrl, 5432, { startUp: true });
    const running = await startProcess(embeddedConfig(dataDir, { DATABASE_URL: relay.url, DATABASE_OWNER_URL: database.ownerUrl, SESSION_SECRET: 's'.repeat(40), HASH_SECRET: 'h'.repeat(40) }), ['api'], {
      installSignalHandlers: false,
    });
    try {
      expect((await fetch(`${running.url}/readyz`)).status).toBe(200);
      relay.down();
      const response = await waitFor(async () => {
        const answer = await fetch(`${running.url}/readyz`);
        return answer.status === 503 ? answer : undefined;
      }, { what: '/readyz to answer 503' });
      const body = (await response.json()) as { status: string; dependencies: Record<string, { state: string; required: boolean }> };
      expect(body.status).toBe('down');
      expect(body.dependencies.postgres).toMatchObject({ state: 'down', required: true });
      // Alive all the same: the orchestrator should wait, not restart it.
      expect((await fetch(`${running.url}/healthz`)).status).toBe(200);
    } finally {
      relay.up();
      await running.stop('test finished');
      await relay.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses to share DATA_DIR with a running process', async () => {
    const dataDir = await dataDirectory();
    const first = await startProcess(embeddedConfig(dataDir), ['scheduler'], { installSignalHandlers: false });
    try {
      await expect(startProcess(embeddedConfig(dataDir), ['scheduler'], { installSignalHandlers: false })).rejects.toThrow(/is in use by process/);
    } finally {
      await first.stop('test finished');
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
