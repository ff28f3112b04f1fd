-- Up Migration
-- The embedded event bus (used when KAFKA_BROKERS is not set): Kafka's model on PostgreSQL.
-- A topic has a fixed number of partitions; a message's key picks its partition, so messages with
-- one key stay in order. Each consumer group keeps one committed offset per partition. A consumer
-- claims a partition by locking its offset row (FOR UPDATE SKIP LOCKED) for the length of one batch
-- and advances the offset in the same transaction after its handler succeeded: at-least-once delivery,
-- and a crashed consumer's lock dies with its connection, so the batch is redelivered.

CREATE TABLE bus_partitions (
  topic       text    NOT NULL CHECK (topic ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  partition   integer NOT NULL CHECK (partition >= 0),
  -- The offset the next message gets. Publishers update this row first, so the row lock serialises
  -- publishers of one partition until they commit and offsets become visible in order (a consumer
  -- can never skip past an offset whose transaction has not committed yet).
  next_offset bigint  NOT NULL DEFAULT 0 CHECK (next_offset >= 0),
  PRIMARY KEY (topic, partition)
);

CREATE TABLE bus_messages (
  topic          text        NOT NULL,
  partition      integer     NOT NULL,
  message_offset bigint      NOT NULL,
  key            text        NOT NULL,
  value          bytea       NOT NULL,
  headers        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  published_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, partition, message_offset)
);

CREATE TABLE bus_consumer_offsets (
  group_id         text        NOT NULL CHECK (group_id ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'),
  topic            text        NOT NULL,
  partition        integer     NOT NULL,
  -- The next offset to deliver to this group (Kafka's committed offset).
  committed_offset bigint      NOT NULL DEFAULT 0 CHECK (committed_offset >= 0),
  -- Consecutive handler failures on this partition, and when it may be retried (backoff).
  failed_attempts  integer     NOT NULL DEFAULT 0,
  retry_at         timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, topic, partition),
  FOREIGN KEY (topic, partition) REFERENCES bus_partitions (topic, partition) ON DELETE CASCADE
);

-- The bus is infrastructure, not tenant data: the app role uses it directly, without RLS.
GRANT SELECT, INSERT, UPDATE ON bus_partitions TO linkpulse_app;
GRANT SELECT, INSERT, DELETE ON bus_messages TO linkpulse_app;
GRANT SELECT, INSERT, UPDATE ON bus_consumer_offsets TO linkpulse_app;

-- Down Migration
DROP TABLE bus_consumer_offsets;
DROP TABLE bus_messages;
DROP TABLE bus_partitions;
