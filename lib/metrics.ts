// Prometheus metrics for one process (all roles in it share the registry). Labels stay low-cardinality:
// routes are patterns, never raw paths; topics, groups and reasons come from closed sets.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DROP_REASONS, type DropReason } from './events/drop-reasons.js';
import { SYNC_FAILURE_KINDS } from './github/sync-schedule.js';

/** How a request to GitHub ended; the scheduler's GitHub client reports each one. */
export const GITHUB_REQUEST_OUTCOMES = ['ok', 'not_modified', 'not_found', 'rate_limited', 'secondary_rate_limited', 'network', 'timeout', 'server_error', 'unauthorized', 'bad_response'] as const;
export type GitHubRequestOutcome = (typeof GITHUB_REQUEST_OUTCOMES)[number];

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'role' | 'method' | 'route' | 'status'>;
  httpDuration: Histogram<'role' | 'method' | 'route'>;
  busPublished: Counter<'topic'>;
  busPublishFailures: Counter<'topic'>;
  busConsumed: Counter<'topic' | 'group'>;
  busHandlerFailures: Counter<'topic' | 'group'>;
  busConsumerLag: Gauge<'topic' | 'group' | 'partition'>;
  busBatchSize: Histogram<'topic' | 'group'>;
  /** 1 while ingest's breaker holds the bus for down (publishes refused at once), else 0. */
  busBreakerOpen: Gauge<'topic'>;
  /** Messages refused at once because the bus was known to be down. */
  busBreakerRejected: Counter<'topic'>;
  /** Inserts of the events consumer: written, replayed after an interruption, or not replayable (left to the reconciler). */
  consumerInserts: Counter<'outcome'>;
  /** Aggregate slices (table, period) the reconciler found different from the raw rows and rebuilt. */
  analyticsRepairs: Counter<'table'>;
  /** Reconciler runs by outcome: clean, repaired, failed. */
  analyticsReconcileRuns: Counter<'outcome'>;
  /** The end of the periods the reconciler has verified (Unix seconds). */
  analyticsReconciledUntil: Gauge;
  /** Requests to GitHub by how they ended (scheduler/github/github-client.ts REQUEST_OUTCOMES). */
  githubRequests: Counter<'outcome'>;
  /** What GitHub last said is left of a rate-limit window, by resource (core: REST, graphql: points). */
  githubRateLimitRemaining: Gauge<'resource'>;
  /** How late a scheduled refresh came after its repository was due (0 when on time). */
  githubSyncLag: Histogram;
  /** Repositories whose sync failed, by kind (lib/github/sync-schedule.ts SYNC_FAILURE_KINDS). */
  githubSyncFailures: Counter<'kind'>;
  /** Login tries held back by an account's slow-down (api/auth/login-throttle.ts), by the wait in seconds. */
  loginSlowdowns: Histogram;
  /** Webhook delivery attempts by result: success, or why one failed (webhook_attempts.error_class). */
  webhookAttempts: Counter<'result'>;
  /** Webhook attempts' duration (resolution, connection, answer), by result. */
  webhookAttemptDuration: Histogram<'result'>;
  /** Webhook deliveries finished: delivered (a 2xx), failed (given up, or their endpoint disabled). */
  webhookDeliveries: Counter<'outcome'>;
  /** From an event to its delivery (the 2xx), in seconds: retries included. */
  webhookDeliveryLag: Histogram;
  /** Pending webhook deliveries: due now, or waiting for a later retry. */
  webhookPending: Gauge<'state'>;
  /** How long the oldest due webhook delivery has waited for a worker, in seconds. */
  webhookOldestDue: Gauge;
  /** Webhook endpoints disabled by the worker: failing (deliveries given up in a row) or gone (410). */
  webhookEndpointsDisabled: Counter<'reason'>;
  /** Counts events dropped for one of the closed set of reasons. */
  countDrop(reason: DropReason, count?: number): void;
  /** Reports a connection pool's usage on every scrape. */
  registerPool(name: string, stats: () => PoolStats): void;
  stop(): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // Our own event-loop delay histogram (resolution 10 ms), in seconds, reset at each scrape so the
  // quantiles describe the interval since the previous scrape.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  new Gauge({
    name: 'linkpulse_event_loop_delay_seconds',
    help: 'Event loop delay since the previous scrape (monitorEventLoopDelay), by quantile',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      this.set({ quantile: '0.5' }, loopDelay.percentile(50) / 1e9);
      this.set({ quantile: '0.99' }, loopDelay.percentile(99) / 1e9);
      this.set({ quantile: '1' }, loopDelay.max / 1e9);
      loopDelay.reset();
    },
  });

  const pools = new Map<string, () => PoolStats>();
  new Gauge({
    name: 'linkpulse_pool_connections',
    help: 'Connection pool usage by pool and state (total, idle, waiting clients)',
    labelNames: ['pool', 'state'],
    registers: [registry],
    collect() {
      for (const [pool, stats] of pools) {
        const s = stats();
        this.set({ pool, state: 'total' }, s.total);
        this.set({ pool, state: 'idle' }, s.idle);
        this.set({ pool, state: 'waiting' }, s.waiting);
      }
    },
  });

  const pipelineDrops = new Counter({
    name: 'linkpulse_pipeline_dropped_events_total',
    help: 'Events dropped by the pipeline, by reason (a closed set: lib/events/drop-reasons.ts)',
    labelNames: ['reason'],
    registers: [registry],
  });
  // Every reason appears from the start (at 0), so dashboards and alerts need not wait for a first drop.
  for (const reason of DROP_REASONS) pipelineDrops.inc({ reason }, 0);
  const consumerInserts = new Counter({
    name: 'linkpulse_consumer_inserts_total',
    help: 'Inserts of the events consumer by outcome: written, replayed (an interrupted insert completed after a redelivery), unreplayable (left to the reconciler)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['written', 'replayed', 'unreplayable']) consumerInserts.inc({ outcome }, 0);
  const analyticsReconcileRuns = new Counter({
    name: 'linkpulse_analytics_reconcile_runs_total',
    help: 'Runs of the analytics reconciler by outcome: clean, repaired, failed',
    labelNames: ['outcome'],
    registers: [registry],
  });

  const githubRequests = new Counter({
    name: 'linkpulse_github_requests_total',
    help: 'Requests to GitHub (REST, or a GraphQL query of up to 100 repositories) by outcome: ok, not_modified, not_found, rate_limited, secondary_rate_limited, network, timeout, server_error, unauthorized, bad_response',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of GITHUB_REQUEST_OUTCOMES) githubRequests.inc({ outcome }, 0);
  const githubSyncFailures = new Counter({
    name: 'linkpulse_github_sync_failures_total',
    help: 'Repository syncs that failed, by kind: network, timeout, server_error, unauthorized, bad_response (each is retried with backoff)',
    labelNames: ['kind'],
    registers: [registry],
  });
  for (const kind of SYNC_FAILURE_KINDS) githubSyncFailures.inc({ kind }, 0);

  return {
    registry,
    githubRequests,
    githubRateLimitRemaining: new Gauge({
      name: 'linkpulse_github_rate_limit_remaining',
      help: 'What GitHub last said is left of the current rate-limit window, by resource (core: REST requests, graphql: points)',
      labelNames: ['resource'],
      registers: [registry],
    }),
    githubSyncLag: new Histogram({
      name: 'linkpulse_github_sync_lag_seconds',
      help: 'How late a scheduled GitHub card refresh came after its repository was due (0 when on time)',
      buckets: [1, 5, 15, 60, 300, 900, 3600, 21600],
      registers: [registry],
    }),
    githubSyncFailures,
    httpRequests: new Counter({
      name: 'linkpulse_http_requests_total',
      help: 'HTTP requests by role, method, route pattern and status',
      labelNames: ['role', 'method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'linkpulse_http_request_duration_seconds',
      help: 'HTTP request latency by role, method and route pattern',
      labelNames: ['role', 'method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    busPublished: new Counter({
      name: 'linkpulse_bus_published_messages_total',
      help: 'Messages acknowledged by the event bus, by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    busPublishFailures: new Counter({
      name: 'linkpulse_bus_publish_failures_total',
      help: 'Publish calls the event bus did not acknowledge, by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
    busConsumed: new Counter({
      name: 'linkpulse_bus_consumed_messages_total',
      help: 'Messages handled and committed, by topic and consumer group',
      labelNames: ['topic', 'group'],
      registers: [registry],
    }),
    busHandlerFailures: new Counter({
      name: 'linkpulse_bus_handler_failures_total',
      help: 'Batches whose handler threw (they are redelivered), by topic and consumer group',
      labelNames: ['topic', 'group'],
      registers: [registry],
    }),
    busConsumerLag: new Gauge({
      name: 'linkpulse_bus_consumer_lag_messages',
      help: 'Messages published but not yet committed by the group, per partition',
      labelNames: ['topic', 'group', 'partition'],
      registers: [registry],
    }),
    busBatchSize: new Histogram({
      name: 'linkpulse_bus_batch_size_messages',
      help: 'Messages per batch handed to a consumer handler',
      labelNames: ['topic', 'group'],
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers: [registry],
    }),
    busBreakerOpen: new Gauge({
      name: 'linkpulse_bus_breaker_open',
      help: '1 while the bus is known to be down and publishes are refused at once (ingest answers 503 without waiting), else 0',
      labelNames: ['topic'],
      registers: [registry],
    }),
    busBreakerRejected: new Counter({
      name: 'linkpulse_bus_breaker_rejected_total',
      help: 'Messages refused at once because the bus was known to be down (each a 503 or a dropped redirect click)',
      labelNames: ['topic'],
      registers: [registry],
    }),
    consumerInserts,
    analyticsRepairs: new Counter({
      name: 'linkpulse_analytics_repaired_slices_total',
      help: 'Aggregate slices (one table, one hour or day, some profiles) found different from the raw events and rebuilt, by table',
      labelNames: ['table'],
      registers: [registry],
    }),
    analyticsReconcileRuns,
    analyticsReconciledUntil: new Gauge({
      name: 'linkpulse_analytics_reconciled_until_seconds',
      help: 'End of the closed periods the analytics reconciler last verified (Unix time)',
      registers: [registry],
    }),
    loginSlowdowns: new Histogram({
      name: 'linkpulse_login_slowdown_seconds',
      help: 'Login tries made to wait because their account had many failed logins from elsewhere (count: tries slowed; sum: seconds waited)',
      buckets: [0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    webhookAttempts: new Counter({
      name: 'linkpulse_webhook_attempts_total',
      help: 'Webhook delivery attempts by result: success, or the class of failure (address_refused, dns_failed, connection_failed, tls_failed, timeout, redirect, http_error, unsigned)',
      labelNames: ['result'],
      registers: [registry],
    }),
    webhookAttemptDuration: new Histogram({
      name: 'linkpulse_webhook_attempt_duration_seconds',
      help: 'Webhook attempts from resolving the host to the answer (or the failure), by result',
      labelNames: ['result'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: 'linkpulse_webhook_deliveries_total',
      help: 'Webhook deliveries finished, by outcome: delivered (a 2xx), failed (given up after the retry window, or their endpoint disabled)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    webhookDeliveryLag: new Histogram({
      name: 'linkpulse_webhook_delivery_lag_seconds',
      help: 'From an event to its delivery (the 2xx answer), retries included',
      buckets: [0.1, 0.5, 1, 5, 30, 60, 300, 1800, 7200, 86400, 172800],
      registers: [registry],
    }),
    webhookPending: new Gauge({
      name: 'linkpulse_webhook_pending_deliveries',
      help: 'Pending webhook deliveries by state: due (waiting for a worker) or waiting (for a later retry)',
      labelNames: ['state'],
      registers: [registry],
    }),
    webhookOldestDue: new Gauge({
      name: 'linkpulse_webhook_oldest_due_delivery_seconds',
      help: 'How long the oldest due webhook delivery has been waiting for a worker',
      registers: [registry],
    }),
    webhookEndpointsDisabled: new Counter({
      name: 'linkpulse_webhook_endpoints_disabled_total',
      help: 'Webhook endpoints the worker disabled, by reason: failing (deliveries given up in a row) or gone (the receiver answered 410)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    countDrop(reason, count = 1) {
      pipelineDrops.inc({ reason }, count);
    },
    registerPool(name, stats) {
      pools.set(name, stats);
    },
    stop() {
      loopDelay.disable();
    },
  };
}
