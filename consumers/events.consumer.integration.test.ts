// The consumer's write path on the real ClickHouse engine (chDB here; the end-to-end suite covers a
// ClickHouse server): retries and redeliveries store each event once, in `events` and in every
// aggregate table, an insert the engine interrupted half-way is completed from the insert ledger,
// poison messages go to the dead-letter topic with their reason, and nothing is committed past an
// unwritten event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage, EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import { verifyAggregates } from '../lib/clickhouse/aggregates.js';
import { eventMessageKey } from '../lib/events/tracked-event.js';
import type { ClickHouse, InsertOptions, Row } from '../lib/clickhouse/clickhouse.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { testLogger } from '../lib/testing/services.js';
import { createEventsConsumer } from './events.consumer.js';
import { createEnricher } from './steps/enrich.step.js';
import { UNKNOWN_LOCATION } from './steps/resolve-geo.step.js';
import { newTrackedEvent } from './steps/testing.js';
import { createTestClickHouse, type TestClickHouse } from '../lib/testing/clickhouse.js';
import { uniqueName } from '../lib/testing/wait-for.js';

let engine: TestClickHouse | undefined;
let clickhouse: ClickHouse;
const deadLetters: OutgoingMessage[] = [];
const bus = {
  publish: async (_topic: string, messages: readonly OutgoingMessage[]) => void deadLetters.push(...messages),
} as unknown as EventBus;
const enricher = createEnricher({ geo: { resolve: () => UNKNOWN_LOCATION } });
let profileId: string;
/** Each test is another consumer group: the insert ledger is kept per group and partition. */
let group: string;

function messages(count: number, startOffset = 0): BusMessage[] {
  return Array.from({ length: count }, (_, index) => {
    const event = newTrackedEvent({ profileId, receivedAt: new Date(Date.UTC(2026, 10, 24, 12, 0, index)).toISOString() });
    return {
      topic: 'events_v1',
      partition: 3,
      offset: String(startOffset + index),
      key: eventMessageKey(event),
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      publishedAt: new Date(),
    };
  });
}

const storedCount = async () =>
  Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM events WHERE profile_id = {p:UUID}', { p: profileId }))[0]!.n);

/** Every aggregate table against its view over the raw rows, for this test's profile (the messages' day). */
const aggregateMismatches = () =>
  verifyAggregates(clickhouse, { from: new Date(Date.UTC(2026, 10, 24)), to: new Date(Date.UTC(2026, 10, 25)), profiles: [profileId] });

const insertOutcomes = async (metrics: Metrics) =>
  Object.fromEntries((await metrics.consumerInserts.get()).values.map((value) => [String(value.labels.outcome), value.value]));

/** What an engine that dies mid-insert leaves behind: the batch in `events` and some aggregates, not in these. */
async function withViewsDetached<T>(views: readonly string[], run: () => Promise<T>): Promise<T> {
  for (const view of views) await clickhouse.command(`DETACH TABLE ${view}`);
  try {
    return await run();
  } finally {
    for (const view of views) await clickhouse.command(`ATTACH TABLE ${view}`);
  }
}

beforeAll(async () => {
  engine = await createTestClickHouse('consumer');
  clickhouse = engine.clickhouse;
});
afterAll(async () => {
  await engine?.close();
});
beforeEach(() => {
  profileId = randomUUID();
  group = uniqueName('test');
  deadLetters.length = 0;
});

