import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { dailyTotals, statsQuery, toCount, toFlag, type AnalyticsScope } from './query-plan.js';

export interface LinkStats {
  linkId: string;
  clicks: number;
  uniqueClicks: number;
  /** Whether uniqueClicks is an estimate (query-plan.ts: VISITOR_SET_LIMIT). */
  uniqueClicksApproximate: boolean;
}

/** Clicks per link, links with clicks only, the most clicked first. */
export async function queryLinks(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<LinkStats[]> {
  const query = statsQuery(scope, { keys: ['link_id'], uniqueClicks: true });
  const rows = await clickhouse.query<{ link: string; clicks: string; unique_clicks: string; unique_clicks_approximate: number }>(
    `SELECT toString(link_id) AS link, clicks, unique_clicks, unique_clicks_approximate
       FROM (${dailyTotals(query, ['link_id'])})
      WHERE clicks > 0 ORDER BY clicks DESC, link`,
    query.params,
  );
  return rows.map((row) => ({
    linkId: row.link,
    clicks: toCount(row.clicks),
    uniqueClicks: toCount(row.unique_clicks),
    uniqueClicksApproximate: toFlag(row.unique_clicks_approximate),
  }));
}
