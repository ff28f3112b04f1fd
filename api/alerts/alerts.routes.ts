// /api/v1/profiles/:profileId/alerts: a profile's alert rules (owners and editors change them, every
// member reads them), the history of their firings, and each member's choice to receive their mail.
// The scheduler's `alerts` job judges them (docs/architecture.md, "Alerts").
import { z } from 'zod';
import { ALERT_CHANNELS, ALERT_KINDS, CTR_DROP, SPIKE } from '../../lib/alerts/alert-rules.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id } from '../http/schemas.js';
import { FIRINGS_PAGE_SIZE, type AlertsService } from './alerts.service.js';

const Kind = z.enum(ALERT_KINDS).describe('traffic_spike, ctr_drop (a link’s click-through rate) or star_milestone (a GitHub card’s stars)');
const Channels = z
  .array(z.enum(ALERT_CHANNELS))
  .min(1)
  .max(ALERT_CHANNELS.length * 2)
  .transform((channels) => [...new Set(channels)])
  .describe(
    'How it is delivered (repeats count once): mail (to the members who receive this page’s alert mail: the owner unless they opt out, others once they opt in) and/or webhook (the alert.triggered event, to the page’s endpoints subscribed to it)',
  );
const Enabled = z.boolean().describe('Whether the alert is judged at all');
const Factor = z
  .number()
  .min(SPIKE.factor.min)
  .max(SPIKE.factor.max)
  .multipleOf(SPIKE.factor.step)
  .describe(`How many times the hour’s usual views (the median of the same hour over the last ${SPIKE.baselineDays} days) an hour must exceed`);
const MinViews = z
  .int()
  .min(SPIKE.minViews.min)
  .max(SPIKE.minViews.max)
  .describe('The floor: a traffic spike needs at least this many views in the hour; a click-through drop at least this many page views in the last 24 hours and in the 7 days before');
const DropPercent = z
  .int()
  .min(CTR_DROP.dropPercent.min)
  .max(CTR_DROP.dropPercent.max)
  .describe('How much lower (in per cent) a link’s clicks per page view over the last 24 hours must be than over the 7 days before; the drop must also be statistically significant');

const NewRule = z
  .discriminatedUnion('kind', [
    z.strictObject({
      kind: z.literal('traffic_spike'),
      factor: Factor.optional().describe(`Default ${SPIKE.factor.default}`),
      minViews: MinViews.optional().describe(`Default ${SPIKE.minViews.default}`),
      enabled: Enabled.optional(),
      channels: Channels.optional().describe('Default: mail'),
    }),
    z.strictObject({
      kind: z.literal('ctr_drop'),
      linkId: Id.nullable().optional().describe('One link of the page (its alert overrides the one for every link), or null (the default) for every link'),
      dropPercent: DropPercent.optional().describe(`Default ${CTR_DROP.dropPercent.default}`),
      minViews: MinViews.optional().describe(`Default ${CTR_DROP.minViews.default}`),
      enabled: Enabled.optional(),
      channels: Channels.optional().describe('Default: mail'),
    }),
    z.strictObject({ kind: z.literal('star_milestone'), enabled: Enabled.optional(), channels: Channels.optional().describe('Default: mail') }),
  ])
  .describe(
    `One traffic spike and one star milestone alert per page; click-through alerts for every link and for single links, at most ${CTR_DROP.maxRulesPerProfile} (409 beyond, or for a second one of a kind)`,
  );

const RuleChanges = z
  .strictObject({
    enabled: Enabled.optional(),
    channels: Channels.optional(),
    factor: Factor.optional().describe('Traffic spike alerts only (409 for another kind)'),
    minViews: MinViews.optional().describe('Traffic spike and click-through alerts only (409 for a star milestone alert)'),
    dropPercent: DropPercent.optional().describe('Click-through alerts only (409 for another kind)'),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'send at least one field to change')
  .meta({ description: 'The changes: at least one', minProperties: 1 });

const Common = {
  id: z.uuid(),
  enabled: z.boolean(),
  channels: z.array(z.enum(ALERT_CHANNELS)),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
};
const AlertRule = z
  .discriminatedUnion('kind', [
    z.object({ ...Common, kind: z.literal('traffic_spike'), factor: z.number(), minViews: z.int() }),
    z.object({ ...Common, kind: z.literal('ctr_drop'), linkId: z.uuid().nullable().describe('null: every link'), dropPercent: z.int(), minViews: z.int() }),
    z.object({ ...Common, kind: z.literal('star_milestone') }),
  ])
  .meta({ id: 'AlertRule' });

const Traffic = z.object({ hours: z.int(), views: z.int(), clicks: z.int(), clicksPerView: z.number() });
const AlertDetails = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('traffic_spike'),
      views: z.int().describe('Views in the hour (so far, unless hourComplete)'),
      usualViews: z.number().describe('The median views of the same hour of the day over the baseline days'),
      ratio: z.number().nullable().describe('views / usualViews; null when the hour usually has none'),
      factor: z.number(),
      minViews: z.int(),
      hourComplete: z.boolean(),
      baselineDays: z.int(),
    }),
    z.object({
      kind: z.literal('ctr_drop'),
      linkId: z.uuid(),
      recent: Traffic,
      baseline: Traffic,
      dropPercent: z.number(),
      thresholdPercent: z.int(),
      minViews: z.int(),
      z: z.number().describe('The drop’s z score (one-sided test of two Poisson rates; alerts fire from 1.645)'),
    }),
    z.object({
      kind: z.literal('star_milestone'),
      repository: z.object({ id: z.string(), fullName: z.string(), url: z.string() }),
      stars: z.int(),
      milestone: z.int(),
    }),
  ])
  .meta({ id: 'AlertDetails', description: 'The figures behind a firing, as the alert.triggered webhook event’s data.details' });
