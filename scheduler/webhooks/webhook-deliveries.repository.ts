// All SQL of the webhook worker, as linkpulse_scheduler (migrations/0018_webhooks.sql).
//
// Claims are leases: claiming a delivery sets locked_until and counts the attempt (attempts + 1) in one
// statement (FOR UPDATE SKIP LOCKED), so worker processes never take the same delivery at once, and a
// claim whose worker died lapses and is taken again. The attempt count doubles as a fence: a result is
// applied only while the delivery still has the count its claim gave it, so a worker that outlived its
// lease records its attempt but cannot overwrite the state another worker owns now.
import type { Database, DbClient } from '../../lib/postgres/database.js';
import type { AttemptResult } from './send-webhook.js';

export interface ClaimedDelivery {
  id: string;
  eventId: string;
  endpointId: string;
  profileId: string;
  /** Attempts including this one. */
  attempts: number;
  createdAt: Date;
  url: string;
  secretEncrypted: Buffer;
  /** Set while a rotation's overlap lasts: deliveries carry a signature with it too. */
  previousSecretEncrypted: Buffer | null;
  type: string;
  data: unknown;
  occurredAt: Date;
}

/** Makes the deliveries of up to `limit` new events: one per endpoint active and subscribed now. Returns the events fanned out. */
export async function fanOutEvents(db: Database, limit: number): Promise<{ events: number; deliveries: number }> {
  const { rows } = await db.query<{ events: number; deliveries: number }>(
    `WITH batch AS (
       SELECT id, profile_id, type FROM webhook_events WHERE fanned_out_at IS NULL ORDER BY occurred_at LIMIT $1 FOR UPDATE SKIP LOCKED
     ), made AS (
       INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id)
       SELECT b.id, e.id, b.profile_id
         FROM batch b JOIN webhook_endpoints e ON e.profile_id = b.profile_id AND e.status = 'active' AND b.type = ANY (e.event_types)
       ON CONFLICT (endpoint_id, event_id) DO NOTHING
       RETURNING 1
     ), marked AS (
       UPDATE webhook_events SET fanned_out_at = now() WHERE id IN (SELECT id FROM batch) RETURNING 1
     )
     SELECT (SELECT count(*) FROM marked)::int AS events, (SELECT count(*) FROM made)::int AS deliveries`,
    [limit],
  );
  return rows[0]!;
}

export interface ClaimOptions {
  limit: number;
  /** Most deliveries of one endpoint in flight in this process. */
  perEndpoint: number;
  /** Deliveries this process has in flight per endpoint. */
  busy: ReadonlyMap<string, number>;
  leaseMs: number;
}

/**
 * Claims due deliveries of active endpoints, round-robin: every endpoint's oldest due delivery before
 * any endpoint's second, and no endpoint beyond its free slots, so a slow or flooded endpoint never
 * takes the others' turn.
 */
