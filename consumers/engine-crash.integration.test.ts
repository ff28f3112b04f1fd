// Exactly once in every table when the ClickHouse engine itself dies mid-insert, as operators run it:
// - a ClickHouse server process (`linkpulse clickhouse-http`, the engine behind the HTTP protocol)
//   SIGKILLed three times while ingest and the consumers run as their own processes under ~300
//   events a second (on Kafka and real PostgreSQL in CI);
// - the whole embedded process group (`linkpulse start`: every role, embedded PostgreSQL, chDB)
//   SIGKILLed four times under the same load, and restarted at once each time, as a supervisor would.
// An insert reaches `events` and each aggregate table one part at a time, so each kill can leave a
// batch in some tables and not others. No event may be stored twice, every event ingest acknowledged
// must be stored, the consumers' metrics must show interrupted inserts completed from the insert
// ledger, and after the reconciler's pass over the drained pipeline every aggregate table must equal
// what its view computes from the raw rows (lib/clickhouse/aggregates.ts). The annotations say how
// many slices that pass had to rebuild (what ClickHouse's own deduplication left wrong).
import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiClient, TEST_PUBLIC_URL } from '../server/testing/api-harness.js';
import { createKafkaBus } from '../lib/bus/kafka-bus.js';
import { createPostgresBus } from '../lib/bus/postgres-bus.js';
import { verifyAggregates } from '../lib/clickhouse/aggregates.js';
import { createChdbAdapter } from '../lib/clickhouse/chdb-adapter.js';
import { reconcileAggregates, type ReconcileDeps, type RepairedSlice } from '../lib/clickhouse/reconcile.js';
import { createMetrics } from '../lib/metrics.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { createClickHouseServerAdapter } from '../lib/clickhouse/client-adapter.js';
import { killProcessGroup, linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { freePort } from '../lib/testing/ports.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { testConfig, testLogger } from '../lib/testing/services.js';
import { uniqueName, waitFor } from '../lib/testing/wait-for.js';
import { ALL_LINKS } from '../lib/analytics/query-plan.js';

const RATE_PER_SECOND = 300;
const MAX_KILLS = 10;
/** Beacons come from many (proxied) addresses: ingest allows 600 a minute from one. */
const VISITOR_IPS = Array.from({ length: 64 }, (_, index) => `198.51.100.${index + 1}`);
const SECRETS = { SESSION_SECRET: 's'.repeat(40), HASH_SECRET: 'h'.repeat(40) };

interface Traffic {
  /** Beacons ingest acknowledged (202): each must be stored exactly once. */
  accepted: number;
  /** Requests that failed (the process was down): they may or may not be stored, never twice. */
  failed: number;
  redirects: number;
}

/**
 * Sends `total` events at RATE_PER_SECOND: views and tracked clicks (beacons with a position) and
 * the redirects that count the clicks, to whatever ingest URL `target()` names at the moment.
 */
async function sendTraffic(target: () => string, page: { profileId: string; linkIds: readonly string[] }, total: number): Promise<Traffic> {
  const traffic: Traffic = { accepted: 0, failed: 0, redirects: 0 };
  const started = Date.now();
  const send = async (index: number) => {
    const ip = VISITOR_IPS[index % VISITOR_IPS.length]!;
    const headers = { 'x-forwarded-for': ip, 'user-agent': `Mozilla/5.0 (X11; Linux x86_64; visitor ${index % 97}) Firefox/140.0` };
    const linkId = page.linkIds[index % page.linkIds.length]!;
    try {
      if (index % 4 === 3) {
        const response = await fetch(`${target()}/r/${linkId}?c=${randomUUID()}`, { headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
        if (response.status === 302) traffic.redirects += 1;
        else traffic.failed += 1;
        return;
      }
      const body =
        index % 4 === 2
          ? { t: 'click', p: page.profileId, l: linkId, c: randomUUID(), x: (index % 100) / 100, y: (index * 7) % 900, vw: 390, vh: 844, ttc: 150 + (index % 5000) }
          : { t: 'view', p: page.profileId, r: index % 3 === 0 ? 'https://github.com/someone/repo' : 'https://news.ycombinator.com/item?id=1' };
      const response = await fetch(`${target()}/e`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'text/plain' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(15_000),
      });
      await response.arrayBuffer();
      if (response.status === 202) traffic.accepted += 1;
      else traffic.failed += 1;
    } catch {
      traffic.failed += 1;
    }
  };
  const inFlight = new Set<Promise<void>>();
  for (let index = 0; index < total; index++) {
    const due = started + (index * 1000) / RATE_PER_SECOND;
    if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    const request = send(index).finally(() => inFlight.delete(request));
    inFlight.add(request);
    if (inFlight.size >= 200) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  return traffic;
}

/** Raw figures of the profile: rows, distinct event ids, and rows by type. */
async function rawFigures(clickhouse: ClickHouse, profileId: string) {
  const [row] = await clickhouse.query<{ rows: string; ids: string; views: string; positions: string; clicks: string }>(
    `SELECT count() AS rows, uniqExact(event_id) AS ids, countIf(event_type = 'view') AS views,
            countIf(event_type = 'click_position') AS positions, countIf(event_type = 'click') AS clicks
       FROM events WHERE profile_id = {p:UUID}`,
    { p: profileId },
  );
  return { rows: Number(row!.rows), ids: Number(row!.ids), views: Number(row!.views), positions: Number(row!.positions), clicks: Number(row!.clicks) };
}

/** The whole range of the test's events, whole UTC days, for one profile. */
function profileRange(profileId: string) {
  const day = 86_400_000;
  return { from: new Date(Math.floor(Date.now() / day) * day - day), to: new Date(Math.ceil(Date.now() / day) * day + day), profiles: [profileId] };
}

/** Rows stored for the profile, waiting out the engine's restarts. */
async function storedRows(clickhouse: ClickHouse, profileId: string): Promise<number> {
  return (await waitFor(async () => ({ rows: (await rawFigures(clickhouse, profileId)).rows }), { what: 'the engine to answer', timeoutMs: 120_000 })).rows;
}

/** Waits until the stored rows stop changing: the consumers have written everything on the bus. */
async function waitForQuiet(clickhouse: ClickHouse, profileId: string): Promise<void> {
  let last = -1;
  let since = Date.now();
  await waitFor(
    async () => {
      const rows = await storedRows(clickhouse, profileId);
      if (rows !== last) [last, since] = [rows, Date.now()];
      return Date.now() - since > 5_000;
    },
    { what: 'the consumers to finish', timeoutMs: 180_000, intervalMs: 500 },
  );
}

/**
 * Every table equal to the raw rows once the pipeline is drained. The consumers complete the inserts
 * the kills interrupted from their insert ledger. What is left is ClickHouse's own: a non-replicated
 * table records an insert's block id and commits its part in two steps, so a kill between them makes
 * that table count the replayed block twice or not at all (about one kill in thirty, in one table).
 * The reconciler repairs exactly that; here it runs once over the drained pipeline, as the scheduler
 * runs it over closed hours: `now` is the next UTC day's first hour, and the bus must confirm that
 * everything published before it has been consumed. Returns the slices it rebuilt.
 */
async function reconcileDrained(clickhouse: ClickHouse, bus: ReconcileDeps['bus'], group: string, profileId: string): Promise<RepairedSlice[]> {
  // A view's part may commit a moment after the raw part of the same insert: let them settle first.
  await waitFor(async () => (await verifyAggregates(clickhouse, profileRange(profileId))).length === 0, {
    what: 'the aggregates to settle',
    timeoutMs: 30_000,
  }).catch(() => undefined);
  const day = 86_400_000;
  const report = await reconcileAggregates({ clickhouse, bus, group, retentionDays: 400, logger: testLogger }, { now: new Date(Math.ceil(Date.now() / day) * day + 3_600_000) });
  expect(report.range?.to.getTime()).toBe(Math.ceil(Date.now() / day) * day);
  expect(report.remaining).toEqual([]);
  expect(await verifyAggregates(clickhouse, profileRange(profileId))).toEqual([]);
  return report.repaired;
}

/** What the run ended with, for the report: raw rows and each aggregate table's totals. */
async function figures(clickhouse: ClickHouse, profileId: string, run: string): Promise<string> {
  const raw = await rawFigures(clickhouse, profileId);
  const totals = await clickhouse.query<{ table: string; views: string; clicks: string }>(
    `SELECT 'traffic_hourly' AS table, sum(views) AS views, sum(clicks) AS clicks FROM traffic_hourly WHERE profile_id = {p:UUID} AND link_id = {all:UUID}
     UNION ALL SELECT 'traffic_daily', sum(views), sum(clicks) FROM traffic_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}
     UNION ALL SELECT 'geo_daily', sum(views), sum(clicks) FROM geo_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}
     UNION ALL SELECT 'dimension_daily (device)', sum(views), sum(clicks) FROM dimension_daily WHERE profile_id = {p:UUID} AND dimension = 'device' AND link_id = {all:UUID}
     UNION ALL SELECT 'heatmap_daily (positions)', 0, sum(clicks) FROM heatmap_daily WHERE profile_id = {p:UUID}`,
    { p: profileId, all: ALL_LINKS },
  );
  const tables = totals.map((row) => `${row.table} ${row.views}/${row.clicks}`).join(', ');
  return `${run}. Raw events: ${raw.rows} rows, ${raw.ids} distinct ids; views ${raw.views}, clicks ${raw.clicks}, positions ${raw.positions}. Aggregates (views/clicks): ${tables}`;
}

/** A counter of a process's /metrics (a loopback scrape needs no token). */
async function metricValue(url: string, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`));
  return Number(line?.split(' ').at(-1) ?? 0);
}

describe('a ClickHouse server process SIGKILLed mid-insert', () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  const processes: CliProcess[] = [];
  afterAll(async () => {
    for (const cli of processes) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
    await database?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'leaves every aggregate table equal to the raw events, every acknowledged event stored once',
    async ({ annotate }) => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-engine-crash-'));
      database = await createTestDatabase('engine_crash');
      const owner = new pg.Client({ connectionString: database.ownerUrl });
      await owner.connect();
      const userId = randomUUID();
      let profileId: string;
      const linkIds: string[] = [];
      try {
        await owner.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'scrypt$1$1$1$a$b')", [userId, `${userId}@example.com`]);
        profileId = (
          await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name, published) VALUES ($1, $2, 'P', true) RETURNING id", [
            userId,
            `c${userId.slice(0, 8)}`,
          ])
        ).rows[0]!.id;
        for (let position = 0; position < 3; position++) {
          const { rows } = await owner.query<{ id: string }>(
            "INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, $3, 'L', 'https://example.com/', 'url') RETURNING id",
            [profileId, userId, position],
          );
          linkIds.push(rows[0]!.id);
        }
      } finally {
        await owner.end();
      }

      // The engine as its own server process, restarted on the same port and data after each kill.
      const port = await freePort();
      const writer = { user: 'writer', password: randomBytes(12).toString('hex') };
      const startEngine = async () => {
        const engine = linkpulse(['clickhouse-http'], {
          DATA_DIR: path.join(dataDir!, 'engine'),
          CLICKHOUSE_HTTP_PORT: String(port),
          CLICKHOUSE_HTTP_PASSWORD: randomBytes(12).toString('hex'),
          CLICKHOUSE_HTTP_WRITER_USER: writer.user,
          CLICKHOUSE_HTTP_WRITER_PASSWORD: writer.password,
        });
        processes.push(engine);
        await waitFor(() => engine.stdout.some((line) => line.startsWith('ClickHouse HTTP endpoint at')) || engine.child.exitCode !== null, {
          what: 'the ClickHouse HTTP endpoint',
          timeoutMs: 60_000,
        });
        if (engine.child.exitCode !== null) throw new Error(`clickhouse-http exited: ${engine.stderr.join(' | ')}`);
        return engine;
      };
      let engine = await startEngine();
      const clickhouseEnv = { CLICKHOUSE_URL: `http://127.0.0.1:${port}`, CLICKHOUSE_USER: writer.user, CLICKHOUSE_PASSWORD: writer.password, CLICKHOUSE_DATABASE: uniqueName('crash') };
      const roleEnv = (role: string) => ({
        ...SECRETS,
        ...clickhouseEnv,
        DATA_DIR: path.join(dataDir!, role),
        HOST: '127.0.0.1',
        PORT: '0',
        TRUST_PROXY: 'loopback',
        DATABASE_URL: database!.appUrl,
        DATABASE_OWNER_URL: database!.ownerUrl,
        EVENTS_CONSUMER_GROUP: uniqueName('crash'),
        ...(testConfig.kafka ? { KAFKA_BROKERS: testConfig.kafka.brokers.join(','), KAFKA_CLIENT_ID: uniqueName('crash') } : {}),
      });
      const consumersEnv = roleEnv('consumers');
      const ingest = linkpulse(['start', '--role', 'ingest'], { ...roleEnv('ingest'), EVENTS_CONSUMER_GROUP: consumersEnv.EVENTS_CONSUMER_GROUP });
      const consumers = linkpulse(['start', '--role', 'consumers'], consumersEnv);
      processes.push(ingest, consumers);
      const ingestUrl = await runningUrl(ingest);
      const consumersUrl = await runningUrl(consumers);
      const clickhouse = await createClickHouseServerAdapter({ url: clickhouseEnv.CLICKHOUSE_URL, user: writer.user, password: writer.password, database: clickhouseEnv.CLICKHOUSE_DATABASE, logger: testLogger });
      const stored = () => storedRows(clickhouse, profileId);
      // The consumers' bus, for the reconciler's question: which periods have they finished?
      const bus = testConfig.kafka
        ? createKafkaBus({ brokers: testConfig.kafka.brokers, clientId: uniqueName('crash-reconciler'), logger: testLogger, metrics: createMetrics() })
        : createPostgresBus({ db: database.db, logger: testLogger, metrics: createMetrics() });

      try {
        let sent = false;
        const sending = sendTraffic(() => ingestUrl, { profileId, linkIds }, RATE_PER_SECOND * 40).finally(() => (sent = true));
        const replayed = () => metricValue(consumersUrl, 'linkpulse_consumer_inserts_total', 'outcome="replayed"');
        let kills = 0;
        // Three kills at least, and on (while traffic lasts) until one has cut an insert short.
        for (; kills < MAX_KILLS && !sent && (kills < 3 || (await replayed()) === 0); kills++) {
          const before = await stored();
          await waitFor(async () => (await stored()) > before + 200, { what: 'the consumers to store more', timeoutMs: 120_000 });
          engine.child.kill('SIGKILL');
          await engine.exited;
          engine = await startEngine();
        }
        const traffic = await sending;
        expect(traffic.failed).toBe(0);

        const beacons = traffic.accepted;
        await waitFor(async () => {
          const figures = await rawFigures(clickhouse, profileId);
          return figures.views + figures.positions >= beacons && figures.clicks >= traffic.redirects;
        }, { what: `${beacons} beacons and ${traffic.redirects} redirect clicks in ClickHouse`, timeoutMs: 180_000 });
        await waitForQuiet(clickhouse, profileId);
        const raw = await rawFigures(clickhouse, profileId);
        expect(raw.ids).toBe(raw.rows);
        expect(raw.views + raw.positions).toBe(beacons);
        expect(raw.clicks).toBe(traffic.redirects);
        // The kills did interrupt inserts, and the consumers completed them from the ledger.
        expect(await replayed()).toBeGreaterThan(0);
        expect(await metricValue(consumersUrl, 'linkpulse_consumer_inserts_total', 'outcome="unreplayable"')).toBe(0);
        const repaired = await reconcileDrained(clickhouse, bus, consumersEnv.EVENTS_CONSUMER_GROUP, profileId);
        await annotate(
          await figures(clickhouse, profileId, `${kills} kills of the engine, ${await replayed()} interrupted inserts replayed, ${repaired.length} slices rebuilt by the reconciler`),
        );
      } finally {
        await clickhouse.close();
        await bus.close();
      }
    },
    480_000,
  );
});