const AlertFiring = z
  .object({
    id: z.uuid(),
    alertId: z.uuid().nullable().describe('null once the alert was deleted'),
    kind: Kind,
    firedAt: z.iso.datetime(),
    windowStart: z.iso.datetime().nullable(),
    windowEnd: z.iso.datetime().nullable(),
    title: z.string(),
    summary: z.string(),
    details: AlertDetails,
    webhook: z.enum(['not_requested', 'enqueued', 'no_endpoint']).describe('no_endpoint: no active endpoint subscribed to alert.triggered when it fired'),
    mail: z.enum(['not_requested', 'pending', 'sent', 'no_recipients', 'failed']),
  })
  .meta({ id: 'AlertFiring' });
const AlertsOverview = z
  .object({
    rules: z.array(AlertRule),
    canEdit: z.boolean().describe('Whether you may change them (owners and editors)'),
    mail: z.object({
      youReceive: z.boolean(),
      recipients: z.array(z.object({ userId: z.uuid(), email: z.string(), role: z.string() })).describe('The members who receive this page’s alert mail'),
    }),
    webhookEndpoints: z.int().nullable().describe('Active webhook endpoints subscribed to alert.triggered (0: the webhook channel reaches nobody); null for analysts and viewers'),
  })
  .meta({ id: 'AlertsOverview' });

const ProfileParams = z.strictObject({ profileId: Id });
const RuleParams = z.strictObject({ profileId: Id, alertId: Id });

export function alertRoutes(service: AlertsService): RouteSpec[] {
  const read = { tag: 'alerts', access: 'user', scope: 'profiles:read' } as const;
  const write = { tag: 'alerts', access: 'user', scope: 'profiles:write' } as const;
  return [
    defineRoute({
      ...read,
      method: 'get',
      path: '/profiles/:profileId/alerts',
      operationId: 'listAlerts',
      summary: 'The page’s alerts, who receives their mail, and whether a webhook endpoint listens (every member)',
      params: ProfileParams,
      responses: { 200: { description: 'The alerts', schema: AlertsOverview } },
      async handler({ auth, params }) {
        return { status: 200, body: await service.overview(auth.userId, params.profileId) };
      },
    }),
    defineRoute({
      ...write,
      method: 'post',
      path: '/profiles/:profileId/alerts',
      operationId: 'createAlert',
      summary: 'Add an alert (owners and editors)',
      params: ProfileParams,
      body: NewRule,
      responses: { 201: { description: 'Added', schema: AlertRule } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.create(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      ...write,
      method: 'patch',
      path: '/profiles/:profileId/alerts/:alertId',
      operationId: 'updateAlert',
      summary: 'Turn an alert on or off, or change its channels or thresholds (owners and editors)',
      params: RuleParams,
      body: RuleChanges,
      responses: { 200: { description: 'Changed', schema: AlertRule } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.update(auth.userId, params.profileId, params.alertId, body) };
      },
    }),
    defineRoute({
      ...write,
      method: 'delete',
      path: '/profiles/:profileId/alerts/:alertId',
      operationId: 'deleteAlert',
      summary: 'Delete an alert (owners and editors); its past firings stay in the history',
      params: RuleParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId, params.alertId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...read,
      method: 'get',
      path: '/profiles/:profileId/alerts/firings',
      operationId: 'listAlertFirings',
      summary: `What the page’s alerts reported, newest first, ${FIRINGS_PAGE_SIZE} a page (every member)`,
      params: ProfileParams,
      query: z.strictObject({
        before: Id.optional().describe('The `next` of the previous page'),
        alertId: Id.optional().describe('Only this alert’s firings'),
        kind: Kind.optional().describe('Only firings of this kind'),
      }),
      responses: {
        200: { description: 'A page', schema: z.object({ firings: z.array(AlertFiring), next: z.uuid().nullable().describe('Pass as `before` for the next page; null at the end') }) },
      },
      async handler({ auth, params, query }) {
        return { status: 200, body: await service.firings(auth.userId, params.profileId, query) };
      },
    }),
    defineRoute({
      ...write,
      method: 'put',
      path: '/profiles/:profileId/alerts/mail',
      operationId: 'setAlertMail',
      summary: 'Whether you receive this page’s alert mail (every member decides for themselves; the owner receives it unless they turn it off)',
      params: ProfileParams,
      body: z.strictObject({ receive: z.boolean() }),
      responses: { 200: { description: 'Your choice', schema: z.object({ youReceive: z.boolean() }) } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.setMail(auth.userId, params.profileId, body.receive) };
      },
    }),
  ];
}
