// The webhook delivery worker: a loop in every scheduler process (not an Agenda job: it runs all the
// time), sharing the work through PostgreSQL with every other one.
//
//   webhook_events (outbox; NOTIFY webhook_events) ──fan out──> webhook_deliveries (one per endpoint
//   subscribed and active at that moment; idempotent) ──claim (lease, FOR UPDATE SKIP LOCKED,
//   round-robin over endpoints)──> HTTP POST (signed; SSRF rules; timeout) ──> webhook_attempts, and
//   the delivery delivered, retried later, or failed; an endpoint failing for long disabled, its owner
//   mailed.
//
// It wakes on NOTIFY webhook_events, when an attempt ends, when a retry it scheduled is due, and every
// pollIntervalMs regardless (resends, other processes' retries, a lost notification). Concurrency is
// bounded per process and per endpoint, so one slow endpoint holds at most perEndpointConcurrency slots.
// Delivery is at least once: a worker killed mid-attempt loses its lease after leaseMs and another takes
// the delivery again (the receiver may then see the webhook-id twice, and deduplicates).
import type { WebhookConfig } from '../../lib/config.js';
import type { Logger } from '../../lib/logger.js';
import { webhookEndpointDisabledMail } from '../../lib/mail/account-mail.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import type { Metrics } from '../../lib/metrics.js';
import { isDatabaseUnavailable, type Database, type DbClient } from '../../lib/postgres/database.js';
import { signWebhook, webhookBody } from '../../lib/webhooks/signature.js';
import type { WebhookSecretBox } from '../../lib/webhooks/webhook-secret.js';
import { DEFAULT_RETRY_SCHEDULE, retryDelayMs, type RetrySchedule } from './retry-schedule.js';
import { sendWebhook, systemLookup, type AttemptResult, type HostLookup } from './send-webhook.js';
import {
  claimDueDeliveries,
  disabledEndpointOwner,
  failDeliveriesOfDisabledEndpoints,
  fanOutEvents,
  readBacklog,
  recordAttempt,
  type ClaimedDelivery,
  type Recorded,
} from './webhook-deliveries.repository.js';

export const WEBHOOK_EVENTS_CHANNEL = 'webhook_events';

export interface WebhookWorkerSettings {
  /** Attempts in flight at once in this process. */
  concurrency: number;
  /** Attempts in flight at once per endpoint in this process. */
  perEndpointConcurrency: number;
  /** One attempt's deadline (resolution, connection, answer). */
  timeoutMs: number;
  /** How long a claim holds before another worker may take the delivery (longer than an attempt and its recording). */
  leaseMs: number;
  /** Looks for due work at least this often, notifications or not. */
  pollIntervalMs: number;
  /** Events fanned out per statement. */
  fanOutBatch: number;
  /** Deliveries given up in a row that disable their endpoint. */
  disableAfterFailedDeliveries: number;
  schedule: RetrySchedule;
}

export const DEFAULT_WEBHOOK_WORKER_SETTINGS: WebhookWorkerSettings = {
  concurrency: 64,
  perEndpointConcurrency: 8,
  timeoutMs: 10_000,
  leaseMs: 60_000,
  pollIntervalMs: 2_000,
  fanOutBatch: 500,
  disableAfterFailedDeliveries: 5,
  schedule: DEFAULT_RETRY_SCHEDULE,
};

export interface WebhookWorkerDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  /** Opens endpoints' secrets (sealed with a key derived from SESSION_SECRET). */
  secrets: WebhookSecretBox;
  /** WEBHOOK_ALLOW_LOOPBACK / WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
  policy: Pick<WebhookConfig, 'allowLoopback' | 'allowPrivateNetworks'>;
  mailer: Mailer;
  /** PUBLIC_URL, for the link in the mail about a disabled endpoint. */
  publicUrl: string;
  metrics: Metrics;
  logger: Logger;
  /** Resolves endpoint host names (DNS unless given). */
  lookup?: HostLookup;
  /** The retries' jitter, in [0, 1). */
  random?: () => number;
}

