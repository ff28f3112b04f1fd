// Ingest's /readyz says what ingest's requests need: the bus. Link targets and salts are held in
// memory, so with Kafka as the bus a PostgreSQL outage leaves ingest accepting beacons, and its
// readiness degraded, not down (a load balancer must keep a working ingest). With the PostgreSQL
// queue as the bus the same outage takes the bus down, and readiness with it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { ReadinessReport } from '../lib/health.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { describeWithService, realServices, testConfig } from '../lib/testing/services.js';
import { startSwitchableRelay, type SwitchableRelay } from '../lib/testing/tcp-relay.js';
import { uniqueName, waitFor } from '../lib/testing/wait-for.js';

interface Setup {
  ingest: CliProcess;
  url: string;
  relay: SwitchableRelay;
  profileId: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** `linkpulse start --role ingest` reaching PostgreSQL through a relay the test can take down. */
async function startIngest(label: string, busEnv: Record<string, string>): Promise<Setup> {
  const database: TestDatabase = await createTestDatabase(label);
  cleanups.push(() => database.drop());
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  const userId = randomUUID();
  await owner.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'scrypt$1$1$1$a$b')", [userId, `${userId}@example.com`]);
  const { rows } = await owner.query<{ id: string }>("INSERT INTO profiles (user_id, handle, display_name, published) VALUES ($1, $2, 'R', true) RETURNING id", [
    userId,
    `r${userId.slice(0, 8)}`,
  ]);
  await owner.end();
  const relay = await startSwitchableRelay(database.appUrl, 5432, { startUp: true });
  cleanups.push(() => relay.close());
  const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-ready-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  const ingest = linkpulse(['start', '--role', 'ingest'], {
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: relay.url,
    SESSION_SECRET: 's'.repeat(40),
    HASH_SECRET: 'h'.repeat(40),
    ...busEnv,
  });
  cleanups.push(async () => {
    if (ingest.child.exitCode === null) ingest.child.kill('SIGKILL');
    await ingest.exited;
  });
  return { ingest, url: await runningUrl(ingest), relay, profileId: rows[0]!.id };
}

const readiness = async (url: string) => {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as ReadinessReport };
};
const beacon = (url: string, profileId: string) =>
  fetch(`${url}/e`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ t: 'view', p: profileId }) }).then((response) => response.status);

describeWithService('ingest on Kafka while PostgreSQL is down', realServices.kafka, () => {
  it('keeps accepting beacons and stays ready, degraded', async () => {
    const { url, relay, profileId } = await startIngest('ready_kafka', { KAFKA_BROKERS: testConfig.kafka!.brokers.join(','), KAFKA_CLIENT_ID: uniqueName('ready') });
    expect((await readiness(url)).body.status).toBe('ok');
    expect(await beacon(url, profileId)).toBe(202);

    relay.down();
    const degraded = await waitFor(async () => {
      const report = await readiness(url);
      return report.body.dependencies.postgres?.state === 'down' ? report : undefined;
    }, { what: '/readyz to see PostgreSQL down' });
    expect(degraded.status).toBe(200);
    expect(degraded.body.status).toBe('degraded');
    expect(degraded.body.dependencies.postgres).toMatchObject({ state: 'down', required: false });
    expect(degraded.body.dependencies.bus).toMatchObject({ state: 'ok', required: true });
    expect(await beacon(url, profileId)).toBe(202);

    relay.up();
    await waitFor(async () => (await readiness(url)).body.status === 'ok', { what: 'PostgreSQL to be back', timeoutMs: 30_000 });
  });
});

describe('ingest on the PostgreSQL queue while PostgreSQL is down', () => {
  it('is not ready: the bus itself is down', async () => {
    const { url, relay, profileId } = await startIngest('ready_queue', {});
    expect(await beacon(url, profileId)).toBe(202);
    relay.down();
    const down = await waitFor(async () => {
      const report = await readiness(url);
      return report.status === 503 ? report : undefined;
    }, { what: '/readyz to answer 503' });
    expect(down.body.dependencies.bus).toMatchObject({ state: 'down', required: true });
    expect(await beacon(url, profileId)).toBe(503);
    relay.up();
    await waitFor(async () => (await readiness(url)).status === 200, { what: 'PostgreSQL to be back', timeoutMs: 30_000 });
  });
});
