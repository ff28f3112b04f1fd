// Distinct visitors at any cardinality (query-plan.ts: VISITOR_SET_LIMIT, SKETCH_STANDARD_ERROR,
// dailyTotals). Visitor ids never repeat across UTC days (a salt per day), so a range's visitors are the
// sum of its days'. A day under the limit is exact and unflagged, whatever the range and whatever the
// mix of aggregate and raw parts; a day at or above it is an estimate, flagged, never below the limit,
// and the sum stays within the documented bound of the true count: for the summary, unique clicks, the
// time series, the top links and every breakdown table, the "other" row included. The events are
// generated inside the engine (numbers()), so a test holds hundreds of thousands.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { NO_LINK } from '../events/analytics-row.js';
import { createTestClickHouse, type TestClickHouse } from '../testing/clickhouse.js';
import { queryBots } from './bots.query.js';
import { queryBreakdown } from './breakdown.query.js';
import { queryLinks } from './links.query.js';
import { SKETCH_STANDARD_ERROR, VISITOR_SET_LIMIT, type AnalyticsScope } from './query-plan.js';
import { querySummary } from './summary.query.js';
import { queryTimeseries } from './timeseries.query.js';

const DAY = 86_400_000;
/** Midnight UTC, 20 days before the tests' end: whole days come from the aggregates. */
const START = Date.UTC(2026, 9, 1);
const DAYS = 20;
/** The bound the API documents is one standard error; the tests allow four, so no seed can fail them by chance. */
const BOUND = 4 * SKETCH_STANDARD_ERROR;

let engine: TestClickHouse;
let clickhouse: ClickHouse;
const LINK = randomUUID();

/**
 * Inserts `views` views over DAYS days (event n on day n mod DAYS), from `perDay` distinct visitors a
 * day: ids hashed with their day, as ingest's daily salt makes them, so no id is seen on two days. A
 * click on LINK for every third view. Cities cycle over 3,000 names, so breakdowns have far more
 * values than their top N.
 */
async function insertTraffic(profileId: string, views: number, perDay: number): Promise<void> {
  const columns = `event_id, event_type, source, timestamp, profile_id, link_id, click_id, visitor_id, is_bot, bot_kind, is_internal,
                   country, region, city, device, browser, os, referrer_domain, channel, utm_source, utm_medium, utm_campaign`;
  const values = (type: string, link: string, every: number) => `
    SELECT generateUUIDv4(number), '${type}', 'beacon',
           fromUnixTimestamp64Milli(toInt64({start:Int64} + (number % ${DAYS}) * ${DAY} + (cityHash64(number) % ${DAY}))),
           toUUID({profile:String}), toUUID('${link}'), toUUID('${NO_LINK}'),
           cityHash64(number % ${DAYS}, intDiv(number, ${DAYS}) % {perDay:UInt64}), 0, '', 0,
           ['DE', 'US', 'JP', 'FR'][1 + intDiv(number, 7) % 4], '', concat('city-', toString(number % 3000)),
           ['desktop', 'mobile', 'tablet'][1 + number % 3], 'Firefox', 'Linux', '', 'direct', '', '', ''
      FROM numbers({views:UInt64}) WHERE number % ${every} = 0`;
  const params = { start: START, profile: profileId, perDay, views };
  await clickhouse.command(`INSERT INTO events (${columns}) ${values('view', NO_LINK, 1)}`, params);
  await clickhouse.command(`INSERT INTO events (${columns}) ${values('click', LINK, 3)}`, params);
}

interface Truth {
  visitors: number;
  /** Whether any UTC day of it reaches the limit: what the API must flag. */
  approximate: boolean;
}

/** The true distinct count of the profile's rows matching `where`, before `to`, from the raw rows: per UTC day, summed. */
async function truthOf(profileId: string, to: Date, where = '1', params: Record<string, unknown> = {}): Promise<Truth> {
  const [row] = await clickhouse.query<{ visitors: string; busiest: string }>(
    `SELECT sum(n) AS visitors, max(n) AS busiest FROM (
       SELECT toDate(timestamp) AS day, uniqExact(visitor_id) AS n FROM events
        WHERE profile_id = {profile:UUID} AND timestamp < fromUnixTimestamp64Milli({to:Int64}) AND ${where} GROUP BY day)`,
    { profile: profileId, to: to.getTime(), ...params },
  );
  return { visitors: Number(row!.visitors), approximate: Number(row!.busiest) >= VISITOR_SET_LIMIT };
}

/** Exact and unflagged when no day reaches the limit; flagged, never below the limit, and within the bound otherwise. */
function expectCounted(estimate: number, approximate: boolean, truth: Truth): void {
  expect(approximate).toBe(truth.approximate);
  if (!truth.approximate) return void expect(estimate).toBe(truth.visitors);
  expect(estimate).toBeGreaterThanOrEqual(VISITOR_SET_LIMIT);
  expect(Math.abs(estimate - truth.visitors) / truth.visitors).toBeLessThanOrEqual(BOUND);
}

/** A range of whole days plus a partial day at its end, so aggregate and raw parts merge. */
const scopeOf = (profileId: string): AnalyticsScope => ({ profileId, from: new Date(START), to: new Date(START + (DAYS - 1) * DAY + 7 * 3_600_000 + 123), filters: {} });

beforeAll(async () => {
  engine = await createTestClickHouse('visitor-estimates');
  clickhouse = engine.clickhouse;
});

afterAll(async () => {
  await engine?.close();
});

