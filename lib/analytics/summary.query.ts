import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { dailyTotals, statsQuery, toCount, toFlag, type AnalyticsScope } from './query-plan.js';

export interface Summary {
  views: number;
  visitors: number;
  /** Whether visitors is an estimate (at least VISITOR_SET_LIMIT distinct visitors; query-plan.ts). */
  visitorsApproximate: boolean;
  clicks: number;
  uniqueClicks: number;
  uniqueClicksApproximate: boolean;
  /** clicks / views, or null without views. */
  ctr: number | null;
  /** Median time from page load to click, ms; null without tracked clicks. */
  medianTimeToClickMs: number | null;
}

/** Views, visitors, clicks, CTR and median time to click over a scope. */
export async function querySummary(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<Summary> {
  const query = statsQuery(scope, { keys: [], uniqueClicks: true, timeToClick: true });
  const [row] = await clickhouse.query<{ views: string; visitors: string; visitors_approximate: number; clicks: string; unique_clicks: string; unique_clicks_approximate: number; median_ttc: number | null }>(
    dailyTotals(query, []),
    query.params,
  );
  const views = toCount(row?.views);
  const clicks = toCount(row?.clicks);
  return {
    views,
    visitors: toCount(row?.visitors),
    visitorsApproximate: toFlag(row?.visitors_approximate),
    clicks,
    uniqueClicks: toCount(row?.unique_clicks),
    uniqueClicksApproximate: toFlag(row?.unique_clicks_approximate),
    ctr: views > 0 ? clicks / views : null,
    // An empty t-digest's median is NaN, which arrives as null.
    medianTimeToClickMs: row?.median_ttc === null || row?.median_ttc === undefined ? null : Math.round(Number(row.median_ttc)),
  };
}
