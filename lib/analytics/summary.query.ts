import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { MERGE, statsQuery, toCount, type AnalyticsScope } from './query-plan.js';

export interface Summary {
  views: number;
  visitors: number;
  clicks: number;
  uniqueClicks: number;
  /** clicks / views, or null without views. */
  ctr: number | null;
  /** Median time from page load to click, ms; null without tracked clicks. */
  medianTimeToClickMs: number | null;
}

/** Views, visitors, clicks, CTR and median time to click over a scope. */
export async function querySummary(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<Summary> {
  const { union, params } = statsQuery(scope, { keys: [], timeToClick: true });
  const [row] = await clickhouse.query<{ views: string; visitors: string; clicks: string; unique_clicks: string; ttc: number | null }>(
    `SELECT ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks,
            ${MERGE.uniqueClicks} AS unique_clicks, ${MERGE.medianTimeToClick} AS ttc
       FROM (${union})`,
    params,
  );
  const views = toCount(row?.views);
  const clicks = toCount(row?.clicks);
  return {
    views,
    visitors: toCount(row?.visitors),
    clicks,
    uniqueClicks: toCount(row?.unique_clicks),
    ctr: views > 0 ? clicks / views : null,
    // An empty t-digest's median is NaN, which arrives as null.
    medianTimeToClickMs: row?.ttc === null || row?.ttc === undefined ? null : Math.round(Number(row.ttc)),
  };
}
