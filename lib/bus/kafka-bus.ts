// The event bus on Apache Kafka (kafkajs).
//
// Producer: acks=all, batches compressed as KAFKA_COMPRESSION says (none by default), bounded
// retries. Not kafkajs's idempotent mode: that retries forever, and ingest must answer 503 promptly
// when Kafka cannot take an event; the rare duplicate a retry can create is removed downstream by the
// event id (the pipeline deduplicates on insert).
//
// Consumer: auto-commit off. Each partition batch is handed to the handler in chunks; after a chunk's
// handler resolves, its offset is committed right away. A handler that throws leaves the offset where
// it was, so kafkajs fetches the same messages again (after its retry backoff).
import { CompressionTypes, Kafka, Partitioners, logLevel, type Consumer, type LogEntry } from 'kafkajs';
import type { KafkaCompression } from '../config.js';
import { registerKafkaCodecs } from './kafka-codecs.js';
import { describeError } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  DEFAULT_MAX_BATCH_SIZE,
  assertGroupName,
  assertKeys,
  assertTopicName,
  runBatchHandler,
  type BatchHandler,
  type BusMessage,
  type ConsumeOptions,
  type EventBus,
  type OutgoingMessage,
  type Subscription,
  type TopicSpec,
} from './event-bus.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  metrics: Metrics;
  /** KAFKA_COMPRESSION (default none). */
  compression?: KafkaCompression;
  /** Group session timeout: how long a dead consumer keeps its partitions (default 10 s, broker minimum 6 s). */
  sessionTimeoutMs?: number;
}

const PUBLISH_TIMEOUT_MS = 10_000;
/**
 * Bytes a fetch brings per partition, and in all. kafkajs's 1 MB per partition holds ~1,600 events
 * without compression, so the consumers' batches (up to 5,000) were cut small and each ClickHouse
 * insert carried its fixed cost for fewer rows: 3 MiB drained a 150,000-event backlog at 12,600 and
 * 14,900 events/s against 12,100 and 10,700 (alternating runs; bench/README.md, "The pipeline").
 */
const FETCH_BYTES_PER_PARTITION = 3 * 1024 ** 2;
const FETCH_BYTES = 4 * FETCH_BYTES_PER_PARTITION;

function kafkaLogCreator(logger: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, ...extra } = log;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.debug(fields, message);
    };
}

/**
 * A client connected on first use and shared afterwards; a failed connection is retried by the next
 * caller instead of being cached.
 */
function connectOnFirstUse<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(create: () => T) {
  let ready: Promise<T> | undefined;
  let connected: T | undefined;
  return {
    get(): Promise<T> {
      ready ??= (async () => {
        const client = create();
        await client.connect();
        connected = client;
        return client;
      })().catch((error: unknown) => {
        ready = undefined;
        throw error;
      });
      return ready;
    },
    async disconnect(): Promise<void> {
      await connected?.disconnect();
    },
  };
}

function toHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) result[name] = first.toString();
  }
  return result;
}

const COMPRESSION_TYPES: Readonly<Record<KafkaCompression, CompressionTypes>> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

