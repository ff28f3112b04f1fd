// The event bus contract: one suite, run against every implementation (PostgreSQL queue on embedded
// and real PostgreSQL, and Kafka). See event-bus.ts for the guarantees it proves.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_COMPRESSIONS, type KafkaCompression } from '../config.js';
import { createMetrics } from '../metrics.js';
import { PROJECT_ROOT } from '../paths.js';
import { createTestDatabase, type TestDatabase } from '../testing/postgres.js';
import { describeWithService, realServices, testConfig, testLogger } from '../testing/services.js';
import { uniqueName, waitFor } from '../testing/wait-for.js';
import type { BusMessage, EventBus, Subscription } from './event-bus.js';
import { createKafkaBus } from './kafka-bus.js';
import { createPostgresBus } from './postgres-bus.js';

interface BusFixture {
  bus: EventBus;
  /** Options for lib/testing/bus-consumer-process.ts to build the same bus in a child process. */
  childOptions: { bus: 'postgres' | 'kafka'; databaseUrl?: string; brokers?: string[] };
  cleanup(): Promise<void>;
}

const CHILD_SCRIPT = path.join(PROJECT_ROOT, 'lib/testing/bus-consumer-process.ts');

function spawnConsumer(options: Record<string, unknown>): { child: ChildProcess; output: string[]; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, JSON.stringify(options)], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (chunk: Buffer) => output.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output, exited };
}

/** Consumes into an array until stopped. */
async function collect(bus: EventBus, topic: string, group: string, options: { maxBatchSize?: number; concurrency?: number } = {}) {
  const received: BusMessage[] = [];
  const subscription = await bus.consume(
    topic,
    group,
    async (messages) => {
      received.push(...messages);
    },
    options,
  );
  return { received, subscription };
}

const values = (messages: readonly BusMessage[]) => messages.map((m) => m.value.toString());

/** A time clearly after everything published so far and before anything published next. */
async function later(): Promise<Date> {
  const start = Date.now();
  await waitFor(() => Date.now() >= start + 50, { intervalMs: 10 });
  const time = new Date();
  await waitFor(() => Date.now() >= time.getTime() + 50, { intervalMs: 10 });
  return time;
}

