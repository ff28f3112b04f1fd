// Consumers scaled out: the same backlog drained by one `linkpulse start --role consumers` process,
// then by two in one group, over Kafka's partitioned events topic (12 partitions, keyed so a
// visitor's events on a profile stay in order) into one ClickHouse server. Needs KAFKA_BROKERS; the
// ClickHouse server is CLICKHOUSE_URL when set (scripts/services.sh env), otherwise the embedded engine
// served over HTTP by this process. Each run has its own consumer group, started at the end of the
// topic, and its own ClickHouse database, so neither reads the other's work (their inserts would carry
// the same deduplication tokens).
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka } from 'kafkajs';
import { createKafkaBus } from '../lib/bus/kafka-bus.js';
import { TOPICS } from '../lib/bus/topics.js';
import { createClickHouseServerAdapter } from '../lib/clickhouse/client-adapter.js';
import { startClickHouseHttpServer } from '../lib/clickhouse/http-server.js';
import { migrateClickHouse } from '../lib/clickhouse/migrate.js';
import { createMetrics } from '../lib/metrics.js';
import { linkpulse, runningUrl, type CliProcess } from '../server/testing/cli-process.js';
import { benchConfig, benchLogger as logger } from './support/harness.js';
import { rate, report, type Benchmark } from './support/measure.js';
import { pollQueryable, syntheticEvents } from './support/events.js';

const BACKLOG = 300_000;
const PUBLISH_BATCH = 500;

export const scaleOutBenchmark: Benchmark = {
  name: 'scale-out',
  description: `a ${BACKLOG.toLocaleString('en-US')}-event backlog on Kafka drained by 1, then 2 consumer processes into one ClickHouse server (needs KAFKA_BROKERS)`,
  async run() {
    if (!benchConfig.kafka) {
      report('scale-out', { skipped: 'needs KAFKA_BROKERS (scripts/services.sh up; eval "$(scripts/services.sh env)")' });
      return;
    }
    const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-bench-scale-'));
    const writer = { name: 'bench_writer', password: randomBytes(12).toString('hex'), readonly: false };
    const endpoint = benchConfig.clickhouse
      ? undefined
      : await startClickHouseHttpServer({ path: path.join(dataDir, 'clickhouse'), users: [writer], defaultDatabase: 'default', host: '127.0.0.1', port: 0, logger });
    const server = benchConfig.clickhouse ?? { url: endpoint!.url, user: writer.name, password: writer.password };
    const kafka = new Kafka({ clientId: 'linkpulse-bench', brokers: benchConfig.kafka.brokers, logLevel: 0 });
    const admin = kafka.admin();
    await admin.connect();
    const bus = createKafkaBus({ ...benchConfig.kafka, clientId: 'linkpulse-bench', logger, metrics: createMetrics() });
    const processes: CliProcess[] = [];
    const lines: Record<string, string> = {};
    const rates: number[] = [];
    try {
      for (const count of [1, 2]) {
        const database = `bench_scale_${randomBytes(4).toString('hex')}`;
        const group = `bench-scale-${randomBytes(4).toString('hex')}`;
        const clickhouse = await createClickHouseServerAdapter({ ...server, database, logger });
        await migrateClickHouse(clickhouse, { logger });
        // The group starts at the end of the topic: only this run's backlog is its work.
        await bus.ensureTopics([TOPICS.events]);
        await admin.resetOffsets({ groupId: group, topic: TOPICS.events.name, earliest: false });
        for (let index = 0; index < count; index++) {
          processes.push(
            linkpulse(['start', '--role', 'consumers'], {
              DATA_DIR: path.join(dataDir, `${database}-${index}`),
              HOST: '127.0.0.1',
              PORT: '0',
              LOG_LEVEL: 'warn',
              KAFKA_BROKERS: benchConfig.kafka.brokers.join(','),
              CLICKHOUSE_URL: server.url,
              CLICKHOUSE_USER: server.user,
              CLICKHOUSE_PASSWORD: server.password,
              CLICKHOUSE_DATABASE: database,
              EVENTS_CONSUMER_GROUP: group,
            }),
          );
        }
        await Promise.all(processes.map((cli) => runningUrl(cli)));
        // Until every process has joined the group and holds its partitions.
        for (;;) {
          const described = await admin.describeGroups([group]);
          if (described.groups[0]?.state === 'Stable' && described.groups[0].members.length === count) break;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        const profileId = randomUUID();
        const events = syntheticEvents(profileId, [randomUUID(), randomUUID()], BACKLOG);
        for (let start = 0; start < events.length; start += PUBLISH_BATCH) await bus.publish(TOPICS.events.name, events.slice(start, start + PUBLISH_BATCH));
        const polls = await pollQueryable(clickhouse, profileId, BACKLOG);
        const first = polls.find((poll) => poll.count > 0)!;
        const last = polls[polls.length - 1]!;
        rates.push(((last.count - first.count) / (last.at - first.at)) * 1000);
        lines[`${count} consumer process${count > 1 ? 'es' : ''}`] = `${rate(last.count - first.count, last.at - first.at)} (first row queryable → last)`;
        for (const cli of processes.splice(0)) {
          cli.child.kill('SIGTERM');
          await cli.exited;
        }
        await clickhouse.command(`DROP DATABASE IF EXISTS ${database}`);
        await clickhouse.close();
      }
      lines['2 processes / 1'] = `${(rates[1]! / rates[0]!).toFixed(2)}×`;
      report(`scale-out: ${BACKLOG.toLocaleString('en-US')} events on Kafka (${TOPICS.events.partitions} partitions) → consumers → ClickHouse ${benchConfig.clickhouse ? `at ${server.url}` : '(embedded, over HTTP from the benchmark process)'}`, lines);
    } finally {
      for (const cli of processes) cli.child.kill('SIGKILL');
      await bus.close();
      await admin.disconnect();
      await endpoint?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};
