// Drops webhook history older than WEBHOOK_HISTORY_DAYS (30): events whose deliveries are all finished,
// with their deliveries and attempts (ON DELETE CASCADE). In batches, so one run never holds a long
// lock; idempotent. An event with a delivery still pending (a late resend) stays until it is finished.
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';

/** How long events, deliveries and their attempts stay visible on the dashboard. */
export const WEBHOOK_HISTORY_DAYS = 30;
const BATCH_SIZE = 5_000;

export async function pruneWebhookHistory(deps: { db: Database; logger: Logger }, now = Date.now(), days = WEBHOOK_HISTORY_DAYS): Promise<number> {
  const cutoff = new Date(now - days * 86_400_000);
  let deleted = 0;
  for (;;) {
    const { rowCount } = await deps.db.query(
      `DELETE FROM webhook_events WHERE id IN (
         SELECT ev.id FROM webhook_events ev
          WHERE ev.occurred_at < $1 AND ev.fanned_out_at IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = ev.id AND d.status = 'pending')
          ORDER BY ev.occurred_at LIMIT $2)`,
      [cutoff, BATCH_SIZE],
    );
    deleted += rowCount ?? 0;
    if ((rowCount ?? 0) < BATCH_SIZE) break;
  }
  if (deleted > 0) deps.logger.info({ deleted, days }, 'webhook events past their history removed, with their deliveries and attempts');
  return deleted;
}
