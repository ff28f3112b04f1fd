// The webhook-clicks job: link.clicked events, batched. Every WEBHOOK_CLICK_BATCH_SECONDS, for each
// profile with an active endpoint subscribed to link.clicked, one event with the clicks since the last
// one (per-link counts, complete; the newest clicks, capped), so each endpoint gets at most one
// delivery per period however busy the page is.
//
// No click is sent twice or missed: the job reads ClickHouse's raw events only up to a watermark the
// events consumer has provably finished (the bus says the group committed everything published before
// W + PUBLISH_GRACE_MS, and ingest publishes an event within PUBLISH_GRACE_MS of stamping it, as the
// reconciler reasons), and each profile's cursor moves from the last watermark to the new one in the
// transaction that writes the event. The price is latency: a click reaches a receiver about five
// minutes after it happened, plus up to one period. A profile's first cursor starts at the watermark
// (no backfill), and a profile whose last such endpoint goes loses its cursor.
import { TOPICS } from '../../lib/bus/topics.js';
import type { EventBus } from '../../lib/bus/event-bus.js';
import { queryClickBatches, type ProfileClickBatch } from '../../lib/analytics/click-batches.query.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { PUBLISH_GRACE_MS } from '../../lib/clickhouse/reconcile.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';

export interface LinkClicksDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  clickhouse: ClickHouse;
  bus: Pick<EventBus, 'hasConsumedUntil'>;
  /** EVENTS_CONSUMER_GROUP: the group that writes the events this job reads. */
  group: string;
  logger: Logger;
}

export interface LinkClicksSettings {
  /** WEBHOOK_CLICK_BATCH_SECONDS: the shortest period one event covers. */
  batchSeconds: number;
  /** Most individual clicks listed in one event (the per-link counts are always complete). */
  recentCap?: number;
}

export interface LinkClicksRun {
  /** The end of the period read (undefined: the consumers have not finished any recent period). */
  watermark: Date | undefined;
  events: number;
  clicks: number;
}

const RECENT_CAP = 50;
const PROFILES_PER_QUERY = 500;
/** How far back the job looks for a moment the consumers have finished (they may be behind). */
const CONSUMED_PROBES_MS = [0, 15_000, 60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];
/** webhook_events.data holds 64 KiB: a batch over this lists fewer recent clicks. */
const MAX_DATA_BYTES = 60_000;

export async function sendLinkClicks(deps: LinkClicksDeps, settings: LinkClicksSettings, now = new Date()): Promise<LinkClicksRun> {
  const logger = deps.logger.child({ module: 'webhook-clicks' });
  const run: LinkClicksRun = { watermark: undefined, events: 0, clicks: 0 };
  // Profiles no active endpoint asks for link.clicked keep no cursor: subscribing again starts afresh.
  await deps.db.query(
    `DELETE FROM webhook_click_cursors c WHERE NOT EXISTS (
       SELECT 1 FROM webhook_endpoints e WHERE e.profile_id = c.profile_id AND e.status = 'active' AND 'link.clicked' = ANY (e.event_types))`,
  );
  const watermark = await consumedWatermark(deps, now);
  if (!watermark) {
    logger.info('the events consumer is more than an hour behind: no link.clicked batch this time');
    return run;
  }
  run.watermark = watermark;
  await deps.db.query(
    `INSERT INTO webhook_click_cursors (profile_id, clicks_until)
     SELECT DISTINCT e.profile_id, $1::timestamptz FROM webhook_endpoints e
      WHERE e.status = 'active' AND 'link.clicked' = ANY (e.event_types)
     ON CONFLICT (profile_id) DO NOTHING`,
    [watermark],
  );
  const { rows: due } = await deps.db.query<{ profile_id: string; clicks_until: Date }>(
    `SELECT profile_id, clicks_until FROM webhook_click_cursors WHERE clicks_until <= $1::timestamptz - $2 * interval '1 second' ORDER BY clicks_until, profile_id`,
    [watermark, settings.batchSeconds],
  );
  // Cursors that moved together share one read.
  const byCursor = new Map<number, string[]>();
  for (const row of due) byCursor.set(row.clicks_until.getTime(), [...(byCursor.get(row.clicks_until.getTime()) ?? []), row.profile_id]);
  for (const [after, profiles] of byCursor) {
    for (let start = 0; start < profiles.length; start += PROFILES_PER_QUERY) {
      const chunk = profiles.slice(start, start + PROFILES_PER_QUERY);
      const period = { after: new Date(after), until: watermark };
      const batches = await queryClickBatches(deps.clickhouse, chunk, period, settings.recentCap ?? RECENT_CAP);
      for (const profileId of chunk) {
        const batch = batches.get(profileId);
        if (await advance(deps.db, profileId, period, batch)) {
          if (batch) {
            run.events++;
            run.clicks += batch.clicks;
          }
        }
      }
    }
  }
  if (run.events > 0) logger.info({ ...run }, 'link.clicked batches written');
  return run;
}

/**
 * The latest moment whose clicks are all in ClickHouse: the latest time (to the second) before which
 * the consumers have committed everything, found by probing back from now and then bisecting, minus
 * the publish grace.
 */
async function consumedWatermark(deps: LinkClicksDeps, now: Date): Promise<Date | undefined> {
  const consumed = (at: number) => deps.bus.hasConsumedUntil(TOPICS.events.name, deps.group, new Date(at));
  let open: number | undefined;
  for (const back of CONSUMED_PROBES_MS) {
    let closed = now.getTime() - back;
    if (!(await consumed(closed))) {
      open = closed;
      continue;
    }
    while (open !== undefined && open - closed > 1_000) {
      const middle = Math.floor((open + closed) / 2);
      if (await consumed(middle)) closed = middle;
      else open = middle;
    }
    return new Date(closed - PUBLISH_GRACE_MS);
  }
  return undefined;
}

/**
 * Moves the profile's cursor to the end of the period and, when it had clicks, writes the event, in one
 * transaction. False when another run moved the cursor first (its event stands).
 */
async function advance(db: Database, profileId: string, period: { after: Date; until: Date }, batch: ProfileClickBatch | undefined): Promise<boolean> {
  return db.transaction(async (tx) => {
    const moved = await tx.query('UPDATE webhook_click_cursors SET clicks_until = $3, updated_at = now() WHERE profile_id = $1 AND clicks_until = $2', [profileId, period.after, period.until]);
    if (moved.rowCount !== 1) return false;
    if (batch) await tx.query("SELECT enqueue_webhook_event($1, 'link.clicked', $2)", [profileId, JSON.stringify(clickedData(period, batch))]);
    return true;
  });
}

function clickedData(period: { after: Date; until: Date }, batch: ProfileClickBatch) {
  let recent = batch.recent;
  const data = () => ({
    period: { after: period.after.toISOString(), until: period.until.toISOString() },
    clicks: batch.clicks,
    links: batch.links,
    recentClicks: recent,
    recentClicksTruncated: recent.length < batch.clicks,
  });
  while (recent.length > 0 && Buffer.byteLength(JSON.stringify(data())) > MAX_DATA_BYTES) recent = recent.slice(0, Math.floor(recent.length / 2));
  return data();
}
