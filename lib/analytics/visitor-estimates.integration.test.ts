// Distinct visitors at any cardinality (query-plan.ts: VISITOR_SET_LIMIT, SKETCH_STANDARD_ERROR): exact
// and flagged exact below the limit, whatever the mix of aggregate and raw parts; above it an estimate,
// flagged, never below the limit, and within the documented bound of the true count, for the summary,
// unique clicks, the time series, the top links and every breakdown table, merged over many days.
// The events are generated inside the engine (numbers()), so a test holds hundreds of thousands.
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
 * Inserts `views` views of `visitors` distinct visitors over DAYS days (visitor i on day i mod DAYS,
 * so each visitor comes back on several days when views > visitors), and a click on LINK for every
 * third view. Cities cycle over 3,000 names, so breakdowns have far more values than their top N.
 */
async function insertTraffic(profileId: string, views: number, visitors: number): Promise<void> {
  const columns = `event_id, event_type, source, timestamp, profile_id, link_id, click_id, visitor_id, is_bot, bot_kind, is_internal,
                   country, region, city, device, browser, os, referrer_domain, channel, utm_source, utm_medium, utm_campaign`;
  const values = (type: string, link: string, every: number) => `
    SELECT generateUUIDv4(number), '${type}', 'beacon',
           fromUnixTimestamp64Milli(toInt64({start:Int64} + (number % ${DAYS}) * ${DAY} + (cityHash64(number) % ${DAY}))),
           toUUID({profile:String}), toUUID('${link}'), toUUID('${NO_LINK}'),
           1 + (number % {visitors:UInt64}) * 7919, 0, '', 0,
           ['DE', 'US', 'JP', 'FR'][1 + number % 4], '', concat('city-', toString(number % 3000)),
           ['desktop', 'mobile', 'tablet'][1 + number % 3], 'Firefox', 'Linux', '', 'direct', '', '', ''
      FROM numbers({views:UInt64}) WHERE number % ${every} = 0`;
  const params = { start: START, profile: profileId, visitors, views };
  await clickhouse.command(`INSERT INTO events (${columns}) ${values('view', NO_LINK, 1)}`, params);
  await clickhouse.command(`INSERT INTO events (${columns}) ${values('click', LINK, 3)}`, params);
}