describe('the whole embedded process group SIGKILLed mid-insert', () => {
  let dataDir: string | undefined;
  let current: CliProcess | undefined;
  afterAll(async () => {
    if (current && current.child.exitCode === null) killProcessGroup(current);
    await current?.exited;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it(
    'restarts at once each time and leaves every aggregate table equal to the raw events, no event stored twice',
    async ({ annotate }) => {
      dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-embedded-crash-'));
      await chmod(dataDir, 0o755);
      const port = await freePort();
      const writer = { user: 'writer', password: randomBytes(12).toString('hex') };
      const clickhousePort = await freePort();
      const env = {
        ...SECRETS,
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        PUBLIC_URL: TEST_PUBLIC_URL,
        TRUST_PROXY: 'loopback',
        API_RATE_LIMIT_PER_MINUTE: '10000',
        // The engine's HTTP endpoint, to read the figures while the process runs.
        CLICKHOUSE_HTTP_PORT: String(clickhousePort),
        CLICKHOUSE_HTTP_WRITER_USER: writer.user,
        CLICKHOUSE_HTTP_WRITER_PASSWORD: writer.password,
      };
      const start = async () => {
        current = linkpulse(['start'], env, { processGroup: true });
        return runningUrl(current, 120_000);
      };
      const url = await start();

      // A published page with links, made through the API like a creator would.
      const creator = await new ApiClient(url).signUpAndLogIn();
      const profile = await creator.newProfile({ published: true });
      const linkIds: string[] = [];
      for (let index = 0; index < 3; index++) linkIds.push((await creator.newLink(profile.id)).id);

      const clickhouse = await createClickHouseServerAdapter({ url: `http://127.0.0.1:${clickhousePort}`, user: writer.user, password: writer.password, database: 'analytics', logger: testLogger });
      const stored = () => storedRows(clickhouse, profile.id);
      let run = '';
      try {
        let sent = false;
        const sending = sendTraffic(() => url, { profileId: profile.id, linkIds }, RATE_PER_SECOND * 40).finally(() => (sent = true));
        let replayed = 0;
        let kills = 0;
        // Four kills at least, and on (while traffic lasts) until one has cut an insert short.
        for (; kills < MAX_KILLS && !sent && (kills < 4 || replayed === 0); kills++) {
          const before = await stored();
          await waitFor(async () => (await stored()) > before + 200, { what: 'the consumers to store more', timeoutMs: 120_000 });
          replayed += await metricValue(url, 'linkpulse_consumer_inserts_total', 'outcome="replayed"').catch(() => 0);
          const dead = current!;
          killProcessGroup(dead);
          // Restarted at once, while the dead process may still be exiting.
          await start();
          await dead.exited;
        }
        const traffic = await sending;
        expect(traffic.accepted).toBeGreaterThan(0);

        // Everything acknowledged is stored (some requests cut off by a kill may be too), nothing twice.
        await waitFor(async () => {
          const figures = await rawFigures(clickhouse, profile.id);
          return figures.views + figures.positions >= traffic.accepted;
        }, { what: `${traffic.accepted} acknowledged beacons in ClickHouse`, timeoutMs: 180_000 });
        await waitForQuiet(clickhouse, profile.id);
        const raw = await rawFigures(clickhouse, profile.id);
        expect(raw.ids).toBe(raw.rows);
        expect(raw.views + raw.positions).toBeGreaterThanOrEqual(traffic.accepted);
        expect(raw.views + raw.positions).toBeLessThanOrEqual(traffic.accepted + traffic.failed);
        replayed += await metricValue(url, 'linkpulse_consumer_inserts_total', 'outcome="replayed"');
        expect(replayed).toBeGreaterThan(0);
        run = `${kills} kills of the process group, ${replayed} interrupted inserts replayed; ${traffic.accepted} beacons acknowledged, ${traffic.failed} requests cut off`;
      } finally {
        await clickhouse.close();
      }
      // Stopped once everything it acknowledged is stored (the bus is drained), and its data reconciled
      // as its scheduler would once the hours close.
      current!.child.kill('SIGTERM');
      expect(await current!.exited).toBe(0);
      const engine = await createChdbAdapter({ path: path.join(dataDir, 'clickhouse'), database: 'analytics', logger: testLogger });
      try {
        const repaired = await reconcileDrained(engine, { hasConsumedUntil: async () => true }, 'consumers-clickhouse', profile.id);
        await annotate(await figures(engine, profile.id, `${run}, ${repaired.length} slices rebuilt by the reconciler`));
      } finally {
        await engine.close();
      }
    },
    600_000,
  );
});
