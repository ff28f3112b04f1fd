// The write step of the events consumer: one enriched batch of one partition into ClickHouse,
// exactly once in `events` and in every aggregate table its materialized views feed.
//
//   parse → enrich → writeBatch (this file) → commit (the bus, once the handler resolved)
//
// Exactly once = at-least-once delivery (the bus redelivers any batch whose handler did not finish)
// + inserts that ClickHouse makes idempotent per table:
// - Each insert carries an insert_deduplication_token (partition, offset range, a hash of the event
//   ids). Every table the insert reaches remembers the block under that token (the views' targets
//   under an id derived from it), so an insert repeated with the same token and the same rows adds
//   nothing where the block already is and completes every table where it is not.
// - An insert commits `events` and each aggregate table one part at a time, so an engine that dies
//   mid-insert leaves some of them short. The bus then redelivers from the last commit, perhaps cut
//   differently. So before inserting, the writer records the insert (offsets, duplicates left out,
//   token) in the insert ledger (insert-ledger.ts); after a redelivery it reads the ledger and inserts
//   that record range again exactly as before, under the same token, before anything new.
// - One event published twice by a producer retry (nearby offsets, same partition) is dropped by the
//   ids this process wrote recently, and after a redelivery by the ids already stored: only ids stored
//   by inserts that completed, since the interrupted one has been completed first.
// A ClickHouse error throws, so the handler fails and the bus delivers the batch again.
import { createHash } from 'node:crypto';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { AnalyticsRow } from '../lib/events/analytics-row.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createInsertLedger, type InsertIntent } from './insert-ledger.js';

/** A record that parsed, and the row it became. */
export interface EnrichedRecord {
  offset: bigint;
  row: AnalyticsRow;
}

/** One delivered batch of one partition, in offset order, ready to be written. */
export interface EnrichedBatch {
  topic: string;
  partition: number;
  /**
   * Every delivered record's offset, poison ones included: the ranges that tokens, the ledger and
   * redelivery detection name are ranges of the bus, not of the rows.
   */
  offsets: readonly bigint[];
  records: readonly EnrichedRecord[];
}

export interface BatchWriterDeps {
  /** EVENTS_CONSUMER_GROUP: the insert ledger is kept per group and partition. */
  group: string;
  clickhouse: ClickHouse;
  metrics: Pick<Metrics, 'consumerInserts' | 'countDrop'>;
  /** The consumer's (module events-consumer): its replays and skips are what operators look for there. */
  logger: Logger;
}

export interface BatchWriter {
  /** Resolves once every table holds the batch's events (exactly once); throws when ClickHouse fails. */
  writeBatch(batch: EnrichedBatch): Promise<void>;
}

/**
 * Event ids this process wrote recently. A producer retry can put one event on the bus twice, at
 * nearby offsets of the same partition (same key); remembering recent ids removes that duplicate
 * without a lookup. Bounded: the oldest ids are forgotten first.
 */
const RECENT_IDS = 200_000;

/** Ids per lookup query: they travel in the URL, which servers cap (16 KB in Node, 1 MB in ClickHouse). */
const LOOKUP_CHUNK = 200;

/** Margin around a batch's time range when looking up already-stored event ids. */
const LOOKUP_MARGIN_MS = 60_000;

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
function deduplicationToken(batch: EnrichedBatch, firstOffset: bigint, lastOffset: bigint, rows: readonly AnalyticsRow[]): string {
  const ids = createHash('sha256');
  for (const row of rows) ids.update(row.event_id);
  return `${batch.topic}:${batch.partition}:${firstOffset}-${lastOffset}:${ids.digest('base64url')}`;
}

/** The part of a batch whose offsets pass the test, records and offsets alike. */
function slice(batch: EnrichedBatch, keep: (offset: bigint) => boolean): EnrichedBatch {
  return { ...batch, offsets: batch.offsets.filter(keep), records: batch.records.filter((record) => keep(record.offset)) };
}