export function createKafkaBus(options: KafkaBusOptions): EventBus {
  registerKafkaCodecs();
  const { metrics } = options;
  const compression = COMPRESSION_TYPES[options.compression ?? 'none'];
  const logger = options.logger.child({ module: 'kafka-bus' });
  const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 3_000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.INFO,
    logCreator: kafkaLogCreator(logger),
  });
  const subscriptions = new Set<Subscription>();
  const producer = connectOnFirstUse(() =>
    kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2_000 },
    }),
  );
  const admin = connectOnFirstUse(() => kafka.admin());

  return {
    kind: 'kafka',

    async ensureTopics(topics: readonly TopicSpec[]) {
      for (const topic of topics) assertTopicName(topic.name);
      const client = await admin.get();
      const existing = new Set(await client.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic.name));
      if (missing.length === 0) return;
      // A concurrent creator may win the race; createTopics then reports false, which is fine.
      await client.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({ topic: topic.name, numPartitions: topic.partitions })),
      });
      logger.info({ topics: missing.map((topic) => topic.name) }, 'created Kafka topics');
    },

    async publish(topic: string, messages: readonly OutgoingMessage[]) {
      if (messages.length === 0) return;
      assertKeys(messages);
      try {
        const connected = await producer.get();
        await connected.send({
          topic,
          acks: -1,
          timeout: PUBLISH_TIMEOUT_MS,
          compression,
          messages: messages.map((message) => ({ key: message.key, value: message.value, headers: message.headers })),
        });
        metrics.busPublished.inc({ topic }, messages.length);
      } catch (error) {
        metrics.busPublishFailures.inc({ topic });
        throw error;
      }
    },

    async consume(topic: string, group: string, handleBatch: BatchHandler, consumeOptions: ConsumeOptions = {}) {
      assertGroupName(group);
      const maxBatchSize = consumeOptions.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
      const consumer: Consumer = kafka.consumer({
        groupId: group,
        sessionTimeout,
        heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 5)),
        rebalanceTimeout: 30_000,
        allowAutoTopicCreation: false,
        maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
        maxBytes: FETCH_BYTES,
        retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 },
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: consumeOptions.concurrency ?? 1,
        eachBatch: async (payload) => {
          const { batch } = payload;
          for (let start = 0; start < batch.messages.length; start += maxBatchSize) {
            if (!payload.isRunning() || payload.isStale()) return;
            const chunk = batch.messages.slice(start, start + maxBatchSize);
            const messages: BusMessage[] = chunk.map((message) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key?.toString() ?? '',
              value: message.value ?? Buffer.alloc(0),
              headers: toHeaders(message.headers),
              publishedAt: new Date(Number(message.timestamp)),
            }));
            // A failure propagates to kafkajs, which fetches the uncommitted messages again after its backoff.
            await runBatchHandler(handleBatch, messages, { topic, group, partition: batch.partition, metrics, logger });
            const last = chunk[chunk.length - 1]!.offset;
            payload.resolveOffset(last);
            // Commit through the batch's own commit function: unlike consumer.commitOffsets() it still
            // commits while the consumer is stopping, so a drained batch is not redelivered.
            await payload.commitOffsetsIfNecessary({
              topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }] }],
            });
            metrics.busConsumed.inc({ topic, group }, messages.length);
            const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
            metrics.busConsumerLag.set({ topic, group, partition: String(batch.partition) }, Number(lag < 0n ? 0n : lag));
            await payload.heartbeat();
          }
        },
      });
      let stopped: Promise<void> | undefined;
      const subscription: Subscription = {
        stop() {
          // disconnect() stops fetching, waits for the batch in flight (which commits), then leaves the group.
          stopped ??= consumer.disconnect().finally(() => subscriptions.delete(subscription));
          return stopped;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async hasConsumedUntil(topic: string, group: string, time: Date) {
      assertGroupName(group);
      const client = await admin.get();
      const [committed] = await client.fetchOffsets({ groupId: group, topics: [topic] });
      // Per partition, the first offset published at or after `time` (the end of the log when none is).
      const firstAtOrAfter = await client.fetchTopicOffsetsByTimestamp(topic, time.getTime());
      const bounds = await client.fetchTopicOffsets(topic);
      return firstAtOrAfter.every(({ partition, offset }) => {
        const committedOffset = committed?.partitions.find((entry) => entry.partition === partition)?.offset ?? '-1';
        // A group that never committed on a partition has consumed it only if nothing is left before `time`.
        const position = committedOffset === '-1' ? bounds.find((entry) => entry.partition === partition)?.low ?? '0' : committedOffset;
        return BigInt(position) >= BigInt(offset);
      });
    },

    healthCheck: () => ({
      name: 'bus',
      required: true,
      async check() {
        const client = await admin.get();
        const cluster = await client.describeCluster();
        return { state: 'ok', detail: `kafka: ${cluster.brokers.length} broker(s)` };
      },
    }),

    async close() {
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      await producer.disconnect().catch((error: unknown) => logger.warn({ err: describeError(error) }, 'producer disconnect failed'));
      await admin.disconnect().catch(() => undefined);
    },
  };
}
