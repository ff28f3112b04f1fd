-- The consumers' insert ledger: before each batch insert into `events`, the consumer records which bus
-- records the insert covers (partition, first and last offset), which of them it left out as
-- duplicates, and the insert's deduplication token. One row per (consumer group, topic, partition):
-- the latest intent.
--
-- Why: an insert into `events` commits one part per table (events and each materialized view's
-- target) one after the other, so an engine that dies in between leaves some tables with the batch
-- and some without. After such a crash the bus redelivers from its last committed offset, possibly cut
-- differently. The consumer then reads the intent here and inserts exactly the same records again
-- under the same token: every table that already holds the block deduplicates it, every table that
-- lacks it gets it (deduplicate_blocks_in_dependent_materialized_views). Without the ledger the
-- consumer could only tell that `events` had the rows, not which aggregates did.
--
-- recorded_at comes from the ClickHouse server's clock (now64), so the latest intent wins even when
-- the partition moved between consumer processes with different clocks. No deduplication window:
-- every intent must be stored. Read with FINAL (or argMax) for the latest row.
CREATE TABLE IF NOT EXISTS insert_ledger
(
    consumer_group  String,
    topic           String,
    partition       UInt32,
    first_offset    UInt64,
    last_offset     UInt64,
    -- Offsets within [first_offset, last_offset] whose events were not inserted (duplicates of
    -- events already stored), so a replay writes exactly the same rows.
    skipped_offsets Array(UInt64),
    token           String,
    recorded_at     DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (consumer_group, topic, partition);
