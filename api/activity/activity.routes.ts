// /api/v1/profiles/:profileId/activity: the profile's activity log (every member reads it), as pages
// of JSON or as one CSV file.
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, Instant } from '../http/schemas.js';
import { ACTIVITY_CSV_COLUMNS, formatRows } from '../../lib/export-format.js';
import type { ActivityService } from './activity.service.js';

const Entity = z.enum(['profile', 'link', 'member', 'invitation', 'transfer', 'share', 'webhook', 'alert']);
const Filters = z.strictObject({
  actor: Id.optional().describe('Only changes by this user'),
  entity: Entity.optional().describe('Only changes to this kind of thing'),
  from: Instant.optional().describe('From this instant (inclusive)'),
  to: Instant.optional().describe('Until this instant (exclusive)'),
});
const Entry = z
  .object({
    id: z.string(),
    occurredAt: z.iso.datetime(),
    actor: z.object({
      userId: z.uuid().nullable().describe('null: a change made by Linkpulse itself'),
      email: z.string().nullable().describe('The member’s address; null once they left the team'),
      tokenId: z.uuid().nullable().describe('The API token used, if one was'),
    }),
    entity: Entity,
    entityId: z.string(),
    action: z.enum(['created', 'updated', 'deleted']),
    changes: z.record(z.string(), z.unknown()).describe('created / deleted: the fields; updated: { field: { before, after } } for each changed field'),
  })
  .meta({ id: 'ActivityEntry' });


export function activityRoutes(service: ActivityService): RouteSpec[] {
  const common = { tag: 'activity', access: 'user', scope: 'profiles:read', params: z.strictObject({ profileId: Id }) } as const;
  return [
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/activity',
      operationId: 'listActivity',
      summary: 'The activity log of a profile you are a member of: every change, newest first, 50 a page',
      query: Filters.extend({ before: z.string().regex(/^\d{1,19}$/).optional().describe('The `next` of the previous page') }),
      responses: { 200: { description: 'A page', schema: z.object({ entries: z.array(Entry), next: z.string().nullable().describe('Pass as `before` for the next page; null at the end') }) } },
      async handler({ auth, params, query }) {
        return { status: 200, body: await service.page(auth.userId, { profileId: params.profileId, ...query }) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/activity/export',
      operationId: 'exportActivity',
      summary: 'The activity log as CSV (the same filters), newest first',
      query: Filters,
      responses: { 200: { description: 'The file', contentTypes: ['text/csv'] } },
      async handler({ auth, params, query }) {
        const entries = await service.all(auth.userId, { profileId: params.profileId, ...query });
        const rows = entries.map((entry) => ({
          occurred_at: entry.occurredAt,
          actor_email: entry.actor.email,
          actor_user_id: entry.actor.userId,
          actor_token_id: entry.actor.tokenId,
          entity: entry.entity,
          entity_id: entry.entityId,
          action: entry.action,
          changes: entry.changes,
        }));
        return {
          status: 200,
          headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="activity-${params.profileId}.csv"` },
          stream: formatRows((async function* single() {
            yield rows;
          })(), ACTIVITY_CSV_COLUMNS, 'csv'),
        };
      },
    }),
  ];
}