describe('events consumer', () => {
  it('stores a batch retried as it was exactly once (same dedup token)', async () => {
    const consumer = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(50);
    await consumer.handleBatch(batch);
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(50);
  });

  it('stores events redelivered in a different cut after a crash exactly once', async () => {
    const all = messages(100);
    const crashed = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await crashed.handleBatch(all.slice(0, 60));
    // A new process gets the partition from the last commit (offset 0, the crash lost it), cut differently.
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await restarted.handleBatch(all.slice(0, 30));
    await restarted.handleBatch(all.slice(30, 100));
    expect(await storedCount()).toBe(100);
    expect(await aggregateMismatches()).toEqual([]);
  });

  it('completes an insert the engine interrupted in the aggregates it did not reach, whatever the new cut', async () => {
    const all = messages(100);
    const crashed = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    // The insert of offsets 0-59 reached `events` and some views, not traffic_daily nor geo_daily.
    await withViewsDetached(['traffic_daily_mv', 'geo_daily_mv'], () => crashed.handleBatch(all.slice(0, 60)));
    expect(await storedCount()).toBe(60);
    expect((await aggregateMismatches()).map((mismatch) => mismatch.table).sort()).toEqual(['geo_daily', 'traffic_daily']);

    // The bus redelivers from the last commit (offset 0), in one batch of 100 this time.
    const metrics = createMetrics();
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics, logger: testLogger });
    await restarted.handleBatch(all);
    expect(await storedCount()).toBe(100);
    expect(await aggregateMismatches()).toEqual([]);
    expect(await insertOutcomes(metrics)).toMatchObject({ replayed: 1, written: 1 });
  });

  it('completes an interrupted insert that followed a replay in the same uncommitted batch', async () => {
    const all = messages(90);
    const first = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await withViewsDetached(['geo_daily_mv'], () => first.handleBatch(all.slice(0, 30)));
    // Redelivered 0-59: 0-29 replayed, then 30-59 written, and the engine dies during that second insert.
    const second = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await withViewsDetached(['dimension_daily_mv'], () => second.handleBatch(all.slice(0, 60)));
    expect((await aggregateMismatches()).map((mismatch) => mismatch.table)).toEqual(['dimension_daily']);
    // Nothing was committed: the bus starts again at 0.
    const third = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await third.handleBatch(all);
    expect(await storedCount()).toBe(90);
    expect(await aggregateMismatches()).toEqual([]);
  });

  it('replays exactly the rows of the interrupted insert, leaving out the duplicates it left out', async () => {
    const batch = messages(20);
    const withDuplicate = [...batch, { ...batch[4]!, offset: '20' }];
    const crashed = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await withViewsDetached(['traffic_hourly_mv'], () => crashed.handleBatch(withDuplicate));
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await restarted.handleBatch(withDuplicate);
    expect(await storedCount()).toBe(20);
    expect(await aggregateMismatches()).toEqual([]);
  });

  it('ignores a ledger entry that describes other records at the same offsets (a recreated topic)', async () => {
    const old = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await old.handleBatch(messages(30));
    // The topic is recreated: offsets start at 0 again, with other events.
    const fresh = messages(30);
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await restarted.handleBatch(fresh);
    expect(await storedCount()).toBe(60);
    expect(await aggregateMismatches()).toEqual([]);
  });

  it('writes a redelivery cut shorter than the interrupted insert once in events, and says the aggregates need the reconciler', async () => {
    const all = messages(60);
    const crashed = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await withViewsDetached(['traffic_daily_mv'], () => crashed.handleBatch(all.slice(0, 40)));
    const metrics = createMetrics();
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics, logger: testLogger });
    await restarted.handleBatch(all.slice(0, 25));
    await restarted.handleBatch(all.slice(25));
    expect(await storedCount()).toBe(60);
    expect(await insertOutcomes(metrics)).toMatchObject({ unreplayable: 1 });
    expect((await aggregateMismatches()).map((mismatch) => mismatch.table)).toEqual(['traffic_daily']);
  });

  it('stores an event the producer published twice once (within a batch and across batches)', async () => {
    const consumer = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(10);
    const duplicate = (message: BusMessage, offset: number): BusMessage => ({ ...message, offset: String(offset) });
    await consumer.handleBatch([...batch, duplicate(batch[3]!, 10)]);
    await consumer.handleBatch([duplicate(batch[5]!, 11), ...messages(5, 12)]);
    expect(await storedCount()).toBe(15);
  });

  it('checks a large redelivered batch in chunks (ids travel in the URL)', async () => {
    const all = messages(1_200);
    const crashed = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await crashed.handleBatch(all.slice(0, 700));
    const restarted = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await restarted.handleBatch(all);
    expect(await storedCount()).toBe(1_200);
  });

  it('throws (so nothing is committed) while ClickHouse refuses, and stores once it accepts', async () => {
    let failing = true;
    const flaky: ClickHouse = {
      ...clickhouse,
      query: (sql, params) => clickhouse.query(sql, params),
      insert: (table: string, rows: readonly Row[], options?: InsertOptions) =>
        failing ? Promise.reject(new Error('Code: 241. DB::Exception: Memory limit exceeded (MEMORY_LIMIT_EXCEEDED)')) : clickhouse.insert(table, rows, options),
    };
    const consumer = createEventsConsumer({ group, bus, clickhouse: flaky, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(20);
    await expect(consumer.handleBatch(batch)).rejects.toThrow(/MEMORY_LIMIT_EXCEEDED/);
    failing = false;
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(20);
  });

  it('sends poison messages to the dead-letter topic with the reason and keeps the rest', async () => {
    const consumer = createEventsConsumer({ group, bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(3);
    batch[1] = { ...batch[1]!, value: Buffer.from('{"v":1,"not":"an event"') };
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(2);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.headers).toMatchObject({ reason: 'malformed_json', topic: 'events_v1', partition: '3', offset: '1' });
  });
});
