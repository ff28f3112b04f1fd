// The webhook delivery promise, measured: events are written while worker processes deliver them to
// a receiver on this machine that fails a share of the attempts (5xx) and never answers another share
// (the worker's timeout), a worker is SIGKILLed mid-run and replaced, and at the end every delivery is
// accounted for from the receiver's side (each webhook-id acknowledged with a 2xx at least once) and
// from the database's (delivered, failed after the window, or still pending: lost).
//
// Used by scheduler/webhooks/webhook-reliability.integration.test.ts (a few hundred deliveries,
// asserting ≥ 99.5 %) and bench/webhooks.bench.ts (thousands, reporting figures), each seeding the
// page and endpoints its own way (the app role in the test, a superuser in the benchmark's database).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { seededRandom } from '../../lib/seeded-random.js';
import { waitFor } from '../../lib/testing/wait-for.js';
import { createWebhookSecretBox, generateWebhookSecret } from '../../lib/webhooks/webhook-secret.js';
import { DEFAULT_RETRY_SCHEDULE, scaleRetrySchedule, type RetrySchedule } from '../../scheduler/webhooks/retry-schedule.js';
import type { WebhookWorkerSettings } from '../../scheduler/webhooks/webhook-worker.js';

const WORKER_SCRIPT = path.join(PROJECT_ROOT, 'server/testing/webhook-worker-process.ts');
const SESSION_SECRET = 'webhook-reliability-session-secret-0123456789';

/** The key the worker processes open endpoints' secrets with: seal the endpoints' secrets with it. */
export const RELIABILITY_SECRET_BOX = createWebhookSecretBox(SESSION_SECRET);

/** Makes a profile with one endpoint (subscribed to link.created) per URL, their secrets sealed with RELIABILITY_SECRET_BOX; returns the profile's id. */
export type SeedEndpoints = (urls: readonly string[]) => Promise<string>;

/** Seeds as a login that bypasses Row-Level Security (an embedded server's superuser: the benchmark's own database). */
export function seedAsSuperuser(superuserUrl: string): SeedEndpoints {
  return async (urls) => {
    const client = new pg.Client({ connectionString: superuserUrl });
    await client.connect();
    try {
      const userId = randomUUID();
      const profileId = randomUUID();
      await client.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'scrypt$reliability')", [userId, `reliability-${userId}@example.com`]);
      await client.query('INSERT INTO profiles (id, user_id, handle, display_name) VALUES ($1, $2, $3, $4)', [profileId, userId, `rel-${userId.slice(0, 8)}`, 'Reliability']);
      for (const url of urls) {
        await client.query("INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted) VALUES ($1, $2, '{link.created}', $3)", [
          profileId,
          url,
          RELIABILITY_SECRET_BOX.seal(generateWebhookSecret()),
        ]);
      }
      return profileId;
    } finally {
      await client.end();
    }
  };
}

export interface ReliabilityOptions {
  /** The linkpulse_scheduler login: the workers, and writing the events (as jobs do, through enqueue_webhook_event). */
  schedulerUrl: string;
  seed: SeedEndpoints;
  events: number;
  /** Endpoints subscribed to every event: deliveries = events × endpoints. */
  endpoints: number;
  /** Events written per second (in batches every 50 ms) while the workers run. */
  eventsPerSecond: number;
  /** Share of attempts answered 500, and share left without an answer (the worker times out). */
  failRate: number;
  hangRate: number;
  /** Worker processes; with killAt, the first is SIGKILLed once this share of deliveries is acknowledged, and replaced. */
  workers: number;
  killAt?: number;
  /** The retry window (24 hours in production; compressed here, the whole schedule with it). */
  windowMs: number;
  worker: Partial<Pick<WebhookWorkerSettings, 'concurrency' | 'perEndpointConcurrency' | 'timeoutMs' | 'leaseMs' | 'pollIntervalMs'>>;
  randomSeed?: number;
  /** Give up waiting for the last deliveries after this long past the last event (default: window + 30 s). */
  drainTimeoutMs?: number;
}

