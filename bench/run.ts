// Benchmarks: measure and report, never fail on a timing. `npm run bench` runs every benchmark on
// the embedded backends (and on Kafka too when KAFKA_BROKERS is set); `npm run bench -- bus` runs one.
// Each prints its figures; the machine and Node version are printed first, since figures only mean
// something next to them.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import lighthouse from 'lighthouse';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import type { EventBus } from '../lib/bus/event-bus.js';
import { processImage } from '../api/assets/image.js';
import { pngBomb } from '../lib/testing/attack-corpus.js';
import { createPasswordHasher, DEFAULT_SCRYPT } from '../api/auth/password.js';
import { createKafkaBus } from '../lib/bus/kafka-bus.js';
import { createPostgresBus } from '../lib/bus/postgres-bus.js';
import { createChdbAdapter } from '../lib/clickhouse/chdb-adapter.js';
import { startClickHouseHttpServer } from '../lib/clickhouse/http-server.js';
import { loadConfig, parseConfig } from '../lib/config.js';
import { createLogger } from '../lib/logger.js';
import { createMetrics } from '../lib/metrics.js';
import { createDatabase } from '../lib/postgres/database.js';
import { startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { APP_ROLE, migratePostgres } from '../lib/postgres/migrate.js';
import { startProcess } from '../server/start.js';
import { freePort } from '../lib/testing/ports.js';
import { CHROMIUM } from '../server/testing/site.js';
import { seedDemo } from '../server/demo/seed-demo.js';
import { generateTraffic } from '../server/demo/traffic.js';

const logger = createLogger('silent');
const config = loadConfig();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function latencies(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms`;
}

const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;

function report(name: string, lines: Record<string, string>): void {
  process.stdout.write(`\n${name}\n`);
  for (const [label, value] of Object.entries(lines)) process.stdout.write(`  ${label.padEnd(34)} ${value}\n`);
}

async function scratch(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `linkpulse-bench-${label}-`));
  await chmod(dir, 0o755);
  return dir;
}

/** Publishes `total` events of ~300 bytes from `publishers` concurrent callers, then drains them with one group. */
async function measureBus(name: string, bus: EventBus, total = 20_000, batch = 100, publishers = 4): Promise<void> {
  const topic = `bench_${randomBytes(4).toString('hex')}`;
  await bus.ensureTopics([{ name: topic, partitions: 12 }]);
  const payload = JSON.stringify({ type: 'click', profileId: randomBytes(8).toString('hex'), linkId: randomBytes(8).toString('hex'), x: 0.5, y: 812, ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 Safari/537.36' });
  const publishLatencies: number[] = [];
  const publishStarted = performance.now();
  await Promise.all(
    Array.from({ length: publishers }, async (_, publisher) => {
      for (let sent = publisher * batch; sent < total; sent += publishers * batch) {
        const messages = Array.from({ length: Math.min(batch, total - sent) }, (_, i) => ({ key: `profile:${(sent + i) % 997}`, value: payload }));
        const started = performance.now();
        await bus.publish(topic, messages);
        publishLatencies.push(performance.now() - started);
      }
    }),
  );
  const publishMs = performance.now() - publishStarted;
  let received = 0;
  const consumeStarted = performance.now();
  let done!: () => void;
  const drained = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.consume(
    topic,
    `bench_${randomBytes(4).toString('hex')}`,
    async (messages) => {
      received += messages.length;
      if (received >= total) done();
    },
    { maxBatchSize: 500 },
  );
  await drained;
  const consumeMs = performance.now() - consumeStarted;
  await subscription.stop();
  report(`event bus: ${name} (${total.toLocaleString('en-US')} messages of ${payload.length} bytes, batches of ${batch}, ${publishers} publishers)`, {
    'publish throughput (acknowledged)': rate(total, publishMs),
    'publish call latency': latencies(publishLatencies),
    'consume throughput (committed)': rate(total, consumeMs),
  });
}

async function benchBus(): Promise<void> {
  const dataDir = await scratch('pg');
  const server = await startEmbeddedPostgres({ dataDir, superuserPassword: randomBytes(16).toString('hex'), logger });
  const appPassword = randomBytes(16).toString('hex');
  try {
    await migratePostgres({ ownerUrl: server.superuserUrl(), loginPasswords: { [APP_ROLE]: appPassword }, logger });
    const db = createDatabase({ url: server.urlFor(APP_ROLE, appPassword), applicationName: 'linkpulse-bench', logger, maxConnections: 12 });
    const bus = createPostgresBus({ db, logger, metrics: createMetrics() });
    await measureBus('PostgreSQL queue (embedded PostgreSQL)', bus);
    await bus.close();
    await db.close();
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  if (config.kafka) {
    const bus = createKafkaBus({ ...config.kafka, logger, metrics: createMetrics() });
    await measureBus(`Kafka (${config.kafka.brokers.join(',')})`, bus);
    await bus.close();
  }
}

async function benchClickHouse(): Promise<void> {
  const dataDir = await scratch('ch');
  const clickhouse = await createChdbAdapter({ path: dataDir, database: 'bench', logger });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  try {
    await clickhouse.command(
      `CREATE TABLE events (profile_id UInt64, link_id UInt64, ts DateTime64(3, 'UTC'), country LowCardinality(String), device LowCardinality(String))
       ENGINE = MergeTree ORDER BY (profile_id, ts)`,
    );
    const countries = ['SE', 'GB', 'US', 'JP', 'DE', 'FR', 'BR', 'IN'];
    const devices = ['desktop', 'mobile', 'tablet'];
    const batches = 20;
    const batchSize = 10_000;
    loop.enable();
    const insertStarted = performance.now();
    for (let b = 0; b < batches; b += 1) {
      const rows = Array.from({ length: batchSize }, (_, i) => ({
        profile_id: (b * batchSize + i) % 100,
        link_id: (b * batchSize + i) % 1000,
        ts: new Date(Date.UTC(2026, 0, 1) + (b * batchSize + i) * 1000),
        country: countries[i % countries.length],
        device: devices[i % devices.length],
      }));
      await clickhouse.insert('events', rows, { deduplicationToken: `bench-${b}` });
    }
    const insertMs = performance.now() - insertStarted;
    const queryLatencies: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const started = performance.now();
      await clickhouse.query(
        'SELECT toDate(ts) AS day, country, count() AS clicks FROM events WHERE profile_id = {profile:UInt64} GROUP BY day, country ORDER BY day, country',
        { profile: i % 100 },
      );
      queryLatencies.push(performance.now() - started);
    }
    loop.disable();
    report(`analytics store: chDB (embedded), ${(batches * batchSize).toLocaleString('en-US')} rows in batches of ${batchSize.toLocaleString('en-US')}`, {
      'insert throughput (JSONEachRow)': rate(batches * batchSize, insertMs),
      'per-profile daily GROUP BY': latencies(queryLatencies),
      'event-loop delay meanwhile': `max ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms (5 ms resolution)`,
    });

    const server = await startClickHouseHttpServer({
      path: dataDir,
      users: [{ name: 'analyst', password: 'bench-password-123', readonly: true }],
      defaultDatabase: 'bench',
      host: '127.0.0.1',
      port: 0,
      logger,
    });
    const client = createClient({ url: server.url, username: 'analyst', password: 'bench-password-123', database: 'bench', log: { level: ClickHouseLogLevel.OFF } });
    const httpLatencies: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      const started = performance.now();
      await (await client.query({ query: 'SELECT {n:UInt32} AS n', query_params: { n: i }, format: 'JSONEachRow' })).json();
      httpLatencies.push(performance.now() - started);
    }
    await client.close();
    await server.close();
    report('ClickHouse HTTP endpoint on chDB (read-only analyst, @clickhouse/client, 300 sequential queries)', {
      'SELECT {n:UInt32} round trip': latencies(httpLatencies),
    });
  } finally {
    await clickhouse.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The public URL the benchmarked processes serve (seedCreator sends it as the Origin). */
const BENCH_PUBLIC_URL = 'http://localhost:3000';

/** A whole Linkpulse process on embedded backends under dataDir, quiet, on a free port. */
function benchProcessConfig(dataDir: string, extra: Record<string, string> = {}) {
  return parseConfig({ DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PUBLIC_URL: BENCH_PUBLIC_URL, ...extra });
}

/** Signs up, logs in and publishes a profile with five links; returns what the API benchmarks request. */
async function seedCreator(baseUrl: string, origin = BENCH_PUBLIC_URL): Promise<{ cookie: string; handle: string; profileId: string }> {
  const post = async (pathname: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${baseUrl}/api/v1${pathname}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, ...headers },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${pathname}: ${response.status} ${await response.text()}`);
    return response;
  };
  const credentials = { email: 'bench@example.com', password: 'quiet harbour lanterns at dusk' };
  await post('/auth/signup', credentials);
  const login = await post('/auth/login', credentials);
  // The session cookie; login also sets the known-device cookie.
  const cookie = login.headers
    .getSetCookie()
    .map((header) => header.split(';')[0]!)
    .find((pair) => pair.startsWith('lp_session='))!;
  const session = { cookie, 'x-csrf-token': ((await login.json()) as { csrfToken: string }).csrfToken };
  const profile = (await (await post('/profiles', { handle: 'bench', displayName: 'Bench', published: true }, session)).json()) as { id: string };
  for (let i = 0; i < 5; i++) await post(`/profiles/${profile.id}/links`, { title: `Link ${i}`, url: `https://example.com/${i}` }, session);
  return { cookie, handle: 'bench', profileId: profile.id };
}