function eventBusContract(makeFixture: () => Promise<BusFixture>): void {
  let fixture: BusFixture;
  let workDir: string;
  const subscriptions: Subscription[] = [];
  const track = <T extends { subscription: Subscription }>(value: T): T => {
    subscriptions.push(value.subscription);
    return value;
  };

  beforeAll(async () => {
    fixture = await makeFixture();
    workDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-bus-'));
  });
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await fixture?.cleanup();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const newTopic = async (partitions = 3) => {
    const topic = uniqueName('test').toLowerCase();
    await fixture.bus.ensureTopics([{ name: topic, partitions }]);
    return topic;
  };

  it('delivers every acknowledged message to a group with key, value and headers intact', async () => {
    const topic = await newTopic();
    const sent = Array.from({ length: 40 }, (_, i) => ({ key: `k${i % 7}`, value: `message-${i}`, headers: { 'event-id': `e${i}` } }));
    await fixture.bus.publish(topic, sent.slice(0, 20));
    await fixture.bus.publish(topic, sent.slice(20));
    const { received } = track(await collect(fixture.bus, topic, uniqueName('g')));
    await waitFor(() => received.length >= 40, { what: '40 messages' });
    expect(values(received).sort()).toEqual(sent.map((m) => m.value).sort());
    for (const message of received) {
      const original = sent.find((m) => m.value === message.value.toString())!;
      expect(message.key).toBe(original.key);
      expect(message.headers['event-id']).toBe(original.headers['event-id']);
      expect(message.topic).toBe(topic);
      expect(message.publishedAt.getTime()).toBeGreaterThan(Date.now() - 120_000);
    }
  });

  it('keeps the order of messages that share a key', async () => {
    const topic = await newTopic(4);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    // Concurrent publishers, each publishing its own key's sequence in order.
    await Promise.all(
      keys.map(async (key) => {
        for (let i = 0; i < 30; i += 1) await fixture.bus.publish(topic, [{ key, value: `${key}:${i}` }]);
      }),
    );
    const { received } = track(await collect(fixture.bus, topic, uniqueName('g'), { maxBatchSize: 7 }));
    await waitFor(() => received.length >= 150, { what: '150 messages' });
    for (const key of keys) {
      const sequence = received.filter((m) => m.key === key).map((m) => Number(m.value.toString().split(':')[1]));
      expect(sequence).toEqual(Array.from({ length: 30 }, (_, i) => i));
    }
  });

  it('takes concurrent publishes that each touch every partition, losing nothing and keeping each key in order', async () => {
    const topic = await newTopic(6);
    // Eight publishers at once, each batch spread over every partition: on the PostgreSQL bus their
    // partition locks would deadlock unless always taken in one order.
    await Promise.all(
      Array.from({ length: 8 }, async (_, publisher) => {
        for (let batch = 0; batch < 10; batch += 1) {
          await fixture.bus.publish(
            topic,
            Array.from({ length: 12 }, (_, i) => ({ key: `p${publisher}-k${i}`, value: `p${publisher}-k${i}:${batch}` })),
          );
        }
      }),
    );
    const { received } = track(await collect(fixture.bus, topic, uniqueName('g'), { maxBatchSize: 50 }));
    await waitFor(() => received.length >= 960, { what: '960 messages' });
    expect(new Set(values(received)).size).toBe(960);
    // At least once: a retried produce (Kafka without idempotence) or a redelivery may repeat a
    // message; what is promised is every message, and each key's first deliveries in order.
    for (const key of new Set(received.map((m) => m.key))) {
      const sequence = received.filter((m) => m.key === key).map((m) => Number(m.value.toString().split(':')[1]));
      expect([...new Set(sequence)]).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
    // Offsets are gapless per partition: nothing reserved and left unwritten.
    for (const partition of new Set(received.map((m) => m.partition))) {
      const offsets = [...new Set(received.filter((m) => m.partition === partition).map((m) => m.offset))].map((offset) => BigInt(offset));
      offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(offsets.every((offset, index) => index === 0 || offset === offsets[index - 1]! + 1n)).toBe(true);
    }
  });

  it('gives every consumer group its own copy of the stream', async () => {
    const topic = await newTopic();
    await fixture.bus.publish(topic, Array.from({ length: 25 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })));
    const first = track(await collect(fixture.bus, topic, uniqueName('g1')));
    const second = track(await collect(fixture.bus, topic, uniqueName('g2')));
    await waitFor(() => first.received.length >= 25 && second.received.length >= 25, { what: 'both groups' });
    expect(values(first.received).sort()).toEqual(values(second.received).sort());
  });

  it('shares a group among consumers without losing any message', async () => {
    const topic = await newTopic(6);
    const group = uniqueName('g');
    const a = track(await collect(fixture.bus, topic, group, { maxBatchSize: 5 }));
    const b = track(await collect(fixture.bus, topic, group, { maxBatchSize: 5, concurrency: 2 }));
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `visitor-${i % 37}`, value: `v${i}` }));
    await Promise.all([0, 1, 2, 3, 4].map((n) => fixture.bus.publish(topic, sent.filter((_, i) => i % 5 === n))));
    const all = () => new Set([...values(a.received), ...values(b.received)]);
    await waitFor(() => all().size >= 300, { what: 'all 300 messages across the group', timeoutMs: 30_000 });
    expect([...all()].sort()).toEqual(sent.map((m) => m.value).sort());
  });

  it('redelivers a batch whose handler threw and commits it only after success', async () => {
    const topic = await newTopic(1);
    const group = uniqueName('g');
    await fixture.bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'same-key', value: `v${i}` })));
    const attempts: string[][] = [];
    let failuresLeft = 2;
    const subscription = await fixture.bus.consume(
      topic,
      group,
      async (messages) => {
        attempts.push(values(messages));
        if (messages.some((m) => m.value.toString() === 'v4') && failuresLeft > 0) {
          failuresLeft -= 1;
          throw new Error('simulated ClickHouse outage');
        }
      },
      { maxBatchSize: 3 },
    );
    subscriptions.push(subscription);
    await waitFor(() => attempts.flat().includes('v9'), { what: 'the last message after the failures', timeoutMs: 45_000 });
    await subscription.stop();
    expect(attempts.filter((batch) => batch.includes('v4')).length).toBe(3);
    // Committed exactly once past the failure: a new consumer of the group has nothing left to read.
    const after = track(await collect(fixture.bus, topic, group));
    await fixture.bus.publish(topic, [{ key: 'same-key', value: 'marker' }]);
    await waitFor(() => after.received.length > 0, { what: 'the marker' });
    expect(values(after.received)).toEqual(['marker']);
  });

  it('stop() lets the batch in flight finish and commits it', async () => {
    const topic = await newTopic(1);
    const group = uniqueName('g');
    await fixture.bus.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: 'k', value: `v${i}` })));
    const handled: string[] = [];
    let release!: () => void;
    const inFlight = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const batchStarted = new Promise<void>((resolve) => (started = resolve));
    const subscription = await fixture.bus.consume(
      topic,
      group,
      async (messages) => {
        started();
        await inFlight;
        handled.push(...values(messages));
      },
      { maxBatchSize: 10 },
    );
    await batchStarted;
    const stopped = subscription.stop();
    release();
    await stopped;
    expect(handled.length).toBeGreaterThanOrEqual(10);
    const rest = track(await collect(fixture.bus, topic, group));
    await waitFor(() => handled.length + rest.received.length >= 30, { what: 'the remaining messages' });
    // Nothing handled before stop() is delivered again: it was committed.
    expect([...handled, ...values(rest.received)].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
  });

  it('redelivers to the group when a consumer dies before acknowledging', async () => {
    const topic = await newTopic(1);
    const group = uniqueName('g');
    await fixture.bus.publish(topic, Array.from({ length: 12 }, (_, i) => ({ key: 'k', value: `v${i}` })));
    const sink = path.join(workDir, `${group}.log`);
    const dying = spawnConsumer({ ...fixture.childOptions, topic, group, sink, mode: 'hang', maxBatchSize: 5 });
    await waitFor(() => dying.output.some((line) => line.startsWith('batch')), { what: 'the child to receive a batch', timeoutMs: 30_000 });
    dying.child.kill('SIGKILL');
    await dying.exited;
    const seenByDead = (await readFile(sink, 'utf8')).split('\n').filter(Boolean);
    expect(seenByDead.length).toBeGreaterThan(0);
    const survivor = track(await collect(fixture.bus, topic, group));
    await waitFor(() => survivor.received.length >= 12, { what: 'redelivery after the crash', timeoutMs: 45_000 });
    // Everything the dead consumer received but never acknowledged comes again.
    expect(values(survivor.received)).toEqual(expect.arrayContaining(seenByDead));
  });

  it('on SIGTERM commits nothing that was not written and loses nothing that was acknowledged', async () => {
    const topic = await newTopic(2);
    const group = uniqueName('g');
    const total = 200;
    await fixture.bus.publish(topic, Array.from({ length: total }, (_, i) => ({ key: `k${i % 9}`, value: `v${i}` })));
    const sink = path.join(workDir, `${group}.log`);
    const consumer = spawnConsumer({ ...fixture.childOptions, topic, group, sink, mode: 'slow', delayMs: 40, maxBatchSize: 10 });
    await waitFor(() => consumer.output.filter((line) => line.startsWith('batch')).length >= 3, { what: 'a few batches', timeoutMs: 30_000 });
    consumer.child.kill('SIGTERM');
    expect(await consumer.exited).toBe(0);
    const written = (await readFile(sink, 'utf8')).split('\n').filter(Boolean);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(total);
    // What the group resumes with must be exactly what was not written: a commit beyond the written
    // data would show up as a gap (loss), a commit behind it as a duplicate.
    const resumed = track(await collect(fixture.bus, topic, group));
    await waitFor(() => written.length + resumed.received.length >= total, { what: 'the rest of the stream', timeoutMs: 45_000 });
    const all = [...written, ...values(resumed.received)];
    expect(new Set(all).size).toBe(total);
    expect(all).toHaveLength(total);
  });

  it('tells whether a group has consumed everything published before a time', async () => {
    const topic = await newTopic(3);
    const group = uniqueName('g');
    const beforeAnything = new Date(Date.now() - 60_000);
    // Nothing published yet: every group has consumed everything, even one that never joined.
    expect(await fixture.bus.hasConsumedUntil(topic, group, new Date())).toBe(true);

    await fixture.bus.publish(topic, Array.from({ length: 12 }, (_, i) => ({ key: `k${i}`, value: `early-${i}` })));
    // Publish times come from the same clock (the producer's for Kafka, the database's for PostgreSQL).
    const cut = await later();
    expect(await fixture.bus.hasConsumedUntil(topic, group, beforeAnything)).toBe(true);
    expect(await fixture.bus.hasConsumedUntil(topic, group, cut)).toBe(false);

    // The group takes the early messages, then stalls on everything published after the cut.
    let open = true;
    const handled: string[] = [];
    const subscription = await fixture.bus.consume(topic, group, async (messages) => {
      if (messages.some((message) => message.value.toString().startsWith('late')) && open) throw new Error('stalled');
      handled.push(...values(messages));
    });
    subscriptions.push(subscription);
    await waitFor(() => handled.length >= 12, { what: 'the early messages' });
    await waitFor(() => fixture.bus.hasConsumedUntil(topic, group, cut), { what: 'the early messages to be committed' });
    await fixture.bus.publish(topic, Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `late-${i}` })));
    const afterLate = await later();
    expect(await fixture.bus.hasConsumedUntil(topic, group, cut)).toBe(true);
    expect(await fixture.bus.hasConsumedUntil(topic, group, afterLate)).toBe(false);

    open = false;
    await waitFor(() => handled.length >= 18, { what: 'the late messages', timeoutMs: 45_000 });
    await waitFor(() => fixture.bus.hasConsumedUntil(topic, group, afterLate), { what: 'the late messages to be committed', timeoutMs: 45_000 });
  });

  it('refuses messages without a key', async () => {
    const topic = await newTopic();
    await expect(fixture.bus.publish(topic, [{ key: '', value: 'x' }])).rejects.toThrow(/key/);
  });

  it('reports healthy while its backend is reachable', async () => {
    expect((await fixture.bus.healthCheck().check()).state).toBe('ok');
  });
}

