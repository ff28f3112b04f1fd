// The events consumer: reads events_v1 in batches (one partition per batch, in offset order) and
// writes each batch to ClickHouse exactly once, in `events` and in every aggregate table its
// materialized views feed.
//
//   parseTrackedEvent → enrich (bot, geo, device, referrer; ip_prefix dropped) → writeBatch
//
// Exactly once = at-least-once delivery (the bus redelivers any batch whose handler did not finish)
// + inserts that ClickHouse makes idempotent per table:
// - Each insert carries an insert_deduplication_token (partition, offset range, a hash of the event
//   ids). Every table the insert reaches remembers the block under that token (the views' targets
//   under an id derived from it), so an insert repeated with the same token and the same rows adds
//   nothing where the block already is and completes every table where it is not.
// - An insert commits `events` and each aggregate table one part at a time, so an engine that dies
//   mid-insert leaves some of them short. The bus then redelivers from the last commit, perhaps cut
//   differently. So before inserting, the consumer records the insert (offsets, duplicates left out,
//   token) in the insert ledger (insert-ledger.ts); after a redelivery it reads the ledger and inserts
//   that record range again exactly as before, under the same token, before anything new.
// - One event published twice by a producer retry (nearby offsets, same partition) is dropped by the
//   ids this process wrote recently, and after a redelivery by the ids already stored: only ids stored
//   by inserts that completed, since the interrupted one has been completed first.
// Offsets are committed by the bus only after this handler resolved: they are our only record of what
// is safely stored in every table. Poison messages go to events_v1_dlq with the reason, and never stall
// a partition.
import { createHash } from 'node:crypto';
import { TOPICS } from '../lib/bus/topics.js';
import { describeError } from '../lib/health.js';
import type { BusMessage, EventBus, Subscription } from '../lib/bus/event-bus.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { AnalyticsRow } from '../lib/events/analytics-row.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createInsertLedger, type InsertIntent } from './insert-ledger.js';
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

/** A parsed record: its offset and the row it becomes. */
interface Candidate {
  offset: bigint;
  row: AnalyticsRow;
}

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

/** The token names exactly the rows written: a repeat of the same rows matches, different rows never do. */
function deduplicationToken(first: BusMessage, firstOffset: bigint, lastOffset: bigint, rows: readonly AnalyticsRow[]): string {
  const ids = createHash('sha256');
  for (const row of rows) ids.update(row.event_id);
  return `${first.topic}:${first.partition}:${firstOffset}-${lastOffset}:${ids.digest('base64url')}`;
}

