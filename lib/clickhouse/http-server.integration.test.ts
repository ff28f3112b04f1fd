// The embedded engine's ClickHouse HTTP endpoint: protocol compatibility with @clickhouse/client and
// plain HTTP clients, authentication, and the read-only guarantee for analyst accounts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../testing/services.js';
import { createChdbAdapter } from './chdb-adapter.js';
import { createClickHouseServerAdapter } from './client-adapter.js';
import type { ClickHouse } from './clickhouse.js';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from './http-server.js';

const ANALYST = { name: 'analyst', password: 'analyst-password-123', readonly: true };
const WRITER = { name: 'writer', password: 'writer-password-123', readonly: false };

let dataDir: string;
let server: ClickHouseHttpServer;
let embedded: ClickHouse;
let analyst: ClickHouseClient;
let writer: ClickHouseClient;

const basic = (user: { name: string; password: string }) => `Basic ${Buffer.from(`${user.name}:${user.password}`).toString('base64')}`;

async function get(query: string, user: { name: string; password: string } = ANALYST, extra = ''): Promise<Response> {
  return fetch(`${server.url}/?query=${encodeURIComponent(query)}${extra}`, { headers: { Authorization: basic(user) } });
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-chhttp-'));
  // The app's own adapter writes the data; analysts read it over HTTP from the same engine.
  embedded = await createChdbAdapter({ path: dataDir, database: 'analytics', logger: testLogger });
  await embedded.command('CREATE TABLE visits (id UInt32, country String) ENGINE = MergeTree ORDER BY id');
  await embedded.insert('visits', [
    { id: 1, country: 'SE' },
    { id: 2, country: 'GB' },
    { id: 3, country: 'SE' },
  ]);
  server = await startClickHouseHttpServer({
    path: dataDir,
    users: [ANALYST, WRITER],
    defaultDatabase: 'analytics',
    host: '127.0.0.1',
    port: 0,
    logger: testLogger,
  });
  // These clients fail on purpose in many tests; their own console logging would only be noise.
  const log = { level: ClickHouseLogLevel.OFF };
  analyst = createClient({ url: server.url, username: ANALYST.name, password: ANALYST.password, database: 'analytics', log });
  writer = createClient({ url: server.url, username: WRITER.name, password: WRITER.password, database: 'analytics', log });
});

afterAll(async () => {
  await analyst?.close();
  await writer?.close();
  await server?.close();
  await embedded?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the app’s adapter against a server at its query limit', () => {
  it('waits its turn and retries a busy server instead of failing the read', async () => {
    const busy = await startClickHouseHttpServer({ path: dataDir, users: [WRITER], defaultDatabase: 'analytics', host: '127.0.0.1', port: 0, logger: testLogger, maxConcurrentQueries: 2 });
    const plain = createClient({ url: busy.url, username: WRITER.name, password: WRITER.password, database: 'analytics', log: { level: ClickHouseLogLevel.OFF }, max_open_connections: 20 });
    const adapter = await createClickHouseServerAdapter({ url: busy.url, user: WRITER.name, password: WRITER.password, database: 'analytics', logger: testLogger, maxConnections: 4 });
    try {
      const reads = Array.from({ length: 12 }, (_, n) => n);
      // A client that sends them all at once is refused beyond the server's limit (as ClickHouse does)…
      const outcomes = await Promise.allSettled(reads.map(async () => (await plain.query({ query: 'SELECT sleep(0.1)', format: 'JSONEachRow' })).json()));
      expect(outcomes.some((outcome) => outcome.status === 'rejected' && /Too many simultaneous queries/.test(String(outcome.reason)))).toBe(true);
      // …the app's adapter, even allowed more connections than the server takes, gets every answer.
      const rows = await Promise.all(reads.map((n) => adapter.query<{ n: number }>('SELECT {n:UInt32} AS n, sleep(0.1) AS pause', { n })));
      expect(rows.map((row) => row[0]!.n)).toEqual(reads);
    } finally {
      await plain.close();
      await adapter.close();
      await busy.close();
    }
  });
});

