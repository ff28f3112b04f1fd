// Which table answers which read, and how a range is cut into whole days, whole hours and raw ends.
// (The numbers themselves are checked against the raw rows in api/analytics/analytics.integration.test.ts.)
import { describe, expect, it } from 'vitest';
import { heatmapQuery, planEnd, splitRange, statsQuery, utcOffsetsWithin, type AnalyticsFilters, type StatsRequest } from './query-plan.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 10, 23);

describe('splitRange', () => {
  it('takes whole days, then whole hours, and leaves the partial hours at both ends', () => {
    const from = MONDAY - 2 * HOUR - 10 * 60_000; // Sunday 21:50
    const to = MONDAY + 2 * DAY + 3 * HOUR + 5 * 60_000; // Wednesday 03:05
    expect(splitRange(from, to, { day: true, hour: true })).toEqual({
      days: [{ from: MONDAY, to: MONDAY + 2 * DAY }],
      hours: [
        { from: MONDAY - 2 * HOUR, to: MONDAY },
        { from: MONDAY + 2 * DAY, to: MONDAY + 2 * DAY + 3 * HOUR },
      ],
      raw: [
        { from, to: MONDAY - 2 * HOUR },
        { from: MONDAY + 2 * DAY + 3 * HOUR, to },
      ],
    });
  });

  it('reads a range inside one hour, or without usable grains, from raw rows only', () => {
    expect(splitRange(MONDAY + 60_000, MONDAY + 120_000, { day: true, hour: true })).toEqual({ days: [], hours: [], raw: [{ from: MONDAY + 60_000, to: MONDAY + 120_000 }] });
    expect(splitRange(MONDAY, MONDAY + 3 * DAY, { day: false, hour: false }).raw).toEqual([{ from: MONDAY, to: MONDAY + 3 * DAY }]);
  });

  it('needs no raw rows for an aligned range', () => {
    expect(splitRange(MONDAY, MONDAY + 7 * DAY, { day: true, hour: true })).toEqual({ days: [{ from: MONDAY, to: MONDAY + 7 * DAY }], hours: [], raw: [] });
    expect(splitRange(MONDAY, MONDAY + 5 * HOUR, { day: true, hour: true })).toEqual({ days: [], hours: [{ from: MONDAY, to: MONDAY + 5 * HOUR }], raw: [] });
  });

  it('with days only, reads the partial days at both ends raw', () => {
    expect(splitRange(MONDAY - HOUR, MONDAY + DAY + HOUR, { day: true, hour: false })).toEqual({
      days: [{ from: MONDAY, to: MONDAY + DAY }],
      hours: [],
      raw: [
        { from: MONDAY - HOUR, to: MONDAY },
        { from: MONDAY + DAY, to: MONDAY + DAY + HOUR },
      ],
    });
  });
});

describe('utcOffsetsWithin', () => {
  it('sees both offsets of a range across a DST change, and half-hour offsets', () => {
    expect(utcOffsetsWithin('Europe/Berlin', Date.UTC(2026, 9, 20), Date.UTC(2026, 10, 5))).toEqual(new Set([120, 60]));
    expect(utcOffsetsWithin('Asia/Kolkata', MONDAY, MONDAY + DAY)).toEqual(new Set([330]));
    expect(utcOffsetsWithin('America/St_Johns', MONDAY, MONDAY + DAY)).toEqual(new Set([-210]));
    expect(utcOffsetsWithin('UTC', MONDAY, MONDAY + 400 * DAY)).toEqual(new Set([0]));
  });
});

