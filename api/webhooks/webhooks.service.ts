// A profile's webhooks, as its owners and editors manage them: endpoints (an address, the events it
// wants, a description), their health, the signing secret (shown once when made or rotated, never
// again: the database keeps it sealed and the app role cannot read it back), a test event, and the
// deliveries the scheduler's worker made, with every attempt, to read and resend. The worker
// (scheduler/, migrations/0018) takes any pending delivery whose next_attempt_at has come: a resend
// is that, and nothing more. Row-Level Security decides who sees what; requireRole answers a clear
// 403 first, a stranger gets the same 404 as for a profile that does not exist.
import type pg from 'pg';
import { AppError, notFound } from '../../lib/errors.js';
import type { Cache } from '../../lib/cache/cache.js';
import type { WebhookConfig } from '../../lib/config.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser, type Tx } from '../../lib/postgres/tenant.js';
import { endpointUrlProblem } from '../../lib/webhooks/endpoint-address.js';
import { WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT, type WebhookEventType } from '../../lib/webhooks/event-types.js';
import { createWebhookSecretBox, generateWebhookSecret } from '../../lib/webhooks/webhook-secret.js';
import { getProfile, type ProfileRow } from '../profiles/profiles.repository.js';
import { requireRole } from '../profiles/profiles.service.js';
import {
  countEndpoints,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  hasEndpointAt,
  insertEndpoint,
  insertTestEvent,
  listAttempts,
  listDeliveries,
  listEndpoints,
  RECENT_DELIVERIES_DAYS,
  replaceSecret,
  requeueDelivery,
  requeueFailedDeliveries,
  updateEndpoint,
  type AttemptRow,
  type DeliveryRow,
  type EndpointRow,
} from './webhooks.repository.js';

export const MAX_WEBHOOK_ENDPOINTS = 10;
/** "Resend all failed" takes at most this many of the last RECENT_DELIVERIES_DAYS days' failures, the newest. */
export const MAX_BULK_RESEND = 1000;
/** Test events a profile may send a minute, over all its endpoints: each is an HTTP request to an address a member chose. */
export const TEST_EVENTS_PER_MINUTE = 10;
/** Single resends a profile may ask for a minute: each is a request to an address a member chose, so bounded like test events. */
export const RESENDS_PER_MINUTE = 30;
/** "Resend all failed" per endpoint an hour: each can queue MAX_BULK_RESEND requests to the endpoint's host. */
export const BULK_RESENDS_PER_HOUR = 3;
/** Attempts shown with a delivery (the newest); the worker makes far fewer in its retry window. */
export const MAX_ATTEMPTS_SHOWN = 100;
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
export const DELIVERY_EVENT_TYPES = [...WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT] as const;
export { RECENT_DELIVERIES_DAYS };
/** What an endpoint disabled by a member says (one disabled by the worker says why it gave up). */
export const DISABLED_BY_MEMBER = 'Disabled by a member of the page’s team';

/** How an endpoint is doing, in one word: what the dashboard's badge shows. */
export type EndpointHealth = 'healthy' | 'failing' | 'disabled' | 'idle';

export interface WebhookEndpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: WebhookEventType[];
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: string | null;
  /** While a rotation's overlap lasts: until when deliveries are also signed with the previous secret. */
  previousSecretValidUntil: string | null;
  health: {
    state: EndpointHealth;
    consecutiveFailures: number;
    lastDelivery: { status: DeliveryStatus; attemptedAt: string; statusCode: number | null; error: string | null } | null;
    failedDeliveries: number;
    pendingDeliveries: number;
  };
  createdAt: string;
  updatedAt: string;
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: (typeof DELIVERY_EVENT_TYPES)[number];
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
  lastAttempt: { attemptedAt: string; statusCode: number | null; latencyMs: number | null; error: string | null } | null;
}