describe('@clickhouse/client against the embedded engine', () => {
  it('pings', async () => {
    expect((await analyst.ping()).success).toBe(true);
  });

  it('queries with JSONEachRow and {name:Type} parameters', async () => {
    const result = await analyst.query({
      query: 'SELECT country, count() AS visits FROM visits WHERE country IN {countries:Array(String)} AND id > {min:UInt32} GROUP BY country ORDER BY country',
      query_params: { countries: ['SE', 'GB', "x'y"], min: 0 },
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { country: 'GB', visits: '1' },
      { country: 'SE', visits: '2' },
    ]);
  });

  it('inserts as a writer, and the app sees the rows', async () => {
    await writer.insert({ table: 'visits', values: [{ id: 10, country: 'JP' }], format: 'JSONEachRow' });
    expect(await embedded.query("SELECT count() AS c FROM visits WHERE country = 'JP'")).toEqual([{ c: '1' }]);
  });

  it('surfaces ClickHouse errors with code and type', async () => {
    const failure = analyst.query({ query: 'SELECT * FROM missing_table', format: 'JSONEachRow' });
    await expect(failure).rejects.toBeInstanceOf(ClickHouseError);
    await expect(failure).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
  });

  it('accepts presentation settings from a read-only account', async () => {
    const result = await analyst.query({
      query: 'SELECT toUInt64(1) AS n',
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    expect(await result.json()).toEqual([{ n: 1 }]);
  });
});

describe('read-only analyst accounts', () => {
  const refused = { type: 'READONLY', code: '164' };

  it('cannot insert, create, alter or drop', async () => {
    await expect(analyst.insert({ table: 'visits', values: [{ id: 99, country: 'XX' }], format: 'JSONEachRow' })).rejects.toMatchObject(refused);
    await expect(analyst.command({ query: 'CREATE TABLE evil (a UInt8) ENGINE = Memory' })).rejects.toMatchObject(refused);
    await expect(analyst.command({ query: 'ALTER TABLE visits DELETE WHERE 1' })).rejects.toMatchObject(refused);
    await expect(analyst.command({ query: 'DROP TABLE visits' })).rejects.toMatchObject(refused);
    await expect(analyst.command({ query: 'TRUNCATE TABLE visits' })).rejects.toMatchObject(refused);
    expect(await embedded.query('SELECT count() AS c FROM visits WHERE id < 10')).toEqual([{ c: '3' }]);
  });

  it('cannot lift readonly through SQL, query settings or URL settings', async () => {
    await expect(analyst.command({ query: 'SET readonly = 0' })).rejects.toMatchObject(refused);
    await expect(analyst.query({ query: 'SELECT 1 SETTINGS readonly = 0' })).rejects.toMatchObject(refused);
    await expect(analyst.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '0' } })).rejects.toMatchObject(refused);
    await expect(analyst.query({ query: 'SELECT 1', clickhouse_settings: { readonly: '2' } })).rejects.toMatchObject(refused);
    await expect(analyst.query({ query: 'SELECT 1', clickhouse_settings: { max_threads: 16 } })).rejects.toMatchObject(refused);
  });

  it('cannot hide a write behind a read in a multi-statement query', async () => {
    await expect(analyst.command({ query: 'SELECT 1; DROP TABLE visits' })).rejects.toMatchObject(refused);
    expect(await embedded.query('SELECT count() AS c FROM visits WHERE id < 10')).toEqual([{ c: '3' }]);
  });

  it('cannot read files or URLs from the server', async () => {
    await expect(analyst.query({ query: "SELECT * FROM file('/etc/passwd', 'LineAsString')" })).rejects.toMatchObject(refused);
    await expect(analyst.query({ query: "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')" })).rejects.toMatchObject(refused);
  });

  it('runs under readonly=1 with resource limits', async () => {
    const result = await analyst.query({
      query: "SELECT getSetting('readonly') AS readonly, getSetting('max_threads') AS threads, getSetting('max_execution_time') AS timeout",
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ readonly: 1, threads: 1, timeout: 60 }]);
  });

  it('answers refusals with HTTP 403 and the exception code header', async () => {
    const response = await get('DROP TABLE visits');
    expect(response.status).toBe(403);
    expect(response.headers.get('x-clickhouse-exception-code')).toBe('164');
    expect(await response.text()).toMatch(/^Code: 164\. DB::Exception: .*\(READONLY\)\n$/s);
  });
});

