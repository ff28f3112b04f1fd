// What the benchmarks run against and with: the configuration and a silent logger, scratch
// directories, a creator with a published profile on a running process, the demo's generated
// traffic loaded into it, an HTTP load generator, and Chromium with a DevTools port for Lighthouse.
// A whole process is server/testing/site.ts's startSite: the same one the browser tests use.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
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
 * Signs up, logs in and publishes the profile @bench with five links, through the process's API.
 * origin: the process's PUBLIC_URL origin, which the CSRF check compares with the Origin header.
 */
export async function seedCreator(baseUrl: string, origin: string): Promise<BenchCreator> {
  const client = await new ApiClient(baseUrl, origin).signUpAndLogIn('bench@example.com', 'quiet harbour lanterns at dusk');
  const profile = await client.newProfile({ handle: 'bench', displayName: 'Bench', published: true });
  for (let i = 0; i < 5; i++) await client.newLink(profile.id, { title: `Link ${i}`, url: `https://example.com/${i}` });
  return { client, cookie: client.cookie!, handle: profile.handle, profileId: profile.id };
}

/**
 * Fills the creator's profile with `total` generated events over 90 days ending at `end`
 * (server/demo/traffic.ts: about 50,000 distinct visitors a day at 10 million), then merges the
 * aggregate tables. Returns the timings and the table sizes for the report.
 */
export async function loadGeneratedEvents(running: RunningProcess, creator: BenchCreator, total: number, end: number): Promise<Record<string, string>> {
  const clickhouse = running.platform.clickhouse!;
  const listed = await creator.client.get<{ links: { id: string; kind: 'url' | 'github' }[] }>(`/api/v1/profiles/${creator.profileId}/links`);
  if (listed.status !== 200) throw new Error(`listing the links: ${listed.status} ${JSON.stringify(listed.body)}`);
  const started = performance.now();
  for (const rows of generateTraffic({ profileId: creator.profileId, links: listed.body.links, days: 90, events: total, end, batchSize: 100_000 })) {
    await clickhouse.insert('events', rows);
  }
  const loadMs = performance.now() - started;
  // Live traffic arrives in small batches of the last seconds and background merges keep up; a bulk
  // load leaves each aggregate table with many partial rows per hour or day until merges combine
  // them. Merge now, as the background would, so reads measure the steady state, not the backlog.
  const mergeStarted = performance.now();
  for (const table of ['traffic_hourly', 'traffic_daily', 'geo_daily', 'dimension_daily', 'utm_daily', 'heatmap_daily']) {
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

export interface LoadTestResult {
  ms: number;
  /** Per request, in milliseconds, in the order they finished. */
  latencies: number[];
  /** Responses per HTTP status. */
  statuses: Map<number, number>;
  /** performance.now() of each 202 answer: when the server accepted that body. */
  acceptedAt: number[];
}

/** POSTs `total` bodies to url over `connections` keep-alive sockets; each from one of many proxied client addresses. */
export async function loadTest(url: string, total: number, connections: number, body: (index: number) => string): Promise<LoadTestResult> {
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
