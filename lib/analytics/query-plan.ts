// Where each analytics read comes from. The materialized views keep per-hour and per-day aggregates
// (clickhouse/README.md: what the aggregates serve). A read takes the whole days and whole hours of
// its range from the aggregate table that can answer it and only the partial hours at its two ends
// from the raw events, all in one query: every part yields -State values, which the outer query
// merges, so counts add up and unique visitors merge exactly as if read from one place. A read no
// aggregate can answer (filters on two different dimensions, a breakdown filtered by another
// dimension, day buckets in a zone that is not UTC) reads the raw events of its whole range the
// same way, as a single raw part.
//
// Distinct visitors are two states per part (clickhouse/0007): a set of up to VISITOR_SET_LIMIT ids,
// exact while it is not full, and a fixed-size HyperLogLog sketch, read only once the set is full.
// dailyTotals turns them into a count per UTC day and a flag saying whether it is an estimate, and
// sums the days (visitor ids never repeat across UTC days).
import type { QueryParams } from '../clickhouse/clickhouse.js';
import { SKETCH_PRECISION, SKETCH_STANDARD_ERROR, VISITOR_SET_LIMIT, type Interval } from './analytics-params.js';

export { SKETCH_PRECISION, SKETCH_STANDARD_ERROR, VISITOR_SET_LIMIT };
import { NO_LINK } from '../events/analytics-row.js';

/**
 * The link id of the aggregate rows for all links together (clickhouse/0007): each key of every
 * aggregate but the heatmap has one, holding the whole page's views, clicks and visitors. Reads that
 * neither group by link nor filter on one read only these rows; the others skip them.
 */
export const ALL_LINKS = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export type { Interval };

/** Columns a breakdown may group by: a fixed list, so no request ever names a column. */
export const BREAKDOWN_COLUMNS = ['country', 'region', 'city', 'device', 'browser', 'os', 'referrer_domain', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'trigger'] as const;
export type BreakdownColumn = (typeof BREAKDOWN_COLUMNS)[number];

/** Dimensions a request may filter on (besides the link), each with the column it compares: a fixed map, so no request ever names a column. */
export const DIMENSION_FILTERS = {
  country: 'country',
  device: 'device',
  browser: 'browser',
  os: 'os',
  channel: 'channel',
  referrer: 'referrer_domain',
  trigger: 'trigger',
} as const satisfies Record<string, BreakdownColumn>;
export type DimensionFilter = keyof typeof DIMENSION_FILTERS;
const FILTER_NAMES = Object.keys(DIMENSION_FILTERS) as DimensionFilter[];

