// /api/v1/profiles/:profileId/webhooks…: a profile's webhook endpoints, their deliveries and attempts,
// for its owners and editors. API tokens need the scopes webhooks:read (endpoints, deliveries) and
// webhooks:write (everything that changes or sends): profiles:write is not enough, since an endpoint
// sends the page's events, and its secret, wherever it points. The signing secret is in two answers
// only: the endpoint's creation and a rotation.
import { z } from 'zod';
import { WEBHOOK_EVENT_DESCRIPTIONS, WEBHOOK_EVENT_TYPES, WEBHOOK_TEST_EVENT } from '../../lib/webhooks/event-types.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id } from '../http/schemas.js';
import {
  DELIVERY_CURSOR_PATTERN,
  DELIVERY_EVENT_TYPES,
  DELIVERY_STATUSES,
  MAX_ATTEMPTS_SHOWN,
  BULK_RESENDS_PER_HOUR,
  MAX_BULK_RESEND,
  RESENDS_PER_MINUTE,
  MAX_WEBHOOK_ENDPOINTS,
  RECENT_DELIVERIES_DAYS,
  TEST_EVENTS_PER_MINUTE,
  type WebhooksService,
} from './webhooks.service.js';

/** migrations/0018: url BETWEEN 8 AND 2048 characters once normalised. */
const MAX_ENDPOINT_URL_LENGTH = 2048;
/**
 * URLs the document promises to accept: https to a host name whose last label is 2 to 8 letters (so
 * never `localhost`), no credentials, no fragment, one character short of the limit (normalising may
 * add a "/"). Anything else that parses is judged by lib/webhooks/endpoint-address.ts: a 422 naming
 * the field when it points at this machine, a private network or a metadata address.
 */
const DOCUMENTED_ENDPOINT_URL_PATTERN =
  '^https://[a-z0-9]+(?:-[a-z0-9]+)*(?:\\.[a-z0-9]+(?:-[a-z0-9]+)*)*\\.[a-z]{2,8}(?::[1-9][0-9]{0,3})?' + "(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*(?:\\?[A-Za-z0-9._~!$&()*+,;=:@%/?-]*)?$";

const EndpointUrl = z
  .string()
  .max(MAX_ENDPOINT_URL_LENGTH + 64, { abort: true })
  .superRefine((url, ctx) => {
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    if (/[\u0000-\u001f\u007f\s]/.test(url)) ctx.addIssue({ code: 'custom', input: url, message: 'must not contain spaces or control characters' });
    else if (!URL.canParse(url)) ctx.addIssue({ code: 'custom', input: url, message: 'must be an absolute URL such as https://example.com/webhooks' });
    else if (new URL(url).href.length > MAX_ENDPOINT_URL_LENGTH) ctx.addIssue({ code: 'custom', input: url, message: `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters` });
  })
  .meta({
    description:
      'Where deliveries are POSTed: an https URL (http only to this machine, when the operator allows it for development), without user name, password or #fragment, ' +
      `at most ${MAX_ENDPOINT_URL_LENGTH} characters once normalised. An address on this machine, a private network or a cloud metadata service is refused with a 422 ` +
      '(the host name is resolved again before every delivery, and refused then too). The pattern shows a form that is always accepted',
    format: 'uri',
    pattern: DOCUMENTED_ENDPOINT_URL_PATTERN,
    maxLength: MAX_ENDPOINT_URL_LENGTH - 1,
  });
const Description = z.string().trim().max(200).describe('For you: what receives these events (at most 200 characters)');
const EventType = z.enum(WEBHOOK_EVENT_TYPES);
const EventTypes = z
  .array(EventType)
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length * 2)
  .transform((types) => [...new Set(types)])
  .describe(`The events it receives (repeats count once): ${WEBHOOK_EVENT_TYPES.map((type) => `${type}: ${WEBHOOK_EVENT_DESCRIPTIONS[type]}`).join('; ')}`);
const DeliveryStatus = z.enum(DELIVERY_STATUSES).describe('pending: waiting for its next attempt; delivered: a 2xx answer; failed: given up (retry window over, or the endpoint disabled)');
const DeliveryEventType = z.enum(DELIVERY_EVENT_TYPES);

