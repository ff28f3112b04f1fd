// The embedded event bus: a partitioned, durable log in PostgreSQL (tables in
// migrations/0002_event_bus.sql) with Kafka's semantics, for running without Kafka.
//
// publish: one statement per call (one round trip). For each partition touched it bumps
// bus_partitions.next_offset (that row lock orders concurrent publishers, so offsets become visible in
// order), inserts the messages, and NOTIFYs consumers. It resolves after COMMIT: durable.
//
// consume: each worker claims one partition with pending messages for its group by locking the group's
// offset row (FOR UPDATE SKIP LOCKED), reads a batch after the committed offset, runs the handler, and
// advances the offset in the same transaction. A handler error rolls back and schedules a retry with
// backoff; a dead consumer's connection (and lock) goes away, so another worker gets the batch again.
import type pg from 'pg';
import { describeError } from '../health.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Database, DbClient } from '../postgres/database.js';
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

const NOTIFY_CHANNEL = 'linkpulse_bus';
const RETENTION_SWEEP_MS = 60_000;
const MAX_RETRY_DELAY_MS = 30_000;

export interface PostgresBusOptions {
  db: Database;
  logger: Logger;
  metrics: Metrics;
  /** Fallback polling when no notification arrives (default 1000 ms). */
  pollIntervalMs?: number;
  /** A handler running longer than this loses its claim on the partition (default 60 s). */
  sessionTimeoutMs?: number;
  /** Backoff before redelivering a batch whose handler threw, doubled per attempt (default 500 ms). */
  retryBaseDelayMs?: number;
}

