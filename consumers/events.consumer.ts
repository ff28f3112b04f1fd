// The events consumer: reads events_v1 in batches (one partition per batch, in offset order) and
// writes each batch to ClickHouse exactly once.
//
//   parseTrackedEvent → enrich (bot, geo, device, referrer; ip_prefix dropped) → writeBatch
//
// Exactly once = at-least-once delivery (the bus redelivers any batch whose handler did not finish)
// + idempotent writes:
// - A batch retried as it was (ClickHouse failed, the handler threw) carries the same
//   insert_deduplication_token (partition, offset range and a hash of the event ids written), so
//   ClickHouse stores it once, and the materialized views with it.
// - Batches redelivered after a crash or rebalance may be cut differently, so their tokens would not
//   match. From the first batch that does not continue where this process left off (a new
//   assignment, or a retry after a failure) until a batch with nothing stored, each batch is
//   checked against the event ids already stored, and only the missing rows are written.
// - One event published twice by a producer retry (nearby offsets, same partition) is dropped by
//   the ids this process wrote recently.
// Offsets are committed by the bus only after this handler resolved: they are our only record of
// what is safely stored. Poison messages go to events_v1_dlq with the reason, and never stall a
// partition.
import { createHash } from 'node:crypto';
import { TOPICS } from '../lib/bus/topics.js';
import { describeError } from '../lib/health.js';
import type { BusMessage, EventBus, Subscription } from '../lib/bus/event-bus.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { AnalyticsRow } from '../lib/events/analytics-row.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Enricher } from './steps/enrich.step.js';
import { parseTrackedEvent } from './steps/parse-event.step.js';

const MAX_BATCH_SIZE = 5_000;
/** Partitions worked on at once by one process. */
const CONCURRENCY = 2;
/** Margin around a batch's time range when looking up already-stored event ids. */
const LOOKUP_MARGIN_MS = 60_000;

export interface EventsConsumerDeps {
  /** EVENTS_CONSUMER_GROUP. */
  group: string;
  bus: EventBus;
  clickhouse: ClickHouse;
  enricher: Enricher;
  metrics: Metrics;
  logger: Logger;
}

