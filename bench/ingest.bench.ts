// Ingest under 100 connections next to a bare node:http server that only answers 202 (the ratio is
// what ingest's validation, hashing and bus acknowledgement cost), then the whole pipeline: how fast
// accepted events become queryable in ClickHouse, and how far behind (freshness) they are.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { ALL_LINKS } from '../lib/analytics/query-plan.js';
import { startSite } from '../server/testing/site.js';
import { benchConfig, loadTest, seedCreator } from './support/harness.js';
import { ascending, latencies, percentile, rate, report, type Benchmark } from './support/measure.js';

export const ingestBenchmark: Benchmark = {
  name: 'ingest',
  description: 'POST /e under 100 keep-alive connections next to a bare node:http server; then accept → queryable in the aggregates',
  async run() {
    const connections = 100;
    const total = 20_000;
    const bare = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(202, { 'Content-Length': '0' }).end());
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/e`;

    const site = await startSite('bench-ingest', ['ingest', 'api', 'consumers'], {
      TRUST_PROXY: 'loopback',
      ...(benchConfig.kafka ? { KAFKA_BROKERS: benchConfig.kafka.brokers.join(','), EVENTS_CONSUMER_GROUP: `bench-${randomBytes(4).toString('hex')}` } : {}),
    });
    const { running } = site;
    try {
      const { profileId } = await seedCreator(running.url, site.origin);
      const clickhouse = running.platform.clickhouse!;
      const view = () => JSON.stringify({ t: 'view', p: profileId, r: 'https://github.com/' });
      await new Promise((resolve) => setTimeout(resolve, 500)); // ingest reloads link targets on NOTIFY

      const bareRun = await loadTest(bareUrl, total, connections, view);
      const ingestRun = await loadTest(`${running.url}/e`, total, connections, view);
      const bareSorted = ascending(bareRun.latencies);
      const ingestSorted = ascending(ingestRun.latencies);
      report(`ingest: POST /e, ${connections} connections, ${total.toLocaleString('en-US')} beacons (bus: ${running.platform.bus!.kind})`, {
        'bare node:http 202': `${rate(total, bareRun.ms)}, p50 ${percentile(bareSorted, 50).toFixed(1)} ms, p99 ${percentile(bareSorted, 99).toFixed(1)} ms`,
        'ingest (validated, hashed, on the bus)': `${rate(total, ingestRun.ms)}, p50 ${percentile(ingestSorted, 50).toFixed(1)} ms, p99 ${percentile(ingestSorted, 99).toFixed(1)} ms`,
        'ratio ingest / bare': `${((total / ingestRun.ms / (total / bareRun.ms)) * 100).toFixed(0)}% of the bare server's throughput`,
        'answers': [...ingestRun.statuses].map(([status, count]) => `${status}×${count}`).join(', '),
      });

      // Pipeline: the accepted beacons of the ingest run, counted in the aggregates as they arrive.
      const accepted = ingestRun.acceptedAt;
      const polls: { at: number; count: number }[] = [];
      const countNow = async () =>
        Number(
          (await clickhouse.query<{ n: string }>('SELECT sum(views) AS n FROM traffic_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}', { p: profileId, all: ALL_LINKS }))[0]?.n ?? 0,
        );
      const deadline = performance.now() + 300_000;
      for (;;) {
        const count = await countNow();
        polls.push({ at: performance.now(), count });
        if (count >= accepted.length || performance.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const lags: number[] = [];
      let poll = 0;
      accepted.sort((a, b) => a - b);
      for (const [index, at] of accepted.entries()) {
        while (poll < polls.length && polls[poll]!.count <= index) poll += 1;
        if (poll < polls.length) lags.push(polls[poll]!.at - at);
      }
      const lastPoll = polls[polls.length - 1]!;
      report('pipeline: HTTP → bus → consumers → ClickHouse aggregates', {
        'queryable': `${lastPoll.count.toLocaleString('en-US')} of ${accepted.length.toLocaleString('en-US')} accepted`,
        'throughput (first accept → all queryable)': rate(lastPoll.count, lastPoll.at - accepted[0]!),
        'freshness lag (accept → in aggregates)': `${latencies(lags)} (polled every 100 ms)`,
      });
    } finally {
      await site.stop();
      await new Promise((resolve) => bare.close(resolve));
    }
  },
};