export interface WebhookAttempt {
  id: string;
  attemptedAt: string;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  responseExcerpt: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const isSuccess = (statusCode: number | null) => statusCode !== null && statusCode >= 200 && statusCode < 300;

function healthOf(row: EndpointRow): EndpointHealth {
  if (row.status === 'disabled') return 'disabled';
  if (row.last_attempted_at === null) return row.consecutive_failures > 0 ? 'failing' : 'idle';
  return row.consecutive_failures > 0 || !isSuccess(row.last_status_code) ? 'failing' : 'healthy';
}

function toEndpoint(row: EndpointRow, now: Date): WebhookEndpoint {
  const overlap = row.previous_secret_expires_at && row.previous_secret_expires_at > now ? row.previous_secret_expires_at : null;
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    eventTypes: WEBHOOK_EVENT_TYPES.filter((type) => row.event_types.includes(type)),
    status: row.status,
    disabledReason: row.disabled_reason,
    disabledAt: iso(row.disabled_at),
    previousSecretValidUntil: iso(overlap),
    health: {
      state: healthOf(row),
      consecutiveFailures: row.consecutive_failures,
      lastDelivery:
        row.last_attempted_at && row.last_delivery_status
          ? { status: row.last_delivery_status, attemptedAt: row.last_attempted_at.toISOString(), statusCode: row.last_status_code, error: row.last_error }
          : null,
      failedDeliveries: row.failed_recently,
      pendingDeliveries: row.pending_recently,
    },
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

const toDelivery = (row: DeliveryRow): WebhookDelivery => ({
  id: row.id,
  eventId: row.event_id,
  eventType: row.event_type as WebhookDelivery['eventType'],
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
  createdAt: row.created_at.toISOString(),
  deliveredAt: iso(row.delivered_at),
  lastAttempt: row.last_attempted_at
    ? { attemptedAt: row.last_attempted_at.toISOString(), statusCode: row.last_status_code, latencyMs: row.last_latency_ms, error: row.last_error }
    : null,
});

const toAttempt = (row: AttemptRow): WebhookAttempt => ({
  id: row.id,
  attemptedAt: row.attempted_at.toISOString(),
  statusCode: row.status_code,
  latencyMs: row.latency_ms,
  error: row.error,
  responseExcerpt: row.response_excerpt,
});

/** A page cursor: the delivery's created_at in microseconds (exact, unlike a Date) and its id. */
export const DELIVERY_CURSOR_PATTERN = /^(\d{1,18})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const cursorOf = (row: DeliveryRow) => `${row.created_us}_${row.id}`;

const noEndpoint = () => notFound('No such webhook endpoint on this page');
const noDelivery = () => notFound('No such delivery of this endpoint: it may be older than the worker keeps');

/** The URL as it is stored and compared: normalised by the WHATWG parser; a 422 naming the field when the address rules refuse it. */
function acceptedUrl(raw: string, policy: Pick<WebhookConfig, 'allowLoopback' | 'allowPrivateNetworks'>): string {
  const problem = endpointUrlProblem(raw, policy);
  if (problem) {
    throw new AppError('UNPROCESSABLE', `The endpoint URL ${problem}`, { details: { reason: 'endpoint_address', fields: [{ field: 'body.url', message: problem }] } });
  }
  return new URL(raw).href;
}

const duplicateUrl = () =>
  new AppError('CONFLICT', 'This page already has an endpoint at this URL: change that one’s events instead', {
    details: { fields: [{ field: 'body.url', message: 'already an endpoint of this page' }] },
  });
/** Two changes to one URL at once: the unique index (migrations/0020) lets one through, the other is this 409. */
function urlTaken(error: unknown): never {
  if ((error as pg.DatabaseError).code === '23505' && (error as pg.DatabaseError).constraint === 'webhook_endpoints_one_per_url') throw duplicateUrl();
  throw error;
}

export interface WebhookEndpointInput {
  url: string;
  description?: string | undefined;
  eventTypes: WebhookEventType[];
}

export interface WebhookEndpointChanges {
  url?: string | undefined;
  description?: string | undefined;
  eventTypes?: WebhookEventType[] | undefined;
  enabled?: boolean | undefined;
}

export function createWebhooksService(deps: { db: Database; cache: Cache; sessionSecret: string; addresses: Pick<WebhookConfig, 'allowLoopback' | 'allowPrivateNetworks'>; now?: () => Date }) {
  const { db, cache } = deps;
  const now = deps.now ?? (() => new Date());
  const box = createWebhookSecretBox(deps.sessionSecret);

  /** One request of a bounded kind (each sends HTTP requests to an address a member chose): a 429 past `limit` in `windowMs`. */
  const spend = async (key: string, windowMs: number, limit: number, message: string) => {
    const budget = await cache.increment(key, windowMs);
    if (budget.count > limit) throw new AppError('RATE_LIMIT', message, { retryAfterSeconds: budget.resetMs / 1000 });
  };
  /** The profile, for its owners and editors: 404 for a stranger, 403 for an analyst or a viewer. */
  const asEditor = <T>(userId: string, profileId: string, fn: (tx: Tx, profile: ProfileRow) => Promise<T>, options: { lock?: boolean } = {}) =>
    withUser(db, userId, async (tx) => {
      const profile = await getProfile(tx, profileId);
      if (!profile) throw notFound('No such profile');
      requireRole(profile, 'webhooks');
      // Serialises creations, so two at once cannot pass the limit together.
      if (options.lock) await getProfile(tx, profileId, { lock: true });
      return fn(tx, profile);
    });
  const endpointOf = async (tx: Tx, profileId: string, endpointId: string) => {
    const row = await getEndpoint(tx, profileId, endpointId);
    if (!row) throw noEndpoint();
    return row;
  };
  const activeEndpointOf = async (tx: Tx, profileId: string, endpointId: string, what: string) => {
    const row = await endpointOf(tx, profileId, endpointId);
    if (row.status === 'disabled') throw new AppError('CONFLICT', `This endpoint is disabled: enable it first, then ${what}`);
    return row;
  };

  return {
    list: (userId: string, profileId: string) => asEditor(userId, profileId, async (tx) => (await listEndpoints(tx, profileId)).map((row) => toEndpoint(row, now()))),

    get: (userId: string, profileId: string, endpointId: string) => asEditor(userId, profileId, async (tx) => toEndpoint(await endpointOf(tx, profileId, endpointId), now())),

    /** A new endpoint and its signing secret: the one time anyone sees the secret. */
    create: (userId: string, profileId: string, input: WebhookEndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> =>
      asEditor(
        userId,
        profileId,
        async (tx) => {
          const url = acceptedUrl(input.url, deps.addresses);
          if ((await countEndpoints(tx, profileId)) >= MAX_WEBHOOK_ENDPOINTS) {
            throw new AppError('CONFLICT', `A page has at most ${MAX_WEBHOOK_ENDPOINTS} webhook endpoints: delete one you no longer use, or add events to an existing one`);
          }
          if (await hasEndpointAt(tx, profileId, url)) throw duplicateUrl();
          const secret = generateWebhookSecret();
          const id = await insertEndpoint(tx, { profileId, url, description: input.description ?? '', eventTypes: input.eventTypes, sealedSecret: box.seal(secret), createdBy: userId });
          return { endpoint: toEndpoint(await endpointOf(tx, profileId, id), now()), secret };
        },
        { lock: true },
      ).catch(urlTaken),

    /** Changes the address, description or events; enabled: false turns it off, true back on (its failures forgotten). */
    update: (userId: string, profileId: string, endpointId: string, changes: WebhookEndpointChanges) =>
      asEditor(userId, profileId, async (tx) => {
        const url = changes.url === undefined ? undefined : acceptedUrl(changes.url, deps.addresses);
        if (url !== undefined && (await hasEndpointAt(tx, profileId, url, endpointId))) throw duplicateUrl();
        const enabled = changes.enabled === undefined ? undefined : changes.enabled ? ({ enabled: true } as const) : ({ enabled: false, reason: DISABLED_BY_MEMBER } as const);
        if (!(await updateEndpoint(tx, profileId, endpointId, { url, description: changes.description, eventTypes: changes.eventTypes, enabled }))) throw noEndpoint();
        return toEndpoint(await endpointOf(tx, profileId, endpointId), now());
      }).catch(urlTaken),

    remove: (userId: string, profileId: string, endpointId: string) =>
      asEditor(userId, profileId, async (tx) => {
        if (!(await deleteEndpoint(tx, profileId, endpointId))) throw noEndpoint();
      }),

    /** A new secret, shown once; the one it replaces keeps signing (beside it) until previousSecretValidUntil. */
    rotateSecret: (userId: string, profileId: string, endpointId: string): Promise<{ secret: string; previousSecretValidUntil: string }> =>
      asEditor(userId, profileId, async (tx) => {
        const secret = generateWebhookSecret();
        const until = await replaceSecret(tx, profileId, endpointId, box.seal(secret));
        if (!until) throw noEndpoint();
        return { secret, previousSecretValidUntil: until.toISOString() };
      }),

    /**
     * A webhook.test event for this endpoint alone (whatever it subscribes to), delivered by the worker
     * like any other. TEST_EVENTS_PER_MINUTE per profile: each one is a request to an address a member chose.
     */
    sendTestEvent: (userId: string, profileId: string, endpointId: string): Promise<{ eventId: string; deliveryId: string }> =>
      asEditor(userId, profileId, async (tx, profile) => {
        const endpoint = await activeEndpointOf(tx, profileId, endpointId, 'send a test event');
        await spend(`webhook-test:${profileId}`, 60_000, TEST_EVENTS_PER_MINUTE, `A page may send ${TEST_EVENTS_PER_MINUTE} test events a minute: wait a moment and send again`);
        const sent = await insertTestEvent(tx, endpoint.id, {
          message: 'A test event from Linkpulse: your endpoint receives and verifies webhooks.',
          profile: { id: profile.id, handle: profile.handle },
          endpoint: { id: endpoint.id, url: endpoint.url },
        });
        if (!sent) throw noEndpoint();
        return { eventId: sent.event_id, deliveryId: sent.delivery_id };
      }),

    async deliveries(
      userId: string,
      profileId: string,
      endpointId: string,
      query: { status?: DeliveryStatus | undefined; eventType?: string | undefined; before?: string | undefined; limit: number },
    ): Promise<{ deliveries: WebhookDelivery[]; next: string | null }> {
      const cursor = query.before === undefined ? undefined : DELIVERY_CURSOR_PATTERN.exec(query.before);
      return asEditor(userId, profileId, async (tx) => {
        await endpointOf(tx, profileId, endpointId);
        const rows = await listDeliveries(tx, profileId, endpointId, {
          status: query.status,
          eventType: query.eventType,
          before: cursor ? { createdUs: cursor[1]!, id: cursor[2]! } : undefined,
          limit: query.limit,
        });
        const page = rows.slice(0, query.limit);
        return { deliveries: page.map(toDelivery), next: rows.length > query.limit ? cursorOf(page.at(-1)!) : null };
      });
    },

    /** One delivery with its attempts (oldest first) and the event it carries. */
    delivery: (userId: string, profileId: string, endpointId: string, deliveryId: string) =>
      asEditor(userId, profileId, async (tx) => {
        const row = await getDelivery(tx, profileId, endpointId, deliveryId);
        if (!row) throw noDelivery();
        return {
          delivery: toDelivery(row),
          event: { id: row.event_id, type: row.event_type as WebhookDelivery['eventType'], occurredAt: row.event_occurred_at.toISOString(), data: row.event_data },
          attempts: (await listAttempts(tx, deliveryId, MAX_ATTEMPTS_SHOWN)).map(toAttempt),
        };
      }),

    /**
     * Queues a delivery for an attempt now, whatever its status: a failed one again, a pending one
     * without waiting out its backoff, a delivered one once more (with the same webhook-id: a receiver
     * that deduplicates ignores it).
     */
    resend: (userId: string, profileId: string, endpointId: string, deliveryId: string): Promise<WebhookDelivery> =>
      asEditor(userId, profileId, async (tx) => {
        await activeEndpointOf(tx, profileId, endpointId, 'resend');
        await spend(`webhook-resend:${profileId}`, 60_000, RESENDS_PER_MINUTE, `A page may resend ${RESENDS_PER_MINUTE} deliveries a minute: wait a moment and resend again`);
        if (!(await requeueDelivery(tx, profileId, endpointId, deliveryId))) throw noDelivery();
        return toDelivery((await getDelivery(tx, profileId, endpointId, deliveryId))!);
      }),

    /** Queues the failed deliveries of the last RECENT_DELIVERIES_DAYS days again (the newest MAX_BULK_RESEND), oldest first. */
    resendFailed: (userId: string, profileId: string, endpointId: string): Promise<{ resent: number }> =>
      asEditor(userId, profileId, async (tx) => {
        await activeEndpointOf(tx, profileId, endpointId, 'resend');
        await spend(`webhook-resend-failed:${endpointId}`, 3_600_000, BULK_RESENDS_PER_HOUR, `An endpoint's failed deliveries may be resent ${BULK_RESENDS_PER_HOUR} times an hour: fix the receiver first, then try again later`);
        return { resent: await requeueFailedDeliveries(tx, profileId, endpointId, MAX_BULK_RESEND) };
      }),
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
