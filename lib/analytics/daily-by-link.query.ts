import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { dailyTotals, statsQuery, toCount, type AnalyticsScope } from './query-plan.js';

export interface DailyLinkRow {
  day: string;
  link_id: string;
  views: number;
  visitors: number;
  clicks: number;
}

/** Per day (in the caller's time zone) and link: the aggregate export. Views are on the zero link id. */
export async function queryDailyByLink(clickhouse: ClickHouse, scope: AnalyticsScope, timeZone: string): Promise<DailyLinkRow[]> {
  const query = statsQuery(scope, { keys: ['link_id'], bucket: { interval: 'day', timeZone } });
  const rows = await clickhouse.query<{ day: string; link: string; views: string; visitors: string; clicks: string }>(
    `SELECT toString(toDate(toTimeZone(bucket, {tz:String}))) AS day, toString(link_id) AS link, views, visitors, clicks
       FROM (${dailyTotals(query, ['bucket', 'link_id'])})
      ORDER BY day, link`,
    query.params,
  );
  return rows.map((row) => ({ day: row.day, link_id: row.link, views: toCount(row.views), visitors: toCount(row.visitors), clicks: toCount(row.clicks) }));
}
