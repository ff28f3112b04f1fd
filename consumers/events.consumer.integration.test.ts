// The consumer's write path on the real ClickHouse engine (chDB here; the end-to-end suite covers a
// ClickHouse server): retries and redeliveries store each event once, poison messages go to the
// dead-letter topic with their reason, and nothing is committed past an unwritten event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BusMessage, EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import type { ClickHouse, InsertOptions, Row } from '../lib/clickhouse/clickhouse.js';
import { createMetrics } from '../lib/metrics.js';
import { testLogger } from '../lib/testing/services.js';
import { createEventsConsumer } from './events.consumer.js';
import { createEnricher } from './steps/enrich.step.js';
import { UNKNOWN_LOCATION } from './steps/resolve-geo.step.js';
import { newTrackedEvent } from './steps/testing.js';
import { createTestClickHouse, type TestClickHouse } from '../lib/testing/clickhouse.js';

let engine: TestClickHouse | undefined;
let clickhouse: ClickHouse;
const deadLetters: OutgoingMessage[] = [];
const bus = {
  publish: async (_topic: string, messages: readonly OutgoingMessage[]) => void deadLetters.push(...messages),
} as unknown as EventBus;
const enricher = createEnricher({ geo: { resolve: () => UNKNOWN_LOCATION } });
let profileId: string;

function messages(count: number, startOffset = 0): BusMessage[] {
  return Array.from({ length: count }, (_, index) => {
    const event = newTrackedEvent({ profileId, receivedAt: new Date(Date.UTC(2026, 10, 24, 12, 0, index)).toISOString() });
    return {
      topic: 'events_v1',
      partition: 3,
      offset: String(startOffset + index),
      key: `${profileId}:${event.visitorId}`,
      value: Buffer.from(JSON.stringify(event)),
      headers: {},
      publishedAt: new Date(),
    };
  });
}

const storedCount = async () =>
  Number((await clickhouse.query<{ n: string }>('SELECT count() AS n FROM events WHERE profile_id = {p:UUID}', { p: profileId }))[0]!.n);

beforeAll(async () => {
  engine = await createTestClickHouse('consumer');
  clickhouse = engine.clickhouse;
});
afterAll(async () => {
  await engine?.close();
});
beforeEach(() => {
  profileId = randomUUID();
  deadLetters.length = 0;
});

describe('events consumer', () => {
  it('stores a batch retried as it was exactly once (same dedup token)', async () => {
    const consumer = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(50);
    await consumer.handleBatch(batch);
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(50);
  });

  it('stores events redelivered in a different cut after a crash exactly once', async () => {
    const all = messages(100);
    const crashed = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await crashed.handleBatch(all.slice(0, 60));
    // A new process gets the partition from the last commit (offset 0, the crash lost it), cut differently.
    const restarted = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await restarted.handleBatch(all.slice(0, 30));
    await restarted.handleBatch(all.slice(30, 100));
    expect(await storedCount()).toBe(100);
  });

  it('stores an event the producer published twice once (within a batch and across batches)', async () => {
    const consumer = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(10);
    const duplicate = (message: BusMessage, offset: number): BusMessage => ({ ...message, offset: String(offset) });
    await consumer.handleBatch([...batch, duplicate(batch[3]!, 10)]);
    await consumer.handleBatch([duplicate(batch[5]!, 11), ...messages(5, 12)]);
    expect(await storedCount()).toBe(15);
  });

  it('checks a large redelivered batch in chunks (ids travel in the URL)', async () => {
    const all = messages(1_200);
    const crashed = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    await crashed.handleBatch(all.slice(0, 700));
    const restarted = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
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
    const consumer = createEventsConsumer({ group: 'test', bus, clickhouse: flaky, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(20);
    await expect(consumer.handleBatch(batch)).rejects.toThrow(/MEMORY_LIMIT_EXCEEDED/);
    failing = false;
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(20);
  });

  it('sends poison messages to the dead-letter topic with the reason and keeps the rest', async () => {
    const consumer = createEventsConsumer({ group: 'test', bus, clickhouse, enricher, metrics: createMetrics(), logger: testLogger });
    const batch = messages(3);
    batch[1] = { ...batch[1]!, value: Buffer.from('{"v":1,"not":"an event"') };
    await consumer.handleBatch(batch);
    expect(await storedCount()).toBe(2);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]!.headers).toMatchObject({ reason: 'malformed_json', topic: 'events_v1', partition: '3', offset: '1' });
  });
});
