// The analytics store on its own: chDB inserts and a per-profile GROUP BY (with what they cost the
// event loop), and the ClickHouse HTTP endpoint that `linkpulse clickhouse-http` serves over chDB.
import { rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, ClickHouseLogLevel } from '@clickhouse/client';
import { createChdbAdapter } from '../lib/clickhouse/chdb-adapter.js';
import { startClickHouseHttpServer } from '../lib/clickhouse/http-server.js';
import { benchLogger as logger, scratch } from './support/harness.js';
import { latencies, rate, report, type Benchmark } from './support/measure.js';

export const clickhouseBenchmark: Benchmark = {
  name: 'clickhouse',
  description: 'chDB inserts of 200,000 rows and a per-profile daily GROUP BY; the ClickHouse HTTP endpoint round trip',
  async run() {
    const dataDir = await scratch('ch');
    const clickhouse = await createChdbAdapter({ path: dataDir, database: 'bench', logger });
    const loop = monitorEventLoopDelay({ resolution: 5 });
    try {
      // A table of its own, not the analytics schema: this measures the engine and the adapter.
      await clickhouse.command(
        `CREATE TABLE events (profile_id UInt64, link_id UInt64, ts DateTime64(3, 'UTC'), country LowCardinality(String), device LowCardinality(String))
         ENGINE = MergeTree ORDER BY (profile_id, ts)`,
      );
      const countries = ['SE', 'GB', 'US', 'JP', 'DE', 'FR', 'BR', 'IN'];
      const devices = ['desktop', 'mobile', 'tablet'];
      const batches = 20;
      const batchSize = 10_000;
      loop.enable();
      const insertStarted = performance.now();
      for (let b = 0; b < batches; b += 1) {
        const rows = Array.from({ length: batchSize }, (_, i) => ({
          profile_id: (b * batchSize + i) % 100,
          link_id: (b * batchSize + i) % 1000,
          ts: new Date(Date.UTC(2026, 0, 1) + (b * batchSize + i) * 1000),
          country: countries[i % countries.length],
          device: devices[i % devices.length],
        }));
        await clickhouse.insert('events', rows, { deduplicationToken: `bench-${b}` });
      }
      const insertMs = performance.now() - insertStarted;
      const queryLatencies: number[] = [];
      for (let i = 0; i < 30; i += 1) {
        const started = performance.now();
        await clickhouse.query(
          'SELECT toDate(ts) AS day, country, count() AS clicks FROM events WHERE profile_id = {profile:UInt64} GROUP BY day, country ORDER BY day, country',
          { profile: i % 100 },
        );
        queryLatencies.push(performance.now() - started);
      }
      loop.disable();
      report(`analytics store: chDB (embedded), ${(batches * batchSize).toLocaleString('en-US')} rows in batches of ${batchSize.toLocaleString('en-US')}`, {
        'insert throughput (JSONEachRow)': rate(batches * batchSize, insertMs),
        'per-profile daily GROUP BY': latencies(queryLatencies),
        'event-loop delay meanwhile': `max ${(loop.max / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms (5 ms resolution)`,
      });

      const server = await startClickHouseHttpServer({
        path: dataDir,
        users: [{ name: 'analyst', password: 'bench-password-123', readonly: true }],
        defaultDatabase: 'bench',
        host: '127.0.0.1',
        port: 0,
        logger,
      });
      const client = createClient({ url: server.url, username: 'analyst', password: 'bench-password-123', database: 'bench', log: { level: ClickHouseLogLevel.OFF } });
      const httpLatencies: number[] = [];
      for (let i = 0; i < 300; i += 1) {
        const started = performance.now();
        await (await client.query({ query: 'SELECT {n:UInt32} AS n', query_params: { n: i }, format: 'JSONEachRow' })).json();
        httpLatencies.push(performance.now() - started);
      }
      await client.close();
      await server.close();
      report('ClickHouse HTTP endpoint on chDB (read-only analyst, @clickhouse/client, 300 sequential queries)', {
        'SELECT {n:UInt32} round trip': latencies(httpLatencies),
      });
    } finally {
      await clickhouse.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