export function createBatchWriter(deps: BatchWriterDeps): BatchWriter {
  const { clickhouse, metrics, logger } = deps;
  const ledger = createInsertLedger(clickhouse, deps.group);
  /** Per partition, the offset the next batch starts at if nothing was redelivered. */
  const expectedOffsets = new Map<string, bigint>();
  /**
   * Partitions whose batches may repeat stored events: from a redelivery until a batch has none
   * stored (a redelivered range is contiguous from the last commit, so after it everything is new).
   */
  const checking = new Set<string>();
  const recentIds = new Set<string>();
  const remember = (rows: readonly AnalyticsRow[]) => {
    for (const row of rows) recentIds.add(row.event_id);
    // A Set iterates in insertion order: delete from the front to forget the oldest.
    for (const id of recentIds) {
      if (recentIds.size <= RECENT_IDS) break;
      recentIds.delete(id);
    }
  };

  /** Records the insert in the ledger, then inserts: the ledger must know it before any table can. */
  const insert = async (batch: EnrichedBatch, intent: InsertIntent, rows: readonly AnalyticsRow[]) => {
    await ledger.record(batch.topic, batch.partition, intent);
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
  const replayInterruptedInsert = async (batch: EnrichedBatch): Promise<{ from: bigint; to: bigint } | undefined> => {
    const firstOffset = batch.offsets[0]!;
    const lastOffset = batch.offsets[batch.offsets.length - 1]!;
    const intent = await ledger.latest(batch.topic, batch.partition);
    if (!intent || intent.lastOffset < firstOffset) return undefined;
    if (intent.firstOffset < firstOffset || intent.lastOffset > lastOffset) {
      metrics.consumerInserts.inc({ outcome: 'unreplayable' });
      logger.warn(
        { partition: batch.partition, recorded: `${intent.firstOffset}-${intent.lastOffset}`, delivered: `${firstOffset}-${lastOffset}` },
        'a redelivered batch does not hold the whole interrupted insert; writing it with stored events left out (the reconciler repairs the aggregates)',
      );
      return undefined;
    }
    const skipped = new Set(intent.skippedOffsets);
    const rows = slice(batch, (offset) => offset >= intent.firstOffset && offset <= intent.lastOffset && !skipped.has(offset)).records.map((record) => record.row);
    if (deduplicationToken(batch, intent.firstOffset, intent.lastOffset, rows) !== intent.token) {
      // The records at these offsets are not the ones recorded (a topic recreated, a bus reset beside an
      // old ClickHouse): inserting them under the old token would drop them as a duplicate.
      logger.warn({ partition: batch.partition, recorded: `${intent.firstOffset}-${intent.lastOffset}` }, 'the insert ledger describes other records at these offsets; ignoring it');
      return undefined;
    }
    await clickhouse.insert('events', rows, { deduplicationToken: intent.token });
    remember(rows);
    metrics.consumerInserts.inc({ outcome: 'replayed' });
    logger.info({ partition: batch.partition, offsets: `${intent.firstOffset}-${intent.lastOffset}`, rows: rows.length }, 'replayed the insert a redelivery interrupted');
    return { from: intent.firstOffset, to: intent.lastOffset };
  };

  /** Writes the batch's events that are not stored yet, as one insert recorded in the ledger first. */
  const writeNew = async (batch: EnrichedBatch, partitionKey: string) => {
    const firstOffset = batch.offsets[0];
    const lastOffset = batch.offsets[batch.offsets.length - 1];
    if (firstOffset === undefined || lastOffset === undefined) return;
    // Duplicates of one event (a producer retry) within this batch or recently written by this process.
    const seen = new Set<string>();
    const skippedOffsets: bigint[] = [];
    let toWrite = batch.records.filter(({ row, offset }) => {
      const duplicate = recentIds.has(row.event_id) || seen.has(row.event_id);
      seen.add(row.event_id);
      if (duplicate) skippedOffsets.push(offset);
      return !duplicate;
    });
    if (checking.has(partitionKey) && toWrite.length > 0) {
      const stored = await storedEventIds(clickhouse, toWrite.map((record) => record.row));
      toWrite = toWrite.filter(({ row, offset }) => {
        if (stored.has(row.event_id)) skippedOffsets.push(offset);
        return !stored.has(row.event_id);
      });
      if (stored.size > 0) logger.info({ partition: batch.partition, skipped: stored.size }, 'left out events an earlier delivery stored');
      else checking.delete(partitionKey);
    }
    if (skippedOffsets.length > 0) metrics.countDrop('duplicate_event', skippedOffsets.length);
    if (toWrite.length === 0) return;
    const rows = toWrite.map((record) => record.row);
    await insert(batch, { firstOffset, lastOffset, skippedOffsets, token: deduplicationToken(batch, firstOffset, lastOffset, rows) }, rows);
    metrics.consumerInserts.inc({ outcome: 'written' });
    remember(rows);
  };

  return {
    async writeBatch(batch) {
      const firstOffset = batch.offsets[0];
      const lastOffset = batch.offsets[batch.offsets.length - 1];
      if (firstOffset === undefined || lastOffset === undefined) return;
      const partitionKey = `${batch.topic}:${batch.partition}`;
      const isContinuation = expectedOffsets.get(partitionKey) === firstOffset;
      expectedOffsets.delete(partitionKey);
      if (isContinuation) {
        await writeNew(batch, partitionKey);
      } else {
        // A new assignment, or a retry after a failure: the last insert may have been interrupted. It is
        // completed first, before any new insert replaces it in the ledger. Records before it belong to
        // inserts that completed (an insert is recorded only after the previous one returned), and
        // records after it are new; both are written with stored events left out.
        checking.add(partitionKey);
        const replayed = await replayInterruptedInsert(batch);
        if (replayed) {
          await writeNew(slice(batch, (offset) => offset < replayed.from), partitionKey);
          await writeNew(slice(batch, (offset) => offset > replayed.to), partitionKey);
        } else {
          await writeNew(batch, partitionKey);
        }
      }
      expectedOffsets.set(partitionKey, lastOffset + 1n);
    },
  };
}