async function postgresFixture(which: 'embedded' | 'real'): Promise<BusFixture> {
  const database: TestDatabase = await createTestDatabase('bus', which);
  const bus = createPostgresBus({ db: database.db, logger: testLogger, metrics: createMetrics(), pollIntervalMs: 100, retryBaseDelayMs: 100 });
  return {
    bus,
    childOptions: { bus: 'postgres', databaseUrl: database.appUrl },
    async cleanup() {
      await bus.close();
      await database.drop();
    },
  };
}

describe('event bus contract: PostgreSQL queue on embedded PostgreSQL', () => {
  eventBusContract(() => postgresFixture('embedded'));
});

describeWithService('event bus contract: PostgreSQL queue on a PostgreSQL server', realServices.postgres, () => {
  eventBusContract(() => postgresFixture('real'));
});

describeWithService('event bus contract: Kafka', realServices.kafka, () => {
  eventBusContract(async () => {
    const brokers = testConfig.kafka?.brokers ?? [];
    const bus = createKafkaBus({ brokers, clientId: 'linkpulse-test', logger: testLogger, metrics: createMetrics(), sessionTimeoutMs: 6_000 });
    return {
      bus,
      childOptions: { bus: 'kafka', brokers },
      cleanup: () => bus.close(),
    };
  });
});

