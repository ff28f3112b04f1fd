// What visitors meet, under many connections at once: the cached public page and the redirect every
// link goes through, each next to a bare node:http server sending the same bytes in the same run (the
// ratio is what Linkpulse costs over the network stack itself). The load comes from autocannon in a
// child process, so the generator never shares the served process's event loop; that process runs
// every role on embedded defaults, as `npm start` does. Also reported: the served process's
// event-loop delay during each run, and its RSS after each of three runs of the page at 1000
// connections (taken first, before the redirects' clicks reach the consumers).
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startSite } from '../server/testing/site.js';
import { seedCreator } from './support/harness.js';
import { report, table, type Benchmark } from './support/measure.js';

const SECONDS = 10;
/** What a browser sends: the page then comes compressed, as visitors get it. */
const BROWSER_HEADERS = { 'accept-encoding': 'gzip, deflate, br', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0' };

interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  /** Responses outside 2xx (a redirect's 302s are counted here by autocannon, and expected). */
  non2xx: number;
  /** The served process's event-loop delay p99 during the run, ms (undefined for the bare server's runs). */
  loopDelayP99?: number;
}

/** autocannon's --json result, checked for the fields read here. */
const parseAutocannon = (value: unknown) => {
  const output = value as { requests: { average: number }; latency: { p50: number; p99: number; max: number }; errors: number; timeouts: number; non2xx: number };
  if (typeof output?.requests?.average !== 'number') throw new Error(`autocannon printed no result: ${JSON.stringify(value).slice(0, 200)}`);
  return output;
};

/** autocannon in a child process against `url` for SECONDS with `connections` keep-alive connections. */
async function autocannon(url: string, connections: number, headers: Record<string, string>): Promise<LoadResult> {
  const bin = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const args = [bin, '--json', '-c', String(connections), '-d', String(SECONDS), '-t', '10', ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}=${value}`]), url];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited ${code}: ${stderr.slice(-500)}`);
  const output = parseAutocannon(JSON.parse(stdout));
  return {
    requestsPerSecond: output.requests.average,
    p50: output.latency.p50,
    p99: output.latency.p99,
    max: output.latency.max,
    errors: output.errors,
    timeouts: output.timeouts,
    non2xx: output.non2xx,
  };
}

/** Runs the load while watching this process's event loop (the served one: startSite runs in-process). */
async function underLoad(url: string, connections: number, headers: Record<string, string>): Promise<LoadResult> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const result = await autocannon(url, connections, headers);
    return { ...result, loopDelayP99: delay.percentile(99) / 1e6 };
  } finally {
    delay.disable();
  }
}

/** A node:http server answering every request with one fixed response: the floor any server sits on. */
async function bareServer(status: number, headers: Record<string, string>, body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    response.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The response a browser gets at `url`, byte for byte (compressed as sent), with the headers a bare server needs to send the same. */
async function capture(url: string): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: BROWSER_HEADERS }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers: Record<string, string> = {};
          for (const name of ['content-type', 'content-encoding', 'location', 'cache-control', 'etag', 'vary']) {
            const value = response.headers[name];
            if (typeof value === 'string') headers[name] = value;
          }
          resolve({ status: response.statusCode!, headers, body: Buffer.concat(chunks) });
        });
      })
      .on('error', reject);
  });
}

const row = (label: string, result: LoadResult, bare: LoadResult | undefined) => [
  label,
  Math.round(result.requestsPerSecond).toLocaleString('en-US'),
  bare ? `${((result.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)} %` : '',
  String(result.p50),
  String(result.p99),
  String(result.max),
  String(result.errors),
  String(result.timeouts),
  result.loopDelayP99 === undefined ? '' : result.loopDelayP99.toFixed(1),
];

export const visitorsBenchmark: Benchmark = {
  name: 'visitors',
  description: 'the cached public page and the redirect under 100 and 1000 connections (autocannon), next to a bare node:http server; event-loop delay and RSS',
  async run() {
    // Without the request log lines, which would fill this report (they go to the same stdout); what
    // they cost at info, as `npm start` runs, is in bench/README.md.
    const logLevel = 'warn';
    const site = await startSite('bench-visitors', ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], { LOG_LEVEL: logLevel, TRUST_PROXY: 'loopback' });
    const rows: string[][] = [];
    const rss: string[] = [];
    try {
      const creator = await seedCreator(site.running.url, site.origin);
      const { body: listed } = await creator.client.get<{ links: { id: string }[] }>(`/api/v1/profiles/${creator.profileId}/links`);
      const pageUrl = `${site.running.url}/@${creator.handle}`;
      const redirectUrl = `${site.running.url}/r/${listed.links[0]!.id}`;
      await new Promise((resolve) => setTimeout(resolve, 500)); // ingest reloads link targets on NOTIFY

      // First, before any redirect: each redirect publishes a click, and the consumers then store
      // them in the same process, which would grow its memory whatever the page does.
      for (let run = 1; run <= 3; run++) {
        await underLoad(pageUrl, 1000, BROWSER_HEADERS);
        rss.push(`${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
      }

      for (const [label, url, connectionCounts] of [
        ['public page /@handle', pageUrl, [100, 1000]],
        ['redirect /r/:linkId', redirectUrl, [1000]],
      ] as const) {
        const sample = await capture(url);
        const bare = await bareServer(sample.status, sample.headers, sample.body);
        try {
          for (const connections of connectionCounts) {
            const bareResult = await autocannon(bare.url, connections, BROWSER_HEADERS);
            const result = await underLoad(url, connections, BROWSER_HEADERS);
            rows.push(row(`bare node:http, ${label} bytes, ${connections} conn.`, bareResult, undefined));
            rows.push(row(`Linkpulse ${label} (${sample.status}, ${sample.body.length} B${sample.headers['content-encoding'] ? ` ${sample.headers['content-encoding']}` : ''}), ${connections} conn.`, result, bareResult));
          }
        } finally {
          await bare.close();
        }
      }
    } finally {
      await site.stop();
    }
    table(
      `visitors: ${SECONDS} s per run, autocannon in a child process; one process with every role on embedded defaults, LOG_LEVEL=${logLevel}`,
      ['', 'req/s', 'of bare', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'timeouts', 'loop delay p99 ms'],
      rows,
    );
    report('visitors: RSS of the served process after each of three 1000-connection runs of the public page', { rss: rss.join(', ') });
  },
};
