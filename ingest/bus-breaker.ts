// A circuit breaker in front of the bus for ingest's publishes. When Kafka is down, a publish fails
// only after kafkajs's connection attempts and retries (about 5 s), and every waiting beacon would
// wait as long for its 503. Once a publish has failed the bus counts as down: publishes fail at once
// (counted in linkpulse_bus_breaker_rejected_total) while a background probe asks the bus (its health
// check) every second; the first probe that succeeds lets publishes through again.
import { describeError, type HealthCheck } from '../lib/health.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';

export interface BusBreaker {
  /** True while the bus is known to be down: do not try it. */
  isOpen(): boolean;
  /** A publish failed: the bus counts as down until a probe succeeds. */
  recordFailure(error: unknown): void;
  /** Publishes refused at once while open, for the metrics. */
  countRejected(messages: number): void;
  stop(): void;
}

export interface BusBreakerOptions {
  topic: string;
  /** The bus's own health check: it must succeed before publishes are tried again. */
  probe: HealthCheck;
  metrics: Metrics;
  logger: Logger;
  probeIntervalMs?: number;
}

export function createBusBreaker(options: BusBreakerOptions): BusBreaker {
  const { topic, metrics } = options;
  const logger = options.logger.child({ module: 'bus-breaker' });
  const interval = options.probeIntervalMs ?? 1_000;
  let open = false;
  let timer: NodeJS.Timeout | undefined;
  let probing = false;
  metrics.busBreakerOpen.set({ topic }, 0);

  const probe = async () => {
    if (probing) return; // a probe can take longer than the interval (the bus client's own retries)
    probing = true;
    try {
      const status = await options.probe.check();
      if (status.state === 'down' || !open) return;
      open = false;
      clearInterval(timer);
      timer = undefined;
      metrics.busBreakerOpen.set({ topic }, 0);
      logger.info({ topic }, 'the bus answers again; publishing');
    } catch {
      // Still down: the next probe tries again.
    } finally {
      probing = false;
    }
  };

  return {
    isOpen: () => open,
    recordFailure(error) {
      if (open) return;
      open = true;
      metrics.busBreakerOpen.set({ topic }, 1);
      logger.warn({ err: describeError(error), topic }, 'the bus failed; answering 503 at once until a probe reaches it again');
      timer = setInterval(() => void probe(), interval);
      timer.unref();
    },
    countRejected(messages) {
      metrics.busBreakerRejected.inc({ topic }, messages);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
