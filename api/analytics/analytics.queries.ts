// ClickHouse reads behind the analytics API. Every read is scoped to one profile and a time range,
// excludes bot and internal (creator's own) traffic, and takes the caller's filters as {name:Type}
// parameters: nothing from a request is ever interpolated into SQL.
//
// Counting rules (the same as the materialized views, clickhouse/README.md): views are 'view' rows,
// clicks are 'click' rows (the redirect), visitors are distinct hashed visitors over both, time to
// click comes from 'click_position' rows (the tracker's beacon for a click). The figures read the
// aggregate tables wherever they can answer and raw rows for the rest (query-plan.ts); bot kinds,
// realtime and the raw export read raw rows only.
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { BREAKDOWN_COLUMNS, bucketOf, heatmapQuery, MERGE, scopeCondition, statsQuery, type AnalyticsScope, type BreakdownColumn, type Interval } from './query-plan.js';

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

const num = (value: string | number | null | undefined) => (value === null || value === undefined ? 0 : Number(value));

export async function querySummary(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<Summary> {
  const { union, params } = statsQuery(scope, { keys: [], timeToClick: true });
  const [row] = await clickhouse.query<{ views: string; visitors: string; clicks: string; unique_clicks: string; ttc: number | null }>(
    `SELECT ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks,
            ${MERGE.uniqueClicks} AS unique_clicks, ${MERGE.medianTimeToClick} AS ttc
       FROM (${union})`,
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
    // An empty t-digest's median is NaN, which arrives as null.
    medianTimeToClickMs: row?.ttc === null || row?.ttc === undefined ? null : Math.round(Number(row.ttc)),
  };
}

export interface TimeseriesPoint {
  /** Start of the bucket, ISO 8601 in UTC. */
  start: string;
  views: number;
  visitors: number;
  clicks: number;
}

const STEP: Record<Interval, string> = { hour: 'HOUR', day: 'DAY', week: 'WEEK', month: 'MONTH' };

/**
 * Every bucket of the range in the caller's time zone, buckets without events included (WITH FILL
 * over the local bucket starts, so a day is a calendar day across DST changes).
 */
export async function queryTimeseries(clickhouse: ClickHouse, scope: AnalyticsScope, interval: Interval, timeZone: string): Promise<TimeseriesPoint[]> {
  const { union, params } = statsQuery(scope, { keys: [], bucket: { interval, timeZone } });
  const rows = await clickhouse.query<{ start: string; views: string; visitors: string; clicks: string }>(
    `SELECT toUnixTimestamp(local_start) * 1000 AS start, views, visitors, clicks FROM (
       SELECT toTimeZone(bucket, {tz:String}) AS local_start,
              ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks
         FROM (${union})
        GROUP BY local_start
        ORDER BY local_start WITH FILL
          FROM ${bucketOf(interval, 'fromUnixTimestamp64Milli({from:Int64})')}
          TO toDateTime(fromUnixTimestamp64Milli({to:Int64}), {tz:String})
          STEP INTERVAL 1 ${STEP[interval]}
     ) ORDER BY start`,
    params,
  );
  return rows.map((row) => ({ start: new Date(Number(row.start)).toISOString(), views: num(row.views), visitors: num(row.visitors), clicks: num(row.clicks) }));
}

export interface LinkStats {
  linkId: string;
  clicks: number;
  uniqueClicks: number;
}

export async function queryLinks(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<LinkStats[]> {
  const { union, params } = statsQuery(scope, { keys: ['link_id'] });
  const rows = await clickhouse.query<{ link: string; clicks: string; unique_clicks: string }>(
    `SELECT toString(link_id) AS link, ${MERGE.clicks} AS clicks, ${MERGE.uniqueClicks} AS unique_clicks
       FROM (${union})
      GROUP BY link_id HAVING clicks > 0 ORDER BY clicks DESC, link`,
    params,
  );
  return rows.map((row) => ({ linkId: row.link, clicks: num(row.clicks), uniqueClicks: num(row.unique_clicks) }));
}

export interface BreakdownRow {
  values: Record<string, string>;
  views: number;
  visitors: number;
  clicks: number;
}

/** Views, visitors and clicks per value of one or more columns, the largest first. */
export async function queryBreakdown(clickhouse: ClickHouse, scope: AnalyticsScope, columns: readonly BreakdownColumn[], limit: number): Promise<BreakdownRow[]> {
  for (const column of columns) if (!(BREAKDOWN_COLUMNS as readonly string[]).includes(column)) throw new Error(`not a breakdown column: ${column}`);
  const { union, params } = statsQuery(scope, { keys: columns });
  const rows = await clickhouse.query<Record<string, string>>(
    `SELECT ${columns.join(', ')}, ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks
       FROM (${union})
      GROUP BY ${columns.join(', ')}
      ORDER BY views DESC, clicks DESC, ${columns.join(', ')}
      LIMIT {limit:UInt32}`,
    { ...params, limit },
  );
  return rows.map((row) => ({
    values: Object.fromEntries(columns.map((column) => [column, row[column] ?? ''])),
    views: num(row.views),
    visitors: num(row.visitors),
    clicks: num(row.clicks),
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
  const { union, params } = heatmapQuery(scope);
  const rows = await clickhouse.query<{ x: string; y: string; n: string }>(
    `SELECT x_bucket AS x, y_bucket AS y, sum(n_clicks) AS n FROM (${union}) GROUP BY x, y ORDER BY y, x`,
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
  const { union, params } = statsQuery(scope, { keys: ['link_id'], bucket: { interval: 'day', timeZone } });
  const rows = await clickhouse.query<{ day: string; link: string; views: string; visitors: string; clicks: string }>(
    `SELECT toString(toDate(toTimeZone(bucket, {tz:String}))) AS day, toString(link_id) AS link,
            ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks
       FROM (${union})
      GROUP BY day, link ORDER BY day, link`,
    params,
  );
  return rows.map((row) => ({ day: row.day, link_id: row.link, views: num(row.views), visitors: num(row.visitors), clicks: num(row.clicks) }));
}