describe('HTTP protocol', () => {
  it('serves GET queries in TabSeparated by default with ClickHouse headers', async () => {
    const response = await fetch(`${server.url}/?query=${encodeURIComponent("SELECT 1, 'a\tb'")}`, {
      headers: { 'X-ClickHouse-User': ANALYST.name, 'X-ClickHouse-Key': ANALYST.password },
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('1\ta\\tb\n');
    expect(response.headers.get('content-type')).toBe('text/tab-separated-values; charset=UTF-8');
    expect(response.headers.get('x-clickhouse-format')).toBe('TabSeparated');
    expect(response.headers.get('x-clickhouse-query-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(response.headers.get('x-clickhouse-summary') ?? '{}')).toHaveProperty('read_rows');
  });

  it('makes GET read-only even for a writer', async () => {
    const response = await get('CREATE TABLE via_get (a UInt8) ENGINE = Memory', WRITER);
    expect(response.status).toBe(403);
  });

  it('takes the query from the URL and the body together, gzip-compressed both ways', async () => {
    const response = await fetch(`${server.url}/?query=${encodeURIComponent('SELECT country FROM visits')}&enable_http_compression=1`, {
      method: 'POST',
      headers: { Authorization: basic(ANALYST), 'Content-Encoding': 'gzip', 'Accept-Encoding': 'gzip' },
      body: gzipSync("WHERE id = 1 FORMAT JSONEachRow"),
    });
    expect(response.status).toBe(200);
    // fetch decodes gzip itself; the header proves the server compressed.
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(await response.text()).toBe('{"country":"SE"}\n');
    expect(gunzipSync(gzipSync('x')).toString()).toBe('x');
  });

  it('requires authentication and rejects wrong passwords alike for unknown users', async () => {
    const anonymous = await fetch(`${server.url}/?query=SELECT%201`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await get('SELECT 1', { name: ANALYST.name, password: 'nope' });
    const unknown = await get('SELECT 1', { name: 'mallory', password: 'nope' });
    expect(wrong.status).toBe(403);
    expect(unknown.status).toBe(403);
    expect(wrong.headers.get('x-clickhouse-exception-code')).toBe('516');
    expect((await unknown.text()).replace('mallory', 'X')).toBe((await wrong.text()).replace(ANALYST.name, 'X'));
  });

  it('rejects unknown settings, sessions and bad parameter names', async () => {
    expect((await get('SELECT 1', ANALYST, '&no_such_setting=1')).status).toBe(400);
    expect((await get('SELECT 1', ANALYST, '&session_id=abc')).status).toBe(400);
    expect((await get('SELECT 1', ANALYST, '&param_bad-name=1')).status).toBe(400);
    const missing = await get('SELECT {x:UInt8}');
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(/UNKNOWN_QUERY_PARAMETER/);
  });

  it('answers /ping without authentication, and 404 for other paths', async () => {
    expect(await (await fetch(`${server.url}/ping`)).text()).toBe('Ok.\n');
    expect((await fetch(`${server.url}/play`)).status).toBe(404);
  });
});

describe('engine lifetime', () => {
  // When the last connection to a data directory closes, chDB shuts the engine down, and each
  // restart with MergeTree tables leaves about five engine threads running: one restart per request
  // reached the 10000-thread pool limit (CANNOT_SCHEDULE_TASK) in `linkpulse clickhouse-http`,
  // where the server is the engine's only user. So these run with the app's adapter closed.
  const engineThreads = async () => {
    const response = await fetch(`${server.url}/`, {
      method: 'POST',
      headers: { Authorization: basic(WRITER) },
      body: "SELECT value FROM system.metrics WHERE metric = 'GlobalThread' FORMAT TSV",
    });
    expect(response.status).toBe(200);
    return Number((await response.text()).trim());
  };
  const post = async (sql: string) => {
    const response = await fetch(`${server.url}/`, { method: 'POST', headers: { Authorization: basic(WRITER) }, body: sql });
    expect(response.status, await response.clone().text()).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    await embedded.close();
  });
  afterAll(async () => {
    embedded = await createChdbAdapter({ path: dataDir, database: 'analytics', logger: testLogger });
  });

  it('keeps the engine running between requests when nothing else holds a connection', async () => {
    await post('CREATE TABLE lifetime_memory (a UInt8) ENGINE = Memory');
    await post('INSERT INTO lifetime_memory VALUES (1)');
    // A Memory table's rows live only as long as the engine that holds them.
    expect(await post('SELECT count() FROM lifetime_memory')).toBe('1\n');
  });

  it('keeps engine threads bounded over many requests into tables with materialized views', async () => {
    await post('CREATE TABLE lifetime_events (id UInt32, country String) ENGINE = MergeTree ORDER BY id');
    await post('CREATE TABLE lifetime_by_country (country String, n UInt64) ENGINE = SummingMergeTree ORDER BY country');
    await post('CREATE MATERIALIZED VIEW lifetime_mv TO lifetime_by_country AS SELECT country, count() AS n FROM lifetime_events GROUP BY country');
    await post("INSERT INTO lifetime_events VALUES (0, 'SE')");
    const before = await engineThreads();
    const requests = 100;
    for (let i = 1; i <= requests; i++) {
      await post(`INSERT INTO lifetime_events VALUES (${i}, '${i % 2 ? 'SE' : 'GB'}')`);
      await post('SELECT count() FROM lifetime_events');
    }
    // Restarting the engine per request added about five threads each time (over 1000 here).
    expect((await engineThreads()) - before).toBeLessThan(25);
    expect(await post('SELECT sum(n) FROM lifetime_by_country')).toBe(`${requests + 1}\n`);
  });
});
