// The event bus between ingest and consumers: Kafka when KAFKA_BROKERS is set, otherwise a durable
// partitioned log in PostgreSQL. Both give the same guarantees, proven by one contract suite
// (event-bus.integration.test.ts):
// - publish() resolves only once the messages are durable (Kafka acks=all / a committed transaction);
// - messages with the same key keep their order (the key picks the partition);
// - each consumer group sees every message at least once; a batch is committed only after its
//   handler resolved, so a handler that throws or a consumer that dies gets the batch again;
// - Subscription.stop() lets the batch in flight finish and commits it before resolving.
import { describeError, type HealthCheck } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface TopicSpec {
  name: string;
  partitions: number;
}

export interface OutgoingMessage {
  /** Never empty: it picks the partition and therefore the ordering domain. */
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface BusMessage {
  topic: string;
  partition: number;
  /** Decimal string: Kafka offsets are 64-bit. */
  offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  publishedAt: Date;
}

/** Handles one batch from one partition, in offset order. Throwing means "not processed": redeliver. */
export type BatchHandler = (messages: readonly BusMessage[]) => Promise<void>;

export interface ConsumeOptions {
  /** Most messages handed to one handler call (default 500). */
  maxBatchSize?: number;
  /** Partitions this subscription works on at once (default 1). */
  concurrency?: number;
}

export interface Subscription {
  /** Stops fetching, waits for the batch in flight to finish and be committed, then leaves the group. */
  stop(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'kafka' | 'postgres';
  /** Creates missing topics; never shrinks or deletes existing ones. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  consume(topic: string, group: string, handleBatch: BatchHandler, options?: ConsumeOptions): Promise<Subscription>;
  /**
   * Whether the group has committed every message of the topic published before `time`, on every
   * partition: everything those messages carried has been handled (for the events consumer, stored
   * in every ClickHouse table). The analytics reconciler checks only such periods.
   */
  hasConsumedUntil(topic: string, group: string, time: Date): Promise<boolean>;
  healthCheck(): HealthCheck;
  /** Stops every subscription (draining as stop() does) and disconnects. */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BATCH_SIZE = 500;

const TOPIC_NAME = /^[a-z0-9][a-z0-9_.-]{0,99}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export function assertTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) throw new Error(`invalid topic name ${JSON.stringify(topic)}`);
}

export function assertGroupName(group: string): void {
  if (!GROUP_NAME.test(group)) throw new Error(`invalid consumer group name ${JSON.stringify(group)}`);
}

export function assertKeys(messages: readonly OutgoingMessage[]): void {
  for (const message of messages) {
    if (!message.key) throw new Error('every bus message needs a non-empty key');
  }
}

/**
 * Hands one batch to the handler, counting it. A failure is counted, logged and rethrown: the
 * implementation then leaves the batch uncommitted so it is delivered again.
 */
export async function runBatchHandler(
  handleBatch: BatchHandler,
  messages: readonly BusMessage[],
  context: { topic: string; group: string; partition: number; metrics: Metrics; logger: Logger },
): Promise<void> {
  const { topic, group, partition, metrics, logger } = context;
  metrics.busBatchSize.observe({ topic, group }, messages.length);
  try {
    await handleBatch(messages);
  } catch (error) {
    metrics.busHandlerFailures.inc({ topic, group });
    logger.warn(
      { err: describeError(error), topic, group, partition, offset: messages[0]?.offset, size: messages.length },
      'batch handler failed; the batch will be redelivered',
    );
    throw error;
  }
}
