// The analytics API against the real ClickHouse engine (chDB): every figure equals the same figure
// computed independently, in TypeScript, from the generated raw rows, for random combinations of
// range and filters (a property test); time zones move events between days; another creator's
// profile is a 404; tokens need the analytics:read scope.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../testing/api-harness.js';
import { EXPORT_COLUMNS, exportEvents } from './analytics.queries.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 12);
const COUNTRIES = ['DE', 'US', 'JP'];
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const BROWSERS = ['Firefox', 'Chrome', 'Safari'];
const CHANNELS = ['direct', 'github', 'hacker_news'] as const;

let engine: TestClickHouse | undefined;
let clickhouse: ClickHouse;
let harness: ApiHarness;
let owner: ApiClient;
let profileId: string;
let linkIds: string[];
let rows: AnalyticsRow[];

/** A small deterministic generator, so a failure can be reproduced. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function generate(count: number): AnalyticsRow[] {
  const next = random(42);
  const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
  return Array.from({ length: count }, () => {
    const roll = next();
    const eventType = roll < 0.6 ? 'view' : roll < 0.85 ? 'click' : 'click_position';
    const bot = next() < 0.05;
    return {
      event_id: randomUUID(),
      event_type: eventType,
      source: eventType === 'click' ? 'redirect' : 'beacon',
      timestamp: NOW - Math.floor(next() * 10 * DAY),
      profile_id: profileId,
      link_id: eventType === 'view' ? NO_LINK : pick(linkIds),
      click_id: NO_LINK,
      visitor_id: String(1 + Math.floor(next() * 120)),
      is_bot: bot ? 1 : 0,
      bot_kind: bot ? 'crawler' : '',
      is_internal: next() < 0.03 ? 1 : 0,
      country: pick(COUNTRIES),
      region: '',
      city: '',
      device: pick(DEVICES),
      browser: pick(BROWSERS),
      os: 'Linux',
      referrer_domain: '',
      channel: pick(CHANNELS),
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      click_x: eventType === 'click_position' ? next() : 0,
      click_y: eventType === 'click_position' ? Math.floor(next() * 900) : 0,
      viewport_width: 0,
      viewport_height: 0,
      time_to_click_ms: eventType === 'click_position' ? 500 + Math.floor(next() * 10_000) : 0,
    } satisfies AnalyticsRow;
  });
}

interface Filters {
  country?: string;
  device?: string;
  browser?: string;
  channel?: string;
  link?: string;
}

/** The oracle: the summary computed from the rows in TypeScript. */
function expectedSummary(from: number, to: number, filters: Filters) {
  const inScope = rows.filter(
    (row) =>
      row.timestamp >= from &&
      row.timestamp < to &&
      row.is_bot === 0 &&
      row.is_internal === 0 &&
      (!filters.country || row.country === filters.country) &&
      (!filters.device || row.device === filters.device) &&
      (!filters.browser || row.browser === filters.browser) &&
      (!filters.channel || row.channel === filters.channel) &&
      (!filters.link || row.event_type === 'view' || row.link_id === filters.link),
  );
  const views = inScope.filter((row) => row.event_type === 'view');
  const clicks = inScope.filter((row) => row.event_type === 'click');
  return {
    views: views.length,
    visitors: new Set(views.map((row) => row.visitor_id)).size,
    clicks: clicks.length,
    uniqueClicks: new Set(clicks.map((row) => row.visitor_id)).size,
    ctr: views.length > 0 ? clicks.length / views.length : null,
    positions: inScope.filter((row) => row.event_type === 'click_position').length,
  };
}

beforeAll(async () => {
  engine = await createTestClickHouse('analytics');
  clickhouse = engine.clickhouse;
  harness = await startApiHarness('analytics', { clickhouse });
  owner = await harness.newUser();
  profileId = (await owner.newProfile({ published: true })).id;
  linkIds = [];
  for (let i = 0; i < 3; i++) linkIds.push((await owner.newLink(profileId, { title: `Link ${i}` })).id);
  rows = generate(3_000);
  await clickhouse.insert('events', rows);
});
afterAll(async () => {
  await harness?.close();
  await engine?.close();
});

const query = (params: Record<string, string | undefined>) =>
  `?${new URLSearchParams(Object.entries(params).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString()}`;

