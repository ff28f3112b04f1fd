// What the benchmarks run against and with: the configuration and a silent logger, scratch
// directories, a creator with a published profile on a running process, the demo's generated
// traffic loaded into it, an HTTP load generator, and Chromium with a DevTools port for Lighthouse.
// A whole process is server/testing/site.ts's startSite: the same one the browser tests use.
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { assertIdentifier, type ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { generateTraffic } from '../../server/demo/traffic.js';
import type { RunningProcess } from '../../server/start.js';
import { ApiClient } from '../../server/testing/api-harness.js';
import { CHROMIUM } from '../../server/testing/site.js';

/** The environment's configuration: the benchmarks read only whether Kafka is configured. */
export const benchConfig = loadConfig();
export const benchLogger = createLogger('silent');

/** An empty directory under the system's temporary one; the caller removes it. */
export async function scratch(label: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), `linkpulse-bench-${label}-`));
  // Embedded PostgreSQL runs as an unprivileged user when the benchmarks run as root.
  await chmod(dir, 0o755);
  return dir;
}

export interface BenchCreator {
  /** Signed in as the creator (session cookie and CSRF token). */
  client: ApiClient;
  /** The session cookie (name=value), for requests the benchmarks time themselves. */
  cookie: string;
  handle: string;
  profileId: string;
}

/**
 * Signs up, logs in and publishes the profile @<handle> with five links, through the process's API.
 * origin: the process's PUBLIC_URL origin, which the CSRF check compares with the Origin header.
 * handle: another than the default where the database outlives the run (a PostgreSQL server).
 */
export async function seedCreator(baseUrl: string, origin: string, handle = 'bench'): Promise<BenchCreator> {
  const client = await new ApiClient(baseUrl, origin).signUpAndLogIn(`${handle}@example.com`, 'quiet harbour lanterns at dusk');
  const profile = await client.newProfile({ handle, displayName: 'Bench', published: true });
  for (let i = 0; i < 5; i++) await client.newLink(profile.id, { title: `Link ${i}`, url: `https://example.com/${i}` });
  return { client, cookie: client.cookie!, handle: profile.handle, profileId: profile.id };
}

/** The JS generator's rows become copies above this: each copy is these rows for new visitors. */
export const BASE_EVENTS = 1_000_000;
const HOUR_MS = 3_600_000;
const TRAFFIC_DAYS = 90;

export interface LoadedEvents {
  /** Rows in `events` (the size asked for, rounded to a whole number of copies). */
  events: number;
  /** Rows the JS generator made, and how many copies of them went into `events`. */
  baseEvents: number;
  copies: number;
  /** The JS generator into the scratch table, then the copies into `events` (and the views). */
  generateMs: number;
  amplifyMs: number;
  /** OPTIMIZE … FINAL of every aggregate table. */
  mergeMs: number;
  /** Then waiting for the engine's own background merges (of `events`, mostly) to finish. */
  settleMs: number;
  /** Bytes on disk per table (active parts). */
  tableBytes: Map<string, number>;
}

/**
 * Fills the creator's profile with about `total` events over the 90 days ending at `end`, then merges
 * the aggregate tables, as background merges would have left them.
 *
 * Pushing every row through JS costs ~16 s per million (10 M took 156 s), so only a base of at most
 * `baseEvents` rows comes from the generator (server/demo/traffic.ts: its realistic shape), into a
 * scratch table without views. ClickHouse then inserts `copies` of it into `events` (INSERT … SELECT):
 * copy 0 as generated, every other copy as other people doing the same things, with visitor ids
 * hashed with the copy number, fresh event and click ids (a deterministic hash, so a click and its
 * position still share one) and each visitor's rows moved by the same offset within their hour
 * (so hours and days keep their shape and a visitor's rows their order, mostly). More events thus
 * mean more distinct visitors per day, as real growth would. Only `events` is written: its
 * materialized views fill every aggregate table as live inserts would.
 */
export async function loadGeneratedEvents(running: RunningProcess, creator: BenchCreator, total: number, end: number, baseEvents = BASE_EVENTS): Promise<LoadedEvents> {
  const clickhouse = running.platform.clickhouse!;
  const listed = await creator.client.get<{ links: { id: string; kind: 'url' | 'github' }[] }>(`/api/v1/profiles/${creator.profileId}/links`);
  if (listed.status !== 200) throw new Error(`listing the links: ${listed.status} ${JSON.stringify(listed.body)}`);
  const copies = Math.max(1, Math.ceil(total / baseEvents));
  const base = Math.round(total / copies);
  const started = performance.now();
  // Same columns, order, key and partitions as `events`, and no views read it.
  await clickhouse.command('DROP TABLE IF EXISTS bench_base_events');
  await clickhouse.command('CREATE TABLE bench_base_events AS events');
  try {
    for (const rows of generateTraffic({ profileId: creator.profileId, links: listed.body.links, days: TRAFFIC_DAYS, events: base, end, batchSize: 100_000 })) {
      await clickhouse.insert('bench_base_events', rows);
    }
    const generateMs = performance.now() - started;
    const amplifyStarted = performance.now();
    // One copy per statement: about a million rows each, so the views' blocks stay small and a run
    // of 100 copies shows progress in the engine's parts rather than one statement of an hour.
    for (let copy = 0; copy < copies; copy++) {
      await clickhouse.command(COPY_EVENTS, { copy, start: end - TRAFFIC_DAYS * 86_400_000, end });
    }
    const amplifyMs = performance.now() - amplifyStarted;
    const mergeMs = await mergeAggregates(clickhouse);
    const settleMs = await waitForMerges(clickhouse);
    return { events: base * copies, baseEvents: base, copies, generateMs, amplifyMs, mergeMs, settleMs, tableBytes: await tableBytes(clickhouse) };
  } finally {
    await clickhouse.command('DROP TABLE IF EXISTS bench_base_events');
  }
}

