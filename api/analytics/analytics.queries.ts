// ClickHouse reads behind the analytics API. Every query is scoped to one profile and a time range,
// excludes bot and internal (creator's own) traffic, and takes the caller's filters as {name:Type}
// parameters: nothing from a request is ever interpolated into SQL.
//
// Counting rules (the same as the materialized views, clickhouse/README.md): views are 'view' rows,
// clicks are 'click' rows (the redirect), time-to-click comes from 'click_position' rows (the
// tracker's beacon for a click); unique counts use uniqCombined64, quantiles quantileTDigest.
// These read raw rows; the aggregate tables are a faster path for unfiltered reads (next step).
import type { ClickHouse, QueryParams } from '../../lib/clickhouse/clickhouse.js';

export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

export interface AnalyticsFilters {
  country?: string | undefined;
  device?: string | undefined;
  browser?: string | undefined;
  os?: string | undefined;
  channel?: string | undefined;
  /** Restricts clicks and positions to one link (views belong to the whole page). */
  link?: string | undefined;
}

export interface AnalyticsScope {
  profileId: string;
  /** Inclusive start, exclusive end. */
  from: Date;
  to: Date;
  filters: AnalyticsFilters;
}

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

const DIMENSION_FILTERS = ['country', 'device', 'browser', 'os', 'channel'] as const;

/** The WHERE clause and parameters every query shares. */
export function scopeCondition(scope: AnalyticsScope): { where: string; params: QueryParams } {
  const conditions = [
    'profile_id = {profile:UUID}',
    'timestamp >= fromUnixTimestamp64Milli({from:Int64})',
    'timestamp < fromUnixTimestamp64Milli({to:Int64})',
    'is_bot = 0',
    'is_internal = 0',
  ];
  const params: Record<string, string | number> = { profile: scope.profileId, from: scope.from.getTime(), to: scope.to.getTime() };
  for (const dimension of DIMENSION_FILTERS) {
    const value = scope.filters[dimension];
    if (value === undefined) continue;
    conditions.push(`${dimension} = {${dimension}:String}`);
    params[dimension] = value;
  }
  if (scope.filters.link !== undefined) {
    conditions.push("(event_type = 'view' OR link_id = {link:UUID})");
    params.link = scope.filters.link;
  }
  return { where: conditions.join(' AND '), params };
}

const num = (value: string | number | null | undefined) => (value === null || value === undefined ? 0 : Number(value));

export async function querySummary(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<Summary> {
  const { where, params } = scopeCondition(scope);
  const [row] = await clickhouse.query<{ views: string; visitors: string; clicks: string; unique_clicks: string; ttc: number | null; positions: string }>(
    `SELECT countIf(event_type = 'view') AS views,
            uniqCombined64If(visitor_id, event_type = 'view') AS visitors,
            countIf(event_type = 'click') AS clicks,
            uniqCombined64If(visitor_id, event_type = 'click') AS unique_clicks,
            countIf(event_type = 'click_position' AND time_to_click_ms > 0) AS positions,
            quantileTDigestIf(0.5)(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS ttc
       FROM events WHERE ${where}`,
    params,
  );
  const views = num(row?.views);
  const clicks = num(row?.clicks);
  return {
    views,
    visitors: num(row?.visitors),
    clicks,
    uniqueClicks: num(row?.unique_clicks),
    ctr: views > 0 ? clicks / views : null,
    medianTimeToClickMs: num(row?.positions) > 0 ? Math.round(Number(row?.ttc)) : null,
  };
}

export interface TimeseriesPoint {
  /** Start of the bucket, ISO 8601 in UTC. */
  start: string;
  views: number;
  visitors: number;
  clicks: number;
}

const BUCKET: Record<Interval, string> = {
  hour: 'toStartOfHour(toTimeZone(timestamp, {tz:String}))',
  day: 'toStartOfDay(toTimeZone(timestamp, {tz:String}))',
  // ISO weeks, starting on Monday.
  week: 'toDateTime(toMonday(toTimeZone(timestamp, {tz:String})), {tz:String})',
  month: 'toDateTime(toStartOfMonth(toTimeZone(timestamp, {tz:String})), {tz:String})',
};

/** Buckets in the caller's time zone; buckets without events are absent (the service fills them). */
export async function queryTimeseries(clickhouse: ClickHouse, scope: AnalyticsScope, interval: Interval, timeZone: string): Promise<TimeseriesPoint[]> {
  const { where, params } = scopeCondition(scope);
  const rows = await clickhouse.query<{ start: string; views: string; visitors: string; clicks: string }>(
    `SELECT toUnixTimestamp(${BUCKET[interval]}) * 1000 AS start,
            countIf(event_type = 'view') AS views,
            uniqCombined64If(visitor_id, event_type = 'view') AS visitors,
            countIf(event_type = 'click') AS clicks
       FROM events WHERE ${where}
      GROUP BY start ORDER BY start`,
    { ...params, tz: timeZone },
  );
  return rows.map((row) => ({ start: new Date(Number(row.start)).toISOString(), views: num(row.views), visitors: num(row.visitors), clicks: num(row.clicks) }));
}

export interface LinkStats {
  linkId: string;
  clicks: number;
  uniqueClicks: number;
}

export async function queryLinks(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<LinkStats[]> {
  const { where, params } = scopeCondition(scope);
  // Aliases must not shadow columns: ClickHouse resolves an alias in WHERE too.
  const rows = await clickhouse.query<{ link: string; clicks: string; unique_clicks: string }>(
    `SELECT toString(link_id) AS link, count() AS clicks, uniqCombined64(visitor_id) AS unique_clicks
       FROM events WHERE ${where} AND event_type = 'click'
      GROUP BY link ORDER BY clicks DESC, link`,
    params,
  );
  return rows.map((row) => ({ linkId: row.link, clicks: num(row.clicks), uniqueClicks: num(row.unique_clicks) }));
}