export interface ReliabilityReport {
  /** Deliveries expected (events × endpoints). */
  deliveries: number;
  /** Deliveries acknowledged with a 2xx at least once (by webhook-id and endpoint). */
  acknowledged: number;
  /** Acknowledged before their retry window ended (event time + window + the last retry band). */
  acknowledgedInWindow: number;
  /** 2xx answers beyond the first for one delivery (what receivers deduplicate). */
  duplicates: number;
  /** The database says: delivered, given up (failed), still pending at the end (lost if the workers stopped). */
  delivered: number;
  failed: number;
  pending: number;
  /** Delivered in the database but never acknowledged by the receiver (must be 0). */
  deliveredUnacknowledged: number;
  /** HTTP requests the receiver saw. */
  requests: number;
  /** From the first event written to the last delivery acknowledged. */
  durationMs: number;
  /** Event written → first 2xx, per delivery. */
  latenciesMs: number[];
  killed: number;
}

interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<void>;
}

function spawnWorker(options: ReliabilityOptions, schedule: RetrySchedule): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', WORKER_SCRIPT, JSON.stringify({ schedulerUrl: options.schedulerUrl, sessionSecret: SESSION_SECRET, allowLoopback: true, settings: { ...options.worker, schedule } })],
    { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve({ child, exited });
    });
    child.once('exit', (code) => reject(new Error(`webhook worker exited (${code}) before it was ready: ${stderr}`)));
  });
}

interface Receiver {
  origin: string;
  requests: number;
  /** `${endpoint path} ${webhook-id}` → times of its 2xx answers. */
  acks: Map<string, number[]>;
  close(): Promise<void>;
}