export async function claimDueDeliveries(db: Database, options: ClaimOptions): Promise<ClaimedDelivery[]> {
  const { rows } = await db.query<{
    id: string;
    event_id: string;
    endpoint_id: string;
    profile_id: string;
    attempts: number;
    created_at: Date;
    url: string;
    secret_encrypted: Buffer;
    previous_secret_encrypted: Buffer | null;
    type: string;
    data: unknown;
    occurred_at: Date;
  }>(
    `WITH candidates AS (
       SELECT d.id
         FROM webhook_endpoints e
         CROSS JOIN LATERAL (
           SELECT c.id, c.next_attempt_at, row_number() OVER (ORDER BY c.next_attempt_at, c.id) AS rank
             FROM webhook_deliveries c
            WHERE c.endpoint_id = e.id AND c.status = 'pending' AND c.next_attempt_at <= now()
              AND (c.locked_until IS NULL OR c.locked_until <= now())
            ORDER BY c.next_attempt_at, c.id
            LIMIT $2
         ) d
        WHERE e.status = 'active'
          AND d.rank <= $2 - coalesce((SELECT b.n FROM unnest($3::uuid[], $4::int[]) AS b(id, n) WHERE b.id = e.id), 0)
        ORDER BY d.rank, d.next_attempt_at
        LIMIT $1
     ), claimed AS (
       UPDATE webhook_deliveries d SET locked_until = now() + $5 * interval '1 millisecond', attempts = d.attempts + 1
        WHERE d.id IN (SELECT w.id FROM webhook_deliveries w
                        WHERE w.id IN (SELECT id FROM candidates) AND w.status = 'pending' AND (w.locked_until IS NULL OR w.locked_until <= now())
                        FOR UPDATE SKIP LOCKED)
       RETURNING d.id, d.event_id, d.endpoint_id, d.profile_id, d.attempts, d.created_at
     )
     SELECT c.*, e.url, e.secret_encrypted,
            CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret_encrypted END AS previous_secret_encrypted,
            ev.type, ev.data, ev.occurred_at
       FROM claimed c
       JOIN webhook_endpoints e ON e.id = c.endpoint_id
       JOIN webhook_events ev ON ev.id = c.event_id`,
    [options.limit, options.perEndpoint, [...options.busy.keys()], [...options.busy.values()], options.leaseMs],
  );
  return rows.map((row) => ({
    id: row.id,
    eventId: row.event_id,
    endpointId: row.endpoint_id,
    profileId: row.profile_id,
    attempts: row.attempts,
    createdAt: row.created_at,
    url: row.url,
    secretEncrypted: row.secret_encrypted,
    previousSecretEncrypted: row.previous_secret_encrypted,
    type: row.type,
    data: row.data,
    occurredAt: row.occurred_at,
  }));
}

export interface RecordSettings {
  /** When to try again if this attempt failed and the delivery is not given up. */
  retryDelayMs: number;
  /** A failed attempt of a delivery at least this old gives it up. */
  windowMs: number;
  /** Deliveries given up in a row (not counting resends) that disable their endpoint. */
  disableAfter: number;
}

export type RecordedOutcome = 'delivered' | 'retrying' | 'failed' | 'superseded';

export interface Recorded {
  outcome: RecordedOutcome;
  /** Set when this attempt disabled the endpoint (by this worker only: it tells the owner). */
  disabled?: { reason: string };
}

/** Records one attempt and applies its result to the delivery (and, after a give-up, to its endpoint). */
export async function recordAttempt(db: Database, delivery: ClaimedDelivery, result: AttemptResult, settings: RecordSettings): Promise<Recorded> {
  if (result.ok) {
    // The common case in one statement (one round trip, atomic): the attempt, the delivery, the endpoint's count.
    const { rows } = await db.query<{ attempts: number; delivered: number }>(
      `WITH attempt AS (
         INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms, error_class, error, response_excerpt)
         SELECT id, profile_id, $3, $4, NULL, NULL, $5 FROM webhook_deliveries WHERE id = $1
         RETURNING 1
       ), delivered AS (
         UPDATE webhook_deliveries SET status = 'delivered', delivered_at = now(), locked_until = NULL
          WHERE id = $1 AND attempts = $2 AND status = 'pending'
         RETURNING 1
       ), reset AS (
         UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $6 AND consecutive_failures <> 0 AND EXISTS (SELECT 1 FROM delivered)
       )
       SELECT (SELECT count(*) FROM attempt)::int AS attempts, (SELECT count(*) FROM delivered)::int AS delivered`,
      [delivery.id, delivery.attempts, result.statusCode, result.latencyMs, result.responseExcerpt, delivery.endpointId],
    );
    return { outcome: rows[0]!.delivered === 1 ? 'delivered' : 'superseded' };
  }
  return db.transaction(async (tx) => {
    // The delivery may be gone (its endpoint deleted meanwhile): then there is nothing to record.
    const inserted = await tx.query(
      `INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms, error_class, error, response_excerpt)
       SELECT id, profile_id, $2, $3, $4, $5, $6 FROM webhook_deliveries WHERE id = $1`,
      [delivery.id, result.statusCode, result.latencyMs, result.errorClass, result.error, result.responseExcerpt],
    );
    if (inserted.rowCount === 0) return { outcome: 'superseded' };
    const { rows } = await tx.query<{ status: 'pending' | 'failed'; resent: boolean }>(
      `UPDATE webhook_deliveries
          SET status = CASE WHEN $3 OR created_at + $4 * interval '1 millisecond' <= now() THEN 'failed' ELSE 'pending' END,
              next_attempt_at = now() + $5 * interval '1 millisecond',
              locked_until = NULL
        WHERE id = $1 AND attempts = $2 AND status = 'pending'
       RETURNING status, resent_at IS NOT NULL AS resent`,
      [delivery.id, delivery.attempts, result.gone, settings.windowMs, settings.retryDelayMs],
    );
    const updated = rows[0];
    if (!updated) return { outcome: 'superseded' };
    if (updated.status === 'pending') return { outcome: 'retrying' };
    if (result.gone) {
      const disabled = await disableEndpoint(tx, delivery.endpointId, `The receiver answered 410 Gone, asking for no more deliveries. Fix or replace the URL, then enable the endpoint again.`);
      return disabled ? { outcome: 'failed', disabled } : { outcome: 'failed' };
    }
    // A resend that fails was given up once already: it does not count twice.
    if (updated.resent) return { outcome: 'failed' };
    const { rows: counted } = await tx.query<{ consecutive_failures: number }>(
      "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1 WHERE id = $1 AND status = 'active' RETURNING consecutive_failures",
      [delivery.endpointId],
    );
    if ((counted[0]?.consecutive_failures ?? 0) < settings.disableAfter) return { outcome: 'failed' };
    const hours = Math.round(settings.windowMs / 3_600_000);
    const disabled = await disableEndpoint(
      tx,
      delivery.endpointId,
      `${settings.disableAfter} deliveries in a row failed${hours >= 1 ? `, each retried for over ${hours} hours` : ''}. Last attempt: ${result.error ?? 'failed'}`.slice(0, 300),
    );
    return disabled ? { outcome: 'failed', disabled } : { outcome: 'failed' };
  });
}

