// The analytics schema (clickhouse/NNNN_*.sql) on every adapter: each aggregate table that a
// materialized view keeps, read back with -Merge, must equal the same aggregate computed directly
// over the raw events; a batch retried with its deduplication token must be counted once in the
// raw table and in every aggregate, as the consumers' exactly-once promise depends on it; and the
// reconciler's verification (aggregates.ts) must find every damaged slice and rebuild it exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BOT_KINDS, NO_LINK, type AnalyticsRow, type DeviceClass } from '../events/analytics-row.js';
import { testLogger } from '../testing/services.js';
import { uniqueName } from '../testing/wait-for.js';
import { listAggregateTables, rebuildAggregateTable, verifyAggregates } from './aggregates.js';
import { assertIdentifier, type ClickHouse, type QueryParams, type Row } from './clickhouse.js';
import { seededRandom } from '../seeded-random.js';
import { migrateClickHouse } from './migrate.js';
import { ALL_LINKS } from '../analytics/query-plan.js';
import { describeEachClickHouse, type MakeClickHouse } from './testing/each-adapter.js';

const GEO: readonly (readonly [string, string, string])[] = [
  ['DE', 'Berlin', 'Berlin'],
  ['DE', 'Bavaria', 'Munich'],
  ['US', 'California', 'San Francisco'],
  ['US', 'Georgia', 'Atlanta'],
  ['GE', 'Tbilisi', 'Tbilisi'],
  ['JP', 'Tokyo', 'Tokyo'],
  ['BR', 'São Paulo', 'São Paulo'],
  ['', '', ''],
];
const BROWSERS = ['Chrome', 'Firefox', 'Safari', 'Edge'];
const OPERATING_SYSTEMS = ['Windows', 'macOS', 'Linux', 'iOS', 'Android'];
const REFERRERS: readonly (readonly [string, AnalyticsRow['channel']])[] = [
  ['', 'direct'],
  ['github.com', 'github'],
  ['news.ycombinator.com', 'hacker_news'],
  ['google.com', 'search'],
  ['blog.example.org', 'referral'],
];
const UTM: readonly (readonly [string, string, string])[] = [
  ['', '', ''],
  ['', '', ''],
  ['newsletter', 'email', 'launch-2026'],
  ['twitter', 'social', 'launch-2026'],
];

interface AnalyticsBatch {
  rows: AnalyticsRow[];
  /** Selects the batch's profiles: {profiles:Array(UUID)}. */
  params: QueryParams;
}

/**
 * Events for three profiles with four links each, over 30 hours that cross a UTC month boundary (so
 * a batch spans partitions), shaped as the consumers write them: views; clicks counted from the
 * redirect, most of them marked by the tracker and followed by their click_position row (position,
 * time to click), some unmarked (no JavaScript); bots (whose clicks have no position) and the
 * creator's own visits; several devices, places, referrers and campaigns.
 */
