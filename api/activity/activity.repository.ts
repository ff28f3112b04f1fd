// Reads of the activity log (migrations/0014_activity_log.sql), always inside withUser(): Row-Level
// Security shows a member their profile's entries only. Newest first, paged by id (keyset).
import type { Tx } from '../../lib/postgres/tenant.js';

export interface ActivityRow {
  id: string;
  occurred_at: Date;
  actor_user_id: string | null;
  actor_token_id: string | null;
  entity: 'profile' | 'link' | 'member' | 'invitation' | 'transfer' | 'share' | 'webhook' | 'alert';
  entity_id: string;
  action: 'created' | 'updated' | 'deleted';
  changes: Record<string, unknown>;
}

export interface ActivityQuery {
  profileId: string;
  actor?: string | undefined;
  entity?: ActivityRow['entity'] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Entries older than this id (the previous page's last). */
  before?: string | undefined;
  limit: number;
}

export async function listActivity(tx: Tx, query: ActivityQuery): Promise<ActivityRow[]> {
  const conditions = ['profile_id = $1'];
  const values: unknown[] = [query.profileId];
  const add = (condition: string, value: unknown) => {
    values.push(value);
    conditions.push(condition.replace('?', `$${values.length}`));
  };
  if (query.actor) add('actor_user_id = ?', query.actor);
  if (query.entity) add('entity = ?', query.entity);
  if (query.from) add('occurred_at >= ?', query.from);
  if (query.to) add('occurred_at < ?', query.to);
  if (query.before) add('id < ?', query.before);
  values.push(query.limit);
  // Ordered by the column (a bigint), not by the text alias, which would sort "10" before "9".
  const { rows } = await tx.query<ActivityRow>(
    `SELECT id::text AS id, occurred_at, actor_user_id, actor_token_id, entity, entity_id, action, changes
       FROM activity_log WHERE ${conditions.join(' AND ')}
      ORDER BY activity_log.id DESC LIMIT $${values.length}`,
    values,
  );
  return rows;
}