const Endpoint = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string(),
    eventTypes: z.array(EventType),
    status: z.enum(['active', 'disabled']),
    disabledReason: z.string().nullable().describe('Why it is disabled: by a member, or by Linkpulse after repeated failed deliveries'),
    disabledAt: z.iso.datetime().nullable(),
    previousSecretValidUntil: z.iso
      .datetime()
      .nullable()
      .describe('After a rotation: until when deliveries also carry a signature with the previous secret (null when no previous secret is valid)'),
    health: z.object({
      state: z
        .enum(['healthy', 'failing', 'disabled', 'idle'])
        .describe('healthy: its last attempt was answered 2xx; failing: its last attempt failed or deliveries are failing in a row; disabled; idle: nothing delivered yet'),
      consecutiveFailures: z.number().int().describe('Deliveries given up in a row (a success resets it); past a limit Linkpulse disables the endpoint and mails the owner'),
      lastDelivery: z
        .object({ status: DeliveryStatus, attemptedAt: z.iso.datetime(), statusCode: z.number().int().nullable(), error: z.string().nullable() })
        .nullable()
        .describe('The newest delivery attempted: its status and its last attempt'),
      failedDeliveries: z.number().int().describe(`Failed deliveries of the last ${RECENT_DELIVERIES_DAYS} days (what "resend failed" resends)`),
      pendingDeliveries: z.number().int().describe(`Deliveries of the last ${RECENT_DELIVERIES_DAYS} days waiting for an attempt`),
    }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint' });
const Secret = z
  .string()
  .describe('The signing secret (whsec_ and base64 of 32 bytes): shown in this answer only, never again. Keep it where your receiver reads its configuration');
const Delivery = z
  .object({
    id: z.uuid(),
    eventId: z.uuid().describe('The webhook-id header of every attempt of this event: receivers deduplicate on it'),
    eventType: DeliveryEventType,
    status: DeliveryStatus,
    attempts: z.number().int(),
    nextAttemptAt: z.iso.datetime().nullable().describe('When a pending delivery is tried next (null unless pending)'),
    createdAt: z.iso.datetime(),
    deliveredAt: z.iso.datetime().nullable(),
    lastAttempt: z
      .object({ attemptedAt: z.iso.datetime(), statusCode: z.number().int().nullable(), latencyMs: z.number().int().nullable(), error: z.string().nullable() })
      .nullable(),
  })
  .meta({ id: 'WebhookDelivery' });
const Attempt = z
  .object({
    id: z.string(),
    attemptedAt: z.iso.datetime(),
    statusCode: z.number().int().nullable().describe('null when no HTTP answer came (see error)'),
    latencyMs: z.number().int(),
    error: z.string().nullable().describe('Why the attempt failed without an answer (a refused address, a timeout, a connection error), or what was wrong with it'),
    responseExcerpt: z.string().nullable().describe('The start of the answer’s body (at most 1 KiB)'),
  })
  .meta({ id: 'WebhookAttempt' });

const ProfileParams = z.strictObject({ profileId: Id });
const EndpointParams = z.strictObject({ profileId: Id, endpointId: Id });
const DeliveryParams = z.strictObject({ profileId: Id, endpointId: Id, deliveryId: Id });

export function webhookRoutes(service: WebhooksService): RouteSpec[] {
  const read = { tag: 'webhooks', access: 'user', scope: 'webhooks:read' } as const;
  const write = { tag: 'webhooks', access: 'user', scope: 'webhooks:write' } as const;
  const base = '/profiles/:profileId/webhooks';
  return [
    defineRoute({
      ...read,
      method: 'get',
      path: base,
      operationId: 'listWebhookEndpoints',
      summary: 'The profile’s webhook endpoints with their health (owners and editors)',
      params: ProfileParams,
      responses: {
        200: {
          description: 'Endpoints, oldest first',
          schema: z.object({ endpoints: z.array(Endpoint), maxEndpoints: z.number().int().describe('The most endpoints a profile may have') }),
        },
      },
      async handler({ auth, params }) {
        return { status: 200, body: { endpoints: await service.list(auth.userId, params.profileId), maxEndpoints: MAX_WEBHOOK_ENDPOINTS } };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: base,
      operationId: 'createWebhookEndpoint',
      summary: `Register an endpoint: the answer holds its signing secret, the one time it is shown (at most ${MAX_WEBHOOK_ENDPOINTS} per profile, one per URL)`,
      params: ProfileParams,
      body: z.strictObject({ url: EndpointUrl, description: Description.optional(), eventTypes: EventTypes }),
      responses: { 201: { description: 'Registered', schema: z.object({ endpoint: Endpoint, secret: Secret }) } },
      errors: ['UNPROCESSABLE'],
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.create(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      ...read,
      method: 'get',
      path: `${base}/:endpointId`,
      operationId: 'getWebhookEndpoint',
      summary: 'One endpoint with its health (never its secret)',
      params: EndpointParams,
      responses: { 200: { description: 'The endpoint', schema: Endpoint } },
      async handler({ auth, params }) {
        return { status: 200, body: await service.get(auth.userId, params.profileId, params.endpointId) };
      },
    }),
    defineRoute({
      ...write,
      method: 'patch',
      path: `${base}/:endpointId`,
      operationId: 'updateWebhookEndpoint',
      summary: 'Change the URL, description or events; enabled: false stops deliveries, true resumes them (and forgets its failures)',
      params: EndpointParams,
      body: z
        .strictObject({
          url: EndpointUrl.optional(),
          description: Description.optional(),
          eventTypes: EventTypes.optional(),
          enabled: z.boolean().optional().describe('false: disabled (pending deliveries are given up); true: active again, its failure count and reason cleared'),
        })
        .refine((changes) => Object.keys(changes).length > 0, 'send at least one field to change')
        .meta({ description: 'The changes: at least one', minProperties: 1 }),
      responses: { 200: { description: 'Changed', schema: Endpoint } },
      errors: ['UNPROCESSABLE'],
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.update(auth.userId, params.profileId, params.endpointId, body) };
      },
    }),
    defineRoute({
      ...write,
      method: 'delete',
      path: `${base}/:endpointId`,
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete an endpoint with its deliveries: nothing more is sent to it',
      params: EndpointParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId, params.endpointId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: `${base}/:endpointId/rotate-secret`,
      operationId: 'rotateWebhookSecret',
      summary: 'A new signing secret, shown in this answer only; the previous one keeps signing beside it for 24 hours, so the receiver can switch without missing a delivery',
      params: EndpointParams,
      responses: {
        200: {
          description: 'Rotated',
          schema: z.object({
            secret: Secret,
            previousSecretValidUntil: z.iso.datetime().describe('Until then each delivery carries two signatures, with the new and with the previous secret; older secrets stop now'),
          }),
        },
      },
      async handler({ auth, params }) {
        return { status: 200, body: await service.rotateSecret(auth.userId, params.profileId, params.endpointId) };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: `${base}/:endpointId/test`,
      operationId: 'sendWebhookTestEvent',
      summary: `Send a ${WEBHOOK_TEST_EVENT} event to this endpoint only, whatever it subscribes to (${TEST_EVENTS_PER_MINUTE} a minute per profile; 409 when the endpoint is disabled)`,
      params: EndpointParams,
      responses: {
        202: {
          description: 'Queued: the worker delivers it in a moment, like any event (follow it in the deliveries)',
          schema: z.object({ eventId: z.uuid(), deliveryId: z.uuid() }),
        },
      },
      errors: ['CONFLICT'],
      async handler({ auth, params }) {
        return { status: 202, body: await service.sendTestEvent(auth.userId, params.profileId, params.endpointId) };
      },
    }),
    defineRoute({
      ...read,
      method: 'get',
      path: `${base}/:endpointId/deliveries`,
      operationId: 'listWebhookDeliveries',
      summary: 'The endpoint’s deliveries, newest first, each with its last attempt',
      params: EndpointParams,
      query: z.strictObject({
        status: DeliveryStatus.optional(),
        eventType: DeliveryEventType.optional().describe('Only deliveries of this event type'),
        before: z.string().regex(DELIVERY_CURSOR_PATTERN).optional().describe('The `next` of the previous page'),
        limit: z.coerce.number().int().min(1).max(100).default(25),
      }),
      responses: {
        200: {
          description: 'A page',
          schema: z.object({ deliveries: z.array(Delivery), next: z.string().nullable().describe('Pass as `before` for the next page; null at the end') }),
        },
      },
      async handler({ auth, params, query }) {
        return { status: 200, body: await service.deliveries(auth.userId, params.profileId, params.endpointId, query) };
      },
    }),
    defineRoute({
      ...read,
      method: 'get',
      path: `${base}/:endpointId/deliveries/:deliveryId`,
      operationId: 'getWebhookDelivery',
      summary: `One delivery: its attempts (oldest first, at most the newest ${MAX_ATTEMPTS_SHOWN}) and the event it carries`,
      params: DeliveryParams,
      responses: {
        200: {
          description: 'The delivery',
          schema: z
            .object({
              delivery: Delivery,
              event: z.object({
                id: z.uuid(),
                type: DeliveryEventType,
                occurredAt: z.iso.datetime(),
                data: z.unknown().describe('The body’s "data" object, as delivered'),
              }),
              attempts: z.array(Attempt),
            })
            .meta({ id: 'WebhookDeliveryDetail' }),
        },
      },
      async handler({ auth, params }) {
        return { status: 200, body: await service.delivery(auth.userId, params.profileId, params.endpointId, params.deliveryId) };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: `${base}/:endpointId/deliveries/:deliveryId/resend`,
      operationId: 'resendWebhookDelivery',
      summary:
        `Deliver it again now, whatever its status (the same webhook-id: a receiver that already processed it recognises the duplicate); 409 when the endpoint is disabled; ${RESENDS_PER_MINUTE} a minute per page (429)`,
      params: DeliveryParams,
      responses: { 202: { description: 'Queued for an attempt now', schema: Delivery } },
      errors: ['CONFLICT'],
      async handler({ auth, params }) {
        return { status: 202, body: await service.resend(auth.userId, params.profileId, params.endpointId, params.deliveryId) };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: `${base}/:endpointId/resend-failed`,
      operationId: 'resendFailedWebhookDeliveries',
      summary: `Deliver again every failed delivery of the last ${RECENT_DELIVERIES_DAYS} days (the newest ${MAX_BULK_RESEND}), oldest first; 409 when the endpoint is disabled; ${BULK_RESENDS_PER_HOUR} times an hour per endpoint (429)`,
      params: EndpointParams,
      responses: { 202: { description: 'Queued', schema: z.object({ resent: z.number().int().describe('How many deliveries were queued (0: none had failed)') }) } },
      errors: ['CONFLICT'],
      async handler({ auth, params }) {
        return { status: 202, body: await service.resendFailed(auth.userId, params.profileId, params.endpointId) };
      },
    }),
  ];
}
