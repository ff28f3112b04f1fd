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

/** The WHERE clause and parameters every query shares (bots excluded unless a query is about them). */
export function scopeCondition(scope: AnalyticsScope, options: { includeBots?: boolean } = {}): { where: string; params: QueryParams } {
  const conditions = [
    'profile_id = {profile:UUID}',
    'timestamp >= fromUnixTimestamp64Milli({from:Int64})',
    'timestamp < fromUnixTimestamp64Milli({to:Int64})',
    'is_internal = 0',
  ];
  if (!options.includeBots) conditions.push('is_bot = 0');
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

/** Bucket start in the caller's time zone, of a DateTime expression X. */
const BUCKET: Record<Interval, string> = {
  hour: 'toStartOfHour(toTimeZone(X, {tz:String}))',
  day: 'toStartOfDay(toTimeZone(X, {tz:String}))',
  // ISO weeks, starting on Monday.
  week: 'toDateTime(toMonday(toTimeZone(X, {tz:String})), {tz:String})',
  month: 'toDateTime(toStartOfMonth(toTimeZone(X, {tz:String})), {tz:String})',
};
const STEP: Record<Interval, string> = { hour: 'HOUR', day: 'DAY', week: 'WEEK', month: 'MONTH' };

/**
 * Every bucket of the range in the caller's time zone, buckets without events included (WITH FILL;
 * the outer query computes each start after filling, so filled buckets get theirs too).
 */
export async function queryTimeseries(clickhouse: ClickHouse, scope: AnalyticsScope, interval: Interval, timeZone: string): Promise<TimeseriesPoint[]> {
  const { where, params } = scopeCondition(scope);
  const bucket = (expression: string) => BUCKET[interval].replaceAll('X', expression);
  const rows = await clickhouse.query<{ start: string; views: string; visitors: string; clicks: string }>(
    `SELECT toUnixTimestamp(bucket) * 1000 AS start, views, visitors, clicks FROM (
       SELECT ${bucket('timestamp')} AS bucket,
              countIf(event_type = 'view') AS views,
              uniqCombined64If(visitor_id, event_type = 'view') AS visitors,
              countIf(event_type = 'click') AS clicks
         FROM events WHERE ${where}
        GROUP BY bucket
        ORDER BY bucket WITH FILL
          FROM ${bucket('fromUnixTimestamp64Milli({from:Int64})')}
          TO toDateTime(fromUnixTimestamp64Milli({to:Int64}), {tz:String})
          STEP INTERVAL 1 ${STEP[interval]}
     ) ORDER BY start`,
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

/** Columns a breakdown may group by: a fixed list, so no request ever names a column. */
export const BREAKDOWN_COLUMNS = ['country', 'region', 'city', 'device', 'browser', 'os', 'referrer_domain', 'channel', 'utm_source', 'utm_medium', 'utm_campaign'] as const;
export type BreakdownColumn = (typeof BREAKDOWN_COLUMNS)[number];

export interface BreakdownRow {
  values: Record<string, string>;
  views: number;
  visitors: number;
  clicks: number;
}

/** Views, visitors and clicks per value of one or more columns, the largest first. */
export async function queryBreakdown(clickhouse: ClickHouse, scope: AnalyticsScope, columns: readonly BreakdownColumn[], limit: number): Promise<BreakdownRow[]> {
  for (const column of columns) if (!(BREAKDOWN_COLUMNS as readonly string[]).includes(column)) throw new Error(`not a breakdown column: ${column}`);
  const { where, params } = scopeCondition(scope);
  // Grouped columns keep their names; the counts get names no column has.
  const rows = await clickhouse.query<Record<string, string>>(
    `SELECT ${columns.join(', ')},
            countIf(event_type = 'view') AS n_views,
            uniqCombined64If(visitor_id, event_type = 'view') AS n_visitors,
            countIf(event_type = 'click') AS n_clicks
       FROM events WHERE ${where} AND event_type IN ('view', 'click')
      GROUP BY ${columns.join(', ')}
      ORDER BY n_views DESC, n_clicks DESC, ${columns.join(', ')}
      LIMIT {limit:UInt32}`,
    { ...params, limit },
  );
  return rows.map((row) => ({
    values: Object.fromEntries(columns.map((column) => [column, row[column] ?? ''])),
    views: num(row.n_views),
    visitors: num(row.n_visitors),
    clicks: num(row.n_clicks),
  }));
}

export interface HeatmapCell {
  /** Left edge as a fraction of the content column's width, in steps of 0.01. */
  x: number;
  /** Top edge in CSS pixels, in steps of 16. */
  y: number;
  clicks: number;
}

/** Where tracked clicks landed (click_position rows), in 0.01 × 16 px cells. */
export async function queryHeatmap(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<HeatmapCell[]> {
  const { where, params } = scopeCondition(scope);
  const rows = await clickhouse.query<{ x: string; y: string; n: string }>(
    `SELECT least(floor(click_x * 100), 100) AS x, intDiv(click_y, 16) AS y, count() AS n
       FROM events WHERE ${where} AND event_type = 'click_position'
      GROUP BY x, y ORDER BY y, x`,
    params,
  );
  return rows.map((row) => ({ x: num(row.x) / 100, y: num(row.y) * 16, clicks: num(row.n) }));
}

/** Traffic by bot kind ('' = people), for the "X% filtered" figure: every event but the creator's own. */
export async function queryBots(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<{ kind: string; events: number }[]> {
  const { where, params } = scopeCondition(scope, { includeBots: true });
  const rows = await clickhouse.query<{ kind: string; n: string }>(
    `SELECT bot_kind AS kind, count() AS n FROM events
      WHERE ${where} AND event_type IN ('view', 'click')
      GROUP BY kind ORDER BY n DESC`,
    params,
  );
  return rows.map((row) => ({ kind: row.kind, events: num(row.n) }));
}

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
    minutes: rows.map((row) => ({ minute: new Date(Number(row.minute)).toISOString(), views: num(row.views), clicks: num(row.clicks) })),
    activeVisitors: num(active?.n),
  };
}

/** What a raw-event export holds: no address or prefix exists to export, and the visitor is a daily keyed hash. */
export const EXPORT_COLUMNS = [
  'timestamp',
  'event_type',
  'source',
  'link_id',
  'visitor_id',
  'is_bot',
  'bot_kind',
  'country',
  'region',
  'city',
  'device',
  'browser',
  'os',
  'referrer_domain',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'click_x',
  'click_y',
  'time_to_click_ms',
] as const;
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number>;

/**
 * The raw events of a scope in time order, page by page (keyset pagination on timestamp and event
 * id), so an export of millions of rows never holds more than one page in memory. Bot traffic is
 * included, marked by is_bot and bot_kind.
 */
export async function* exportEvents(clickhouse: ClickHouse, scope: AnalyticsScope, pageSize = 10_000): AsyncGenerator<ExportRow[]> {
  const { where, params } = scopeCondition(scope, { includeBots: true });
  let after: { ts: number; id: string } | undefined;
  for (;;) {
    const rows = await clickhouse.query<ExportRow & { ts: string; id: string }>(
      // No alias may shadow a column the WHERE clause reads (ClickHouse resolves aliases there too).
      `SELECT toUnixTimestamp64Milli(timestamp) AS ts, toString(event_id) AS id,
              ${EXPORT_COLUMNS.filter((column) => column !== 'timestamp').join(', ')}
         FROM events
        WHERE ${where} ${after ? 'AND (toUnixTimestamp64Milli(timestamp), event_id) > ({afterTs:Int64}, {afterId:UUID})' : ''}
        ORDER BY timestamp, event_id
        LIMIT {pageSize:UInt32}`,
      { ...params, pageSize, ...(after ? { afterTs: after.ts, afterId: after.id } : {}) },
    );
    if (rows.length === 0) return;
    yield rows.map(
      (row) => Object.fromEntries(EXPORT_COLUMNS.map((column) => [column, column === 'timestamp' ? new Date(Number(row.ts)).toISOString() : row[column]])) as ExportRow,
    );
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { ts: Number(last.ts), id: last.id };
  }
}

export interface DailyLinkRow {
  day: string;
  link_id: string;
  views: number;
  visitors: number;
  clicks: number;
}

/** Per day (in the caller's time zone) and link: the aggregate export. Views are on the zero link id. */
export async function queryDailyByLink(clickhouse: ClickHouse, scope: AnalyticsScope, timeZone: string): Promise<DailyLinkRow[]> {
  const { where, params } = scopeCondition(scope);
  const rows = await clickhouse.query<{ day: string; link: string; views: string; visitors: string; clicks: string }>(
    `SELECT toString(toDate(toTimeZone(timestamp, {tz:String}))) AS day, toString(link_id) AS link,
            countIf(event_type = 'view') AS views, uniqCombined64If(visitor_id, event_type = 'view') AS visitors,
            countIf(event_type = 'click') AS clicks
       FROM events WHERE ${where} AND event_type IN ('view', 'click')
      GROUP BY day, link ORDER BY day, link`,
    { ...params, tz: timeZone },
  );
  return rows.map((row) => ({ day: row.day, link_id: row.link, views: num(row.views), visitors: num(row.visitors), clicks: num(row.clicks) }));
}