/** FNV-1a: a stable key → partition mapping (the same key always lands in the same partition). */
export function partitionForKey(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

interface MessageRow {
  message_offset: string;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  published_at: Date;
}

export function createPostgresBus(options: PostgresBusOptions): EventBus {
  const { db, metrics } = options;
  const logger = options.logger.child({ module: 'postgres-bus' });
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 60_000;
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 500;
  const partitionCounts = new Map<string, number>();
  const subscriptions = new Set<Subscription>();
  const waiters = new Map<string, Set<() => void>>();
  let listener: DbClient | undefined;
  let listening: Promise<void> | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let closed = false;

  const wake = (topic: string) => {
    const set = waiters.get(topic);
    if (!set) return;
    waiters.delete(topic);
    for (const resolve of set) resolve();
  };

  /** Resolves on a publish notification for the topic, after the poll interval, or when woken by stop(). */
  const waitForWork = (topic: string, delayMs = pollIntervalMs) =>
    new Promise<void>((resolve) => {
      const set = waiters.get(topic) ?? new Set();
      waiters.set(topic, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      set.add(done);
    });

  // One LISTEN connection per bus. If it fails, consumers keep working by polling while it reconnects.
  const listen = (): Promise<void> => {
    listening ??= (async () => {
      try {
        const client = await db.connect();
        listener = client;
        client.on('notification', (message: pg.Notification) => {
          if (message.payload) wake(message.payload);
        });
        client.on('error', (error: Error) => {
          // A lost connection can emit more than one error (the server's, then the socket's), and
          // close() may already have released it: act once, and only for the current listener.
          if (listener !== client) return;
          logger.warn({ err: describeError(error) }, 'bus notification connection lost; polling until it is back');
          listener = undefined;
          listening = undefined;
          client.release(true);
          if (!closed) setTimeout(() => void listen(), pollIntervalMs).unref();
        });
        await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      } catch (error) {
        logger.warn({ err: describeError(error) }, 'cannot LISTEN for bus notifications; polling');
        listening = undefined;
        if (!closed) setTimeout(() => void listen(), pollIntervalMs * 5).unref();
      }
    })();
    return listening;
  };

  const partitionsOf = async (topic: string): Promise<number> => {
    const cached = partitionCounts.get(topic);
    if (cached !== undefined) return cached;
    const { rows } = await db.query<{ count: string }>('SELECT count(*) AS count FROM bus_partitions WHERE topic = $1', [topic]);
    const count = Number(rows[0]?.count ?? 0);
    if (count === 0) throw new Error(`unknown topic ${topic}: create it with ensureTopics() first`);
    partitionCounts.set(topic, count);
    return count;
  };

  // Messages every group has committed are no longer needed (Kafka would keep them until retention;
  // we keep unconsumed messages as long as it takes, since nothing accepted may be lost).
  const sweepConsumedMessages = async () => {
    try {
      const { rowCount } = await db.query(
        `DELETE FROM bus_messages m
          USING (SELECT topic, partition, min(committed_offset) AS low
                   FROM bus_consumer_offsets GROUP BY topic, partition) c
          WHERE m.topic = c.topic AND m.partition = c.partition AND m.message_offset < c.low`,
      );
      if (rowCount) logger.debug({ deleted: rowCount }, 'removed messages consumed by every group');
    } catch (error) {
      logger.warn({ err: describeError(error) }, 'bus retention sweep failed');
    }
  };

  async function recordFailure(group: string, topic: string, partition: number): Promise<void> {
    // Exponential backoff with jitter, stored in the row so every consumer of the group honours it.
    await db
      .query(
        `UPDATE bus_consumer_offsets
            SET failed_attempts = failed_attempts + 1,
                retry_at = now() + make_interval(secs => least($4::float8, $5::float8 * power(2, failed_attempts)) * (0.75 + random() / 2)),
                updated_at = now()
          WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [group, topic, partition, MAX_RETRY_DELAY_MS / 1000, retryBaseDelayMs / 1000],
      )
      .catch((error: unknown) => logger.warn({ err: describeError(error) }, 'could not record consumer failure'));
  }

  /** Claims a partition, hands one batch to the handler, commits. False when nothing was pending. */
  async function processOneBatch(topic: string, group: string, handleBatch: BatchHandler, maxBatchSize: number): Promise<boolean> {
    const client = await db.connect();
    let discardConnection = false;
    try {
      await client.query('BEGIN');
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${Math.floor(sessionTimeoutMs)}`);
      const claim = await client.query<{ partition: number; committed_offset: string; next_offset: string }>(
        `SELECT o.partition, o.committed_offset, p.next_offset
           FROM bus_consumer_offsets o
           JOIN bus_partitions p ON p.topic = o.topic AND p.partition = o.partition
          WHERE o.group_id = $1 AND o.topic = $2
            AND p.next_offset > o.committed_offset
            AND (o.retry_at IS NULL OR o.retry_at <= now())
          ORDER BY o.updated_at
          LIMIT 1
          FOR UPDATE OF o SKIP LOCKED`,
        [group, topic],
      );
      const claimed = claim.rows[0];
      if (!claimed) {
        await client.query('COMMIT');
        return false;
      }
      const { rows } = await client.query<MessageRow>(
        `SELECT message_offset, key, value, headers, published_at
           FROM bus_messages
          WHERE topic = $1 AND partition = $2 AND message_offset >= $3
          ORDER BY message_offset
          LIMIT $4`,
        [topic, claimed.partition, claimed.committed_offset, maxBatchSize],
      );
      const messages: BusMessage[] = rows.map((row) => ({
        topic,
        partition: claimed.partition,
        offset: row.message_offset,
        key: row.key,
        value: row.value,
        headers: row.headers,
        publishedAt: row.published_at,
      }));
      const nextOffset = messages.length > 0 ? BigInt(messages[messages.length - 1]!.offset) + 1n : BigInt(claimed.next_offset);
      if (messages.length > 0) {
        try {
          await runBatchHandler(handleBatch, messages, { topic, group, partition: claimed.partition, metrics, logger });
        } catch {
          await client.query('ROLLBACK').catch(() => {
            discardConnection = true;
          });
          await recordFailure(group, topic, claimed.partition);
          return true;
        }
      }
      await client.query(
        `UPDATE bus_consumer_offsets
            SET committed_offset = $4, failed_attempts = 0, retry_at = NULL, updated_at = now()
          WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [group, topic, claimed.partition, nextOffset.toString()],
      );
      await client.query('COMMIT');
      metrics.busConsumed.inc({ topic, group }, messages.length);
      metrics.busConsumerLag.set({ topic, group, partition: String(claimed.partition) }, Number(BigInt(claimed.next_offset) - nextOffset));
      return true;
    } catch (error) {
      discardConnection = true;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release(discardConnection);
    }
  }

  return {
    kind: 'postgres',

    async ensureTopics(topics: readonly TopicSpec[]) {
      for (const topic of topics) {
        assertTopicName(topic.name);
        if (!Number.isInteger(topic.partitions) || topic.partitions < 1 || topic.partitions > 256) {
          throw new Error(`topic ${topic.name}: partitions must be an integer from 1 to 256`);
        }
        await db.query(
          `INSERT INTO bus_partitions (topic, partition)
           SELECT $1, p FROM generate_series(0, $2 - 1) AS p
           ON CONFLICT DO NOTHING`,
          [topic.name, topic.partitions],
        );
        partitionCounts.delete(topic.name);
      }
    },

    async publish(topic: string, messages: readonly OutgoingMessage[]) {
      if (messages.length === 0) return;
      assertKeys(messages);
      try {
        const partitions = await partitionsOf(topic);
        // One statement, so one round trip however many partitions the messages touch: lock the
        // partitions' rows in ascending order (two publishers never wait on each other in a cycle;
        // NO KEY UPDATE, as an UPDATE takes, so consumers joining a group, whose offset rows' foreign
        // keys share-lock these rows, never wait on it), reserve each one's offsets, insert the
        // messages, notify the consumers. The row locks are held until it commits, so offsets become
        // visible in order. A message whose partition had no row would get no offset, and the NOT
        // NULL constraint fails the whole statement: nothing is acknowledged that was not stored.
        await db.query(
          `WITH input AS (
             SELECT * FROM unnest($2::integer[], $3::text[], $4::bytea[], $5::jsonb[]) WITH ORDINALITY AS m(partition, key, value, headers, ord)
           ), counts AS (
             SELECT partition, count(*) AS n FROM input GROUP BY partition
           ), locked AS (
             SELECT partition FROM bus_partitions
              WHERE topic = $1 AND partition IN (SELECT partition FROM counts)
              ORDER BY partition
                FOR NO KEY UPDATE
           ), reserved AS (
             UPDATE bus_partitions p SET next_offset = p.next_offset + c.n
               FROM counts c JOIN locked l USING (partition)
              WHERE p.topic = $1 AND p.partition = c.partition
          RETURNING p.partition, p.next_offset - c.n AS base
           ), inserted AS (
             INSERT INTO bus_messages (topic, partition, message_offset, key, value, headers)
             SELECT $1, i.partition, r.base + row_number() OVER (PARTITION BY i.partition ORDER BY i.ord) - 1, i.key, i.value, i.headers
               FROM input i LEFT JOIN reserved r USING (partition)
             RETURNING 1
           )
           SELECT pg_notify($6, $1) FROM (SELECT count(*) FROM inserted) AS stored`,
          [
            topic,
            messages.map((message) => partitionForKey(message.key, partitions)),
            messages.map((message) => message.key),
            messages.map((message) => (typeof message.value === 'string' ? Buffer.from(message.value) : message.value)),
            messages.map((message) => JSON.stringify(message.headers ?? {})),
            NOTIFY_CHANNEL,
          ],
        );
        metrics.busPublished.inc({ topic }, messages.length);
      } catch (error) {
        metrics.busPublishFailures.inc({ topic });
        throw error;
      }
    },

    async consume(topic: string, group: string, handleBatch: BatchHandler, consumeOptions: ConsumeOptions = {}) {
      assertGroupName(group);
      if (closed) throw new Error('the bus is closed');
      const maxBatchSize = consumeOptions.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
      const concurrency = consumeOptions.concurrency ?? 1;
      // A new group starts at the oldest retained message (Kafka's auto.offset.reset=earliest).
      const joined = await db.query(
        `INSERT INTO bus_consumer_offsets (group_id, topic, partition)
         SELECT $1, topic, partition FROM bus_partitions WHERE topic = $2
         ON CONFLICT DO NOTHING`,
        [group, topic],
      );
      if ((joined.rowCount ?? 0) === 0) await partitionsOf(topic);
      void listen();
      retentionTimer ??= setInterval(() => void sweepConsumedMessages(), RETENTION_SWEEP_MS).unref();

      let stopping = false;
      const worker = async () => {
        let failures = 0;
        while (!stopping) {
          try {
            const worked = await processOneBatch(topic, group, handleBatch, maxBatchSize);
            failures = 0;
            if (!worked && !stopping) await waitForWork(topic);
          } catch (error) {
            // The database itself failed (not the handler): back off and keep trying.
            failures += 1;
            logger.warn({ err: describeError(error), topic, group }, 'bus consumer cannot reach PostgreSQL; retrying');
            if (!stopping) await waitForWork(topic, Math.min(MAX_RETRY_DELAY_MS, 250 * 2 ** failures));
          }
        }
      };
      const workers = Array.from({ length: concurrency }, () => worker());
      let stopped: Promise<void> | undefined;
      const subscription: Subscription = {
        stop() {
          stopped ??= (async () => {
            stopping = true;
            wake(topic);
            await Promise.all(workers);
            subscriptions.delete(subscription);
          })();
          return stopped;
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async hasConsumedUntil(topic: string, group: string, time: Date) {
      assertGroupName(group);
      // Per partition: where the group stands (a group that never joined stands at the oldest retained
      // message, as it would start there) and the first offset published at or after `time` (the end
      // of the log when none is). Messages the retention sweep removed were below every group's offset.
      const { rows } = await db.query<{ position: string; first_at_or_after: string }>(
        `SELECT coalesce(o.committed_offset,
                         (SELECT min(m.message_offset) FROM bus_messages m WHERE m.topic = p.topic AND m.partition = p.partition),
                         p.next_offset) AS position,
                coalesce((SELECT min(m.message_offset) FROM bus_messages m
                           WHERE m.topic = p.topic AND m.partition = p.partition AND m.published_at >= $3),
                         p.next_offset) AS first_at_or_after
           FROM bus_partitions p
           LEFT JOIN bus_consumer_offsets o ON o.topic = p.topic AND o.partition = p.partition AND o.group_id = $2
          WHERE p.topic = $1`,
        [topic, group, time],
      );
      if (rows.length === 0) throw new Error(`unknown topic ${topic}: create it with ensureTopics() first`);
      return rows.every((row) => BigInt(row.position) >= BigInt(row.first_at_or_after));
    },

    healthCheck: () => ({
      name: 'bus',
      required: true,
      async check() {
        await db.query('SELECT 1 FROM bus_partitions LIMIT 1');
        return { state: 'ok', detail: 'postgres queue' };
      },
    }),

    async close() {
      closed = true;
      await Promise.all([...subscriptions].map((subscription) => subscription.stop()));
      if (retentionTimer) clearInterval(retentionTimer);
      await listening;
      if (listener) {
        listener.removeAllListeners('notification');
        await listener.query(`UNLISTEN ${NOTIFY_CHANNEL}`).catch(() => undefined);
        listener.release();
        listener = undefined;
      }
    },
  };
}