/**
 * One copy of the base rows into `events`; copy 0 is the base itself. The per-visitor offset moves
 * every row of one visitor's day by the same amount, wrapped within the row's hour (clipped to the
 * traffic's [start, end), so nothing lands in the future): a click and its click_position keep
 * their shared instant. Internal visits stay the creator's. No block deduplication: the copies are
 * new rows, never a retry.
 */
const COPY_EVENTS = `
  INSERT INTO events
  SELECT * EXCEPT (copy, ms, hour_from, hour_to) REPLACE (
      if(copy = 0, event_id, reinterpretAsUUID(sipHash128(event_id, copy))) AS event_id,
      if(copy = 0, timestamp,
         fromUnixTimestamp64Milli(hour_from + (ms - hour_from + toInt64(sipHash64(visitor_id, copy, 'offset') % ${HOUR_MS})) % (hour_to - hour_from), 'UTC')) AS timestamp,
      if(copy = 0 OR click_id = toUUID('00000000-0000-0000-0000-000000000000'), click_id, reinterpretAsUUID(sipHash128(click_id, copy))) AS click_id,
      if(copy = 0 OR is_internal = 1, visitor_id, sipHash64(visitor_id, copy)) AS visitor_id
    )
  FROM (
    SELECT *, {copy:UInt32} AS copy, toUnixTimestamp64Milli(timestamp) AS ms,
           greatest(intDiv(ms, ${HOUR_MS}) * ${HOUR_MS}, {start:Int64}) AS hour_from,
           least(intDiv(ms, ${HOUR_MS}) * ${HOUR_MS} + ${HOUR_MS}, {end:Int64}) AS hour_to
      FROM bench_base_events
  )
  SETTINGS insert_deduplicate = 0`;

/**
 * Live traffic arrives in small batches and background merges keep up; a bulk load leaves each
 * aggregate table with many partial rows per hour or day until merges combine them. Merge now, as
 * the background would, so reads measure the steady state, not the backlog. Every
 * AggregatingMergeTree in the database, so tables later migrations add are merged too.
 */
async function mergeAggregates(clickhouse: ClickHouse): Promise<number> {
  const started = performance.now();
  const tables = await clickhouse.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND engine LIKE '%AggregatingMergeTree' ORDER BY name`,
  );
  if (tables.length === 0) throw new Error('no AggregatingMergeTree table found: the aggregates have moved');
  for (const { name } of tables) {
    assertIdentifier(name, 'table name');
    await clickhouse.command(`OPTIMIZE TABLE ${name} FINAL`);
  }
  return performance.now() - started;
}

/**
 * Waits until no background merge has run for a while: the load leaves `events` with dozens of
 * parts, and merging them (hundreds of MB) on the same two cores would slow whichever reads happen to
 * run meanwhile, typically the first ranges measured. Reads then see the parts background merges
 * settle on, and nothing competes with them.
 */
async function waitForMerges(clickhouse: ClickHouse, quietMs = 3_000, timeoutMs = 30 * 60_000): Promise<number> {
  const started = performance.now();
  let quietSince = performance.now();
  while (performance.now() - quietSince < quietMs) {
    if (performance.now() - started > timeoutMs) throw new Error(`background merges still running after ${timeoutMs / 60_000} minutes`);
    const [running] = await clickhouse.query<{ merges: string }>('SELECT count() AS merges FROM system.merges WHERE database = currentDatabase()');
    if (Number(running?.merges ?? 0) > 0) quietSince = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return performance.now() - started - quietMs;
}

async function tableBytes(clickhouse: ClickHouse): Promise<Map<string, number>> {
  const rows = await clickhouse.query<{ table: string; bytes: string }>(
    `SELECT table, sum(bytes_on_disk) AS bytes FROM system.parts
      WHERE active AND database = currentDatabase() AND table NOT IN ('schema_migrations', 'bench_base_events') GROUP BY table ORDER BY table`,
  );
  return new Map(rows.map((row) => [row.table, Number(row.bytes)]));
}

/** Megabytes, one decimal. */
export const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

/** How a load went, as report() lines. */
export function describeLoad(loaded: LoadedEvents): Record<string, string> {
  const copies = loaded.copies === 1 ? 'from the JS generator' : `${loaded.baseEvents.toLocaleString('en-US')} from the JS generator × ${loaded.copies} copies in ClickHouse`;
  return {
    'events loaded': `${loaded.events.toLocaleString('en-US')} (${copies})`,
    'load time': `${((loaded.generateMs + loaded.amplifyMs) / 1000).toFixed(1)} s (generator ${(loaded.generateMs / 1000).toFixed(1)} s, INSERT … SELECT with the views ${(loaded.amplifyMs / 1000).toFixed(1)} s)`,
    'aggregates merged (OPTIMIZE FINAL)': `${(loaded.mergeMs / 1000).toFixed(1)} s, then background merges finished in ${(loaded.settleMs / 1000).toFixed(1)} s`,
    'on disk (MB)': [...loaded.tableBytes].map(([table, bytes]) => `${table} ${megabytes(bytes)}`).join(', '),
  };
}

export interface DevToolsChromium {
  /** The DevTools port (Lighthouse connects to it). */
  port: number;
  /** The browser's version, as /json/version reports it (e.g. 156.0.7470.0). */
  version(): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's Chromium, started headless with a DevTools port for Lighthouse; stop() ends it. */
export async function launchChromium(): Promise<DevToolsChromium> {
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
    async version() {
      const { Browser } = (await (await fetch(`http://127.0.0.1:${port}/json/version`)).json()) as { Browser: string };
      return Browser.replace(/^.*?\//, '');
    },
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