async function startFlakyReceiver(options: ReliabilityOptions): Promise<Receiver> {
  const random = seededRandom(options.randomSeed ?? 19);
  const hanging = new Set<() => void>();
  const receiver: Receiver = { origin: '', requests: 0, acks: new Map(), close: async () => undefined };
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      receiver.requests++;
      const roll = random();
      if (roll < options.hangRate) {
        const end = () => response.destroy();
        hanging.add(end);
        response.on('close', () => hanging.delete(end));
        return;
      }
      if (roll < options.hangRate + options.failRate) {
        response.writeHead(500).end('flaky receiver');
        return;
      }
      const key = `${request.url} ${String(request.headers['webhook-id'])}`;
      receiver.acks.set(key, [...(receiver.acks.get(key) ?? []), Date.now()]);
      response.writeHead(204).end();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    for (const end of hanging) end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

export async function runWebhookReliability(options: ReliabilityOptions): Promise<ReliabilityReport> {
  const schedule = scaleRetrySchedule(DEFAULT_RETRY_SCHEDULE, options.windowMs / DEFAULT_RETRY_SCHEDULE.windowMs);
  const receiver = await startFlakyReceiver(options);
  const scheduler = new pg.Client({ connectionString: options.schedulerUrl });
  const workers: WorkerProcess[] = [];
  let killed = 0;
  try {
    await scheduler.connect();
    // One page whose endpoints are all on the receiver, each its own path.
    const profileId = await options.seed(Array.from({ length: options.endpoints }, (_, index) => `${receiver.origin}/endpoint-${index}`));
    for (let i = 0; i < options.workers; i++) workers.push(await spawnWorker(options, schedule));

    const deliveries = options.events * options.endpoints;
    const writtenAt = new Map<string, number>();
    const started = Date.now();
    const perBatch = Math.max(1, Math.round(options.eventsPerSecond / 20));
    const kill = options.killAt === undefined ? undefined : Math.floor(deliveries * options.killAt);
    for (let written = 0; written < options.events; ) {
      const count = Math.min(perBatch, options.events - written);
      const { rows } = await scheduler.query<{ id: string }>(
        "SELECT enqueue_webhook_event($1, 'link.created', jsonb_build_object('n', n)) AS id FROM generate_series($2::int, $3::int) AS n",
        [profileId, written, written + count - 1],
      );
      const now = Date.now();
      for (const row of rows) writtenAt.set(row.id, now);
      written += count;
      if (kill !== undefined && killed === 0 && receiver.acks.size >= kill) killed += await killAndReplace(workers, options, schedule);
      const due = started + (written / options.eventsPerSecond) * 1000;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
    }
    const lastWritten = Date.now();
    if (kill !== undefined && killed === 0) {
      await waitFor(() => receiver.acks.size >= kill, { timeoutMs: options.windowMs + 60_000, intervalMs: 20, what: 'the share of deliveries before the kill' });
      killed += await killAndReplace(workers, options, schedule);
    }
    const pendingCount = async () =>
      Number((await scheduler.query<{ n: string }>("SELECT count(*) AS n FROM webhook_deliveries WHERE profile_id = $1 AND status = 'pending'", [profileId])).rows[0]!.n);
    const unfanned = async () => Number((await scheduler.query<{ n: string }>('SELECT count(*) AS n FROM webhook_events WHERE profile_id = $1 AND fanned_out_at IS NULL', [profileId])).rows[0]!.n);
    await waitFor(async () => (await unfanned()) === 0 && (await pendingCount()) === 0, {
      timeoutMs: options.drainTimeoutMs ?? options.windowMs + schedule.stepsMs.at(-1)! + 30_000,
      intervalMs: 200,
      what: 'every delivery delivered or given up',
    }).catch(() => undefined);

    const { rows: states } = await scheduler.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM webhook_deliveries WHERE profile_id = $1 GROUP BY status', [profileId]);
    const state = (status: string) => Number(states.find((row) => row.status === status)?.n ?? 0);
    const { rows: deliveredRows } = await scheduler.query<{ event_id: string; url: string }>(
      "SELECT d.event_id, e.url FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.profile_id = $1 AND d.status = 'delivered'",
      [profileId],
    );
    const deliveredUnacknowledged = deliveredRows.filter((row) => !receiver.acks.has(`${new URL(row.url).pathname} ${row.event_id}`)).length;
    const windowEnd = options.windowMs + schedule.stepsMs.at(-1)! + (options.worker.leaseMs ?? 0);
    let duplicates = 0;
    let acknowledgedInWindow = 0;
    let lastAck = started;
    const latenciesMs: number[] = [];
    for (const [key, times] of receiver.acks) {
      const written = writtenAt.get(key.split(' ')[1]!);
      duplicates += times.length - 1;
      lastAck = Math.max(lastAck, times[0]!);
      if (written === undefined) continue;
      latenciesMs.push(times[0]! - written);
      if (times[0]! - written <= windowEnd) acknowledgedInWindow++;
    }
    return {
      deliveries,
      acknowledged: receiver.acks.size,
      acknowledgedInWindow,
      duplicates,
      delivered: state('delivered'),
      failed: state('failed'),
      pending: state('pending') + (deliveries - states.reduce((sum, row) => sum + Number(row.n), 0)),
      deliveredUnacknowledged,
      requests: receiver.requests,
      durationMs: Math.max(lastAck, lastWritten) - started,
      latenciesMs,
      killed,
    };
  } finally {
    for (const worker of workers) worker.child.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.exited));
    await receiver.close();
    await scheduler.end().catch(() => undefined);
  }
}

/** SIGKILLs the first worker (its claims stay leased until they lapse) and starts another in its place. */
async function killAndReplace(workers: WorkerProcess[], options: ReliabilityOptions, schedule: RetrySchedule): Promise<number> {
  const victim = workers.shift()!;
  victim.child.kill('SIGKILL');
  await victim.exited;
  workers.push(await spawnWorker(options, schedule));
  return 1;
}