describeWithService('Kafka: every KAFKA_COMPRESSION', realServices.kafka, () => {
  const brokers = testConfig.kafka?.brokers ?? [];
  const buses: EventBus[] = [];
  const subscriptions: Subscription[] = [];
  afterAll(async () => {
    await Promise.all(subscriptions.map((s) => s.stop()));
    await Promise.all(buses.map((bus) => bus.close()));
  });
  const kafkaBus = (compression: KafkaCompression) => {
    const bus = createKafkaBus({ brokers, clientId: 'linkpulse-test', logger: testLogger, metrics: createMetrics(), sessionTimeoutMs: 6_000, compression });
    buses.push(bus);
    return bus;
  };

  it.each(KAFKA_COMPRESSIONS)('publishes with %s and a consumer without compression of its own reads every message intact', async (compression) => {
    const producer = kafkaBus(compression);
    const topic = uniqueName(`test-${compression}`).toLowerCase();
    await producer.ensureTopics([{ name: topic, partitions: 2 }]);
    // Compressible like beacons, and large enough for several LZ4 blocks (64 KiB each).
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 5}`, value: JSON.stringify({ i, profile: 'a'.repeat(200), referrer: `https://example.com/${i}` }), headers: { 'event-id': `e${i}` } }));
    await producer.publish(topic, sent);
    const { received, subscription } = await collect(kafkaBus('none'), topic, uniqueName('g'));
    subscriptions.push(subscription);
    await waitFor(() => received.length >= sent.length, { what: `${sent.length} messages` });
    expect(values(received).sort()).toEqual(sent.map((m) => m.value).sort());
    expect(new Set(received.map((m) => m.headers['event-id'])).size).toBe(sent.length);
  });
});