async function benchHttp(): Promise<void> {
  const dataDir = await scratch('http');
  // The benchmark is one client address and one user: lift the limits it would otherwise measure.
  const processConfig = benchProcessConfig(dataDir, { API_RATE_LIMIT_PER_MINUTE: '1000000', API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  const running = await startProcess(processConfig, ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], { installSignalHandlers: false });
  try {
    const creator = await seedCreator(running.url);
    for (const [pathname, label, headers] of [
      ['/healthz', 'GET /healthz', {}],
      ['/readyz', 'GET /readyz (checks 5 backends)', {}],
      ['/', 'GET / (SvelteKit SSR status page)', {}],
      [`/api/v1/public/profiles/${creator.handle}`, 'GET public profile (cached, 5 links)', {}],
      [`/api/v1/profiles/${creator.profileId}/links`, 'GET links (session lookup + RLS transaction)', { cookie: creator.cookie }],
    ] as const) {
      const concurrency = 16;
      const perWorker = 150;
      const samples: number[] = [];
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = 0; i < perWorker; i += 1) {
            const t = performance.now();
            const response = await fetch(`${running.url}${pathname}`, { headers });
            if (!response.ok) throw new Error(`${label}: ${response.status}`);
            await response.arrayBuffer();
            samples.push(performance.now() - t);
          }
        }),
      );
      report(`HTTP: ${label}, ${concurrency} concurrent clients x ${perWorker}`, {
        throughput: rate(concurrency * perWorker, performance.now() - started),
        latency: latencies(samples),
      });
    }
  } finally {
    await running.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** POSTs `total` bodies to url over `connections` keep-alive sockets; each from one of many proxied client addresses. */
async function loadTest(url: string, total: number, connections: number, body: (index: number) => string): Promise<{ ms: number; latencies: number[]; statuses: Map<number, number>; acceptedAt: number[] }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const acceptedAt: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const post = (index: number) =>
    new Promise<number>((resolve, reject) => {
      const request = http.request(url, {
        method: 'POST',
        agent,
        // Many visitors, not one: ingest limits each address (TRUST_PROXY=loopback in this run).
        headers: { 'content-type': 'text/plain', 'x-forwarded-for': `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`, 'user-agent': 'Mozilla/5.0 (bench) Firefox/140.0' },
      });
      request.on('response', (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      });
      request.on('error', reject);
      request.end(body(index));
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < total) {
        const index = next++;
        const t = performance.now();
        const status = await post(index);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status === 202) acceptedAt.push(performance.now());
      }
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  return { ms, latencies, statuses, acceptedAt };
}

