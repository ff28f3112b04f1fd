// Batches events from concurrent requests into one bus publish: each request waits at most LINGER_MS
// for others to join (or until MAX_BATCH are waiting), then all of them get the same acknowledgement.
// One Kafka round trip per batch instead of per request is most of ingest's throughput. While the
// breaker holds the bus for down (bus-breaker.ts), a batch is refused at once instead of tried.
import type { EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import type { BusBreaker } from './bus-breaker.js';

const LINGER_MS = 5;
const MAX_BATCH = 500;

export interface BatchingPublisher {
  /** Resolves when the bus acknowledged (durably stored) the message; rejects if it could not. */
  publish(message: OutgoingMessage): Promise<void>;
  /** Publishes whatever is waiting. */
  flush(): Promise<void>;
}

/** The bus is known to be down: the message was not tried. */
export class BusUnavailableError extends Error {
  constructor() {
    super('the event bus is unavailable');
    this.name = 'BusUnavailableError';
  }
}

interface Waiting {
  message: OutgoingMessage;
  resolve(): void;
  reject(error: unknown): void;
}

export function createBatchingPublisher(bus: EventBus, topic: string, breaker?: BusBreaker): BatchingPublisher {
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const send = () => {
    clearTimeout(timer);
    timer = undefined;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return Promise.resolve();
    if (breaker?.isOpen()) {
      breaker.countRejected(batch.length);
      const refused = new BusUnavailableError();
      batch.forEach((entry) => entry.reject(refused));
      return Promise.resolve();
    }
    const sending = bus.publish(topic, batch.map((entry) => entry.message)).then(
      () => batch.forEach((entry) => entry.resolve()),
      (error: unknown) => {
        breaker?.recordFailure(error);
        batch.forEach((entry) => entry.reject(error));
      },
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
    return sending;
  };

  return {
    publish(message) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ message, resolve, reject });
        if (waiting.length >= MAX_BATCH) void send();
        else timer ??= setTimeout(() => void send(), LINGER_MS);
      });
    },
    async flush() {
      await send();
      await Promise.allSettled([...inFlight]);
    },
  };
}