function newAnalyticsBatch(seed: number, size = 1500): AnalyticsBatch {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hex = (bytes: number) => Array.from({ length: bytes }, () => Math.floor(random() * 256).toString(16).padStart(2, '0')).join('');
  const uuid = () => {
    const h = hex(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-7${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const now = new Date();
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1) - 4 * 3_600_000;
  const profiles = Array.from({ length: 3 }, () => ({
    id: uuid(),
    links: Array.from({ length: 4 }, uuid),
    visitors: Array.from({ length: 40 }, () => BigInt(`0x${hex(8)}`).toString()),
    // An A/B test of the first link: views carry it (the visitor is assigned), clicks on that link too.
    test: uuid(),
  }));
  const variantOf = (visitor: string) => 1 + (Number(BigInt(visitor) % 3n) % 2);
  const rows: AnalyticsRow[] = [];
  for (let i = 0; i < size; i += 1) {
    const profile = pick(profiles);
    const isBot = random() < 0.1;
    const [country, region, city] = pick(GEO);
    const [referrerDomain, channel] = pick(REFERRERS);
    const [utmSource, utmMedium, utmCampaign] = pick(UTM);
    const visitor = pick(profile.visitors);
    const view: AnalyticsRow = {
      event_id: uuid(),
      event_type: 'view',
      source: 'beacon',
      timestamp: start + Math.floor(random() * 30 * 3_600_000),
      profile_id: profile.id,
      link_id: NO_LINK,
      click_id: NO_LINK,
      visitor_id: visitor,
      is_bot: isBot ? 1 : 0,
      bot_kind: isBot ? pick(BOT_KINDS.filter(Boolean)) : '',
      is_internal: !isBot && random() < 0.05 ? 1 : 0,
      country,
      region,
      city,
      device: isBot ? 'bot' : pick(['desktop', 'mobile', 'tablet', 'other'] as const satisfies readonly DeviceClass[]),
      browser: pick(BROWSERS),
      os: pick(OPERATING_SYSTEMS),
      referrer_domain: referrerDomain,
      channel,
      utm_source: utmSource,
      utm_medium: utmMedium,
      utm_campaign: utmCampaign,
      trigger: random() < 0.2 ? 'qr' : 'link',
      ab_tests: [profile.test],
      ab_variants: [variantOf(visitor)],
      click_x: 0,
      click_y: 0,
      viewport_width: 0,
      viewport_height: 0,
      time_to_click_ms: 0,
    };
    if (random() < 0.55) {
      rows.push(view);
      continue;
    }
    const isMarked = !isBot && random() < 0.75;
    const link = pick(profile.links);
    const tested = link === profile.links[0];
    const click: AnalyticsRow = {
      ...view,
      event_type: 'click',
      source: 'redirect',
      link_id: link,
      click_id: isMarked ? uuid() : NO_LINK,
      ab_tests: tested ? view.ab_tests : [],
      ab_variants: tested ? view.ab_variants : [],
    };
    rows.push(click);
    if (!isMarked) continue;
    rows.push({
      ...click,
      event_id: uuid(),
      event_type: 'click_position',
      source: 'beacon',
      // The beacon leaves just before the navigation; sometimes across an hour boundary.
      timestamp: click.timestamp - Math.floor(random() * 400),
      // The edges of the grid: both borders of the column and its very top.
      click_x: pick([0, 1, 0.5, random(), random(), random()]),
      click_y: pick([0, 15, 16, Math.floor(random() * 3000)]),
      viewport_width: pick([390, 768, 1440]),
      viewport_height: pick([844, 1024, 900]),
      time_to_click_ms: random() < 0.9 ? 200 + Math.floor(random() * 60_000) : 0,
    });
  }
  return { rows, params: { profiles: profiles.map((p) => p.id) } };
}

/** The merged states of link_stats_* and the same measures over raw events, per key. */
const TRAFFIC_MEASURES = {
  aggregate: `sum(views) AS views, sum(clicks) AS clicks,
              length(groupUniqArrayMerge(256)(visitor_set)) AS visitor_set, uniqCombined64Merge(12)(visitor_sketch) AS visitor_sketch,
              length(groupUniqArrayMerge(256)(clicker_set)) AS clicker_set, uniqCombined64Merge(12)(clicker_sketch) AS clicker_sketch`,
  raw: `countIf(event_type = 'view') AS views, countIf(event_type = 'click') AS clicks,
        least(uniqExactIf(visitor_id, event_type IN ('view', 'click')), 256) AS visitor_set, uniqCombined64If(12)(visitor_id, event_type IN ('view', 'click')) AS visitor_sketch,
        least(uniqExactIf(visitor_id, event_type = 'click'), 256) AS clicker_set, uniqCombined64If(12)(visitor_id, event_type = 'click') AS clicker_sketch`,
};

/**
 * The raw events as the aggregates see them: every row once for its link and once for all links
 * (ALL_LINKS, clickhouse/0007). Compare aggregates keyed by link_id with this, not with `events`.
 */
const EVENTS_PER_LINK_AND_ALL = `(SELECT * REPLACE (link AS link_id) FROM events ARRAY JOIN [link_id, toUUID('${ALL_LINKS}')] AS link)`;

const DIMENSIONS = ['device', 'browser', 'os', 'referrer_domain', 'channel', 'utm_source', 'utm_medium', 'utm_campaign', 'bot_kind', 'trigger'] as const;

function analyticsSchemaSuite(makeAdapter: MakeClickHouse): void {
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    clickhouse = await makeAdapter(uniqueName('test'));
    await migrateClickHouse(clickhouse, { logger: testLogger });
  });
  afterAll(async () => {
    await clickhouse?.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`).catch(() => undefined);
    await clickhouse?.close();
  });

  async function insertBatch(seed: number): Promise<AnalyticsBatch> {
    const batch = newAnalyticsBatch(seed);
    await clickhouse.insert('events', batch.rows, { deduplicationToken: uniqueName(`events_v1:${seed}`) });
    return batch;
  }

  /** Runs both queries; they must agree, and on something: an empty result proves nothing. */
  async function expectAggregateMatchesRaw(aggregateSql: string, rawSql: string, params: QueryParams): Promise<Row[]> {
    const fromRaw = await clickhouse.query(rawSql, params);
    const fromAggregate = await clickhouse.query(aggregateSql, params);
    expect(fromRaw.length).toBeGreaterThan(0);
    expect(fromAggregate).toEqual(fromRaw);
    return fromAggregate;
  }

  it('keeps traffic per profile and link, by hour and by day, equal to the raw events', async () => {
    const { rows, params } = await insertBatch(1);
    expect(await clickhouse.query('SELECT count() AS n FROM events WHERE profile_id IN {profiles:Array(UUID)}', params)).toEqual([
      { n: String(rows.length) },
    ]);

    for (const [table, period, rawPeriod] of [
      ['traffic_hourly', 'hour', 'toStartOfHour(toDateTime(timestamp))'],
      ['traffic_daily', 'day', 'toDate(timestamp)'],
    ] as const) {
      const keys = `profile_id, is_bot, is_internal, ${period}, link_id`;
      const merged = await expectAggregateMatchesRaw(
        `SELECT ${keys}, ${TRAFFIC_MEASURES.aggregate} FROM ${table}
         WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${keys} ORDER BY ${keys}`,
        `SELECT profile_id, is_bot, is_internal, ${rawPeriod} AS ${period}, link_id, ${TRAFFIC_MEASURES.raw} FROM ${EVENTS_PER_LINK_AND_ALL}
         WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${keys} ORDER BY ${keys}`,
        params,
      );
      // The batch crosses a month: both partitions hold aggregates, bots and internal visits kept apart.
      expect(new Set(merged.map((row) => String(row[period]).slice(0, 7))).size).toBe(2);
      expect(merged.some((row) => row.is_bot === 1) && merged.some((row) => row.is_internal === 1)).toBe(true);
    }

    // What the summary reads: the profile's human traffic, from the rows for all links, merged across hours.
    const summary = await expectAggregateMatchesRaw(
      `SELECT profile_id, ${TRAFFIC_MEASURES.aggregate} FROM traffic_hourly
       WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 AND link_id = {allLinks:UUID} GROUP BY profile_id ORDER BY profile_id`,
      `SELECT profile_id, ${TRAFFIC_MEASURES.raw} FROM events
       WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 GROUP BY profile_id ORDER BY profile_id`,
      { ...params, allLinks: ALL_LINKS },
    );
    const humans = rows.filter((row) => row.is_bot === 0 && row.is_internal === 0);
    expect(summary.map((row) => Number(row.views)).reduce((a, b) => a + b)).toBe(humans.filter((row) => row.event_type === 'view').length);
    expect(summary.map((row) => Number(row.clicks)).reduce((a, b) => a + b)).toBe(humans.filter((row) => row.event_type === 'click').length);

    // Time to click: t-digest states merged across days and hours, per link, against the same
    // quantiles over the raw click_position rows. (Both are t-digest estimates: with a few dozen
    // clicks, p90 can sit a neighbouring sample away from the exact value.)
    const timing = await clickhouse.query<{ link_id: string; merged: number[]; direct: number[] }>(
      `SELECT link_id, merged, direct FROM
         (SELECT link_id, quantilesTDigestMerge(0.5, 0.9)(time_to_click) AS merged FROM traffic_hourly
          WHERE profile_id IN {profiles:Array(UUID)} AND link_id != {noLink:UUID} GROUP BY link_id) AS a
       INNER JOIN
         (SELECT link_id, quantilesTDigestIf(0.5, 0.9)(time_to_click_ms, time_to_click_ms > 0) AS direct FROM events
          WHERE profile_id IN {profiles:Array(UUID)} AND event_type = 'click_position' GROUP BY link_id) AS b USING (link_id)
       ORDER BY link_id`,
      { ...params, noLink: NO_LINK },
    );
    expect(timing).toHaveLength(12);
    for (const { merged, direct } of timing) {
      expect(merged).toHaveLength(2);
      merged.forEach((value, i) => expect(Math.abs(value - direct[i]!)).toBeLessThanOrEqual(direct[i]! * 0.01));
    }
  });

  it('keeps geo and dimension breakdowns by day equal to the raw events', async () => {
    const { params } = await insertBatch(2);
    const geoKeys = 'profile_id, is_bot, is_internal, day, country, region, city, link_id';
    await expectAggregateMatchesRaw(
      `SELECT ${geoKeys}, ${TRAFFIC_MEASURES.aggregate} FROM geo_daily
       WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${geoKeys} ORDER BY ${geoKeys}`,
      `SELECT profile_id, is_bot, is_internal, toDate(timestamp) AS day, country, region, city, link_id, ${TRAFFIC_MEASURES.raw} FROM ${EVENTS_PER_LINK_AND_ALL}
       WHERE profile_id IN {profiles:Array(UUID)} AND event_type IN ('view', 'click') GROUP BY ${geoKeys} ORDER BY ${geoKeys}`,
      params,
    );
    // Countries are roll-ups of the city rows for all links; 'GE' (Georgia) never mixes with the US state.
    const countries = await expectAggregateMatchesRaw(
      `SELECT country, ${TRAFFIC_MEASURES.aggregate} FROM geo_daily
       WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 AND link_id = {allLinks:UUID} GROUP BY country ORDER BY country`,
      `SELECT country, ${TRAFFIC_MEASURES.raw} FROM events
       WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 AND event_type IN ('view', 'click')
       GROUP BY country ORDER BY country`,
      { ...params, allLinks: ALL_LINKS },
    );
    expect(countries.map((row) => row.country)).toEqual(['', 'BR', 'DE', 'GE', 'JP', 'US']);

    for (const dimension of DIMENSIONS) {
      assertIdentifier(dimension, 'column');
      const keys = 'profile_id, is_bot, is_internal, day, value, link_id';
      const rows = await expectAggregateMatchesRaw(
        `SELECT ${keys}, ${TRAFFIC_MEASURES.aggregate} FROM dimension_daily
         WHERE profile_id IN {profiles:Array(UUID)} AND dimension = {dimension:String} GROUP BY ${keys} ORDER BY ${keys}`,
        `SELECT profile_id, is_bot, is_internal, toDate(timestamp) AS day, toString(${dimension}) AS value, link_id, ${TRAFFIC_MEASURES.raw}
         FROM ${EVENTS_PER_LINK_AND_ALL} WHERE profile_id IN {profiles:Array(UUID)} AND event_type IN ('view', 'click') GROUP BY ${keys} ORDER BY ${keys}`,
        { ...params, dimension },
      );
      expect(new Set(rows.map((row) => row.value)).size, dimension).toBeGreaterThan(1);
    }

    // UTM source × medium × campaign, the combinations no single dimension holds.
    const utmKeys = 'profile_id, is_bot, is_internal, day, utm_source, utm_medium, utm_campaign, link_id';
    const combinations = await expectAggregateMatchesRaw(
      `SELECT ${utmKeys}, ${TRAFFIC_MEASURES.aggregate} FROM utm_daily
       WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${utmKeys} ORDER BY ${utmKeys}`,
      `SELECT profile_id, is_bot, is_internal, toDate(timestamp) AS day, utm_source, utm_medium, utm_campaign, link_id, ${TRAFFIC_MEASURES.raw} FROM ${EVENTS_PER_LINK_AND_ALL}
       WHERE profile_id IN {profiles:Array(UUID)} AND event_type IN ('view', 'click') GROUP BY ${utmKeys} ORDER BY ${utmKeys}`,
      params,
    );
    expect(new Set(combinations.map((row) => JSON.stringify([row.utm_source, row.utm_medium, row.utm_campaign]))).size).toBeGreaterThan(1);
  });

  it('keeps A/B test variants by day equal to the raw events: page views assign, clicks on the tested link count', async () => {
    const { rows, params } = await insertBatch(6);
    const keys = 'profile_id, is_bot, is_internal, test_id, day, variant';
    const variants = await expectAggregateMatchesRaw(
      `SELECT ${keys}, ${TRAFFIC_MEASURES.aggregate} FROM ab_test_daily
       WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${keys} ORDER BY ${keys}`,
      `SELECT profile_id, is_bot, is_internal, test_id, toDate(timestamp) AS day, variant, ${TRAFFIC_MEASURES.raw}
       FROM events ARRAY JOIN ab_tests AS test_id, ab_variants AS variant
       WHERE profile_id IN {profiles:Array(UUID)} AND event_type IN ('view', 'click') GROUP BY ${keys} ORDER BY ${keys}`,
      params,
    );
    expect(new Set(variants.map((row) => row.variant))).toEqual(new Set([1, 2]));
    // Clicks are those of the tested link only; views are all of the page's.
    const clicksOnTested = rows.filter((row) => row.event_type === 'click' && row.ab_tests.length > 0).length;
    expect(variants.reduce((sum, row) => sum + Number(row.clicks), 0)).toBe(clicksOnTested);
    expect(variants.reduce((sum, row) => sum + Number(row.views), 0)).toBe(rows.filter((row) => row.event_type === 'view').length);
    expect(clicksOnTested).toBeLessThan(rows.filter((row) => row.event_type === 'click').length);
  });

  it('keeps heatmap cells by day equal to the tracked clicks in the raw events', async () => {
    const { rows, params } = await insertBatch(3);
    const keys = 'profile_id, is_bot, is_internal, device, day, link_id, x_bucket, y_bucket';
    const cells = await expectAggregateMatchesRaw(
      `SELECT ${keys}, sum(clicks) AS clicks FROM heatmap_daily
       WHERE profile_id IN {profiles:Array(UUID)} GROUP BY ${keys} ORDER BY ${keys}`,
      `SELECT profile_id, is_bot, is_internal, device, toDate(timestamp) AS day, link_id,
              toUInt8(floor(click_x * 100)) AS x_bucket, toUInt16(intDiv(click_y, 16)) AS y_bucket, count() AS clicks
       FROM events WHERE profile_id IN {profiles:Array(UUID)} AND event_type = 'click_position'
       GROUP BY ${keys} ORDER BY ${keys}`,
      params,
    );

    // The grid itself, computed here from the generated clicks: x in hundredths of the column's width
    // (x = 1 is cell 100; click_x is a Float32, hence fround), y in rows of 16 CSS pixels.
    const expected = new Map<string, number>();
    for (const row of rows) {
      if (row.event_type !== 'click_position') continue;
      const cell = `${row.profile_id} ${row.device} ${row.link_id} ${Math.floor(Math.fround(row.click_x) * 100)} ${Math.floor(row.click_y / 16)}`;
      expected.set(cell, (expected.get(cell) ?? 0) + 1);
    }
    const actual = new Map<string, number>();
    for (const cell of cells) {
      const key = `${String(cell.profile_id)} ${String(cell.device)} ${String(cell.link_id)} ${String(cell.x_bucket)} ${String(cell.y_bucket)}`;
      actual.set(key, (actual.get(key) ?? 0) + Number(cell.clicks));
    }
    expect(actual).toEqual(expected);
    expect(cells.some((cell) => cell.x_bucket === 100) && cells.some((cell) => cell.x_bucket === 0 && cell.y_bucket === 0)).toBe(true);
  });

  it('finds every aggregate slice that differs from the raw events, and rebuilds it (again and again) to match', async () => {
    const { rows, params } = await insertBatch(5);
    const profiles = params.profiles as string[];
    const times = rows.map((row) => row.timestamp);
    const range = { from: new Date(Math.floor(Math.min(...times) / 86_400_000) * 86_400_000), to: new Date(Math.ceil((Math.max(...times) + 1) / 86_400_000) * 86_400_000), profiles };
    const tables = await listAggregateTables(clickhouse);
    expect(tables.map((table) => [table.table, table.period, table.counts])).toEqual([
      ['ab_test_daily', 'day', ['views', 'clicks']],
      ['dimension_daily', 'day', ['views', 'clicks']],
      ['geo_daily', 'day', ['views', 'clicks']],
      ['heatmap_daily', 'day', ['clicks']],
      ['traffic_daily', 'day', ['views', 'clicks', 'timed_clicks']],
      ['traffic_hourly', 'hour', ['views', 'clicks', 'timed_clicks']],
      ['utm_daily', 'day', ['views', 'clicks']],
    ]);
    expect(await verifyAggregates(clickhouse, range, tables)).toEqual([]);

    // Damage: one profile's hour gone from traffic_hourly, a day of the heatmap gone, and a block of
    // click positions that reached `events` but not traffic_daily (its view detached), so only
    // timed_clicks can tell.
    const [profile] = profiles;
    const [hour] = await clickhouse.query<{ hour: string }>('SELECT min(hour) AS hour FROM traffic_hourly WHERE profile_id = {p:UUID}', { p: profile! });
    await clickhouse.command('DELETE FROM traffic_hourly WHERE profile_id = {p:UUID} AND hour = {h:DateTime}', { p: profile!, h: hour!.hour });
    await clickhouse.command('DELETE FROM heatmap_daily WHERE profile_id IN {profiles:Array(UUID)} AND day = {d:Date}', {
      profiles,
      d: new Date(range.from.getTime() + 86_400_000).toISOString().slice(0, 10),
    });
    const positions = rows.filter((row) => row.event_type === 'click_position' && row.time_to_click_ms > 0).slice(0, 5);
    await clickhouse.command('DETACH TABLE traffic_daily_mv');
    try {
      await clickhouse.insert('events', positions.map((row) => ({ ...row, event_id: crypto.randomUUID() })), { deduplicationToken: uniqueName('positions') });
    } finally {
      await clickhouse.command('ATTACH TABLE traffic_daily_mv');
    }

    const found = await verifyAggregates(clickhouse, range, tables);
    expect(new Set(found.map((mismatch) => mismatch.table))).toEqual(new Set(['traffic_hourly', 'heatmap_daily', 'traffic_daily']));
    const hourly = found.find((mismatch) => mismatch.table === 'traffic_hourly')!;
    expect(hourly).toMatchObject({ profileId: profile, period: 'hour', stored: { views: 0, clicks: 0, timed_clicks: 0 } });
    expect(Object.values(hourly.expected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(0);
    const daily = found.filter((mismatch) => mismatch.table === 'traffic_daily');
    expect(daily.every((mismatch) => mismatch.expected.views === mismatch.stored.views && mismatch.expected.timed_clicks! > mismatch.stored.timed_clicks!)).toBe(true);

    // Rebuilding is idempotent: twice over the same slices, and once more over the whole range.
    for (let round = 0; round < 2; round++) {
      for (const table of tables) await rebuildAggregateTable(clickhouse, table, range);
      expect(await verifyAggregates(clickhouse, range, tables)).toEqual([]);
    }
    // The rebuilt states merge like the views' own: unique visitors and time to click as before.
    const merged = await clickhouse.query(
      `SELECT length(groupUniqArrayMerge(256)(visitor_set)) AS visitors, uniqCombined64Merge(12)(visitor_sketch) AS estimate, quantilesTDigestMerge(0.5)(time_to_click)[1] > 0 AS timed
         FROM traffic_daily WHERE profile_id IN {profiles:Array(UUID)}`,
      params,
    );
    const raw = await clickhouse.query(
      `SELECT least(uniqExactIf(visitor_id, event_type IN ('view', 'click')), 256) AS visitors, uniqCombined64If(12)(visitor_id, event_type IN ('view', 'click')) AS estimate, 1 AS timed
         FROM events WHERE profile_id IN {profiles:Array(UUID)}`,
      params,
    );
    expect(merged).toEqual(raw);
  });

  it('counts a retried batch once in the raw events and in every aggregate; another batch counts again', async () => {
    const { rows, params } = newAnalyticsBatch(4);
    const totals = async (): Promise<Record<string, Row[]>> => {
      const result: Record<string, Row[]> = {};
      for (const [name, sql] of Object.entries(BATCH_TOTALS)) result[name] = await clickhouse.query(sql, params);
      return result;
    };

    // A consumer's token names the records of a batch (topic, partition, offsets).
    await clickhouse.insert('events', rows, { deduplicationToken: 'events_v1:0:1000-2499' });
    const once = await totals();
    expect(once.events).toEqual([{ events: String(rows.length) }]);
    expect(once.dimension_daily).toHaveLength(DIMENSIONS.length);
    expect(Number(once.heatmap_daily![0]!.clicks)).toBeGreaterThan(0);

    await clickhouse.insert('events', rows, { deduplicationToken: 'events_v1:0:1000-2499' });
    expect(await totals()).toEqual(once);

    // The same rows under another token are another batch: counts double, visitors stay the same.
    await clickhouse.insert('events', rows, { deduplicationToken: 'events_v1:0:2500-3999' });
    const doubled = (row: Row): Row => {
      const counts = ['events', 'views', 'clicks'].filter((name) => name in row).map((name): [string, string] => [name, String(2 * Number(row[name]))]);
      return { ...row, ...Object.fromEntries(counts) };
    };
    expect(await totals()).toEqual(Object.fromEntries(Object.entries(once).map(([name, measures]) => [name, measures.map(doubled)])));
  });
}

/** What the deduplication test compares, per table, for one batch's profiles. */
const BATCH_TOTALS: Readonly<Record<string, string>> = {
  events: 'SELECT count() AS events FROM events WHERE profile_id IN {profiles:Array(UUID)}',
  ...Object.fromEntries(
    ['traffic_hourly', 'traffic_daily', 'geo_daily'].map((table) => [
      table,
      `SELECT ${TRAFFIC_MEASURES.aggregate} FROM ${table} WHERE profile_id IN {profiles:Array(UUID)}`,
    ]),
  ),
  dimension_daily: `SELECT dimension, ${TRAFFIC_MEASURES.aggregate} FROM dimension_daily
    WHERE profile_id IN {profiles:Array(UUID)} GROUP BY dimension ORDER BY dimension`,
  utm_daily: `SELECT ${TRAFFIC_MEASURES.aggregate} FROM utm_daily WHERE profile_id IN {profiles:Array(UUID)}`,
  ab_test_daily: `SELECT variant, ${TRAFFIC_MEASURES.aggregate} FROM ab_test_daily WHERE profile_id IN {profiles:Array(UUID)} GROUP BY variant ORDER BY variant`,
  heatmap_daily: 'SELECT sum(clicks) AS clicks FROM heatmap_daily WHERE profile_id IN {profiles:Array(UUID)}',
};

describeEachClickHouse('analytics schema', analyticsSchemaSuite);