describe('distinct visitors', () => {
  it.each([
    // views, visitors a day
    [1, 1],
    [2_000, 50],
    [DAYS * 1_000, VISITOR_SET_LIMIT - 1],
    [DAYS * 300, VISITOR_SET_LIMIT],
    [DAYS * 2_000, 1_500],
    [150_000, 5_000],
    [400_000, 15_000],
  ])('are exact for days under the limit and flagged estimates within the bound above it (%i views, %i visitors a day)', async (views, perDay) => {
    const profileId = randomUUID();
    await insertTraffic(profileId, views, perDay);
    const scope = scopeOf(profileId);

    const summary = await querySummary(clickhouse, scope);
    expectCounted(summary.visitors, summary.visitorsApproximate, await truthOf(profileId, scope.to));
    expectCounted(summary.uniqueClicks, summary.uniqueClicksApproximate, await truthOf(profileId, scope.to, "event_type = 'click'"));
    const [link] = await queryLinks(clickhouse, scope);
    expect([link?.uniqueClicks, link?.uniqueClicksApproximate]).toEqual([summary.uniqueClicks, summary.uniqueClicksApproximate]);

    // Daily points: each day's own visitors.
    const points = await queryTimeseries(clickhouse, scope, 'day', 'UTC');
    expect(points).toHaveLength(DAYS);
    for (const point of points) {
      const dayEnd = new Date(Math.min(Date.parse(point.start) + DAY, scope.to.getTime()));
      expectCounted(point.visitors, point.visitorsApproximate, await truthOf(profileId, dayEnd, 'timestamp >= fromUnixTimestamp64Milli({from:Int64})', { from: Date.parse(point.start) }));
    }

    // Breakdowns: the top values, then one "other" row (when there are more); views and clicks add up
    // to the totals exactly; the other row's visitors are the distinct visitors of all the values it holds.
    const cities = await queryBreakdown(clickhouse, scope, ['city'], 100);
    const top = cities.filter((row) => !row.other);
    const other = cities.filter((row) => row.other);
    expect(cities.reduce((sum, row) => sum + row.views, 0)).toBe(summary.views);
    expect(cities.reduce((sum, row) => sum + row.clicks, 0)).toBe(summary.clicks);
    if (summary.views > 100) {
      expect(top).toHaveLength(100);
      expect(other).toHaveLength(1);
      expect(other[0]!.values).toEqual({ city: '' });
      expectCounted(other[0]!.visitors, other[0]!.visitorsApproximate, await truthOf(profileId, scope.to, 'city NOT IN {top:Array(String)}', { top: top.map((row) => row.values.city!) }));
    }
    const countries = await queryBreakdown(clickhouse, scope, ['country'], 100);
    expect(countries.some((row) => row.other)).toBe(false);
    for (const row of countries) {
      expectCounted(row.visitors, row.visitorsApproximate, await truthOf(profileId, scope.to, 'country = {country:String}', { country: row.values.country! }));
    }
  });
});

describe('a range reaching the present', () => {
  it('counts today so far from the day rows exactly as the raw rows do', async () => {
    const profileId = randomUUID();
    const now = Date.now();
    // 600 views of 200 visitors over the last 30 hours (none in the future), a click for every third.
    const columns = `event_id, event_type, source, timestamp, profile_id, link_id, click_id, visitor_id, is_bot, bot_kind, is_internal,
                     country, region, city, device, browser, os, referrer_domain, channel, utm_source, utm_medium, utm_campaign`;
    const rows = (type: string, link: string, every: number) => `
      SELECT generateUUIDv4(number), '${type}', 'beacon', fromUnixTimestamp64Milli(toInt64({now:Int64} - 1 - (cityHash64(number) % ${30 * 3_600_000}))),
             toUUID({profile:String}), toUUID('${link}'), toUUID('${NO_LINK}'), 1 + number % 200, number % 10 = 0, if(number % 10 = 0, 'crawler', ''), 0,
             ['DE', 'US', 'JP'][1 + number % 3], '', '', 'mobile', 'Firefox', 'Linux', '', 'direct', '', '', ''
        FROM numbers(600) WHERE number % ${every} = 0`;
    await clickhouse.command(`INSERT INTO events (${columns}) ${rows('view', NO_LINK, 1)}`, { now, profile: profileId });
    await clickhouse.command(`INSERT INTO events (${columns}) ${rows('click', LINK, 3)}`, { now, profile: profileId });
    const scope: AnalyticsScope = { profileId, from: new Date(now - 30 * 3_600_000), to: new Date(now), filters: {} };
    const [truth] = await clickhouse.query<{ views: string; clicks: string; visitors: string }>(
      `SELECT countIf(event_type = 'view') AS views, countIf(event_type = 'click') AS clicks, uniqExact(toDate(timestamp), visitor_id) AS visitors
         FROM events WHERE profile_id = {profile:UUID} AND is_bot = 0`,
      { profile: profileId },
    );
    const summary = await querySummary(clickhouse, scope);
    expect({ views: summary.views, clicks: summary.clicks, visitors: summary.visitors }).toEqual({ views: Number(truth!.views), clicks: Number(truth!.clicks), visitors: Number(truth!.visitors) });
    const countries = await queryBreakdown(clickhouse, scope, ['country'], 100);
    expect(countries.reduce((sum, row) => sum + row.views, 0)).toBe(summary.views);
    const bots = await queryBots(clickhouse, scope);
    expect(bots.find((kind) => kind.kind === 'crawler')?.events).toBe(60 + 20);
  });
});
