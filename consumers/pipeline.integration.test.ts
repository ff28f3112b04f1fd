// The event pipeline end to end, as operators run it: `linkpulse start --role ingest` and
// `linkpulse start --role consumers` as separate processes, on Kafka and a ClickHouse server in CI
// (on the PostgreSQL bus and the embedded engine's ClickHouse HTTP endpoint in `npm test`).
// Acceptance: every event ingest accepted (202) is in ClickHouse exactly once, and in its
// aggregates, even though the consumer is SIGKILLed mid-run several times; and the visitor's IP
// appears nowhere: not on the bus, in ClickHouse, in PostgreSQL or in any process's logs.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKafkaBus } from '../lib/bus/kafka-bus.js';
import { TOPICS } from '../lib/bus/topics.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { createMetrics } from '../lib/metrics.js';
import { createClickHouseServerAdapter } from '../lib/clickhouse/client-adapter.js';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../lib/clickhouse/http-server.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { testConfig, testLogger } from '../lib/testing/services.js';
import { uniqueName, waitFor } from '../lib/testing/wait-for.js';
import { ALL_LINKS } from '../lib/analytics/query-plan.js';

const EVENTS = 1_500;
const KILLS = 3;
/** Visitors' addresses that must never be stored anywhere (several: ingest limits each to 600/min). */
const VISITOR_IPS = Array.from({ length: 10 }, (_, index) => `198.51.100.${201 + index}`);
const containsAnIp = (text: string) => VISITOR_IPS.some((ip) => text.includes(ip) || text.includes(Buffer.from(ip).toString('hex')));
const PUBLIC_URL = 'http://localhost:3000';

let database: TestDatabase;
let owner: pg.Client;
let endpoint: ClickHouseHttpServer | undefined;
let clickhouse: ClickHouse;
let clickhouseEnv: Record<string, string>;
let dataDir: string;
const processes: CliProcess[] = [];
let profileId: string;
let linkIds: string[];

async function setUpClickHouse(databaseName: string): Promise<void> {
  if (testConfig.clickhouse) {
    clickhouseEnv = { CLICKHOUSE_URL: testConfig.clickhouse.url, CLICKHOUSE_USER: testConfig.clickhouse.user, CLICKHOUSE_PASSWORD: testConfig.clickhouse.password };
  } else {
    // The embedded engine, served over the ClickHouse HTTP protocol by this test process.
    const writer = { name: 'writer', password: randomBytes(12).toString('hex'), readonly: false };
    endpoint = await startClickHouseHttpServer({ path: path.join(dataDir, 'clickhouse'), users: [writer], defaultDatabase: 'default', host: '127.0.0.1', port: 0, logger: testLogger });
    clickhouseEnv = { CLICKHOUSE_URL: endpoint.url, CLICKHOUSE_USER: writer.name, CLICKHOUSE_PASSWORD: writer.password };
  }
  clickhouse = await createClickHouseServerAdapter({
    url: clickhouseEnv.CLICKHOUSE_URL!,
    user: clickhouseEnv.CLICKHOUSE_USER!,
    password: clickhouseEnv.CLICKHOUSE_PASSWORD!,
    database: databaseName,
    logger: testLogger,
  });
}

function roleEnv(role: string): Record<string, string> {
  return {
    DATA_DIR: path.join(dataDir, role),
    HOST: '127.0.0.1',
    PORT: '0',
    PUBLIC_URL,
    TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.appUrl,
    DATABASE_OWNER_URL: database.ownerUrl,
    SESSION_SECRET: 's'.repeat(40),
    HASH_SECRET: 'h'.repeat(40),
    CLICKHOUSE_DATABASE: clickhouse.database,
    // Its own group: other suites run consumers on the same Kafka topic with other databases.
    EVENTS_CONSUMER_GROUP: `pipeline-${clickhouse.database}`,
    ...clickhouseEnv,
    ...(testConfig.kafka ? { KAFKA_BROKERS: testConfig.kafka.brokers.join(','), KAFKA_CLIENT_ID: uniqueName('pipeline') } : {}),
  };
}

function start(role: 'ingest' | 'consumers'): CliProcess {
  const cli = linkpulse(['start', '--role', role], roleEnv(role));
  processes.push(cli);
  return cli;
}

const storedEvents = async () =>
  Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM events WHERE profile_id = {p:UUID}', { p: profileId }))[0]!.n);

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-pipeline-'));
  database = await createTestDatabase('pipeline');
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  const userId = randomUUID();
  await owner.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'scrypt$1$1$1$a$b')", [userId, `${userId}@example.com`]);
  profileId = (
    await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name, published) VALUES ($1, $2, 'P', true) RETURNING id", [userId, `p${userId.slice(0, 8)}`])
  ).rows[0]!.id;
  linkIds = [];
  for (let position = 0; position < 2; position++) {
    const { rows } = await owner.query<{ id: string }>(
      "INSERT INTO links (profile_id, user_id, position, title, url, kind) VALUES ($1, $2, $3, 'L', 'https://example.com/', 'url') RETURNING id",
      [profileId, userId, position],
    );
    linkIds.push(rows[0]!.id);
  }
  await setUpClickHouse(uniqueName('pipeline'));
}, 180_000);

