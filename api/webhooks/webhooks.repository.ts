// SQL for a profile's webhooks, always inside withUser() (RLS, migrations/0018: the profile's owners
// and editors). The app role writes an endpoint's secret and never reads it: no statement here names
// secret_encrypted outside a SET or VALUES list. A test event and its delivery are written by
// send_webhook_test_event() (0020); every other event and delivery by the worker and the triggers.
import type { Tx } from '../../lib/postgres/tenant.js';

/** The window of "recent" deliveries: what the health counts cover and "resend all failed" reaches. */
export const RECENT_DELIVERIES_DAYS = 7;

export interface EndpointRow {
  id: string;
  url: string;
  description: string;
  event_types: string[];
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  disabled_at: Date | null;
  consecutive_failures: number;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
  /** The newest delivery with an attempt: its status and its last attempt. */
  last_delivery_status: 'pending' | 'delivered' | 'failed' | null;
  last_attempted_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  failed_recently: number;
  pending_recently: number;
}

const ENDPOINT_COLUMNS =
  'e.id, e.url, e.description, e.event_types, e.status, e.disabled_reason, e.disabled_at, e.consecutive_failures, e.previous_secret_expires_at, e.created_at, e.updated_at';

// Both laterals walk the endpoint's deliveries newest first (webhook_deliveries_by_endpoint) and stop
// at the window's edge or the first attempted delivery, so an endpoint's history does not slow the list.
const WITH_HEALTH = `
  SELECT ${ENDPOINT_COLUMNS},
         last.status AS last_delivery_status, last.attempted_at AS last_attempted_at, last.status_code AS last_status_code, last.error AS last_error,
         coalesce(recent.failed, 0) AS failed_recently, coalesce(recent.pending, 0) AS pending_recently
    FROM webhook_endpoints e
    LEFT JOIN LATERAL (
      SELECT d.status, a.attempted_at, a.status_code, a.error
        FROM webhook_deliveries d
        JOIN LATERAL (SELECT attempted_at, status_code, error FROM webhook_attempts WHERE delivery_id = d.id ORDER BY attempted_at DESC, id DESC LIMIT 1) a ON true
       WHERE d.endpoint_id = e.id AND d.attempts > 0
       ORDER BY d.created_at DESC
       LIMIT 1
    ) last ON true
    LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE d.status = 'failed')::int AS failed, count(*) FILTER (WHERE d.status = 'pending')::int AS pending
        FROM webhook_deliveries d
       WHERE d.endpoint_id = e.id AND d.created_at > now() - interval '${RECENT_DELIVERIES_DAYS} days'
    ) recent ON true`;

export async function listEndpoints(tx: Tx, profileId: string): Promise<EndpointRow[]> {
  return (await tx.query<EndpointRow>(`${WITH_HEALTH} WHERE e.profile_id = $1 ORDER BY e.created_at, e.id`, [profileId])).rows;
}

export async function getEndpoint(tx: Tx, profileId: string, endpointId: string): Promise<EndpointRow | undefined> {
  return (await tx.query<EndpointRow>(`${WITH_HEALTH} WHERE e.profile_id = $1 AND e.id = $2`, [profileId, endpointId])).rows[0];
}

export async function countEndpoints(tx: Tx, profileId: string): Promise<number> {
  return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints WHERE profile_id = $1', [profileId])).rows[0]!.n;
}

/** Whether another endpoint of the profile has this URL. */
export async function hasEndpointAt(tx: Tx, profileId: string, url: string, exceptId?: string): Promise<boolean> {
  const { rowCount } = await tx.query('SELECT 1 FROM webhook_endpoints WHERE profile_id = $1 AND url = $2 AND id IS DISTINCT FROM $3', [profileId, url, exceptId ?? null]);
  return (rowCount ?? 0) > 0;
}

export async function insertEndpoint(
  tx: Tx,
  endpoint: { profileId: string; url: string; description: string; eventTypes: readonly string[]; sealedSecret: Buffer; createdBy: string },
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO webhook_endpoints (profile_id, url, description, event_types, secret_encrypted, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [endpoint.profileId, endpoint.url, endpoint.description, endpoint.eventTypes, endpoint.sealedSecret, endpoint.createdBy],
  );
  return rows[0]!.id;
}