export function createEventsConsumer(deps: EventsConsumerDeps): EventsConsumer {
  const { bus, clickhouse, enricher, metrics } = deps;
  const logger = deps.logger.child({ module: 'events-consumer' });
  const ledger = createInsertLedger(clickhouse, deps.group);
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

  /** Parses and enriches; poison messages go to the dead-letter topic. Deterministic for given records. */
  const prepare = async (messages: readonly BusMessage[]): Promise<Candidate[]> => {
    const candidates: Candidate[] = [];
    const failures: { message: BusMessage; reason: string; error: unknown }[] = [];
    for (const message of messages) {
      const parsed = parseTrackedEvent(message);
      if (parsed.ok) {
        candidates.push({ offset: BigInt(message.offset), row: enricher.enrich(parsed.value) });
        continue;
      }
      metrics.countDrop(parsed.reason);
      if (parsed.action === 'dlq') failures.push({ message, reason: parsed.reason, error: parsed.error });
    }
    await deadLetter(failures);
    return candidates;
  };

  /** Records the insert in the ledger, then inserts: the ledger must know it before any table can. */
  const insert = async (first: BusMessage, intent: InsertIntent, rows: readonly AnalyticsRow[]) => {
    await ledger.record(first.topic, first.partition, intent);
    await clickhouse.insert('events', rows, { deduplicationToken: intent.token });
  };

  /**
   * After a redelivery: the ledger's last insert for this partition, when the batch holds it. That
   * insert may have reached some tables and not others, so its records are inserted again exactly as
   * recorded (same rows, same token): tables holding the block ignore it, the others get it. Returns
   * the replayed range, or undefined when there is nothing to replay or the batch does not hold the
   * whole range (cut shorter than before), in which case stored events are left out of the batch and
   * the reconciler repairs the aggregates.
   */
  const replayInterruptedInsert = async (messages: readonly BusMessage[]): Promise<{ from: bigint; to: bigint } | undefined> => {
    const first = messages[0]!;
    const firstOffset = BigInt(first.offset);
    const lastOffset = BigInt(messages[messages.length - 1]!.offset);
    const intent = await ledger.latest(first.topic, first.partition);
    if (!intent || intent.lastOffset < firstOffset) return undefined;
    if (intent.firstOffset < firstOffset || intent.lastOffset > lastOffset) {
      metrics.consumerInserts.inc({ outcome: 'unreplayable' });
      logger.warn(
        { partition: first.partition, recorded: `${intent.firstOffset}-${intent.lastOffset}`, delivered: `${firstOffset}-${lastOffset}` },
        'a redelivered batch does not hold the whole interrupted insert; writing it with stored events left out (the reconciler repairs the aggregates)',
      );
      return undefined;
    }
    const skipped = new Set(intent.skippedOffsets);
    const inRange = messages.filter((message) => BigInt(message.offset) >= intent.firstOffset && BigInt(message.offset) <= intent.lastOffset);
    const rows = (await prepare(inRange)).filter((candidate) => !skipped.has(candidate.offset)).map((candidate) => candidate.row);
    if (deduplicationToken(first, intent.firstOffset, intent.lastOffset, rows) !== intent.token) {
      // The records at these offsets are not the ones recorded (a topic recreated, a bus reset beside an
      // old ClickHouse): inserting them under the old token would drop them as a duplicate.
      logger.warn({ partition: first.partition, recorded: `${intent.firstOffset}-${intent.lastOffset}` }, 'the insert ledger describes other records at these offsets; ignoring it');
      return undefined;
    }
    await clickhouse.insert('events', rows, { deduplicationToken: intent.token });
    remember(rows);
    metrics.consumerInserts.inc({ outcome: 'replayed' });
    logger.info({ partition: first.partition, offsets: `${intent.firstOffset}-${intent.lastOffset}`, rows: rows.length }, 'replayed the insert a redelivery interrupted');
    return { from: intent.firstOffset, to: intent.lastOffset };
  };

  const writeNew = async (messages: readonly BusMessage[], partitionKey: string) => {
    if (messages.length === 0) return;
    const first = messages[0]!;
    const candidates = await prepare(messages);
    // Duplicates of one event (a producer retry) within this batch or recently written by this process.
    const seen = new Set<string>();
    const skippedOffsets: bigint[] = [];
    let toWrite = candidates.filter(({ row, offset }) => {
      const duplicate = recentIds.has(row.event_id) || seen.has(row.event_id);
      seen.add(row.event_id);
      if (duplicate) skippedOffsets.push(offset);
      return !duplicate;
    });
    if (checking.has(partitionKey) && toWrite.length > 0) {
      const stored = await storedEventIds(clickhouse, toWrite.map((candidate) => candidate.row));
      toWrite = toWrite.filter(({ row, offset }) => {
        if (stored.has(row.event_id)) skippedOffsets.push(offset);
        return !stored.has(row.event_id);
      });
      if (stored.size > 0) logger.info({ partition: first.partition, skipped: stored.size }, 'left out events an earlier delivery stored');
      else checking.delete(partitionKey);
    }
    if (skippedOffsets.length > 0) metrics.countDrop('duplicate_event', skippedOffsets.length);
    if (toWrite.length === 0) return;
    const rows = toWrite.map((candidate) => candidate.row);
    const firstOffset = BigInt(first.offset);
    const lastOffset = BigInt(messages[messages.length - 1]!.offset);
    await insert(first, { firstOffset, lastOffset, skippedOffsets, token: deduplicationToken(first, firstOffset, lastOffset, rows) }, rows);
    metrics.consumerInserts.inc({ outcome: 'written' });
    remember(rows);
  };

  const handleBatch = async (messages: readonly BusMessage[]) => {
    const first = messages[0];
    const last = messages[messages.length - 1];
    if (!first || !last) return;
    const partitionKey = `${first.topic}:${first.partition}`;
    const isContinuation = expectedOffsets.get(partitionKey) === BigInt(first.offset);
    expectedOffsets.delete(partitionKey);
    if (isContinuation) {
      await writeNew(messages, partitionKey);
    } else {
      // A new assignment, or a retry after a failure: the last insert may have been interrupted. It is
      // completed first, before any new insert replaces it in the ledger. Records before it belong to
      // inserts that completed (an insert is recorded only after the previous one returned), and
      // records after it are new; both are written with stored events left out.
      checking.add(partitionKey);
      const replayed = await replayInterruptedInsert(messages);
      const offsetOf = (message: BusMessage) => BigInt(message.offset);
      if (replayed) {
        await writeNew(messages.filter((message) => offsetOf(message) < replayed.from), partitionKey);
        await writeNew(messages.filter((message) => offsetOf(message) > replayed.to), partitionKey);
      } else {
        await writeNew(messages, partitionKey);
      }
    }
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
