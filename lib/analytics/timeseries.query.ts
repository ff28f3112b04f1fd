import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { bucketOf, dailyTotals, statsQuery, toCount, toFlag, type AnalyticsScope, type Interval } from './query-plan.js';

export interface TimeseriesPoint {
  /** Start of the bucket, ISO 8601 in UTC. */
  start: string;
  views: number;
  visitors: number;
  /** Whether visitors is an estimate (query-plan.ts: VISITOR_SET_LIMIT). */
  visitorsApproximate: boolean;
  clicks: number;
}

const STEP: Record<Interval, string> = { hour: 'HOUR', day: 'DAY', week: 'WEEK', month: 'MONTH' };

/**
 * Every bucket of the range in the caller's time zone, buckets without events included (WITH FILL
 * over the local bucket starts, so a day is a calendar day across DST changes).
 */
export async function queryTimeseries(clickhouse: ClickHouse, scope: AnalyticsScope, interval: Interval, timeZone: string): Promise<TimeseriesPoint[]> {
  const query = statsQuery(scope, { keys: [], bucket: { interval, timeZone } });
  const rows = await clickhouse.query<{ start: string; views: string; visitors: string; visitors_approximate: number; clicks: string }>(
    `SELECT toUnixTimestamp(local_start) * 1000 AS start, views, visitors, visitors_approximate, clicks FROM (
       SELECT toTimeZone(bucket, {tz:String}) AS local_start, views, visitors, visitors_approximate, clicks
         FROM (${dailyTotals(query, ['bucket'])})
        ORDER BY local_start WITH FILL
          FROM ${bucketOf(interval, 'fromUnixTimestamp64Milli({from:Int64})')}
          TO toDateTime(fromUnixTimestamp64Milli({to:Int64}), {tz:String})
          STEP INTERVAL 1 ${STEP[interval]}
     ) ORDER BY start`,
    query.params,
  );
  return rows.map((row) => ({
    start: new Date(Number(row.start)).toISOString(),
    views: toCount(row.views),
    visitors: toCount(row.visitors),
    visitorsApproximate: toFlag(row.visitors_approximate),
    clicks: toCount(row.clicks),
  }));
}