export interface EndpointChanges {
  url?: string | undefined;
  description?: string | undefined;
  eventTypes?: readonly string[] | undefined;
  /** true: active again, its failure count and reason cleared; false: disabled, with this reason. */
  enabled?: { enabled: true } | { enabled: false; reason: string } | undefined;
}

/** Changes the given fields; false when there is no such endpoint. A new URL starts with no failures. */
export async function updateEndpoint(tx: Tx, profileId: string, endpointId: string, changes: EndpointChanges): Promise<boolean> {
  const sets: string[] = [];
  const values: unknown[] = [profileId, endpointId];
  const set = (column: string, value: unknown) => {
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  if (changes.url !== undefined) set('url', changes.url);
  const urlParameter = values.length;
  if (changes.description !== undefined) set('description', changes.description);
  if (changes.eventTypes !== undefined) set('event_types', changes.eventTypes);
  if (changes.enabled?.enabled === true) {
    sets.push("status = 'active'", 'disabled_reason = NULL', 'disabled_at = NULL', 'consecutive_failures = 0');
  } else if (changes.url !== undefined) {
    // Failures counted against the old address say nothing about the new one.
    sets.push(`consecutive_failures = CASE WHEN url IS DISTINCT FROM $${urlParameter} THEN 0 ELSE consecutive_failures END`);
  }
  if (changes.enabled?.enabled === false) {
    values.push(changes.enabled.reason);
    // Disabling a disabled endpoint keeps the first reason and time (the worker's, if it was the worker).
    sets.push(
      `disabled_reason = CASE WHEN status = 'disabled' THEN disabled_reason ELSE $${values.length} END`,
      "disabled_at = CASE WHEN status = 'disabled' THEN disabled_at ELSE now() END",
      "status = 'disabled'",
    );
  }
  if (sets.length === 0) return (await tx.query('SELECT 1 FROM webhook_endpoints WHERE profile_id = $1 AND id = $2', values)).rowCount === 1;
  return (await tx.query(`UPDATE webhook_endpoints SET ${sets.join(', ')} WHERE profile_id = $1 AND id = $2`, values)).rowCount === 1;
}

/** Replaces the secret (the rotation trigger keeps the old one valid for a while); until when the old one works, or undefined when there is no such endpoint. */
export async function replaceSecret(tx: Tx, profileId: string, endpointId: string, sealedSecret: Buffer): Promise<Date | undefined> {
  const { rows } = await tx.query<{ previous_secret_expires_at: Date }>(
    'UPDATE webhook_endpoints SET secret_encrypted = $3 WHERE profile_id = $1 AND id = $2 RETURNING previous_secret_expires_at',
    [profileId, endpointId, sealedSecret],
  );
  return rows[0]?.previous_secret_expires_at;
}

export async function deleteEndpoint(tx: Tx, profileId: string, endpointId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM webhook_endpoints WHERE profile_id = $1 AND id = $2', [profileId, endpointId])).rowCount === 1;
}

/** A webhook.test event with its one delivery to this endpoint; undefined when the function refused (no such active endpoint for the caller). */
export async function insertTestEvent(tx: Tx, endpointId: string, data: Record<string, unknown>): Promise<{ event_id: string; delivery_id: string } | undefined> {
  return (await tx.query<{ event_id: string; delivery_id: string }>('SELECT event_id, delivery_id FROM send_webhook_test_event($1, $2)', [endpointId, JSON.stringify(data)])).rows[0];
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
  /** created_at in microseconds since the epoch, exact: the page cursor. */
  created_us: string;
  last_attempted_at: Date | null;
  last_status_code: number | null;
  last_latency_ms: number | null;
  last_error: string | null;
}

const DELIVERY_COLUMNS = `d.id, d.event_id, ev.type AS event_type, d.status, d.attempts, d.next_attempt_at, d.created_at, d.delivered_at,
  (extract(epoch FROM d.created_at) * 1000000)::bigint::text AS created_us,
  la.attempted_at AS last_attempted_at, la.status_code AS last_status_code, la.latency_ms AS last_latency_ms, la.error AS last_error`;
const DELIVERY_FROM = `webhook_deliveries d
  JOIN webhook_events ev ON ev.id = d.event_id
  LEFT JOIN LATERAL (SELECT attempted_at, status_code, latency_ms, error FROM webhook_attempts WHERE delivery_id = d.id ORDER BY attempted_at DESC, id DESC LIMIT 1) la ON true`;

export interface DeliveryFilters {
  status?: string | undefined;
  eventType?: string | undefined;
  /** The page starts after this delivery (newest first): created_at in microseconds, and the id. */
  before?: { createdUs: string; id: string } | undefined;
  limit: number;
}

/** A page of the endpoint's deliveries, newest first, one more than the limit when there are more. */
export async function listDeliveries(tx: Tx, profileId: string, endpointId: string, filters: DeliveryFilters): Promise<DeliveryRow[]> {
  const values: unknown[] = [profileId, endpointId];
  const where = ['d.profile_id = $1', 'd.endpoint_id = $2'];
  if (filters.status !== undefined) {
    values.push(filters.status);
    where.push(`d.status = $${values.length}`);
  }
  if (filters.eventType !== undefined) {
    values.push(filters.eventType);
    where.push(`ev.type = $${values.length}`);
  }
  if (filters.before !== undefined) {
    values.push(`${filters.before.createdUs} microseconds`, filters.before.id);
    where.push(`(d.created_at, d.id) < (timestamptz 'epoch' + $${values.length - 1}::interval, $${values.length}::uuid)`);
  }
  values.push(filters.limit + 1);
  const { rows } = await tx.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM ${DELIVERY_FROM} WHERE ${where.join(' AND ')} ORDER BY d.created_at DESC, d.id DESC LIMIT $${values.length}`,
    values,
  );
  return rows;
}

export interface DeliveryDetailRow extends DeliveryRow {
  event_data: unknown;
  event_occurred_at: Date;
}

export async function getDelivery(tx: Tx, profileId: string, endpointId: string, deliveryId: string): Promise<DeliveryDetailRow | undefined> {
  const { rows } = await tx.query<DeliveryDetailRow>(
    `SELECT ${DELIVERY_COLUMNS}, ev.data AS event_data, ev.occurred_at AS event_occurred_at FROM ${DELIVERY_FROM}
      WHERE d.profile_id = $1 AND d.endpoint_id = $2 AND d.id = $3`,
    [profileId, endpointId, deliveryId],
  );
  return rows[0];
}

export interface AttemptRow {
  id: string;
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

/** A delivery's attempts, oldest first (at most `limit`, the newest ones). */
export async function listAttempts(tx: Tx, deliveryId: string, limit: number): Promise<AttemptRow[]> {
  const { rows } = await tx.query<AttemptRow>(
    `SELECT * FROM (
       SELECT id::text, attempted_at, status_code, latency_ms, error, response_excerpt FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempted_at DESC, id DESC LIMIT $2
     ) newest ORDER BY attempted_at, id::bigint`,
    [deliveryId, limit],
  );
  return rows;
}

/** Queues the delivery for an attempt now (the worker takes pending deliveries whose time has come); false when there is no such delivery. */
export async function requeueDelivery(tx: Tx, profileId: string, endpointId: string, deliveryId: string): Promise<boolean> {
  const { rowCount } = await tx.query("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() WHERE profile_id = $1 AND endpoint_id = $2 AND id = $3", [
    profileId,
    endpointId,
    deliveryId,
  ]);
  return rowCount === 1;
}

/**
 * Queues the endpoint's failed deliveries of the last RECENT_DELIVERIES_DAYS (the newest `limit`)
 * again, a millisecond apart in the order they were made, so a receiver gets them oldest first.
 */
export async function requeueFailedDeliveries(tx: Tx, profileId: string, endpointId: string, limit: number): Promise<number> {
  const { rowCount } = await tx.query(
    `WITH chosen AS (
       SELECT id, row_number() OVER (ORDER BY created_at, id) AS n
         FROM (SELECT id, created_at FROM webhook_deliveries
                WHERE profile_id = $1 AND endpoint_id = $2 AND status = 'failed' AND created_at > now() - interval '${RECENT_DELIVERIES_DAYS} days'
                ORDER BY created_at DESC, id DESC LIMIT $3) newest
     )
     UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now() + (chosen.n - 1) * interval '1 millisecond'
       FROM chosen WHERE d.id = chosen.id`,
    [profileId, endpointId, limit],
  );
  return rowCount ?? 0;
}
