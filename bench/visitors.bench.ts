// What visitors meet, under many connections at once: the cached public page, the redirect every link
// goes through and the tracker's beacon (POST /e, answered 202 once the bus acknowledged it), each next
// to a bare node:http server sending the same status, headers and body in the same run (the ratio is
// what Linkpulse costs over the network stack itself). The load comes from autocannon in a child
// process (support/load.ts), so the generator never shares the served process's event loop; that
// process runs every role, on embedded defaults as `npm start` does, and on Kafka when KAFKA_BROKERS
// is set. Also reported: the served process's event-loop delay during each run, and its RSS after each
// of three runs of the page at 1000 connections (taken first, before the redirects' clicks reach the
// consumers).
import { startSite } from '../server/testing/site.js';
import { benchConfig, seedCreator } from './support/harness.js';
import { autocannon, bareServer, BROWSER_HEADERS, capture, LOAD_SECONDS, underLoad, type LoadOptions, type LoadResult } from './support/load.js';
import { report, table, type Benchmark } from './support/measure.js';

const row = (label: string, result: LoadResult, bare: LoadResult | undefined) => [
  label,
  Math.round(result.requestsPerSecond).toLocaleString('en-US'),
  bare ? `${((result.requestsPerSecond / bare.requestsPerSecond) * 100).toFixed(1)} %` : '',
  String(result.p50),
  String(result.p99),
  String(result.max),
  String(result.errors),
  String(result.timeouts),
  String(result.non2xx),
  result.loopDelayP99 === undefined ? '' : result.loopDelayP99.toFixed(1),
];

/** The bytes of a response's headers as written (name: value CRLF each). */
const headerBytes = (headers: Readonly<Record<string, string | string[]>>) =>
  Object.entries(headers).reduce((sum, [name, value]) => sum + [value].flat().reduce((bytes, one) => bytes + name.length + one.length + 4, 0), 0);

/** One measured path: what autocannon sends there, at which connection counts. */
interface Path {
  label: string;
  url: string;
  connectionCounts: readonly number[];
  load: Omit<LoadOptions, 'connections'>;
}

export const visitorsBenchmark: Benchmark = {
  name: 'visitors',
  description: 'the cached public page, the redirect and POST /e under 100 and 1000 connections (autocannon), next to a bare node:http server; event-loop delay and RSS',
  async run() {
    // Without the request log lines, which would fill this report (they go to the same stdout); what
    // they cost at info, as `npm start` runs, is in bench/README.md.
    const logLevel = 'warn';
    const site = await startSite('bench-visitors', ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], {
      LOG_LEVEL: logLevel,
      TRUST_PROXY: 'loopback',
      ...(benchConfig.kafka ? { KAFKA_BROKERS: benchConfig.kafka.brokers.join(',') } : {}),
    });
    const busKind = site.running.platform.bus!.kind;
    const rows: string[][] = [];
    const rss: string[] = [];
    try {
      const creator = await seedCreator(site.running.url, site.origin);
      const { body: listed } = await creator.client.get<{ links: { id: string }[] }>(`/api/v1/profiles/${creator.profileId}/links`);
      const pageUrl = `${site.running.url}/@${creator.handle}`;
      await new Promise((resolve) => setTimeout(resolve, 500)); // ingest reloads link targets on NOTIFY

      // First, before any redirect or beacon: each publishes an event, and the consumers then store
      // them in the same process, which would grow its memory whatever the page does.
      for (let run = 1; run <= 3; run++) {
        await underLoad(pageUrl, { connections: 1000 });
        rss.push(`${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
      }

      const paths: Path[] = [
        { label: 'public page /@handle', url: pageUrl, connectionCounts: [100, 1000], load: {} },
        { label: 'redirect /r/:linkId', url: `${site.running.url}/r/${listed.links[0]!.id}`, connectionCounts: [1000], load: {} },
        {
          label: `beacon POST /e (202 after the ${busKind} bus acknowledged)`,
          url: `${site.running.url}/e`,
          connectionCounts: [100],
          // A page view as the tracker sends it, each from another address (ingest limits each one).
          load: { method: 'POST', headers: { ...BROWSER_HEADERS, 'content-type': 'text/plain' }, body: JSON.stringify({ t: 'view', p: creator.profileId, r: 'https://github.com/' }), forwardedFor: true },
        },
      ];
      for (const path of paths) {
        const sample = await capture(path.url, path.load);
        const bare = await bareServer(sample.status, sample.headers, sample.body);
        try {
          for (const connections of path.connectionCounts) {
            const bareResult = await autocannon(bare.url, { ...path.load, connections });
            const result = await underLoad(path.url, { ...path.load, connections });
            rows.push(row(`bare node:http, ${path.label} bytes, ${connections} conn.`, bareResult, undefined));
            const encoding = sample.headers['content-encoding'] ? ` ${String(sample.headers['content-encoding'])}` : '';
            rows.push(row(`Linkpulse ${path.label} (${sample.status}, ${sample.body.length} B${encoding}, headers ${headerBytes(sample.headers)} B), ${connections} conn.`, result, bareResult));
          }
        } finally {
          await bare.close();
        }
      }
    } finally {
      await site.stop();
    }
    table(
      `visitors: ${LOAD_SECONDS} s per run, autocannon in a child process; one process with every role (bus: ${busKind}), LOG_LEVEL=${logLevel}`,
      ['', 'req/s', 'of bare', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'timeouts', 'non-2xx', 'loop delay p99 ms'],
      rows,
    );
    report('visitors: RSS of the served process after each of three 1000-connection runs of the public page', { rss: rss.join(', ') });
  },
};
