// The events consumer: reads events_v1 in batches (one partition per batch, in offset order) and
// stores each batch in ClickHouse exactly once, in `events` and in every aggregate table its
// materialized views feed. Each batch runs the pipeline
//
//   parse (steps/parse-event.step.ts; poison → events_v1_dlq)
//   → enrich (steps/enrich.step.ts: bot, geo, device, referrer; ip_prefix dropped)
//   → writeBatch (write-batch.ts: duplicates left out, the insert ledger, the insert, the replay of
//     an insert a redelivery interrupted)
//   → commit (the bus, once the handler resolved)
//
// Offsets are committed only after the write resolved: they are our only record of what is safely
// stored in every table, and the bus redelivers whatever was not (write-batch.ts says how a
// redelivery is stored once). Poison messages go to events_v1_dlq with the reason and never stall a
// partition.
import type { BusMessage, EventBus, Subscription } from '../lib/bus/event-bus.js';
import { TOPICS } from '../lib/bus/topics.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { TrackedEvent } from '../lib/events/tracked-event.js';
import { describeError } from '../lib/health.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { mapInSlices } from '../lib/runtime/slices.js';
import type { Enricher } from './steps/enrich.step.js';
import { parseTrackedEvent } from './steps/parse-event.step.js';
import type { StepFailure } from './steps/step.js';
import { createBatchWriter, type EnrichedRecord } from './write-batch.js';

const MAX_BATCH_SIZE = 5_000;
/** Partitions worked on at once by one process. */
const CONCURRENCY = 2;

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

interface ParsedBatch {
  events: { offset: bigint; event: TrackedEvent }[];
  failures: { message: BusMessage; failure: StepFailure }[];
}

/** Parses every record of a batch, in slices (lib/runtime/slices.ts); never throws for bad input. */
async function parseBatch(messages: readonly BusMessage[]): Promise<ParsedBatch> {
  const parsed: ParsedBatch = { events: [], failures: [] };
  const results = await mapInSlices(messages, parseTrackedEvent);
  for (const [index, result] of results.entries()) {
    const message = messages[index]!;
    if (result.ok) parsed.events.push({ offset: BigInt(message.offset), event: result.value });
    else parsed.failures.push({ message, failure: result });
  }
  return parsed;
}

export function createEventsConsumer(deps: EventsConsumerDeps): EventsConsumer {
  const { bus, enricher, metrics } = deps;
  const logger = deps.logger.child({ module: 'events-consumer' });
  const writer = createBatchWriter({ group: deps.group, clickhouse: deps.clickhouse, metrics, logger });
  let subscription: Subscription | undefined;

  /** Counts every failed record by its reason and publishes the poison ones to the dead-letter topic. */
  const dropFailures = async (failures: ParsedBatch['failures']) => {
    for (const { failure } of failures) metrics.countDrop(failure.reason);
    const poison = failures.filter(({ failure }) => failure.action === 'dlq');
    if (poison.length === 0) return;
    await bus.publish(
      TOPICS.eventsDeadLetter.name,
      poison.map(({ message, failure }) => ({
        key: message.key || 'unkeyed',
        value: message.value,
        headers: {
          reason: failure.reason,
          error: describeError(failure.error),
          topic: message.topic,
          partition: String(message.partition),
          offset: message.offset,
        },
      })),
    );
  };

  const handleBatch = async (messages: readonly BusMessage[]) => {
    const first = messages[0];
    if (!first) return;
    const { events, failures } = await parseBatch(messages);
    await dropFailures(failures);
    // Enrichment is deterministic for given records: a replay after a redelivery inserts the rows the
    // interrupted insert had, under its token.
    const records: EnrichedRecord[] = await mapInSlices(events, ({ offset, event }) => ({ offset, row: enricher.enrich(event) }));
    await writer.writeBatch({ topic: first.topic, partition: first.partition, offsets: messages.map((message) => BigInt(message.offset)), records });
    // Commit: resolving lets the bus commit this batch's offsets, now that every table holds its events.
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
