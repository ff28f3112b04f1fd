// Ingest scaled out behind the edge: beacons (POST /e, 202 after Kafka acknowledged) through nginx in
// front of one, then two `linkpulse start --role ingest` processes, as docker-compose's edge routes
// them. Also through the same edge: a bare node:http server answering 202 (what the edge and the
// network stack cost by themselves), and one ingest process without the edge. Needs the services of
// scripts/services.sh (KAFKA_BROKERS and a PostgreSQL server: the ingest processes share its profiles
// and visitor salts) and `nginx` on PATH; the ingest processes share HASH_SECRET, so a visitor gets
// the same id from either.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../lib/testing/ports.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { startSite } from '../server/testing/site.js';
import { benchConfig, scratch, seedCreator } from './support/harness.js';
import { autocannon, bareServer, BROWSER_HEADERS, capture, type LoadOptions, type LoadResult } from './support/load.js';
import { report, table, type Benchmark } from './support/measure.js';

const CONNECTIONS = 100;

/** nginx with one worker, upstream keep-alive and the edge's forwarding headers, in front of `upstreams`. */
async function startEdge(dir: string, upstreams: readonly string[]): Promise<{ url: string; stop(): Promise<void> }> {
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const config = `
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream ingest {
${upstreams.map((upstream) => `    server ${new URL(upstream).host};`).join('\n')}
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location = /e {
      proxy_pass http://ingest;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), config);
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    { what: 'nginx to listen', timeoutMs: 10_000 },
  );
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
    },
  };
}

const hasNginx = () =>
  new Promise<boolean>((resolve) => {
    const child = spawn('nginx', ['-v'], { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('exit', (code) => resolve(code === 0));
  });

export const ingestScaleOutBenchmark: Benchmark = {
  name: 'ingest-scale-out',
  description: `POST /e at ${CONNECTIONS} connections through an nginx edge in front of 1, then 2 ingest processes, on Kafka (needs the services and nginx)`,
  async run() {
    const { kafka, databaseUrl, databaseOwnerUrl, schedulerDatabaseUrl } = benchConfig;
    if (!kafka || !databaseUrl || !databaseOwnerUrl) {
      report('ingest-scale-out', { skipped: 'needs KAFKA_BROKERS and a PostgreSQL server (scripts/services.sh up; eval "$(scripts/services.sh env)")' });
      return;
    }
    if (!(await hasNginx())) {
      report('ingest-scale-out', { skipped: 'needs nginx on PATH (apt-get install nginx-light)' });
      return;
    }
    const dir = await scratch('ingest-edge');
    const servicesEnv = {
      DATABASE_URL: databaseUrl,
      DATABASE_OWNER_URL: databaseOwnerUrl,
      ...(schedulerDatabaseUrl ? { SCHEDULER_DATABASE_URL: schedulerDatabaseUrl } : {}),
      KAFKA_BROKERS: kafka.brokers.join(','),
    };
    const secrets = { HASH_SECRET: randomBytes(32).toString('hex'), SESSION_SECRET: randomBytes(32).toString('hex') };
    // The API, to publish a profile the beacons can name (it also brings the schema up to date).
    const api = await startSite('bench-ingest-edge', ['api'], { LOG_LEVEL: 'warn', ...servicesEnv, ...secrets });
    const ingests: CliProcess[] = [];
    const rows: string[][] = [];
    let edge: { url: string; stop(): Promise<void> } | undefined;
    try {
      const creator = await seedCreator(api.running.url, api.origin, `edge-${randomBytes(4).toString('hex')}`);
      const load: LoadOptions = {
        connections: CONNECTIONS,
        method: 'POST',
        headers: { ...BROWSER_HEADERS, 'content-type': 'text/plain' },
        body: JSON.stringify({ t: 'view', p: creator.profileId, r: 'https://github.com/' }),
        forwardedFor: true,
      };
      const startIngest = async (index: number) => {
        const cli = linkpulse(['start', '--role', 'ingest'], {
          ...servicesEnv,
          ...secrets,
          DATA_DIR: path.join(dir, `ingest-${index}`),
          HOST: '127.0.0.1',
          PORT: String(await freePort()),
          LOG_LEVEL: 'warn',
          TRUST_PROXY: 'loopback',
        });
        ingests.push(cli);
        return runningUrl(cli);
      };
      const measure = async (label: string, url: string, bare?: LoadResult) => {
        const result = await autocannon(`${url}/e`, load);
        rows.push([
          label,
          Math.round(result.requestsPerSecond).toLocaleString('en-US'),
          bare ? `${((result.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)} %` : '',
          String(result.p50),
          String(result.p99),
          String(result.errors + result.timeouts),
          String(result.non2xx),
        ]);
        return result;
      };

      const first = await startIngest(0);
      const sample = await capture(`${first}/e`, load);
      if (sample.status !== 202) throw new Error(`ingest answered ${sample.status} to a beacon: ${sample.body.toString()}`);
      const bareBackend = await bareServer(sample.status, sample.headers, sample.body);
      edge = await startEdge(path.join(dir, 'edge-bare'), [bareBackend.url]);
      const bare = await measure('bare node:http server behind the edge', edge.url);
      await edge.stop();
      await bareBackend.close();

      const alone = await measure('1 ingest process, no edge', first, bare);
      edge = await startEdge(path.join(dir, 'edge-1'), [first]);
      const one = await measure('1 ingest process behind the edge', edge.url, bare);
      await edge.stop();
      const second = await startIngest(1);
      edge = await startEdge(path.join(dir, 'edge-2'), [first, second]);
      const two = await measure('2 ingest processes behind the edge', edge.url, bare);
      await edge.stop();
      edge = undefined;

      table(
        `ingest-scale-out: POST /e at ${CONNECTIONS} connections, each from another address, 202 after Kafka acknowledged (acks=all), through nginx (1 worker, upstream keep-alive)`,
        ['path', 'req/s', 'of bare', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
        rows,
      );
      report('ingest-scale-out: ratios', {
        '2 processes / 1, behind the edge': `${(two.requestsPerSecond / one.requestsPerSecond).toFixed(2)}×`,
        "the edge's cost on 1 process": `${((1 - one.requestsPerSecond / alone.requestsPerSecond) * 100).toFixed(0)} % of its req/s`,
      });
    } finally {
      await edge?.stop();
      for (const cli of ingests) {
        cli.child.kill('SIGTERM');
        await cli.exited;
      }
      await api.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
