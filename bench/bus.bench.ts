// The event bus ingest publishes to and the consumers drain: the PostgreSQL queue on embedded
// PostgreSQL always, Kafka too when KAFKA_BROKERS is set (with each KAFKA_COMPRESSION).
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { EventBus } from '../lib/bus/event-bus.js';
import { createKafkaBus } from '../lib/bus/kafka-bus.js';
import { KAFKA_COMPRESSIONS } from '../lib/config.js';
import { createPostgresBus } from '../lib/bus/postgres-bus.js';
import { createMetrics } from '../lib/metrics.js';
import { createDatabase } from '../lib/postgres/database.js';
import { startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { APP_ROLE, migratePostgres } from '../lib/postgres/migrate.js';
import { benchConfig, benchLogger as logger, scratch } from './support/harness.js';
import { latencies, rate, report, type Benchmark } from './support/measure.js';

/** Publishes `total` events of ~200 bytes from `publishers` concurrent callers, then drains them with one group. */
async function measureBus(name: string, bus: EventBus, total = 20_000, batch = 100, publishers = 4): Promise<void> {
  const topic = `bench_${randomBytes(4).toString('hex')}`;
  await bus.ensureTopics([{ name: topic, partitions: 12 }]);
  const payload = JSON.stringify({ type: 'click', profileId: randomBytes(8).toString('hex'), linkId: randomBytes(8).toString('hex'), x: 0.5, y: 812, ua: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156 Safari/537.36' });
  const publishLatencies: number[] = [];
  const publishStarted = performance.now();
  await Promise.all(
    Array.from({ length: publishers }, async (_, publisher) => {
      for (let sent = publisher * batch; sent < total; sent += publishers * batch) {
        const messages = Array.from({ length: Math.min(batch, total - sent) }, (_, i) => ({ key: `profile:${(sent + i) % 997}`, value: payload }));
        const started = performance.now();
        await bus.publish(topic, messages);
        publishLatencies.push(performance.now() - started);
      }
    }),
  );
  const publishMs = performance.now() - publishStarted;
  let received = 0;
  const consumeStarted = performance.now();
  let done!: () => void;
  const drained = new Promise<void>((resolve) => (done = resolve));
  const subscription = await bus.consume(
    topic,
    `bench_${randomBytes(4).toString('hex')}`,
    async (messages) => {
      received += messages.length;
      if (received >= total) done();
    },
    { maxBatchSize: 500 },
  );
  await drained;
  const consumeMs = performance.now() - consumeStarted;
  await subscription.stop();
  report(`event bus: ${name} (${total.toLocaleString('en-US')} messages of ${payload.length} bytes, batches of ${batch}, ${publishers} publishers)`, {
    'publish throughput (acknowledged)': rate(total, publishMs),
    'publish call latency': latencies(publishLatencies),
    'consume throughput (committed)': rate(total, consumeMs),
  });
}

export const busBenchmark: Benchmark = {
  name: 'bus',
  description: '20,000 events published in batches of 100 by 4 publishers, then drained by one consumer group',
  async run() {
    const dataDir = await scratch('pg');
    const server = await startEmbeddedPostgres({ dataDir, superuserPassword: randomBytes(16).toString('hex'), logger });
    const appPassword = randomBytes(16).toString('hex');
    try {
      await migratePostgres({ ownerUrl: server.superuserUrl(), loginPasswords: { [APP_ROLE]: appPassword }, logger });
      const db = createDatabase({ url: server.urlFor(APP_ROLE, appPassword), applicationName: 'linkpulse-bench', logger, maxConnections: 12 });
      const bus = createPostgresBus({ db, logger, metrics: createMetrics() });
      await measureBus('PostgreSQL queue (embedded PostgreSQL)', bus);
      await bus.close();
      await db.close();
    } finally {
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
    if (benchConfig.kafka) {
      for (const compression of KAFKA_COMPRESSIONS) {
        const bus = createKafkaBus({ ...benchConfig.kafka, compression, logger, metrics: createMetrics() });
        await measureBus(`Kafka (${benchConfig.kafka.brokers.join(',')}), KAFKA_COMPRESSION=${compression}`, bus);
        await bus.close();
      }
    }
  },
};
