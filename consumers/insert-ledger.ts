// The events consumer's write-ahead record of each insert (ClickHouse table insert_ledger,
// clickhouse/0005): before a batch goes into `events`, which bus records it covers and under which
// deduplication token. An insert reaches `events` and each aggregate table one part at a time, so
// an engine that dies half-way leaves some tables without the batch; the redelivered records are then
// inserted again exactly as recorded here, and every table that lacks the block gets it.
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';

export interface InsertIntent {
  firstOffset: bigint;
  lastOffset: bigint;
  /** Records in the range whose events were left out (duplicates of stored events). */
  skippedOffsets: readonly bigint[];
  token: string;
}

export interface InsertLedger {
  /** The latest insert recorded for the partition, if any. */
  latest(topic: string, partition: number): Promise<InsertIntent | undefined>;
  /** Resolves once the intent is stored: only then may the insert start. */
  record(topic: string, partition: number, intent: InsertIntent): Promise<void>;
}

export function createInsertLedger(clickhouse: ClickHouse, group: string): InsertLedger {
  return {
    async latest(topic, partition) {
      const [row] = await clickhouse.query<{ first_offset: string; last_offset: string; skipped_offsets: string[]; token: string }>(
        `SELECT first_offset, last_offset, skipped_offsets, token FROM insert_ledger FINAL
          WHERE consumer_group = {group:String} AND topic = {topic:String} AND partition = {partition:UInt32}`,
        { group, topic, partition },
      );
      return (
        row && {
          firstOffset: BigInt(row.first_offset),
          lastOffset: BigInt(row.last_offset),
          skippedOffsets: row.skipped_offsets.map((offset) => BigInt(offset)),
          token: row.token,
        }
      );
    },
    async record(topic, partition, intent) {
      await clickhouse.insert('insert_ledger', [
        {
          consumer_group: group,
          topic,
          partition,
          first_offset: intent.firstOffset,
          last_offset: intent.lastOffset,
          skipped_offsets: [...intent.skippedOffsets],
          token: intent.token,
        },
      ]);
    },
  };
}