/**
 * Ingest under 100 connections next to a bare node:http server that only answers 202 (the ratio is
 * what ingest's validation, hashing and bus acknowledgement cost), then the whole pipeline: how fast
 * accepted events become queryable in ClickHouse, and how far behind (freshness) they are.
 */
async function benchIngest(): Promise<void> {
  const connections = 100;
  const total = 20_000;
  const bare = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(202, { 'Content-Length': '0' }).end());
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/e`;

  const dataDir = await scratch('ingest');
  const processConfig = benchProcessConfig(dataDir, {
    TRUST_PROXY: 'loopback',
    ...(config.kafka ? { KAFKA_BROKERS: config.kafka.brokers.join(','), EVENTS_CONSUMER_GROUP: `bench-${randomBytes(4).toString('hex')}` } : {}),
  });
  const running = await startProcess(processConfig, ['ingest', 'api', 'consumers'], { installSignalHandlers: false });
  try {
    const creator = await seedCreator(running.url);
    const clickhouse = running.platform.clickhouse!;
    const { rows } = await running.platform.db!.transaction(async (tx) => {
      await tx.query(`SET LOCAL ROLE linkpulse_public`);
      return tx.query<{ id: string }>('SELECT id FROM profiles WHERE handle = $1', [creator.handle]);
    });
    const profileId = rows[0]!.id;
    const view = () => JSON.stringify({ t: 'view', p: profileId, r: 'https://github.com/' });
    await new Promise((resolve) => setTimeout(resolve, 500)); // ingest reloads link targets on NOTIFY

    const bareRun = await loadTest(bareUrl, total, connections, view);
    const ingestRun = await loadTest(`${running.url}/e`, total, connections, view);
    const bareSorted = [...bareRun.latencies].sort((a, b) => a - b);
    const ingestSorted = [...ingestRun.latencies].sort((a, b) => a - b);
    report(`ingest: POST /e, ${connections} connections, ${total.toLocaleString('en-US')} beacons (bus: ${running.platform.bus!.kind})`, {
      'bare node:http 202': `${rate(total, bareRun.ms)}, p50 ${percentile(bareSorted, 50).toFixed(1)} ms, p99 ${percentile(bareSorted, 99).toFixed(1)} ms`,
      'ingest (validated, hashed, on the bus)': `${rate(total, ingestRun.ms)}, p50 ${percentile(ingestSorted, 50).toFixed(1)} ms, p99 ${percentile(ingestSorted, 99).toFixed(1)} ms`,
      'ratio ingest / bare': `${((total / ingestRun.ms / (total / bareRun.ms)) * 100).toFixed(0)}% of the bare server's throughput`,
      'answers': [...ingestRun.statuses].map(([status, count]) => `${status}×${count}`).join(', '),
    });

    // Pipeline: the accepted beacons of the ingest run, counted in the aggregates as they arrive.
    const accepted = ingestRun.acceptedAt;
    const polls: { at: number; count: number }[] = [];
    const countNow = async () =>
      Number((await clickhouse.query<{ n: string }>('SELECT sum(views) AS n FROM link_stats_daily WHERE profile_id = {p:UUID}', { p: profileId }))[0]?.n ?? 0);
    const deadline = performance.now() + 300_000;
    for (;;) {
      const count = await countNow();
      polls.push({ at: performance.now(), count });
      if (count >= accepted.length || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lags: number[] = [];
    let poll = 0;
    accepted.sort((a, b) => a - b);
    for (const [index, at] of accepted.entries()) {
      while (poll < polls.length && polls[poll]!.count <= index) poll += 1;
      if (poll < polls.length) lags.push(polls[poll]!.at - at);
    }
    const lastPoll = polls[polls.length - 1]!;
    report('pipeline: HTTP → bus → consumers → ClickHouse aggregates', {
      'queryable': `${lastPoll.count.toLocaleString('en-US')} of ${accepted.length.toLocaleString('en-US')} accepted`,
      'throughput (first accept → all queryable)': rate(lastPoll.count, lastPoll.at - accepted[0]!),
      'freshness lag (accept → in aggregates)': `${latencies(lags)} (polled every 100 ms)`,
    });
  } finally {
    await running.stop('bench finished');
    await new Promise((resolve) => bare.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The size argument of `npm run bench -- analytics 200000` (and `dashboard`): 10 million by default. */
function eventsArgument(): number {
  return Number(process.argv[3] ?? 10_000_000);
}

/**
 * Fills a profile with `total` generated events over 90 days ending now (server/demo/traffic.ts: about
 * 50,000 distinct visitors a day at 10 million), then merges the aggregate tables. Returns the
 * timings and the table sizes for the report.
 */
async function loadGeneratedEvents(running: Awaited<ReturnType<typeof startProcess>>, baseUrl: string, creator: { cookie: string; profileId: string }, total: number, end: number): Promise<Record<string, string>> {
  const clickhouse = running.platform.clickhouse!;
  const links = (await (await fetch(`${baseUrl}/api/v1/profiles/${creator.profileId}/links`, { headers: { cookie: creator.cookie } })).json()) as { links: { id: string; kind: 'url' | 'github' }[] };
  const started = performance.now();
  for (const rows of generateTraffic({ profileId: creator.profileId, links: links.links, days: 90, events: total, end, batchSize: 100_000 })) {
    await clickhouse.insert('events', rows);
  }
  const loadMs = performance.now() - started;
  // Live traffic arrives in small batches of the last seconds and background merges keep up; a bulk
  // load leaves each aggregate table with many partial rows per hour or day until merges combine
  // them. Merge now, as the background would, so reads measure the steady state, not the backlog.
  const mergeStarted = performance.now();
  for (const table of ['link_stats_hourly', 'link_stats_daily', 'geo_stats_daily', 'dimension_stats_daily', 'heatmap_daily']) {
    await clickhouse.command(`OPTIMIZE TABLE ${table} FINAL`);
  }
  const mergeMs = performance.now() - mergeStarted;
  const sizes = await clickhouse.query<{ table: string; megabytes: number }>(
    `SELECT table, round(sum(bytes_on_disk) / 1e6, 1) AS megabytes FROM system.parts
      WHERE active AND database = currentDatabase() AND table != 'schema_migrations' GROUP BY table ORDER BY table`,
  );
  return {
    'generated and inserted': `${total.toLocaleString('en-US')} events in ${(loadMs / 1000).toFixed(0)} s`,
    'aggregates merged (OPTIMIZE FINAL)': `${(mergeMs / 1000).toFixed(1)} s`,
    'on disk (MB)': sizes.map((size) => `${size.table} ${size.megabytes}`).join(', '),
  };
}

/**
 * The analytics API over 10 million generated events (one creator's profile: the worst case for a
 * single dashboard), each endpoint called 20 times over HTTP with a 30-day range, p50/p95.
 */
async function benchAnalytics(): Promise<void> {
  const total = eventsArgument();
  const dataDir = await scratch('analytics');
  const processConfig = benchProcessConfig(dataDir, { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  const running = await startProcess(processConfig, ['api'], { installSignalHandlers: false });
  try {
    const creator = await seedCreator(running.url);
    const end = Date.now();
    const lines = await loadGeneratedEvents(running, running.url, creator, total, end);
    const from = new Date(end - 30 * 86_400_000).toISOString();
    const to = new Date(end).toISOString();
    for (const [endpoint, extra] of [
      ['summary', '&compare=previous'],
      ['timeseries', '&interval=day&tz=Europe%2FBerlin'],
      ['links', ''],
      ['geo', ''],
      ['devices', ''],
      ['referrers', ''],
      ['utm', ''],
      ['heatmap', '&device=mobile'],
      ['bots', ''],
      ['realtime', ''],
      ['summary', '&country=DE&device=mobile&channel=github'],
    ] as const) {
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        // Realtime has a fixed window (the last 30 minutes) and takes no range.
        const range = endpoint === 'realtime' ? '' : `?from=${from}&to=${to}${extra}`;
        const response = await fetch(`${running.url}/api/v1/profiles/${creator.profileId}/analytics/${endpoint}${range}`, { headers: { cookie: creator.cookie } });
        if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
        await response.arrayBuffer();
        samples.push(performance.now() - t);
      }
      const sorted = samples.sort((a, b) => a - b);
      lines[`${endpoint}${extra.includes('country') ? ' (3 filters)' : ''}`] = `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms`;
    }
    report('analytics API (one profile, 30-day range, embedded chDB; aggregates for whole hours and days, raw rows for the rest)', lines);
  } finally {
    await running.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Sets window.__linkpulseReady to performance.now() once a panel exists and none is busy. */
const READY_OBSERVER = `(() => {
  const check = () => {
    if (window.__linkpulseReady === undefined && document.querySelector('section.panel') && !document.querySelector('section.panel[aria-busy="true"]')) {
      window.__linkpulseReady = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy'] });
})();`;

/**
 * Time to an interactive analytics dashboard over 10 million events: Chromium (playwright-core,
 * signed in with the creator's session cookie) opens /dashboard/<profile>/analytics; ready is when
 * at least one `section.panel` exists and none is `aria-busy="true"` (every panel has its data).
 * Measured in the page with performance.now(), i.e. from navigation start. The first load is cold
 * (a fresh browser context: nothing cached, and the first queries of this process on those ranges);
 * then 5 warm loads in the same context, p50. For the default view (7 days), 30 days and 90 days.
 */
async function benchDashboard(): Promise<void> {
  const total = eventsArgument();
  const dataDir = await scratch('dashboard');
  const { origin, running } = await startBrowserSite(dataDir, ['api', 'dashboard'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  try {
    const creator = await seedCreator(origin, origin);
    const lines = await loadGeneratedEvents(running, origin, creator, total, Date.now());
    for (const [label, query] of [
      ['7 days (the default view)', ''],
      ['30 days', '?range=30d'],
      ['90 days', '?range=90d'],
    ] as const) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const [name, value] = creator.cookie.split('=') as [string, string];
      await context.addCookies([{ name, value, url: origin }]);
      const page = await context.newPage();
      const failures: string[] = [];
      page.on('response', (response) => {
        if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
      });
      // The page's CSP (rightly) refuses the eval that waitForFunction needs, so an init script
      // (injected by DevTools, outside the CSP) records the moment the panels are ready.
      await page.addInitScript(READY_OBSERVER);
      const timeToReady = async () => {
        await page.goto(`${origin}/dashboard/${creator.profileId}/analytics${query}`, { waitUntil: 'commit' });
        const deadline = performance.now() + 180_000;
        for (;;) {
          const ready = Number(await page.evaluate('window.__linkpulseReady ?? 0'));
          if (ready > 0) return ready;
          if (performance.now() > deadline) throw new Error(`dashboard ${label}: panels not ready after 180 s`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const cold = await timeToReady();
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) warm.push(await timeToReady());
      const panels = await page.locator('section.panel').count();
      await context.close();
      if (failures.length > 0) throw new Error(`dashboard ${label}: failed requests ${failures.join(', ')}`);
      lines[`${label}: first load (cold)`] = `${cold.toFixed(0)} ms to ${panels} panels ready`;
      lines[`${label}: warm loads, p50 of 5`] = `${percentile([...warm].sort((a, b) => a - b), 50).toFixed(0)} ms (${warm.map((ms) => ms.toFixed(0)).join(', ')})`;
    }
    report(`analytics dashboard in Chromium (headless, 1440 × 900), ${total.toLocaleString('en-US')} events of one profile, embedded chDB: navigation start → every panel loaded`, lines);
  } finally {
    await browser.close();
    await running.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** The login KDF at its production parameters: time per hash, and what concurrent logins cost. */
async function benchPasswords(): Promise<void> {
  const hasher = createPasswordHasher();
  const stored = await hasher.hash('correct horse battery staple');
  const sequential: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await hasher.verify('correct horse battery staple', stored);
    sequential.push(performance.now() - started);
  }
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 2);
  const concurrent = 16;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrent }, () => hasher.verify('wrong guess', stored)));
  const elapsed = performance.now() - started;
  clearInterval(sampler);
  report(`password hashing (scrypt N=${DEFAULT_SCRYPT.N}, r=${DEFAULT_SCRYPT.r}, p=${DEFAULT_SCRYPT.p})`, {
    'one verification': latencies(sequential),
    [`${concurrent} concurrent verifications`]: `${elapsed.toFixed(0)} ms in total (${rate(concurrent, elapsed)})`,
    'peak RSS growth during them': `${Math.round((rssPeak - rssBefore) / 1024 ** 2)} MiB (sampled every 2 ms)`,
  });
}

/**
 * The upload pipeline's work per image (identify, decode under the pixel limit, orient, shrink,
 * re-encode): photo-like noise at common sizes, so the encoder has real work; and what a refused
 * decompression bomb costs.
 */
async function benchAssets(): Promise<void> {
  const photo = async (width: number, height: number) => {
    const noise = Buffer.alloc(width * height * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2_654_435_761) >>> 24;
    return sharp(noise, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
  };
  const lines: Record<string, string> = {};
  for (const [label, width, height] of [
    ['1024 × 768 JPEG', 1024, 768],
    ['4032 × 3024 JPEG (12 MP phone photo)', 4032, 3024],
  ] as const) {
    const input = await photo(width, height);
    for (const format of ['webp', 'avif'] as const) {
      const samples: number[] = [];
      let output = 0;
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        output = (await processImage(input, { format, quality: 80 })).body.length;
        samples.push(performance.now() - started);
      }
      lines[`${label} → ${format}`] = `p50 ${percentile(samples.sort((a, b) => a - b), 50).toFixed(0)} ms; ${(input.length / 1e6).toFixed(1)} MB in, ${(output / 1e3).toFixed(0)} kB out`;
    }
  }
  const bomb = await pngBomb();
  const started = performance.now();
  await processImage(bomb, { format: 'webp', quality: 80 }).catch(() => undefined);
  lines['100,000 × 100,000 PNG bomb, refused'] = `${(performance.now() - started).toFixed(1)} ms`;
  report(`image uploads (sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; 5 runs each)`, lines);
}

/**
 * A whole process for a browser: PUBLIC_URL is its own origin (pages, cookies and CSRF checks agree),
 * so the port is chosen first.
 */
async function startBrowserSite(dataDir: string, roles: Parameters<typeof startProcess>[1], extra: Record<string, string> = {}) {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const running = await startProcess(benchProcessConfig(dataDir, { PORT: String(port), PUBLIC_URL: origin, ...extra }), roles, { installSignalHandlers: false });
  return { origin, running };
}

/** Debian's Chromium, started headless with a DevTools port for Lighthouse; stop() ends it. */
async function launchChromium(): Promise<{ port: number; stop: () => Promise<void> }> {
  const profile = await scratch('chromium');
  const chromium = spawn(CHROMIUM, ['--headless=new', '--no-sandbox', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stderr = '';
    chromium.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(stderr);
      if (match) resolve(Number(match[1]));
    });
    chromium.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${stderr}`)));
    setTimeout(() => reject(new Error(`chromium did not open its DevTools port within 30 s: ${stderr}`)), 30_000).unref();
  }).catch((error: unknown) => {
    chromium.kill('SIGKILL');
    throw error;
  });
  return {
    port,
    async stop() {
      if (chromium.exitCode === null && chromium.signalCode === null) {
        const exited = new Promise((resolve) => chromium.once('exit', resolve));
        chromium.kill('SIGTERM');
        await exited;
      }
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Lighthouse 12 (its default config: the mobile preset, simulated slow 4G and a 4x CPU slowdown),
 * performance only, on a public profile page served by a whole process on embedded defaults: the
 * demo page (bio, six links, two GitHub cards). Three runs, the median of each figure.
 */
async function benchLighthouse(): Promise<void> {
  const dataDir = await scratch('lighthouse');
  const { origin, running } = await startBrowserSite(dataDir, ['ingest', 'api', 'consumers', 'scheduler', 'dashboard']);
  const chromium = await launchChromium();
  try {
    const seeded = await seedDemo({ baseUrl: origin, origin, clickhouse: running.platform.clickhouse!, events: 0 });
    const url = `${origin}/@${seeded.handle}`;
    const audits = {
      'performance score': ['score', 1],
      'First Contentful Paint': ['first-contentful-paint', 0],
      'Largest Contentful Paint': ['largest-contentful-paint', 0],
      'Total Blocking Time': ['total-blocking-time', 0],
      'Cumulative Layout Shift': ['cumulative-layout-shift', 0],
      'Speed Index': ['speed-index', 0],
    } as const;
    const samples = new Map<string, number[]>();
    let version = '';
    for (let run = 0; run < 3; run++) {
      const result = await lighthouse(url, { port: chromium.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] });
      if (!result) throw new Error('Lighthouse returned no result');
      const { lhr } = result;
      if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      version = lhr.lighthouseVersion;
      for (const [label, [audit]] of Object.entries(audits)) {
        const value = audit === 'score' ? (lhr.categories.performance?.score ?? Number.NaN) * 100 : (lhr.audits[audit]?.numericValue ?? Number.NaN);
        samples.set(label, [...(samples.get(label) ?? []), value]);
      }
    }
    const lines: Record<string, string> = {};
    for (const [label, values] of samples) {
      const median = percentile([...values].sort((a, b) => a - b), 50);
      const unit = label === 'performance score' ? '' : label === 'Cumulative Layout Shift' ? '' : ' ms';
      const shown = (value: number) => (label === 'Cumulative Layout Shift' ? value.toFixed(3) : value.toFixed(0));
      lines[label] = `${shown(median)}${unit} (runs: ${values.map(shown).join(', ')})`;
    }
    report(`Lighthouse ${version}, mobile preset, performance only: ${new URL(url).pathname} (Chromium ${await chromiumVersion(chromium.port)}; median of 3)`, lines);
  } finally {
    await chromium.stop();
    await running.stop('bench finished');
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function chromiumVersion(port: number): Promise<string> {
  const { Browser } = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as { Browser: string };
  return Browser.replace(/^.*?\//, '');
}

const BENCHMARKS: Record<string, () => Promise<void>> = {
  bus: benchBus,
  clickhouse: benchClickHouse,
  http: benchHttp,
  ingest: benchIngest,
  analytics: benchAnalytics,
  passwords: benchPasswords,
  assets: benchAssets,
  lighthouse: benchLighthouse,
  dashboard: benchDashboard,
};

const selected = process.argv.slice(2);
process.stdout.write(`Linkpulse benchmarks: Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB\n`);
for (const [name, run] of Object.entries(BENCHMARKS)) {
  if (selected.length > 0 && !selected.includes(name)) continue;
  await run();
}