export interface AnalyticsFilters {
  country?: string | undefined;
  device?: string | undefined;
  browser?: string | undefined;
  os?: string | undefined;
  channel?: string | undefined;
  /** A referring domain as stored (referrer_domain, e.g. news.ycombinator.com); traffic without one is found by channel ('direct', or a UTM-tagged one). */
  referrer?: string | undefined;
  /** 'qr': visits that began with a QR scan (clickhouse/0008); 'link': the others. */
  trigger?: string | undefined;
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

/** The WHERE clause over raw events every read shares (bots excluded unless a read is about them). */
export function scopeCondition(scope: AnalyticsScope, options: { includeBots?: boolean } = {}): { where: string; params: Record<string, string | number> } {
  const conditions = [
    'profile_id = {profile:UUID}',
    'timestamp >= fromUnixTimestamp64Milli({from:Int64})',
    'timestamp < fromUnixTimestamp64Milli({to:Int64})',
    'is_internal = 0',
  ];
  if (!options.includeBots) conditions.push('is_bot = 0');
  const params: Record<string, string | number> = { profile: scope.profileId, from: scope.from.getTime(), to: scope.to.getTime() };
  for (const name of FILTER_NAMES) {
    const value = scope.filters[name];
    if (value === undefined) continue;
    conditions.push(`${DIMENSION_FILTERS[name]} = {${name}:String}`);
    params[name] = value;
  }
  if (scope.filters.link !== undefined) {
    conditions.push("(event_type = 'view' OR link_id = {link:UUID})");
    params.link = scope.filters.link;
  }
  return { where: conditions.join(' AND '), params };
}

// ---------------------------------------------------------------------------------------------
// Splitting a range into what each grain can serve

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A half-open interval of epoch milliseconds. */
export interface Span {
  from: number;
  to: number;
}

/** A range cut into whole UTC days, whole UTC hours and the rest (sub-hour ends). */
export interface RangeParts {
  days: Span[];
  hours: Span[];
  raw: Span[];
}

const floorTo = (time: number, unit: number) => Math.floor(time / unit) * unit;
const ceilTo = (time: number, unit: number) => Math.ceil(time / unit) * unit;

/**
 * Cuts [from, to) into the whole UTC days inside it (when days may be used), the whole UTC hours
 * of what remains (when hours may be used), and the rest: at most a partial hour at each end.
 */
export function splitRange(from: number, to: number, grains: { day: boolean; hour: boolean }): RangeParts {
  const parts: RangeParts = { days: [], hours: [], raw: [] };
  const cut = (span: Span, unit: number, whole: Span[], rest: (span: Span) => void) => {
    const start = ceilTo(span.from, unit);
    const end = floorTo(span.to, unit);
    if (start >= end) return rest(span);
    whole.push({ from: start, to: end });
    if (span.from < start) rest({ from: span.from, to: start });
    if (end < span.to) rest({ from: end, to: span.to });
  };
  const byHour = (span: Span) => (grains.hour ? cut(span, HOUR_MS, parts.hours, (rest) => parts.raw.push(rest)) : parts.raw.push(span));
  if (from >= to) return parts;
  if (grains.day) cut({ from, to }, DAY_MS, parts.days, byHour);
  else byHour({ from, to });
  return parts;
}

/**
 * Where a plan may cut a range's end. No event is newer than now (ingest stamps each with the time it
 * arrived), so a range reaching the present (to ≥ now) holds the same events as one ending at the end
 * of that UTC day: today's daily rows then answer for today so far, instead of the raw rows of every
 * hour since midnight, the part of a dashboard read that grew with the day's traffic.
 */
export function planEnd(to: number, now = Date.now()): number {
  return to >= now ? ceilTo(to, DAY_MS) : to;
}

/** UTC offsets (minutes) a time zone has anywhere in [from, to): sampled daily and at both ends. */
export function utcOffsetsWithin(timeZone: string, from: number, to: number): Set<number> {
  const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
  const offsetAt = (time: number) => {
    const name = format.formatToParts(time).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT';
    const match = /^GMT(?<sign>[+-])(?<hours>\d{2}):(?<minutes>\d{2})$/.exec(name);
    if (!match?.groups) return 0; // plain "GMT"
    const minutes = Number(match.groups.hours) * 60 + Number(match.groups.minutes);
    return match.groups.sign === '-' ? -minutes : minutes;
  };
  // An offset, once changed, holds for months, so a daily sample plus the last instant sees every one.
  const offsets = new Set<number>();
  for (let time = from; time < to; time += DAY_MS) offsets.add(offsetAt(time));
  offsets.add(offsetAt(Math.max(from, to - 1)));
  return offsets;
}

/** How a time column compares with a span's ends, passed as parameters. */
const TIME_COLUMNS = {
  day: { type: 'Date', value: (time: number) => new Date(time).toISOString().slice(0, 10), read: (param: string) => param },
  hour: { type: 'UInt32', value: (time: number) => time / 1000, read: (param: string) => `toDateTime(${param}, 'UTC')` },
  timestamp: { type: 'Int64', value: (time: number) => time, read: (param: string) => `fromUnixTimestamp64Milli(${param})` },
} as const;

/** `column` inside any of the spans; the ends are added to params under fresh names. */
function spanCondition(spans: readonly Span[], column: keyof typeof TIME_COLUMNS, params: Record<string, string | number>): string {
  if (spans.length === 0) return '0';
  const { type, value, read } = TIME_COLUMNS[column];
  const conditions = spans.map((span) => {
    const name = `${column}${Object.keys(params).length}`;
    params[`${name}_from`] = value(span.from);
    params[`${name}_to`] = value(span.to);
    return `(${column} >= ${read(`{${name}_from:${type}}`)} AND ${column} < ${read(`{${name}_to:${type}}`)})`;
  });
  return `(${conditions.join(' OR ')})`;
}

// ---------------------------------------------------------------------------------------------
// The aggregate tables and what each can answer

type StatsKey = 'link_id' | BreakdownColumn;

interface AggregateSource {
  daily: string;
  /** traffic only: the same measures by hour (25 months). */
  hourly?: string;
  /** Columns the source can group by. */
  keys: readonly StatsKey[];
  /** Dimension filters the source can apply. */
  filters: readonly DimensionFilter[];
  /** The per-dimension table's dimension: its rows are (dimension, value). */
  dimension?: BreakdownColumn;
  /** Whether the source holds time-to-click states. */
  timeToClick: boolean;
}

const LINK_STATS: AggregateSource = { daily: 'traffic_daily', hourly: 'traffic_hourly', keys: ['link_id'], filters: [], timeToClick: true };
const GEO_STATS: AggregateSource = { daily: 'geo_daily', keys: ['link_id', 'country', 'region', 'city'], filters: ['country'], timeToClick: false };
/** The dimensions dimension_daily holds (clickhouse/0007). */
const STATS_DIMENSIONS = ['device', 'browser', 'os', 'referrer_domain', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'trigger'] as const;
const dimensionSource = (dimension: (typeof STATS_DIMENSIONS)[number]): AggregateSource => ({
  daily: 'dimension_daily',
  keys: ['link_id', dimension],
  filters: FILTER_NAMES.filter((name) => DIMENSION_FILTERS[name] === dimension),
  dimension,
  timeToClick: false,
});
/** UTM source × medium × campaign (clickhouse/0007): the combinations no single dimension holds. */
const UTM_STATS: AggregateSource = { daily: 'utm_daily', keys: ['link_id', 'utm_source', 'utm_medium', 'utm_campaign'], filters: [], timeToClick: false };
/** Cheapest first: the first source that can answer a read serves it. */
const AGGREGATE_SOURCES: readonly AggregateSource[] = [LINK_STATS, GEO_STATS, ...STATS_DIMENSIONS.map(dimensionSource), UTM_STATS];

function chooseSource(keys: readonly StatsKey[], filters: AnalyticsFilters): AggregateSource | undefined {
  const filtered = FILTER_NAMES.filter((name) => filters[name] !== undefined);
  return AGGREGATE_SOURCES.find((source) => keys.every((key) => source.keys.includes(key)) && filtered.every((name) => source.filters.includes(name)));
}

// ---------------------------------------------------------------------------------------------
// The query: one part per source, the same columns in each

/** Bucket start in the caller's time zone, of a DateTime expression X. */
const BUCKET: Record<Interval, string> = {
  hour: 'toStartOfHour(toTimeZone(X, {tz:String}))',
  day: 'toStartOfDay(toTimeZone(X, {tz:String}))',
  // ISO weeks, starting on Monday.
  week: 'toDateTime(toMonday(toTimeZone(X, {tz:String})), {tz:String})',
  month: 'toDateTime(toStartOfMonth(toTimeZone(X, {tz:String})), {tz:String})',
};

/** The bucket of a DateTime expression in the caller's time zone. */
export const bucketOf = (interval: Interval, expression: string) => BUCKET[interval].replaceAll('X', expression);

export interface StatsRequest {
  /** Grouped by these columns ('link_id': views sit on the zero id, clicks on their link). */
  keys: readonly StatsKey[];
  /** Also grouped by time bucket (column `bucket`, the bucket's start as DateTime('UTC')). */
  bucket?: { interval: Interval; timeZone: string } | undefined;
  /** Adds s_clicker_set and s_clicker_sketch, for unique clicks (dailyTotals' unique_clicks): only when read, as each state costs its merge. */
  uniqueClicks?: boolean;
  /** Adds s_ttc, a time-to-click t-digest state (click_position rows). */
  timeToClick?: boolean;
}

const TTC_LEVELS = '0.5, 0.75, 0.9, 0.99'; // the levels the traffic tables' states were created with

const setSize = (set: string) => `length(groupUniqArrayMerge(${VISITOR_SET_LIMIT})(${set}))`;
/** The count of a set and sketch pair of states: exact below the limit, an estimate (never below the limit) above. */
const distinctCount = (set: string, sketch: string) =>
  `if(${setSize(set)} < ${VISITOR_SET_LIMIT}, ${setSize(set)}, greatest(uniqCombined64Merge(${SKETCH_PRECISION})(${sketch}), ${VISITOR_SET_LIMIT}))`;
const isEstimate = (set: string) => `${setSize(set)} >= ${VISITOR_SET_LIMIT}`;

/**
 * A subquery over a statsQuery with one row per group of `keys` (columns of its union) and views,
 * clicks, visitors, visitors_approximate, and what its request asked for: unique_clicks and
 * unique_clicks_approximate (uniqueClicks), median_ttc in ms, NaN without tracked clicks (timeToClick).
 * Each UTC day's figures, summed.
 *
 * Distinct counts are additive across UTC days: a visitor id is a keyed hash with a salt of its UTC
 * day (lib/visitors/identity.ts), so ids of two days never match, and the visitors of a range are the
 * sum of each UTC day's. So states are merged within a day only, each day's count is finalized (exact
 * below VISITOR_SET_LIMIT, flagged as an estimate above), and the days are summed: a creator with
 * fewer than VISITOR_SET_LIMIT visitors a day sees exact figures over any range.
 */
export function dailyTotals(query: Pick<StatsQuery, 'union' | 'measures'>, keys: readonly string[]): string {
  const { union, measures: options } = query;
  const groupKeys = keys.join(', ');
  const perDay = [
    'sum(n_views) AS d_views',
    'sum(n_clicks) AS d_clicks',
    `${distinctCount('s_visitor_set', 's_visitor_sketch')} AS d_visitors`,
    `${isEstimate('s_visitor_set')} AS d_visitors_estimated`,
    ...(options.uniqueClicks ? [`${distinctCount('s_clicker_set', 's_clicker_sketch')} AS d_clickers`, `${isEstimate('s_clicker_set')} AS d_clickers_estimated`] : []),
    ...(options.timeToClick ? [`quantilesTDigestMergeState(${TTC_LEVELS})(s_ttc) AS d_ttc`] : []),
  ];
  const totals = [
    'sum(d_views) AS views',
    'sum(d_clicks) AS clicks',
    'sum(d_visitors) AS visitors',
    'max(d_visitors_estimated) AS visitors_approximate',
    ...(options.uniqueClicks ? ['sum(d_clickers) AS unique_clicks', 'max(d_clickers_estimated) AS unique_clicks_approximate'] : []),
    ...(options.timeToClick ? ['quantilesTDigestMerge(0.5)(d_ttc)[1] AS median_ttc'] : []),
  ];
  return `SELECT ${[...keys, ...totals].join(', ')}
    FROM (SELECT ${['utc_day', ...keys, ...perDay].join(', ')} FROM (${union}) GROUP BY ${['utc_day', ...keys].join(', ')})
    ${groupKeys ? `GROUP BY ${groupKeys}` : ''}`;
}

/** The distinct count of a day's set and sketch states, and whether it is an estimate (for reads that group days themselves, as breakdowns do). */
export const DISTINCT = { count: distinctCount, isEstimate } as const;

/** A 0/1 flag from ClickHouse (UInt8 arrives as a number, Bool as true/false) as a boolean. */
export const toFlag = (value: string | number | boolean | null | undefined) => value === true || value === 1 || value === '1';

/** A count as a number: 64-bit integers arrive as strings (COMMON_SETTINGS), and a missing row or empty merge as null. */
export const toCount = (value: string | number | null | undefined) => (value === null || value === undefined ? 0 : Number(value));

export interface StatsQuery {
  /** A subquery: one row per part, UTC day and group with utc_day [, bucket], the keys, n_views, n_clicks, the visitor set and sketch states [, the clicker ones] [, s_ttc]. */
  union: string;
  params: QueryParams;
  /** Which tables answered: for logs and tests. */
  tables: string[];
  /** The optional states the union holds (dailyTotals reads them). */
  measures: Pick<StatsRequest, 'uniqueClicks' | 'timeToClick'>;
}


/** The union of parts that answers `request` over `scope` (bots and the creator's own traffic excluded). */
export function statsQuery(scope: AnalyticsScope, request: StatsRequest): StatsQuery {
  const { where: rawWhere, params: rawParams } = scopeCondition(scope);
  const params: Record<string, string | number> = { ...rawParams, noLink: NO_LINK, allLinks: ALL_LINKS };
  if (request.bucket) params.tz = request.bucket.timeZone;

  const source = chooseSource(request.keys, scope.filters);
  let grains = { day: false, hour: false };
  if (source) {
    const offsets = request.bucket ? [...utcOffsetsWithin(request.bucket.timeZone, scope.from.getTime(), scope.to.getTime())] : [0];
    grains = {
      // UTC days are local days only where the zone is on UTC; hour buckets need hours.
      day: request.bucket?.interval !== 'hour' && offsets.every((offset) => offset === 0),
      hour: source.hourly !== undefined && offsets.every((offset) => offset % 60 === 0),
    };
  }
  const parts = splitRange(scope.from.getTime(), planEnd(scope.to.getTime()), grains);

  const bucketColumn = (time: string) => (request.bucket ? [`toDateTime(${bucketOf(request.bucket.interval, time)}, 'UTC') AS bucket`] : []);
  // Every part is also grouped by UTC day (utc_day): distinct counts are finalized per day (dailyTotals).
  const groupClause = `GROUP BY ${['utc_day', ...(request.bucket ? ['bucket'] : []), ...request.keys].join(', ')}`;
  const tables: string[] = [];
  const selects: string[] = [];

  // Aggregate parts: whole days from the daily table, whole hours from the hourly one.
  if (source) {
    const conditions = ['profile_id = {profile:UUID}', 'is_bot = 0', 'is_internal = 0'];
    if (source.dimension) {
      conditions.push('dimension = {dimension:String}');
      params.dimension = source.dimension;
    }
    for (const name of source.filters) {
      const column = DIMENSION_FILTERS[name];
      if (scope.filters[name] !== undefined) conditions.push(`${column === source.dimension ? 'value' : column} = {${name}:String}`);
    }
    if (scope.filters.link !== undefined) conditions.push('link_id IN ({noLink:UUID}, {link:UUID})');
    else conditions.push(request.keys.includes('link_id') ? 'link_id != {allLinks:UUID}' : 'link_id = {allLinks:UUID}');
    const keyColumns = request.keys.map((key) => (key === source.dimension ? `value AS ${key}` : key));
    const ttc = request.timeToClick ? [source.timeToClick ? `quantilesTDigestMergeState(${TTC_LEVELS})(time_to_click) AS s_ttc` : `quantilesTDigestStateIf(${TTC_LEVELS})(toUInt32(0), 0) AS s_ttc`] : [];
    const aggregatePart = (table: string, time: string, utcDay: string, timeCondition: string) => {
      tables.push(table);
      selects.push(
        `SELECT ${[
          `${utcDay} AS utc_day`,
          ...bucketColumn(time),
          ...keyColumns,
          'sum(views) AS n_views',
          'sum(clicks) AS n_clicks',
          `groupUniqArrayMergeState(${VISITOR_SET_LIMIT})(visitor_set) AS s_visitor_set`,
          `uniqCombined64MergeState(${SKETCH_PRECISION})(visitor_sketch) AS s_visitor_sketch`,
          ...(request.uniqueClicks
            ? [`groupUniqArrayMergeState(${VISITOR_SET_LIMIT})(clicker_set) AS s_clicker_set`, `uniqCombined64MergeState(${SKETCH_PRECISION})(clicker_sketch) AS s_clicker_sketch`]
            : []),
          ...ttc,
        ].join(', ')}
           FROM ${table} WHERE ${[...conditions, timeCondition].join(' AND ')} ${groupClause}`,
      );
    };
    if (parts.days.length > 0) aggregatePart(source.daily, "toDateTime(day, 'UTC')", 'day', spanCondition(parts.days, 'day', params));
    if (parts.hours.length > 0 && source.hourly) aggregatePart(source.hourly, 'hour', 'toDate(hour)', spanCondition(parts.hours, 'hour', params));
  }

  // Raw parts: the rest of the range; and, when time to click is wanted from a source without it,
  // the tracked clicks of the aggregated spans.
  const rawPart = (spans: Span[], eventTypes: readonly string[]) => {
    tables.push('events');
    const ttc = request.timeToClick ? [`quantilesTDigestStateIf(${TTC_LEVELS})(time_to_click_ms, event_type = 'click_position' AND time_to_click_ms > 0) AS s_ttc`] : [];
    selects.push(
      `SELECT ${[
        'toDate(timestamp) AS utc_day',
        ...bucketColumn('timestamp'),
        ...request.keys,
        "countIf(event_type = 'view') AS n_views",
        "countIf(event_type = 'click') AS n_clicks",
        `groupUniqArrayStateIf(${VISITOR_SET_LIMIT})(visitor_id, event_type IN ('view', 'click')) AS s_visitor_set`,
        `uniqCombined64StateIf(${SKETCH_PRECISION})(visitor_id, event_type IN ('view', 'click')) AS s_visitor_sketch`,
        ...(request.uniqueClicks
          ? [
              `groupUniqArrayStateIf(${VISITOR_SET_LIMIT})(visitor_id, event_type = 'click') AS s_clicker_set`,
              `uniqCombined64StateIf(${SKETCH_PRECISION})(visitor_id, event_type = 'click') AS s_clicker_sketch`,
            ]
          : []),
        ...ttc,
      ].join(', ')}
         FROM events
        WHERE ${rawWhere} AND event_type IN (${eventTypes.map((type) => `'${type}'`).join(', ')}) AND ${spanCondition(spans, 'timestamp', params)}
        ${groupClause}`,
    );
  };
  // An empty range still needs a part, one that finds nothing.
  if (parts.raw.length > 0 || selects.length === 0) rawPart(parts.raw, request.timeToClick ? ['view', 'click', 'click_position'] : ['view', 'click']);
  const aggregated = [...parts.days, ...parts.hours];
  if (request.timeToClick && source && !source.timeToClick && aggregated.length > 0) rawPart(aggregated, ['click_position']);

  return { union: selects.join('\nUNION ALL\n'), params, tables, measures: { uniqueClicks: request.uniqueClicks, timeToClick: request.timeToClick } };
}

// ---------------------------------------------------------------------------------------------
// The heatmap (heatmap_daily) and bot kinds (dimension_daily): one daily table for whole days, raw rows otherwise

/**
 * A read one daily table answers for whole UTC days (when `servable`: no filter it cannot apply), and
 * the raw rows for the rest: the union of at most two parts, each given its time condition.
 */
function dayOrRawUnion(
  scope: AnalyticsScope,
  read: { includeBots?: boolean; servable: boolean; table: string; daily: (days: string) => string; raw: (where: string) => string },
): StatsQuery {
  const { where: rawWhere, params: rawParams } = scopeCondition(scope, { includeBots: read.includeBots });
  const params: Record<string, string | number> = { ...rawParams, noLink: NO_LINK, allLinks: ALL_LINKS };
  const parts = splitRange(scope.from.getTime(), planEnd(scope.to.getTime()), { day: read.servable, hour: false });
  const selects: string[] = [];
  const tables: string[] = [];
  if (parts.days.length > 0) {
    tables.push(read.table);
    selects.push(read.daily(spanCondition(parts.days, 'day', params)));
  }
  // An empty range still needs a part, one that finds nothing.
  if (parts.raw.length > 0 || selects.length === 0) {
    tables.push('events');
    selects.push(read.raw(`${rawWhere} AND ${spanCondition(parts.raw, 'timestamp', params)}`));
  }
  return { union: selects.join('\nUNION ALL\n'), params, tables, measures: {} };
}

/** The union of parts with x_bucket, y_bucket and n_clicks per cell: heatmap_daily (device class and link in its key) for whole days. */
export function heatmapQuery(scope: AnalyticsScope): StatsQuery {
  const { device, link } = scope.filters;
  return dayOrRawUnion(scope, {
    servable: FILTER_NAMES.every((name) => name === 'device' || scope.filters[name] === undefined),
    table: 'heatmap_daily',
    daily: (days) =>
      `SELECT x_bucket, y_bucket, sum(clicks) AS n_clicks FROM heatmap_daily
        WHERE profile_id = {profile:UUID} AND is_bot = 0 AND is_internal = 0 AND ${days}
          ${device === undefined ? '' : 'AND device = {device:String}'} ${link === undefined ? '' : 'AND link_id = {link:UUID}'}
        GROUP BY x_bucket, y_bucket`,
    // The same cells as heatmap_daily_mv (clickhouse/0004).
    raw: (where) =>
      `SELECT toUInt8(least(floor(click_x * 100), 100)) AS x_bucket, toUInt16(least(intDiv(click_y, 16), 65535)) AS y_bucket, count() AS n_clicks
         FROM events WHERE ${where} AND event_type = 'click_position'
        GROUP BY x_bucket, y_bucket`,
  });
}

/**
 * The union of parts with `kind` (bot_kind, '' for people) and `n_events` (views and clicks), the
 * creator's own visits excluded: dimension_daily's bot_kind rows (bots and people alike) for whole days.
 */
export function botsQuery(scope: AnalyticsScope): StatsQuery {
  return dayOrRawUnion(scope, {
    includeBots: true,
    servable: FILTER_NAMES.every((name) => scope.filters[name] === undefined),
    table: 'dimension_daily',
    daily: (days) =>
      `SELECT value AS kind, sum(views) + sum(clicks) AS n_events FROM dimension_daily
        WHERE profile_id = {profile:UUID} AND is_internal = 0 AND dimension = 'bot_kind'
          AND ${scope.filters.link === undefined ? 'link_id = {allLinks:UUID}' : 'link_id IN ({noLink:UUID}, {link:UUID})'} AND ${days}
        GROUP BY kind`,
    raw: (where) => `SELECT toString(bot_kind) AS kind, count() AS n_events FROM events WHERE ${where} AND event_type IN ('view', 'click') GROUP BY kind`,
  });
}