/** The true distinct counts, from the raw rows. */
async function exactCounts(profileId: string): Promise<{ visitors: number; clickers: number }> {
  const [row] = await clickhouse.query<{ visitors: string; clickers: string }>(
    `SELECT uniqExact(visitor_id) AS visitors, uniqExactIf(visitor_id, event_type = 'click') AS clickers FROM events WHERE profile_id = {profile:UUID}`,
    { profile: profileId },
  );
  return { visitors: Number(row!.visitors), clickers: Number(row!.clickers) };
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
    [1, 1],
    [998, 400],
    [2_997, 999],
  ])('are exact below the limit (%i views, %i visitors), in every read', async (views, visitors) => {
    const profileId = randomUUID();
    await insertTraffic(profileId, views, visitors);
    const scope = { ...scopeOf(profileId), to: new Date(START + DAYS * DAY) };
    const exact = await exactCounts(profileId);
    const summary = await querySummary(clickhouse, scope);
    expect({ visitors: summary.visitors, clickers: summary.uniqueClicks }).toEqual(exact);
    expect([summary.visitorsApproximate, summary.uniqueClicksApproximate]).toEqual([false, false]);
    const [link] = await queryLinks(clickhouse, scope);
    expect([link?.uniqueClicks, link?.uniqueClicksApproximate]).toEqual([exact.clickers, false]);
  });

  it.each([
    [1_000, 1_000],
    [20_000, 5_000],
    [150_000, 100_000],
    [400_000, 300_000],
  ])('are estimates within the documented bound above it (%i views, %i visitors), flagged, never below the limit', async (views, visitors) => {
    const profileId = randomUUID();
    await insertTraffic(profileId, views, visitors);
    const scope = scopeOf(profileId);
    expect((await exactCounts(profileId)).visitors).toBeGreaterThanOrEqual(VISITOR_SET_LIMIT);
    const within = (estimate: number, truth: number) => {
      expect(estimate).toBeGreaterThanOrEqual(Math.min(truth, VISITOR_SET_LIMIT));
      expect(Math.abs(estimate - truth) / truth).toBeLessThanOrEqual(BOUND);
    };
    /** Exact and unflagged below the limit; flagged and within the bound from it on. */
    const counted = (estimate: number, approximate: boolean, truth: number) => {
      expect(approximate).toBe(truth >= VISITOR_SET_LIMIT);
      if (truth < VISITOR_SET_LIMIT) expect(estimate).toBe(truth);
      else within(estimate, truth);
    };

    const summary = await querySummary(clickhouse, scope);
    // The range leaves out the end of the last day: its visitors are counted by the query, not by exactCounts.
    const [inRange] = await clickhouse.query<{ visitors: string; clickers: string }>(
      `SELECT uniqExact(visitor_id) AS visitors, uniqExactIf(visitor_id, event_type = 'click') AS clickers FROM events
        WHERE profile_id = {profile:UUID} AND timestamp < fromUnixTimestamp64Milli({to:Int64})`,
      { profile: profileId, to: scope.to.getTime() },
    );
    counted(summary.visitors, summary.visitorsApproximate, Number(inRange!.visitors));
    counted(summary.uniqueClicks, summary.uniqueClicksApproximate, Number(inRange!.clickers));

    // Daily points: each day's own visitors, estimated only where that day reached the limit.
    const points = await queryTimeseries(clickhouse, scope, 'day', 'UTC');
    const daily = await clickhouse.query<{ day: string; visitors: string }>(
      `SELECT toString(toDate(timestamp)) AS day, uniqExact(visitor_id) AS visitors FROM events
        WHERE profile_id = {profile:UUID} AND timestamp < fromUnixTimestamp64Milli({to:Int64}) GROUP BY day ORDER BY day`,
      { profile: profileId, to: scope.to.getTime() },
    );
    expect(points.map((point) => point.start.slice(0, 10))).toEqual(daily.map((row) => row.day));
    points.forEach((point, i) => counted(point.visitors, point.visitorsApproximate, Number(daily[i]!.visitors)));

    // Breakdowns: the top values, then one "other" row; views add up to the total exactly, and the
    // other row's visitors are the distinct visitors of all the values it holds.
    const cities = await queryBreakdown(clickhouse, scope, ['city'], 100);
    const top = cities.filter((row) => !row.other);
    const other = cities.filter((row) => row.other);
    expect(top).toHaveLength(100);
    expect(other).toHaveLength(1);
    expect(other[0]!.values).toEqual({ city: '' });
    expect(cities.reduce((sum, row) => sum + row.views, 0)).toBe(summary.views);
    expect(cities.reduce((sum, row) => sum + row.clicks, 0)).toBe(summary.clicks);
    const topNames = top.map((row) => row.values.city!);
    const [rest] = await clickhouse.query<{ visitors: string }>(
      `SELECT uniqExact(visitor_id) AS visitors FROM events
        WHERE profile_id = {profile:UUID} AND timestamp < fromUnixTimestamp64Milli({to:Int64}) AND city NOT IN {top:Array(String)}`,
      { profile: profileId, to: scope.to.getTime(), top: topNames },
    );
    counted(other[0]!.visitors, other[0]!.visitorsApproximate, Number(rest!.visitors));
    const countries = await queryBreakdown(clickhouse, scope, ['country'], 100);
    expect(countries.some((row) => row.other)).toBe(false);
    for (const row of countries) {
      const [truth] = await clickhouse.query<{ visitors: string }>(
        `SELECT uniqExact(visitor_id) AS visitors FROM events WHERE profile_id = {profile:UUID} AND timestamp < fromUnixTimestamp64Milli({to:Int64}) AND country = {country:String}`,
        { profile: profileId, to: scope.to.getTime(), country: row.values.country! },
      );
      counted(row.visitors, row.visitorsApproximate, Number(truth!.visitors));
    }
  });
});

describe('a range reaching the present', () => {
  it('counts today so far from the day rows exactly as the raw rows do', async () => {
    const profileId = randomUUID();
    const now = Date.now();
    // 600 views of 300 visitors over the last 30 hours (none in the future), a click for every third.
    const columns = `event_id, event_type, source, timestamp, profile_id, link_id, click_id, visitor_id, is_bot, bot_kind, is_internal,
                     country, region, city, device, browser, os, referrer_domain, channel, utm_source, utm_medium, utm_campaign`;
    const rows = (type: string, link: string, every: number) => `
      SELECT generateUUIDv4(number), '${type}', 'beacon', fromUnixTimestamp64Milli(toInt64({now:Int64} - 1 - (cityHash64(number) % ${30 * 3_600_000}))),
             toUUID({profile:String}), toUUID('${link}'), toUUID('${NO_LINK}'), 1 + number % 300, number % 10 = 0, if(number % 10 = 0, 'crawler', ''), 0,
             ['DE', 'US', 'JP'][1 + number % 3], '', '', 'mobile', 'Firefox', 'Linux', '', 'direct', '', '', ''
        FROM numbers(600) WHERE number % ${every} = 0`;
    await clickhouse.command(`INSERT INTO events (${columns}) ${rows('view', NO_LINK, 1)}`, { now, profile: profileId });
    await clickhouse.command(`INSERT INTO events (${columns}) ${rows('click', LINK, 3)}`, { now, profile: profileId });
    const scope: AnalyticsScope = { profileId, from: new Date(now - 30 * 3_600_000), to: new Date(now), filters: {} };
    const [truth] = await clickhouse.query<{ views: string; clicks: string; visitors: string }>(
      `SELECT countIf(event_type = 'view') AS views, countIf(event_type = 'click') AS clicks, uniqExact(visitor_id) AS visitors
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
