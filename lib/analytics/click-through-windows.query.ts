import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { ALL_LINKS, toCount } from './query-plan.js';

export interface WindowTraffic {
  views: number;
  clicks: number;
}

export interface ClickThroughWindows {
  profileId: string;
  /** A link's id, or ALL_LINKS for the page as a whole (its views are the page's views). */
  linkId: string;
  recent: WindowTraffic;
  baseline: WindowTraffic;
}

/**
 * Views and clicks of many profiles' pages and links in two adjacent windows, [baselineFrom,
 * recentFrom) and [recentFrom, to): what the alerts job compares a link's clicks per view with. The
 * page's views come from the rows for all links (ALL_LINKS), a link's clicks from its own rows, both
 * from traffic_hourly (bots and the creators' own visits left out), never from the raw events. Each
 * profile gives one row for the page and one per named link that has traffic.
 */
export async function queryClickThroughWindows(
  clickhouse: ClickHouse,
  scope: { profileIds: readonly string[]; linkIds: readonly string[]; baselineFrom: Date; recentFrom: Date; to: Date },
): Promise<ClickThroughWindows[]> {
  if (scope.profileIds.length === 0) return [];
  const rows = await clickhouse.query<{ profile: string; link: string; recent_views: string; recent_clicks: string; baseline_views: string; baseline_clicks: string }>(
    `SELECT toString(profile_id) AS profile, toString(link_id) AS link,
            sumIf(views, hour >= {recentFrom:DateTime('UTC')}) AS recent_views, sumIf(clicks, hour >= {recentFrom:DateTime('UTC')}) AS recent_clicks,
            sumIf(views, hour < {recentFrom:DateTime('UTC')}) AS baseline_views, sumIf(clicks, hour < {recentFrom:DateTime('UTC')}) AS baseline_clicks
       FROM traffic_hourly
      WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 AND (link_id = {allLinks:UUID} OR link_id IN {links:Array(UUID)})
        AND hour >= {baselineFrom:DateTime('UTC')} AND hour < {to:DateTime('UTC')}
      GROUP BY profile_id, link_id`,
    { profiles: scope.profileIds, links: scope.linkIds, allLinks: ALL_LINKS, baselineFrom: scope.baselineFrom, recentFrom: scope.recentFrom, to: scope.to },
  );
  return rows.map((row) => ({
    profileId: row.profile,
    linkId: row.link,
    recent: { views: toCount(row.recent_views), clicks: toCount(row.recent_clicks) },
    baseline: { views: toCount(row.baseline_views), clicks: toCount(row.baseline_clicks) },
  }));
}