export interface WebhookWorker {
  start(): Promise<void>;
  /** Stops claiming, waits for the attempts in flight (each bounded by timeoutMs) and their records. */
  stop(): Promise<void>;
}

/** How often the backlog gauges and the sweep of disabled endpoints' deliveries run. */
const HOUSEKEEPING_MS = 10_000;
const RECORD_RETRY_DELAYS_MS = [500, 2_000, 5_000];

export function createWebhookWorker(deps: WebhookWorkerDeps, overrides: Partial<WebhookWorkerSettings> = {}): WebhookWorker {
  const settings = { ...DEFAULT_WEBHOOK_WORKER_SETTINGS, ...overrides };
  const logger = deps.logger.child({ module: 'webhooks' });
  const lookup = deps.lookup ?? systemLookup;
  const random = deps.random ?? Math.random;
  const { metrics } = deps;
  const busy = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let listener: DbClient | undefined;
  let listenRetry: NodeJS.Timeout | undefined;
  let lastHousekeeping = 0;

  // Wake-ups: a pending wait resolves on the first of a notification, a finished attempt, a due retry or the poll.
  let wakeWaiting: (() => void) | undefined;
  let woken = false;
  // New events are looked for when one was announced, and at every poll (a notification can be lost).
  let eventsAnnounced = true;
  let lastFanOut = 0;
  const onEvents = () => {
    eventsAnnounced = true;
    wake();
  };
  let retryTimer: { at: number; timer: NodeJS.Timeout } | undefined;
  const wake = () => {
    woken = true;
    wakeWaiting?.();
  };
  const wakeAt = (at: number) => {
    if (retryTimer && retryTimer.at <= at) return;
    if (retryTimer) clearTimeout(retryTimer.timer);
    retryTimer = { at, timer: setTimeout(() => ((retryTimer = undefined), wake()), Math.max(0, at - Date.now())) };
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeWaiting = undefined;
        resolve();
      }
      wakeWaiting = done;
    });

  function onListenerError(error: Error): void {
    logger.warn({ err: error }, 'webhook notifications lost; polling until they are back');
    const broken = listener;
    listener = undefined;
    detach(broken, true);
    if (running) listenRetry = setTimeout(() => void listen(), 5_000);
  }

  async function listen(): Promise<void> {
    listenRetry = undefined;
    if (!running) return;
    let client: DbClient | undefined;
    try {
      client = await deps.db.connect();
      client.on('notification', onEvents);
      client.on('error', onListenerError);
      await client.query(`LISTEN ${WEBHOOK_EVENTS_CHANNEL}`);
      listener = client;
    } catch (error) {
      detach(client, true);
      logger.warn({ err: error }, 'could not listen for webhook events; polling, and trying again in 5 s');
      if (running) listenRetry = setTimeout(() => void listen(), 5_000);
    }
  }

  /** Returns the listening connection to the pool without this worker's listeners (destroyed when broken). */
  function detach(client: DbClient | undefined, broken: boolean): void {
    if (!client) return;
    client.removeListener('notification', onEvents);
    client.removeListener('error', onListenerError);
    client.release(broken);
  }

  async function housekeeping(): Promise<void> {
    if (Date.now() - lastHousekeeping < HOUSEKEEPING_MS) return;
    lastHousekeeping = Date.now();
    const given = await failDeliveriesOfDisabledEndpoints(deps.db);
    if (given > 0) {
      metrics.webhookDeliveries.inc({ outcome: 'failed' }, given);
      logger.info({ deliveries: given }, 'pending deliveries of disabled endpoints given up');
    }
    const backlog = await readBacklog(deps.db);
    metrics.webhookPending.set({ state: 'due' }, backlog.due);
    metrics.webhookPending.set({ state: 'waiting' }, backlog.waiting);
    metrics.webhookOldestDue.set(backlog.oldestDueSeconds);
  }

  async function runLoop(): Promise<void> {
    let failures = 0;
    while (running) {
      woken = false;
      try {
        if (eventsAnnounced || Date.now() - lastFanOut >= settings.pollIntervalMs) {
          eventsAnnounced = false;
          lastFanOut = Date.now();
          for (;;) {
            const { events } = await fanOutEvents(deps.db, settings.fanOutBatch);
            if (events < settings.fanOutBatch || !running) break;
          }
        }
        await housekeeping();
        const free = settings.concurrency - inFlight.size;
        if (free > 0 && running) {
          const claimed = await claimDueDeliveries(deps.db, { limit: free, perEndpoint: settings.perEndpointConcurrency, busy, leaseMs: settings.leaseMs });
          for (const delivery of claimed) startAttempt(delivery);
          // A full claim may have left more due work: look again as soon as a slot frees.
          if (claimed.length === free) woken = true;
        }
        failures = 0;
      } catch (error) {
        failures++;
        logger.error({ err: error }, 'webhook worker could not reach PostgreSQL; trying again');
        await sleep(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
        continue;
      }
      if (woken && inFlight.size >= settings.concurrency) {
        // Every slot is taken: wait for one to free (an attempt ending wakes us).
        woken = false;
      }
      await sleep(settings.pollIntervalMs);
    }
  }

  function startAttempt(delivery: ClaimedDelivery): void {
    busy.set(delivery.endpointId, (busy.get(delivery.endpointId) ?? 0) + 1);
    const attempt = attemptDelivery(delivery)
      .catch((error: unknown) => {
        // Its lease lapses and another attempt follows: nothing is lost, but the cause must be seen.
        logger.error({ err: error, deliveryId: delivery.id }, 'webhook attempt could not be made or recorded; it is retried after its lease');
      })
      .finally(() => {
        const left = (busy.get(delivery.endpointId) ?? 1) - 1;
        if (left > 0) busy.set(delivery.endpointId, left);
        else busy.delete(delivery.endpointId);
        inFlight.delete(attempt);
        wake();
      });
    inFlight.add(attempt);
  }

  /** The endpoint's secrets, or undefined when they cannot be opened (SESSION_SECRET changed since they were sealed). */
  function openSecrets(delivery: ClaimedDelivery): string[] | undefined {
    try {
      return [deps.secrets.open(delivery.secretEncrypted), ...(delivery.previousSecretEncrypted ? [deps.secrets.open(delivery.previousSecretEncrypted)] : [])];
    } catch (error) {
      logger.error({ err: error, endpointId: delivery.endpointId }, 'a webhook signing secret cannot be opened (was SESSION_SECRET changed?); the attempt fails unsent');
      return undefined;
    }
  }

  async function attemptDelivery(delivery: ClaimedDelivery): Promise<void> {
    const body = webhookBody({ type: delivery.type, occurredAt: delivery.occurredAt, data: delivery.data });
    const secrets = openSecrets(delivery);
    // Nothing unsigned is ever sent: a secret that cannot be opened fails the attempt like any other
    // failure (retried, given up, and the endpoint disabled in the end) instead of looping on its lease.
    const result: AttemptResult = secrets
      ? await sendWebhook(
          { url: delivery.url, headers: { ...signWebhook({ id: delivery.eventId, timestamp: Math.floor(Date.now() / 1000), body }, secrets) }, body },
          { policy: deps.policy, timeoutMs: settings.timeoutMs, lookup },
        )
      : {
          ok: false,
          statusCode: null,
          latencyMs: 0,
          errorClass: 'unsigned',
          error: 'not sent: the signing secret cannot be read on this server; rotate the secret to make a new one',
          responseExcerpt: null,
          retryAfterMs: null,
          gone: false,
        };
    const resultLabel = result.errorClass ?? 'success';
    metrics.webhookAttempts.inc({ result: resultLabel });
    metrics.webhookAttemptDuration.observe({ result: resultLabel }, result.latencyMs / 1000);
    const delay = retryDelayMs(settings.schedule, delivery.attempts, random, result.retryAfterMs);
    const recorded = await recordWithRetries(delivery, result, delay);
    if (recorded.outcome === 'delivered') {
      metrics.webhookDeliveries.inc({ outcome: 'delivered' });
      metrics.webhookDeliveryLag.observe(Math.max(0, Date.now() - delivery.occurredAt.getTime()) / 1000);
    } else if (recorded.outcome === 'failed') {
      metrics.webhookDeliveries.inc({ outcome: 'failed' });
      logger.info({ deliveryId: delivery.id, endpointId: delivery.endpointId, attempts: delivery.attempts, error: result.error }, 'webhook delivery given up');
    } else if (recorded.outcome === 'retrying') {
      wakeAt(Date.now() + delay);
    }
    if (recorded.disabled) await announceDisabled(delivery, recorded.disabled.reason, result.gone ? 'gone' : 'failing');
  }

  async function recordWithRetries(delivery: ClaimedDelivery, result: AttemptResult, delay: number): Promise<Recorded> {
    const recordSettings = { retryDelayMs: delay, windowMs: settings.schedule.windowMs, disableAfter: settings.disableAfterFailedDeliveries };
    let recorded = result;
    for (let attempt = 0; ; attempt++) {
      try {
        return await recordAttempt(deps.db, delivery, recorded, recordSettings);
      } catch (error) {
        // Something in what the receiver sent that the table refuses: record the outcome without it, or
        // the delivery would be attempted again and again without ever reaching its end.
        if (!isDatabaseUnavailable(error) && recorded === result) {
          logger.error({ err: error, deliveryId: delivery.id }, 'webhook attempt could not be recorded as it came; recording it without the answer');
          recorded = { ...result, responseExcerpt: null, error: result.ok ? null : `${result.errorClass ?? 'failed'} (details could not be stored)` };
          continue;
        }
        const wait = RECORD_RETRY_DELAYS_MS[attempt];
        if (wait === undefined) throw error;
        logger.warn({ err: error, deliveryId: delivery.id, retryInMs: wait }, 'webhook attempt not recorded yet; trying again');
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async function announceDisabled(delivery: ClaimedDelivery, reason: string, why: 'gone' | 'failing'): Promise<void> {
    metrics.webhookEndpointsDisabled.inc({ reason: why });
    logger.warn({ endpointId: delivery.endpointId, profileId: delivery.profileId, reason: why }, 'webhook endpoint disabled');
    const owner = await disabledEndpointOwner(deps.db, delivery.endpointId);
    if (!owner) return;
    const webhooksUrl = `${deps.publicUrl.replace(/\/$/, '')}/dashboard/${delivery.profileId}/webhooks`;
    deps.mailer.deliverLater(webhookEndpointDisabledMail(owner.email, { endpointUrl: delivery.url, handle: owner.handle, reason, webhooksUrl }));
  }

  return {
    async start() {
      if (running) return;
      running = true;
      await listen();
      loop = runLoop();
      logger.info({ concurrency: settings.concurrency, perEndpoint: settings.perEndpointConcurrency, timeoutMs: settings.timeoutMs }, 'webhook worker started');
    },
    async stop() {
      if (!running) return;
      running = false;
      wake();
      if (listenRetry) clearTimeout(listenRetry);
      if (retryTimer) clearTimeout(retryTimer.timer);
      await loop;
      await Promise.allSettled([...inFlight]);
      if (listener) {
        const client = listener;
        listener = undefined;
        const unlistened = await client.query(`UNLISTEN ${WEBHOOK_EVENTS_CHANNEL}`).then(
          () => true,
          () => false,
        );
        detach(client, !unlistened);
      }
    },
  };
}
