// Clicks of several profiles in one period, as the link.clicked webhook carries them: per-link counts
// (complete) and the most recent clicks (capped), from the raw events. Human clicks only (no bots, not
// the creator's own), as the analytics count them. Never a visitor id or anything derived from an address
// beyond the country.
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { toCount } from './query-plan.js';

export interface RecentClick {
  linkId: string;
  /** When the redirect counted it (ISO 8601, UTC). */
  at: string;
  country: string;
  device: string;
  browser: string;
  os: string;
  /** The referring site's domain ('' for none). */
  referrer: string;
  channel: string;
}

export interface ProfileClickBatch {
  clicks: number;
  /** Every link clicked in the period, most clicked first. */
  links: { linkId: string; clicks: number }[];
  /** The newest clicks, at most the cap asked for, newest first. */
  recent: RecentClick[];
}

/** The clicks of each profile (those with any) stamped after `after` and up to `until` (inclusive). */
export async function queryClickBatches(
  clickhouse: ClickHouse,
  profileIds: readonly string[],
  period: { after: Date; until: Date },
  recentCap: number,
): Promise<Map<string, ProfileClickBatch>> {
  const batches = new Map<string, ProfileClickBatch>();
  if (profileIds.length === 0) return batches;
  const where = `profile_id IN {profiles:Array(UUID)} AND event_type = 'click' AND is_bot = 0 AND is_internal = 0
     AND timestamp > fromUnixTimestamp64Milli({after:Int64}) AND timestamp <= fromUnixTimestamp64Milli({until:Int64})`;
  const params = { profiles: [...profileIds], after: period.after.getTime(), until: period.until.getTime() };
  // Aliases differ from the columns: ClickHouse would apply an alias named like a column in WHERE too.
  const counts = await clickhouse.query<{ profile: string; link: string; clicks: string }>(
    `SELECT toString(profile_id) AS profile, toString(link_id) AS link, count() AS clicks
       FROM events WHERE ${where} GROUP BY profile_id, link_id ORDER BY profile, clicks DESC, link`,
    params,
  );
  for (const row of counts) {
    const batch = batches.get(row.profile) ?? { clicks: 0, links: [], recent: [] };
    batch.clicks += toCount(row.clicks);
    batch.links.push({ linkId: row.link, clicks: toCount(row.clicks) });
    batches.set(row.profile, batch);
  }
  if (batches.size === 0 || recentCap <= 0) return batches;
  const recent = await clickhouse.query<{ profile: string; link: string; at: string; country: string; device: string; browser: string; os: string; referrer: string; channel: string }>(
    `SELECT toString(profile_id) AS profile, toString(link_id) AS link, toUnixTimestamp64Milli(timestamp) AS at,
            country, device, browser, os, referrer_domain AS referrer, channel
       FROM events WHERE ${where}
      ORDER BY profile_id, timestamp DESC, event_id
      LIMIT {cap:UInt32} BY profile_id`,
    { ...params, cap: recentCap },
  );
  for (const row of recent) {
    const { profile, link, at, ...rest } = row;
    batches.get(profile)?.recent.push({ linkId: link, at: new Date(Number(at)).toISOString(), ...rest });
  }
  return batches;
}