describe('the table that answers a read', () => {
  const range = { from: new Date(MONDAY - 90 * 60_000), to: new Date(MONDAY + 3 * DAY + 90 * 60_000) };
  const tables = (request: StatsRequest, filters: AnalyticsFilters = {}) => [...new Set(statsQuery({ profileId: 'p', ...range, filters }, request).tables)];

  it('unfiltered figures and top links: traffic by day and hour, raw rows for the partial hours', () => {
    expect(tables({ keys: [], timeToClick: true })).toEqual(['traffic_daily', 'traffic_hourly', 'events']);
    expect(tables({ keys: ['link_id'] }, { link: '00000000-0000-0000-0000-000000000001' })).toEqual(['traffic_daily', 'traffic_hourly', 'events']);
  });

  it('one dimension filter or breakdown: the per-day dimension tables, raw rows for the partial days', () => {
    expect(tables({ keys: [] }, { country: 'DE' })).toEqual(['geo_daily', 'events']);
    expect(tables({ keys: ['country', 'city'] }, { country: 'DE' })).toEqual(['geo_daily', 'events']);
    expect(tables({ keys: ['browser'] }, { browser: 'Firefox' })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: ['utm_campaign'] })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: [] }, { device: 'mobile', link: '00000000-0000-0000-0000-000000000001' })).toEqual(['dimension_daily', 'events']);
  });

  it('time to click with a dimension filter: tracked clicks from raw rows, since only the traffic tables hold it', () => {
    const query = statsQuery({ profileId: 'p', ...range, filters: { channel: 'github' } }, { keys: [], timeToClick: true });
    expect(query.tables).toEqual(['dimension_daily', 'events', 'events']);
    expect(query.union).toContain("event_type IN ('click_position')");
  });

  it('a referrer filter alone: the referrer_domain rows of dimension_daily, compared by value as a parameter', () => {
    const referrer = 'news.ycombinator.com';
    expect(tables({ keys: [] }, { referrer })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: ['link_id'] }, { referrer })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: ['referrer_domain'] }, { referrer, link: '00000000-0000-0000-0000-000000000001' })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: [], bucket: { interval: 'day', timeZone: 'UTC' } }, { referrer })).toEqual(['dimension_daily', 'events']);
    const query = statsQuery({ profileId: 'p', ...range, filters: { referrer } }, { keys: [] });
    expect(query.params).toMatchObject({ dimension: 'referrer_domain', referrer });
    expect(query.union).toContain('value = {referrer:String}');
    expect(query.union).toContain('referrer_domain = {referrer:String}');
    expect(query.union).not.toContain(referrer);
  });

  it('a referrer filter with another dimension, another breakdown, hourly buckets or the heatmap: raw rows', () => {
    const referrer = 'news.ycombinator.com';
    expect(tables({ keys: [] }, { referrer, channel: 'hacker_news' })).toEqual(['events']);
    expect(tables({ keys: [] }, { referrer, country: 'DE' })).toEqual(['events']);
    expect(tables({ keys: ['channel'] }, { referrer })).toEqual(['events']);
    expect(tables({ keys: ['referrer_domain'] }, { referrer, device: 'mobile' })).toEqual(['events']);
    expect(tables({ keys: [], bucket: { interval: 'hour', timeZone: 'UTC' } }, { referrer })).toEqual(['events']);
    expect(heatmapQuery({ profileId: 'p', ...range, filters: { referrer, device: 'mobile' } }).tables).toEqual(['events']);
  });

  it('two dimensions, or a breakdown filtered by another dimension: raw rows', () => {
    expect(tables({ keys: [] }, { country: 'DE', device: 'mobile' })).toEqual(['events']);
    expect(tables({ keys: ['browser'] }, { device: 'mobile' })).toEqual(['events']);
  });

  it('time buckets: hours in any whole-hour zone, UTC days only in UTC, raw rows in half-hour zones', () => {
    expect(tables({ keys: [], bucket: { interval: 'hour', timeZone: 'Europe/Berlin' } })).toEqual(['traffic_hourly', 'events']);
    expect(tables({ keys: [], bucket: { interval: 'day', timeZone: 'Europe/Berlin' } })).toEqual(['traffic_hourly', 'events']);
    expect(tables({ keys: [], bucket: { interval: 'week', timeZone: 'UTC' } })).toEqual(['traffic_daily', 'traffic_hourly', 'events']);
    expect(tables({ keys: [], bucket: { interval: 'day', timeZone: 'Asia/Kolkata' } })).toEqual(['events']);
    expect(tables({ keys: [], bucket: { interval: 'day', timeZone: 'UTC' } }, { os: 'Linux' })).toEqual(['dimension_daily', 'events']);
    expect(tables({ keys: [], bucket: { interval: 'hour', timeZone: 'UTC' } }, { os: 'Linux' })).toEqual(['events']);
  });

  it('the heatmap: heatmap_daily unless filtered by something other than device and link', () => {
    expect(heatmapQuery({ profileId: 'p', ...range, filters: { device: 'mobile' } }).tables).toEqual(['heatmap_daily', 'events']);
    expect(heatmapQuery({ profileId: 'p', ...range, filters: { country: 'DE' } }).tables).toEqual(['events']);
  });

  it('never puts a request value into the SQL text', () => {
    const query = statsQuery({ profileId: 'p', ...range, filters: { browser: "x' OR 1=1 --" } }, { keys: ['browser'] });
    expect(query.union).not.toContain('OR 1=1');
    expect(query.params.browser).toBe("x' OR 1=1 --");
    for (const filters of [{ referrer: "x' OR 1=1 --" }, { referrer: "x' OR 1=1 --", os: 'Linux' }]) {
      const referred = statsQuery({ profileId: 'p', ...range, filters }, { keys: [] });
      expect(referred.union).not.toContain('OR 1=1');
      expect(referred.params.referrer).toBe("x' OR 1=1 --");
      expect(heatmapQuery({ profileId: 'p', ...range, filters }).union).not.toContain('OR 1=1');
    }
  });
});

describe('planEnd', () => {
  it('reads a range reaching the present to the end of its UTC day from the aggregates, and leaves past ranges as they are', () => {
    const now = MONDAY + 10 * HOUR + 123;
    expect(planEnd(now, now)).toBe(MONDAY + DAY);
    expect(planEnd(now + 5_000, now)).toBe(MONDAY + DAY);
    expect(planEnd(now - 1, now)).toBe(now - 1);
    // A whole day ending now is already whole.
    expect(planEnd(MONDAY, MONDAY)).toBe(MONDAY);
  });

  it('answers today so far from the day rows, with no raw part, in UTC', () => {
    const from = Date.now() - 7 * DAY;
    const plan = statsQuery({ profileId: '0190f0f0-0000-7000-8000-000000000001', from: new Date(Math.floor(from / DAY) * DAY), to: new Date(), filters: {} }, { keys: ['country'] });
    expect(plan.tables).toEqual(['geo_daily']);
  });
});
