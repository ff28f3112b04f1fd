// Load from outside the served process, for the benchmarks of what visitors meet: autocannon in a child
// process (autocannon-runner.mjs) so the generator never shares the served process's event loop, a
// bare node:http server sending fixed bytes (the floor any server sits on, for the "of bare" ratios),
// and a capture of one response to give that server the same bytes.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Seconds per autocannon run. */
export const LOAD_SECONDS = 10;

/** What a browser sends: the page then comes compressed, as visitors get it. */
export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'accept-encoding': 'gzip, deflate, br',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0',
};

export interface LoadOptions {
  connections: number;
  headers?: Readonly<Record<string, string>>;
  method?: 'GET' | 'POST';
  body?: string;
  /** Each request from the next address of 198.18.0.0/15 in X-Forwarded-For (ingest limits each address). */
  forwardedFor?: boolean;
  seconds?: number;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  timeouts: number;
  /** Responses outside 2xx (a redirect's 302s are counted here by autocannon, and expected). */
  non2xx: number;
  /** This process's event-loop delay p99 during the run, ms (only from underLoad). */
  loopDelayP99?: number;
}

/** autocannon's JSON result, checked for the fields read here. */
function parseResult(value: unknown): LoadResult {
  const output = value as { requests: { average: number }; latency: { p50: number; p99: number; max: number }; errors: number; timeouts: number; non2xx: number };
  if (typeof output?.requests?.average !== 'number') throw new Error(`autocannon printed no result: ${JSON.stringify(value).slice(0, 200)}`);
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

const RUNNER = fileURLToPath(new URL('./autocannon-runner.mjs', import.meta.url));

/** autocannon against `url` for LOAD_SECONDS (or options.seconds), in a child process. */
export async function autocannon(url: string, options: LoadOptions): Promise<LoadResult> {
  const settings = { url, seconds: options.seconds ?? LOAD_SECONDS, connections: options.connections, method: options.method, headers: options.headers ?? BROWSER_HEADERS, body: options.body, forwardedFor: options.forwardedFor };
  const child = spawn(process.execPath, [RUNNER, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`autocannon exited ${code}: ${stderr.slice(-500)}`);
  return parseResult(JSON.parse(stdout));
}

/** autocannon while watching this process's event loop: the served one, when the site runs in-process. */
export async function underLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const result = await autocannon(url, options);
    return { ...result, loopDelayP99: delay.percentile(99) / 1e6 };
  } finally {
    delay.disable();
  }
}

/** A node:http server answering every request with one fixed response, after reading its body. */
export async function bareServer(status: number, headers: Readonly<Record<string, string | string[]>>, body: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(status, { ...headers, 'content-length': String(body.length) }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Headers node:http sets per response: the bare server writes its own. */
const PER_RESPONSE_HEADERS: ReadonlySet<string> = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/** The response a browser gets for a request, byte for byte (compressed as sent), with every header a bare server needs to send the same. */
export async function capture(
  url: string,
  request: { method?: string; headers?: Readonly<Record<string, string>>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .request(url, { method: request.method ?? 'GET', headers: { ...BROWSER_HEADERS, ...request.headers } }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          // Every header as sent (the security headers are most of a redirect's bytes), but those
          // node:http writes itself for each response.
          const headers: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !PER_RESPONSE_HEADERS.has(name)) headers[name] = value;
          }
          resolve({ status: response.statusCode!, headers, body: Buffer.concat(chunks) });
        });
      })
      .on('error', reject)
      .end(request.body);
  });
}