export interface EventsConsumer {
  handleBatch(messages: readonly BusMessage[]): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Event ids this process wrote recently. A producer retry can put one event on the bus twice, at
 * nearby offsets of the same partition (same key); remembering recent ids removes that duplicate
 * without a lookup. Bounded: the oldest ids are forgotten first.
 */
const RECENT_IDS = 200_000;

/** Ids per lookup query: they travel in the URL, which servers cap (16 KB in Node, 1 MB in ClickHouse). */
const LOOKUP_CHUNK = 200;

/** The stored ids among these rows' ids (rows of one batch, close together in time). */
async function storedEventIds(clickhouse: ClickHouse, rows: readonly AnalyticsRow[]): Promise<Set<string>> {
  const times = rows.map((row) => row.timestamp);
  const window = { from: Math.min(...times) - LOOKUP_MARGIN_MS, to: Math.max(...times) + LOOKUP_MARGIN_MS };
  const stored = new Set<string>();
  for (let start = 0; start < rows.length; start += LOOKUP_CHUNK) {
    const chunk = rows.slice(start, start + LOOKUP_CHUNK);
    // profile_id leads the sort key: naming the chunk's profiles keeps this to their granules.
    const found = await clickhouse.query<{ id: string }>(
      `SELECT toString(event_id) AS id FROM events
        WHERE profile_id IN {profiles:Array(UUID)}
          AND timestamp BETWEEN fromUnixTimestamp64Milli({from:Int64}) AND fromUnixTimestamp64Milli({to:Int64})
          AND event_id IN {ids:Array(UUID)}`,
      { ...window, profiles: [...new Set(chunk.map((row) => row.profile_id))], ids: chunk.map((row) => row.event_id) },
    );
    for (const row of found) stored.add(row.id);
  }
  return stored;
}

export function createEventsConsumer(deps: EventsConsumerDeps): EventsConsumer {
  const { bus, clickhouse, enricher, metrics } = deps;
  const logger = deps.logger.child({ module: 'events-consumer' });
  /** Per partition, the offset the next batch starts at if nothing was redelivered. */
  const expectedOffsets = new Map<string, bigint>();
  /**
   * Partitions whose batches may repeat stored events: from a redelivery until a batch has none
   * stored (a redelivered range is contiguous from the last commit, so after it everything is new).
   */
  const checking = new Set<string>();
  let subscription: Subscription | undefined;
  const recentIds = new Set<string>();
  const remember = (rows: readonly AnalyticsRow[]) => {
    for (const row of rows) recentIds.add(row.event_id);
    // A Set iterates in insertion order: delete from the front to forget the oldest.
    for (const id of recentIds) {
      if (recentIds.size <= RECENT_IDS) break;
      recentIds.delete(id);
    }
  };

  const deadLetter = async (failures: { message: BusMessage; reason: string; error: unknown }[]) => {
    if (failures.length === 0) return;
    await bus.publish(
      TOPICS.eventsDeadLetter.name,
      failures.map(({ message, reason, error }) => ({
        key: message.key || 'unkeyed',
        value: message.value,
        headers: {
          reason,
          error: describeError(error),
          topic: message.topic,
          partition: String(message.partition),
          offset: message.offset,
        },
      })),
    );
  };

  const handleBatch = async (messages: readonly BusMessage[]) => {
    const first = messages[0];
    const last = messages[messages.length - 1];
    if (!first || !last) return;
    const partitionKey = `${first.topic}:${first.partition}`;
    if (expectedOffsets.get(partitionKey) !== BigInt(first.offset)) checking.add(partitionKey);
    expectedOffsets.delete(partitionKey);

    const rows: AnalyticsRow[] = [];
    const failures: { message: BusMessage; reason: string; error: unknown }[] = [];
    for (const message of messages) {
      const parsed = parseTrackedEvent(message);
      if (parsed.ok) {
        rows.push(enricher.enrich(parsed.value));
        continue;
      }
      metrics.countDrop(parsed.reason);
      if (parsed.action === 'dlq') failures.push({ message, reason: parsed.reason, error: parsed.error });
    }

    // Duplicates of one event (a producer retry) within this batch or recently written by this process.
    const seen = new Set<string>();
    let toWrite = rows.filter((row) => {
      if (recentIds.has(row.event_id) || seen.has(row.event_id)) return false;
      seen.add(row.event_id);
      return true;
    });
    if (toWrite.length < rows.length) metrics.countDrop('duplicate_event', rows.length - toWrite.length);
    if (checking.has(partitionKey) && toWrite.length > 0) {
      const stored = await storedEventIds(clickhouse, toWrite);
      toWrite = toWrite.filter((row) => !stored.has(row.event_id));
      if (stored.size > 0) logger.info({ partition: first.partition, skipped: stored.size }, 'skipped events already stored by an earlier delivery');
      else checking.delete(partitionKey);
    }
    if (toWrite.length > 0) {
      // Derived from exactly the rows written: a retry of the same rows matches, different rows never do.
      const ids = createHash('sha256');
      for (const row of toWrite) ids.update(row.event_id);
      await clickhouse.insert('events', toWrite, { deduplicationToken: `${first.topic}:${first.partition}:${first.offset}-${last.offset}:${ids.digest('base64url')}` });
    }
    remember(toWrite);
    await deadLetter(failures);
    expectedOffsets.set(partitionKey, BigInt(last.offset) + 1n);
  };

  return {
    handleBatch,
    async start() {
      subscription = await bus.consume(TOPICS.events.name, deps.group, handleBatch, { maxBatchSize: MAX_BATCH_SIZE, concurrency: CONCURRENCY });
    },
    async stop() {
      await subscription?.stop();
    },
  };
}
