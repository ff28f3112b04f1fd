// Batches events from concurrent requests into bus publishes, as a database batches commits: a message
// goes out at once while fewer than MAX_IN_FLIGHT publishes wait for the bus, and otherwise joins the
// next batch, sent as soon as one of them is acknowledged, or at once when it is full (MAX_BATCH; up
// to MAX_IN_FLIGHT_FULL in flight). A lone beacon waits for nothing but its own round trip (before,
// a 5 ms linger), and under load each round trip carries what arrived during the previous one, so the
// batch size follows the load. Every waiting request gets its batch's acknowledgement. While the
// breaker holds the bus for down (bus-breaker.ts), a batch is refused at once instead of tried.
import type { EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import type { BusBreaker } from './bus-breaker.js';

/** Publishes waiting for the bus at once: the next batch fills while they are. */
const MAX_IN_FLIGHT = 2;
const MAX_BATCH = 500;
/**
 * Full batches may add publishes in flight up to this many: under overload more would only queue
 * for the bus (on the PostgreSQL bus, for the pool's connections the consumers need too).
 */
const MAX_IN_FLIGHT_FULL = 8;

export interface BatchingPublisher {
  /** Resolves when the bus acknowledged (durably stored) the message; rejects if it could not. */
  publish(message: OutgoingMessage): Promise<void>;
  /** Publishes whatever is waiting, and waits for every publish in flight. */
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
  /** A send is scheduled for the end of this turn of the event loop, so that its other requests join. */
  let scheduled = false;
  const inFlight = new Set<Promise<void>>();

  const send = (): void => {
    scheduled = false;
    // A full batch goes out even with MAX_IN_FLIGHT publishes in flight: under more load than two
    // round trips carry, the publishes in flight grow (to MAX_IN_FLIGHT_FULL) instead of the queue (a
    // redirect does not wait for its click's).
    while (waiting.length > 0 && (inFlight.size < MAX_IN_FLIGHT || (waiting.length >= MAX_BATCH && inFlight.size < MAX_IN_FLIGHT_FULL))) {
      const batch = waiting.length <= MAX_BATCH ? waiting : waiting.splice(0, MAX_BATCH);
      if (batch === waiting) waiting = [];
      if (breaker?.isOpen()) {
        breaker.countRejected(batch.length);
        const refused = new BusUnavailableError();
        batch.forEach((entry) => entry.reject(refused));
        continue;
      }
      const sending = bus.publish(topic, batch.map((entry) => entry.message)).then(
        () => batch.forEach((entry) => entry.resolve()),
        (error: unknown) => {
          breaker?.recordFailure(error);
          batch.forEach((entry) => entry.reject(error));
        },
      );
      inFlight.add(sending);
      // An acknowledged publish makes room: what waited meanwhile goes out as the next batch.
      void sending.finally(() => {
        inFlight.delete(sending);
        send();
      });
    }
  };

  return {
    publish(message) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ message, resolve, reject });
        if (waiting.length >= MAX_BATCH && inFlight.size < MAX_IN_FLIGHT_FULL) send();
        else if (!scheduled && inFlight.size < MAX_IN_FLIGHT) {
          scheduled = true;
          setImmediate(send);
        }
      });
    },
    async flush() {
      send();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