/** Disables an active endpoint and gives up its pending deliveries; undefined when it was not active. */
async function disableEndpoint(tx: DbClient, endpointId: string, reason: string): Promise<{ reason: string } | undefined> {
  const { rowCount } = await tx.query(
    "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $2, disabled_at = now() WHERE id = $1 AND status = 'active'",
    [endpointId, reason],
  );
  if (rowCount === 0) return undefined;
  await tx.query("UPDATE webhook_deliveries SET status = 'failed', locked_until = NULL WHERE endpoint_id = $1 AND status = 'pending'", [endpointId]);
  return { reason };
}

/**
 * Gives up pending deliveries of disabled endpoints: those pending when a creator disabled the
 * endpoint, and resends asked for while it is disabled. Returns how many.
 */
export async function failDeliveriesOfDisabledEndpoints(db: Database): Promise<number> {
  const { rowCount } = await db.query(
    `UPDATE webhook_deliveries SET status = 'failed', locked_until = NULL
      WHERE status = 'pending' AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE status = 'disabled')
        AND (locked_until IS NULL OR locked_until <= now())`,
  );
  return rowCount ?? 0;
}

/** The profile owner's address and the page's handle, for the mail about a disabled endpoint. */
export async function disabledEndpointOwner(db: Database, endpointId: string): Promise<{ email: string; handle: string } | undefined> {
  const { rows } = await db.query<{ email: string; handle: string }>('SELECT email, handle FROM webhook_disabled_endpoint_owner($1)', [endpointId]);
  return rows[0];
}

export interface WebhookBacklog {
  /** Pending deliveries whose next attempt is due. */
  due: number;
  /** Pending deliveries waiting for a later retry. */
  waiting: number;
  /** How long the oldest due delivery has been due, in seconds (0 when none is). */
  oldestDueSeconds: number;
}

export async function readBacklog(db: Database): Promise<WebhookBacklog> {
  const { rows } = await db.query<{ due: number; waiting: number; oldest: number | null }>(
    `SELECT count(*) FILTER (WHERE next_attempt_at <= now())::int AS due,
            count(*) FILTER (WHERE next_attempt_at > now())::int AS waiting,
            extract(epoch FROM now() - min(next_attempt_at) FILTER (WHERE next_attempt_at <= now()))::float8 AS oldest
       FROM webhook_deliveries WHERE status = 'pending'`,
  );
  const row = rows[0]!;
  return { due: row.due, waiting: row.waiting, oldestDueSeconds: Math.max(0, row.oldest ?? 0) };
}
