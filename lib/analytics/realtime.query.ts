import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { scopeCondition, toCount, type AnalyticsScope } from './query-plan.js';

export interface RealtimeMinute {
  minute: string;
  views: number;
  clicks: number;
}

/** The last 30 minutes, per minute, from raw rows; and visitors seen in the last 5 minutes. */
export async function queryRealtime(clickhouse: ClickHouse, profileId: string, now: Date): Promise<{ minutes: RealtimeMinute[]; activeVisitors: number }> {
  const scope: AnalyticsScope = { profileId, from: new Date(now.getTime() - 30 * 60_000), to: now, filters: {} };
  const { where, params } = scopeCondition(scope);
  const rows = await clickhouse.query<{ minute: string; views: string; clicks: string; active: string }>(
    `SELECT toUnixTimestamp(toStartOfMinute(timestamp)) * 1000 AS minute,
            countIf(event_type = 'view') AS views, countIf(event_type = 'click') AS clicks
       FROM events WHERE ${where} GROUP BY minute ORDER BY minute`,
    params,
  );
  const [active] = await clickhouse.query<{ n: string }>(
    `SELECT uniqCombined64(visitor_id) AS n FROM events WHERE ${where} AND timestamp >= fromUnixTimestamp64Milli({recent:Int64})`,
    { ...params, recent: now.getTime() - 5 * 60_000 },
  );
  return {
    minutes: rows.map((row) => ({ minute: new Date(Number(row.minute)).toISOString(), views: toCount(row.views), clicks: toCount(row.clicks) })),
    activeVisitors: toCount(active?.n),
  };
}