describe('analytics API', () => {
  it('matches figures computed independently from the raw rows, for random ranges and filter combinations', async () => {
    const next = random(7);
    const maybe = <T>(values: readonly T[]) => (next() < 0.5 ? undefined : values[Math.floor(next() * values.length)]);
    for (let round = 0; round < 25; round++) {
      const from = NOW - Math.floor(next() * 10 * DAY);
      const to = from + Math.floor(next() * 6 * DAY) + 3_600_000;
      const filters: Filters = { country: maybe(COUNTRIES), device: maybe(DEVICES), browser: maybe(BROWSERS), channel: maybe(CHANNELS), link: maybe(linkIds) };
      const params = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...filters };
      const summary = await owner.get<{ current: Record<string, number | null> }>(`/api/v1/profiles/${profileId}/analytics/summary${query(params)}`);
      expect(summary.status, JSON.stringify(params)).toBe(200);
      const expected = expectedSummary(from, to, filters);
      expect(summary.body.current, JSON.stringify(params)).toMatchObject({
        views: expected.views,
        visitors: expected.visitors,
        clicks: expected.clicks,
        uniqueClicks: expected.uniqueClicks,
        ctr: expected.ctr,
      });
      expect(summary.body.current.medianTimeToClickMs === null).toBe(expected.positions === 0);

      const series = await owner.get<{ points: { views: number; clicks: number }[] }>(`/api/v1/profiles/${profileId}/analytics/timeseries${query({ ...params, interval: 'hour' })}`);
      expect(series.body.points.reduce((sum, point) => sum + point.views, 0)).toBe(expected.views);
      expect(series.body.points.reduce((sum, point) => sum + point.clicks, 0)).toBe(expected.clicks);

      const links = await owner.get<{ links: { linkId: string; clicks: number; title: string }[] }>(`/api/v1/profiles/${profileId}/analytics/links${query(params)}`);
      expect(links.body.links.reduce((sum, link) => sum + link.clicks, 0)).toBe(expected.clicks);
      for (const link of links.body.links) expect(link.title).toMatch(/^Link \d$/);

      // Every breakdown table partitions the same views and clicks.
      for (const [endpoint, table] of [['geo', 'countries'], ['devices', 'browsers'], ['referrers', 'channels']] as const) {
        const breakdown = await owner.get<{ tables: Record<string, { views: number; clicks: number }[]> }>(`/api/v1/profiles/${profileId}/analytics/${endpoint}${query(params)}`);
        const rowsOf = breakdown.body.tables[table]!;
        expect(rowsOf.reduce((sum, row) => sum + row.views, 0), `${endpoint} ${JSON.stringify(params)}`).toBe(expected.views);
        expect(rowsOf.reduce((sum, row) => sum + row.clicks, 0)).toBe(expected.clicks);
      }
      const heatmap = await owner.get<{ clicks: number }>(`/api/v1/profiles/${profileId}/analytics/heatmap${query(params)}`);
      expect(heatmap.body.clicks).toBe(expected.positions);
    }
  });

  it('reports the share of bot traffic that every other figure leaves out', async () => {
    const response = await owner.get<{ total: number; bots: number; filteredShare: number }>(`/api/v1/profiles/${profileId}/analytics/bots${query({ from: new Date(NOW - 11 * DAY).toISOString(), to: new Date(NOW + DAY).toISOString() })}`);
    const counted = rows.filter((row) => row.is_internal === 0 && (row.event_type === 'view' || row.event_type === 'click'));
    expect(response.body.total).toBe(counted.length);
    expect(response.body.bots).toBe(counted.filter((row) => row.is_bot === 1).length);
    expect(response.body.filteredShare).toBeCloseTo(response.body.bots / response.body.total, 10);
  });

  it('shows the last 30 minutes in realtime', async () => {
    // A profile of its own, so these rows do not change the other tests' figures.
    const live = (await owner.newProfile({ published: true })).id;
    const recent = generate(20).map((row) => ({ ...row, event_id: randomUUID(), profile_id: live, timestamp: Date.now() - 60_000, is_bot: 0 as const, is_internal: 0 as const }));
    await clickhouse.insert('events', recent);
    const response = await owner.get<{ activeVisitors: number; minutes: { views: number; clicks: number }[] }>(`/api/v1/profiles/${live}/analytics/realtime`);
    expect(response.status).toBe(200);
    expect(response.body.minutes.reduce((sum, minute) => sum + minute.views, 0)).toBe(recent.filter((row) => row.event_type === 'view').length);
    expect(response.body.activeVisitors).toBe(new Set(recent.map((row) => row.visitor_id)).size);
  });

  it('exports raw events as CSV and NDJSON, streamed page by page, with hashed visitor ids only', async () => {
    const params = query({ from: new Date(NOW - 11 * DAY).toISOString(), to: new Date(NOW + DAY).toISOString() });
    const expected = rows.filter((row) => row.is_internal === 0 && row.timestamp >= NOW - 11 * DAY && row.timestamp < NOW + DAY).length;
    const csv = await owner.get<string>(`/api/v1/profiles/${profileId}/analytics/export${params}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="linkpulse-events-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(lines).toHaveLength(expected + 1);
    expect(lines[0]).not.toMatch(/ip/);
    const ndjson = await owner.get<string>(`/api/v1/profiles/${profileId}/analytics/export${params}&format=ndjson&device=mobile`);
    const records = ndjson.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.every((record) => record.device === 'mobile')).toBe(true);
    // Keyset pagination: small pages yield every row exactly once, in time order.
    const paged: string[] = [];
    for await (const page of exportEvents(clickhouse, { profileId, from: new Date(NOW - 11 * DAY), to: new Date(NOW + DAY), filters: {} }, 97)) {
      for (const row of page) paged.push(String(row.timestamp));
    }
    expect(paged).toHaveLength(expected);
    expect([...paged].sort()).toEqual(paged);
    const daily = await owner.get<string>(`/api/v1/profiles/${profileId}/analytics/export${params}&data=daily&format=ndjson&tz=Asia%2FTokyo`);
    const dailyViews = daily.body.trim().split('\n').reduce((sum, line) => sum + Number((JSON.parse(line) as { views: number }).views), 0);
    expect(dailyViews).toBe(expectedSummary(NOW - 11 * DAY, NOW + DAY, {}).views);
  });

  it('compares with the previous period of the same length', async () => {
    const from = NOW - 4 * DAY;
    const response = await owner.get<{ previous: { views: number; range: { from: string; to: string } } }>(
      `/api/v1/profiles/${profileId}/analytics/summary${query({ from: new Date(from).toISOString(), to: new Date(NOW).toISOString(), compare: 'previous' })}`,
    );
    expect(response.body.previous.range).toEqual({ from: new Date(from - 4 * DAY).toISOString(), to: new Date(from).toISOString() });
    expect(response.body.previous.views).toBe(expectedSummary(from - 4 * DAY, from, {}).views);
  });

  it('buckets days in the requested time zone', async () => {
    const tokyo = await owner.get<{ points: { start: string }[] }>(`/api/v1/profiles/${profileId}/analytics/timeseries${query({ interval: 'day', tz: 'Asia/Tokyo', from: new Date(NOW - 3 * DAY).toISOString(), to: new Date(NOW).toISOString() })}`);
    expect(tokyo.status).toBe(200);
    // Tokyo's midnight is 15:00 UTC the day before; every day of the range is there, empty or not.
    for (const point of tokyo.body.points) expect(point.start).toMatch(/T15:00:00\.000Z$/);
    expect(tokyo.body.points).toHaveLength(4);
    const quiet = await owner.get<{ points: { views: number }[] }>(
      `/api/v1/profiles/${profileId}/analytics/timeseries${query({ interval: 'hour', from: new Date(NOW + DAY).toISOString(), to: new Date(NOW + DAY + 6 * 3_600_000).toISOString() })}`,
    );
    expect(quiet.body.points.map((point) => point.views)).toEqual([0, 0, 0, 0, 0, 0]);
    expect((await owner.get(`/api/v1/profiles/${profileId}/analytics/timeseries?tz=Mars%2FOlympus`)).status).toBe(400);
  });

  it('answers 404 for another creator’s profile and needs the analytics:read scope from tokens', async () => {
    const stranger = await harness.newUser();
    expect((await stranger.get(`/api/v1/profiles/${profileId}/analytics/summary`)).status).toBe(404);
    const withoutScope = await owner.post<{ token: string }>('/api/v1/tokens', { name: 'read', scopes: ['profiles:read'] });
    expect((await harness.client().get(`/api/v1/profiles/${profileId}/analytics/summary`, { authorization: `Bearer ${withoutScope.body.token}` })).status).toBe(403);
    const withScope = await owner.post<{ token: string }>('/api/v1/tokens', { name: 'analytics', scopes: ['analytics:read'] });
    expect((await harness.client().get(`/api/v1/profiles/${profileId}/analytics/summary`, { authorization: `Bearer ${withScope.body.token}` })).status).toBe(200);
  });
});