afterAll(async () => {
  for (const cli of processes) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await clickhouse?.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`).catch(() => undefined);
  await clickhouse?.close();
  await endpoint?.close();
  await owner?.end();
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it(
  'stores every accepted event exactly once through consumer crashes, and no IP anywhere',
  async () => {
    const ingest = start('ingest');
    const ingestUrl = await runningUrl(ingest);
    let consumer = start('consumers');
    await runningUrl(consumer);

    // Visitors: views and tracked clicks, posted 20 at a time, from ten (proxied) addresses.
    let accepted = 0;
    const send = async (index: number) => {
      const click = index % 3 === 0;
      const body = click
        ? { t: 'click', p: profileId, l: linkIds[index % 2], c: randomUUID(), x: (index % 100) / 100, y: index % 900, vw: 390, vh: 844, ttc: 100 + index }
        : { t: 'view', p: profileId, r: 'https://github.com/someone/repo' };
      const response = await fetch(`${ingestUrl}/e`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', 'x-forwarded-for': VISITOR_IPS[index % VISITOR_IPS.length]!, 'user-agent': `Mozilla/5.0 (visitor ${index % 50}) Firefox/140.0` },
        body: JSON.stringify(body),
      });
      if (response.status === 202) accepted += 1;
      else throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
    };
    let next = 0;
    const sending = Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < EVENTS) await send(next++);
      }),
    );

    // Kill the consumer mid-stream, each time once it has stored more, then start a new one.
    for (let kill = 0; kill < KILLS; kill++) {
      const before = await storedEvents().catch(() => 0);
      await waitFor(async () => (await storedEvents().catch(() => 0)) > before, { what: 'the consumer to make progress', timeoutMs: 90_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}; consumer output: ${[...consumer.stdout, ...consumer.stderr].slice(-15).join(' | ')}`);
      });
      consumer.child.kill('SIGKILL');
      await consumer.exited;
      consumer = start('consumers');
      await runningUrl(consumer);
    }
    await sending;
    expect(accepted).toBe(EVENTS);

    await waitFor(async () => (await storedEvents()) >= EVENTS, { what: `${EVENTS} events in ClickHouse`, timeoutMs: 120_000 });
    const [raw] = await clickhouse.query<{ rows: string; ids: string; clicks: string; positions: string; views: string }>(
      `SELECT count() AS rows, uniqExact(event_id) AS ids, countIf(event_type = 'view') AS views,
              countIf(event_type = 'click_position') AS positions, countIf(event_type = 'click') AS clicks
         FROM events WHERE profile_id = {p:UUID}`,
      { p: profileId },
    );
    expect(raw).toEqual({ rows: String(EVENTS), ids: String(EVENTS), views: String(EVENTS - Math.ceil(EVENTS / 3)), positions: String(Math.ceil(EVENTS / 3)), clicks: '0' });

    // The materialized views saw each insert once too (a duplicate insert would have doubled them).
    // A view's part can commit a moment after the raw part of the same insert, so wait for them to
    // settle before comparing; a real loss never settles and fails below.
    const aggregateFigures = async () =>
      (
        await clickhouse.query<{ views: string; visitors: string; cells: string }>(
          `SELECT (SELECT sum(views) FROM traffic_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}) AS views,
                  (SELECT length(groupUniqArrayMerge(256)(visitor_set)) FROM traffic_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}) AS visitors,
                  (SELECT sum(clicks) FROM heatmap_daily WHERE profile_id = {p:UUID}) AS cells`,
          { p: profileId, all: ALL_LINKS },
        )
      )[0];
    await waitFor(async () => (await aggregateFigures())?.views === raw!.views, { what: 'the aggregates to include every stored event', timeoutMs: 30_000 }).catch(
      () => undefined,
    );
    const [uniques] = await clickhouse.query<{ visitors: string }>(
      "SELECT least(uniqExactIf(visitor_id, event_type = 'view'), 256) AS visitors FROM events WHERE profile_id = {p:UUID}",
      { p: profileId },
    );
    expect(await aggregateFigures()).toEqual({ views: raw!.views, visitors: uniques!.visitors, cells: raw!.positions });

    // Nothing of the visitor's address beyond its /24 reached any store or log.
    const everything = await clickhouse.query<{ row: string }>('SELECT toJSONString(tuple(*)) AS row FROM events WHERE profile_id = {p:UUID}', { p: profileId });
    expect(everything.some((row) => containsAnIp(row.row))).toBe(false);
    const tables = await owner.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'");
    for (const { table_name: table } of tables.rows) {
      const { rows } = await owner.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${owner.escapeIdentifier(table)} t`);
      expect(rows.filter((row) => containsAnIp(row.row)), table).toEqual([]);
    }
    for (const cli of processes) expect([...cli.stdout, ...cli.stderr].filter(containsAnIp)).toEqual([]);
    if (testConfig.kafka) {
      // The bus itself: read this profile's messages back from Kafka with a group of our own.
      const kafka = createKafkaBus({ ...testConfig.kafka, clientId: uniqueName('pipeline-audit'), logger: testLogger, metrics: createMetrics() });
      const seen: string[] = [];
      try {
        await kafka.consume(TOPICS.events.name, uniqueName('ip-audit'), async (messages) => {
          for (const message of messages) if (message.key.startsWith(`${profileId}:`)) seen.push(message.value.toString('utf8'));
        });
        await waitFor(() => seen.length >= EVENTS, { what: 'this run’s messages read back from Kafka', timeoutMs: 60_000 });
      } finally {
        await kafka.close();
      }
      expect(seen.filter(containsAnIp)).toEqual([]);
      expect(seen.every((value) => value.includes('"ipPrefix":"198.51.100.0"'))).toBe(true);
    }
  },
  300_000,
);
