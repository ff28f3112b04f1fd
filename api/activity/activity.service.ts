// A profile's activity log for its members: who changed what and when, filtered and paged, and the
// same as CSV. People are named by their address while they are on the team ("a former member"
// after); a change made with an API token says so.
import { notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { listTeam } from '../members/members.repository.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { listActivity, type ActivityQuery, type ActivityRow } from './activity.repository.js';

export const ACTIVITY_PAGE_SIZE = 50;
export const ACTIVITY_EXPORT_LIMIT = 100_000;

export interface ActivityEntry {
  id: string;
  occurredAt: string;
  actor: { userId: string | null; email: string | null; tokenId: string | null };
  entity: ActivityRow['entity'];
  entityId: string;
  action: ActivityRow['action'];
  changes: Record<string, unknown>;
}

export function createActivityService(deps: { db: Database }) {
  const read = (userId: string, query: ActivityQuery) =>
    withUser(deps.db, userId, async (tx) => {
      if (!(await getProfile(tx, query.profileId))) throw notFound('No such profile');
      const emails = new Map((await listTeam(tx, query.profileId)).map((member) => [member.user_id, member.email]));
      return (await listActivity(tx, query)).map(
        (row): ActivityEntry => ({
          id: row.id,
          occurredAt: row.occurred_at.toISOString(),
          actor: { userId: row.actor_user_id, email: row.actor_user_id ? (emails.get(row.actor_user_id) ?? null) : null, tokenId: row.actor_token_id },
          entity: row.entity,
          entityId: row.entity_id,
          action: row.action,
          changes: row.changes,
        }),
      );
    });

  return {
    /** One page, newest first; `next` is the `before` of the following page (null at the end). */
    async page(userId: string, query: Omit<ActivityQuery, 'limit'>) {
      const entries = await read(userId, { ...query, limit: ACTIVITY_PAGE_SIZE + 1 });
      const more = entries.length > ACTIVITY_PAGE_SIZE;
      const shown = entries.slice(0, ACTIVITY_PAGE_SIZE);
      return { entries: shown, next: more ? shown.at(-1)!.id : null };
    },
    /** Every entry matching the filters (at most ACTIVITY_EXPORT_LIMIT), for the CSV. */
    all: (userId: string, query: Omit<ActivityQuery, 'limit' | 'before'>) => read(userId, { ...query, limit: ACTIVITY_EXPORT_LIMIT }),
  };
}

export type ActivityService = ReturnType<typeof createActivityService>;
