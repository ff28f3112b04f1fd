import { describe, expect, it } from 'vitest';
import type { EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import { BusUnavailableError, createBatchingPublisher } from './publisher.js';

/** A bus whose publishes wait until the test acknowledges or fails them, in the order they came. */
function manualBus() {
  const calls: { messages: readonly OutgoingMessage[]; acknowledge(): void; fail(error: Error): void }[] = [];
  const bus = {
    publish: (_topic: string, messages: readonly OutgoingMessage[]) =>
      new Promise<void>((resolve, reject) => calls.push({ messages, acknowledge: resolve, fail: reject })),
  } as unknown as EventBus;
  return { bus, calls };
}

const message = (n: number): OutgoingMessage => ({ key: `k${n}`, value: `v${n}` });
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('the batching publisher', () => {
  it('sends a lone message at once, without waiting for others, and resolves on the acknowledgement', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    let resolved = false;
    const published = publisher.publish(message(1)).then(() => (resolved = true));
    await turn();
    expect(calls.map((call) => call.messages.length)).toEqual([1]);
    expect(resolved).toBe(false);
    calls[0]!.acknowledge();
    await published;
  });

  it('batches what arrives while two publishes are in flight, and sends it when one is acknowledged', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    const first = [publisher.publish(message(1)), publisher.publish(message(2))];
    await turn();
    const second = publisher.publish(message(3));
    await turn();
    expect(calls.map((call) => call.messages.length)).toEqual([2, 1]);
    const waiting = [4, 5, 6].map((n) => publisher.publish(message(n)));
    await turn();
    expect(calls).toHaveLength(2);
    calls[0]!.acknowledge();
    await Promise.all(first);
    await turn();
    expect(calls[2]!.messages.map((m) => m.key)).toEqual(['k4', 'k5', 'k6']);
    calls[1]!.acknowledge();
    calls[2]!.acknowledge();
    await Promise.all([second, ...waiting]);
  });

  it('sends a full batch even while two publishes are in flight, so the queue never outgrows one batch', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    const first = [publisher.publish(message(0)), publisher.publish(message(1))];
    await turn();
    const queued = Array.from({ length: 1200 }, (_, n) => publisher.publish(message(n + 2)));
    await turn();
    // Two in flight (the first message, then the next), then full batches of 500 at once; the rest waits.
    expect(calls.map((call) => call.messages.length)).toEqual([2, 500, 500]);
    calls.forEach((call) => call.acknowledge());
    await turn();
    expect(calls.slice(3).map((call) => call.messages.length)).toEqual([200]);
    calls[3]!.acknowledge();
    await Promise.all([...first, ...queued]);
  });

  it('keeps at most eight publishes in flight however much waits; the rest goes as they are acknowledged', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    const all = Array.from({ length: 6000 }, (_, n) => publisher.publish(message(n)));
    await turn();
    expect(calls).toHaveLength(8);
    for (let round = 0; round < 20; round += 1) {
      calls.forEach((call) => call.acknowledge());
      await turn();
    }
    await Promise.all(all);
    expect(calls.reduce((sum, call) => sum + call.messages.length, 0)).toBe(6000);
    expect(Math.max(...calls.map((call) => call.messages.length))).toBeLessThanOrEqual(500);
  });

  it('rejects every message of a batch the bus refused, and only those', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    const failed = [publisher.publish(message(1)), publisher.publish(message(2))].map((p) => p.then(() => 'ok', (error: Error) => error.message));
    await turn();
    const other = publisher.publish(message(3));
    await turn();
    calls[0]!.fail(new Error('broker gone'));
    calls[1]!.acknowledge();
    expect(await Promise.all(failed)).toEqual(['broker gone', 'broker gone']);
    await other;
  });

  it('refuses at once while the breaker holds the bus for down', async () => {
    const { bus, calls } = manualBus();
    let rejected = 0;
    const breaker = { isOpen: () => true, countRejected: (n: number) => (rejected += n), recordFailure: () => undefined };
    const publisher = createBatchingPublisher(bus, 'events_v1', breaker as never);
    await expect(publisher.publish(message(1))).rejects.toBeInstanceOf(BusUnavailableError);
    expect(calls).toHaveLength(0);
    expect(rejected).toBe(1);
  });

  it('flush() sends what waits and resolves once every publish is acknowledged', async () => {
    const { bus, calls } = manualBus();
    const publisher = createBatchingPublisher(bus, 'events_v1');
    const all = [1, 2, 3, 4].map((n) => publisher.publish(message(n)));
    let flushed = false;
    const flushing = publisher.flush().then(() => (flushed = true));
    await turn();
    expect(calls.length).toBeGreaterThan(0);
    for (let index = 0; index < 10 && !flushed; index += 1) {
      calls.forEach((call) => call.acknowledge());
      await turn();
    }
    await flushing;
    await Promise.all(all);
    expect(calls.flatMap((call) => call.messages.map((m) => m.key))).toEqual(['k1', 'k2', 'k3', 'k4']);
  });
});
