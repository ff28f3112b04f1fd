// The analytics API against the real ClickHouse engine (chDB): every figure equals the same figure
// computed independently, in TypeScript, from the generated raw rows, for random combinations of
// range and filters (a property test); time zones move events between days; another creator's
// profile is a 404; tokens need the analytics:read scope.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { EVENT_EXPORT_COLUMNS, exportEvents } from '../../lib/analytics/export-events.query.js';
import { DAILY_EXPORT_COLUMNS } from './analytics.service.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 24, 12);
const COUNTRIES = ['DE', 'US', 'JP'];
const DEVICES = ['desktop', 'mobile', 'tablet'] as const;
const BROWSERS = ['Firefox', 'Chrome', 'Safari'];
const CHANNELS = ['direct', 'github', 'hacker_news', 'referral'] as const;
/** Referring domains per channel, as the consumers store them ('' = none: direct, or tagged by UTM only). */
const CHANNEL_REFERRERS: Record<(typeof CHANNELS)[number], readonly string[]> = {
  direct: [''],
  github: ['github.com', 'gist.github.com', ''],
  hacker_news: ['news.ycombinator.com', ''],
  referral: ['blog.example.org', 'dev.example_site.net'],
};
const REFERRERS = [...new Set(Object.values(CHANNEL_REFERRERS).flat())].filter((domain) => domain !== '');

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
    const channel = pick(CHANNELS);
    const timestamp = NOW - Math.floor(next() * 10 * DAY);
    return {
      event_id: randomUUID(),
      event_type: eventType,
      source: eventType === 'click' ? 'redirect' : 'beacon',
      timestamp,
      profile_id: profileId,
      link_id: eventType === 'view' ? NO_LINK : pick(linkIds),
      click_id: NO_LINK,
      // Up to 120 visitors a day, their ids hashed with the UTC day as ingest's daily salt makes them:
      // no id is seen on two days (the aggregates count each day's visitors and sum the days).
      visitor_id: String(Math.floor(timestamp / DAY) * 1000 + 1 + Math.floor(next() * 120)),
      is_bot: bot ? 1 : 0,
      bot_kind: bot ? 'crawler' : '',
      is_internal: next() < 0.03 ? 1 : 0,
      country: pick(COUNTRIES),
      region: '',
      city: '',
      device: pick(DEVICES),
      browser: pick(BROWSERS),
      os: 'Linux',
      referrer_domain: pick(CHANNEL_REFERRERS[channel]),
      channel,
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      trigger: next() < 0.2 ? 'qr' : 'link',
      ab_tests: [],
      ab_variants: [],
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
  referrer?: string;
  trigger?: string;
  link?: string;
}

/** The oracle's scope: the rows the API counts for a range and filters. */
function rowsInScope(from: number, to: number, filters: Filters) {
  return rows.filter(
    (row) =>
      row.timestamp >= from &&
      row.timestamp < to &&
      row.is_bot === 0 &&
      row.is_internal === 0 &&
      (!filters.country || row.country === filters.country) &&
      (!filters.device || row.device === filters.device) &&
      (!filters.browser || row.browser === filters.browser) &&
      (!filters.channel || row.channel === filters.channel) &&
      (!filters.referrer || row.referrer_domain === filters.referrer) &&
      (!filters.trigger || row.trigger === filters.trigger) &&
      (!filters.link || row.event_type === 'view' || row.link_id === filters.link),
  );
}

/** Views, visitors (over views and clicks), clicks and unique clicks of some rows. */
function figures(inScope: readonly AnalyticsRow[]) {
  const counted = inScope.filter((row) => row.event_type === 'view' || row.event_type === 'click');
  const clicks = inScope.filter((row) => row.event_type === 'click');
  return {
    views: inScope.filter((row) => row.event_type === 'view').length,
    visitors: new Set(counted.map((row) => row.visitor_id)).size,
    clicks: clicks.length,
    uniqueClicks: new Set(clicks.map((row) => row.visitor_id)).size,
  };
}

/** The oracle: the summary computed from the rows in TypeScript. */
function expectedSummary(from: number, to: number, filters: Filters) {
  const inScope = rowsInScope(from, to, filters);
  const counts = figures(inScope);
  return { ...counts, ctr: counts.views > 0 ? counts.clicks / counts.views : null, positions: inScope.filter((row) => row.event_type === 'click_position').length };
}

/** The oracle's figures per value of `key`, only for values with views or clicks. */
function expectedBreakdown(inScope: readonly AnalyticsRow[], key: (row: AnalyticsRow) => string) {
  const groups = new Map<string, AnalyticsRow[]>();
  for (const row of inScope) groups.set(key(row), [...(groups.get(key(row)) ?? []), row]);
  const result = new Map<string, ReturnType<typeof figures>>();
  for (const [value, group] of groups) {
    const counts = figures(group);
    if (counts.views + counts.clicks > 0) result.set(value, counts);
  }
  return result;
}

/** A time's bucket as a local calendar label in a zone ('2026-11-24' or '2026-11-24 13'). */
function localBucket(time: number, interval: 'hour' | 'day', timeZone: string) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' })
      .formatToParts(time)
      .map((part) => [part.type, part.value]),
  );
  return interval === 'day' ? `${parts.year}-${parts.month}-${parts.day}` : `${parts.year}-${parts.month}-${parts.day} ${parts.hour}`;
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
  it('matches figures computed independently from the raw rows, for random ranges, zones and filter combinations', async () => {
    const next = random(7);
    const maybe = <T>(values: readonly T[]) => (next() < 0.5 ? undefined : values[Math.floor(next() * values.length)]);
    const pick = <T>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
    for (let round = 0; round < 30; round++) {
      // Random millisecond ends, so a range has whole days, whole hours and partial hours at both ends.
      const from = NOW - Math.floor(next() * 10 * DAY);
      const to = from + Math.floor(next() * 6 * DAY) + 3_600_000;
      // Every sixth round a referrer alone, every sixth another the trigger alone (perhaps with a
      // link), which the aggregates answer; the other rounds combine filters at random, which mostly
      // needs raw rows.
      const filters: Filters =
        round % 6 === 5
          ? { referrer: pick(REFERRERS), link: maybe(linkIds) }
          : round % 6 === 2
            ? { trigger: pick(['qr', 'link']), link: maybe(linkIds) }
            : {
                country: maybe(COUNTRIES),
                device: maybe(DEVICES),
                browser: maybe(BROWSERS),
                channel: maybe(CHANNELS),
                referrer: maybe(REFERRERS),
                trigger: maybe(['qr', 'link']),
                link: maybe(linkIds),
              };
      const params = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...filters };
      const context = JSON.stringify(params);
      const inScope = rowsInScope(from, to, filters);
      const summary = await owner.get<{ current: Record<string, number | null> }>(`/api/v1/profiles/${profileId}/analytics/summary${query(params)}`);
      expect(summary.status, context).toBe(200);
      const expected = expectedSummary(from, to, filters);
      expect(summary.body.current, context).toMatchObject({
        views: expected.views,
        visitors: expected.visitors,
        clicks: expected.clicks,
        uniqueClicks: expected.uniqueClicks,
        ctr: expected.ctr,
      });
      expect(summary.body.current.medianTimeToClickMs === null, context).toBe(expected.positions === 0);

      // Bucket by bucket, in a zone with whole-hour offsets and DST, one with a half-hour offset, or UTC.
      const interval = pick(['hour', 'day'] as const);
      const timeZone = pick(['UTC', 'Europe/Berlin', 'Asia/Kolkata', 'America/New_York']);
      const series = await owner.get<{ points: { start: string; views: number; visitors: number; clicks: number }[] }>(
        `/api/v1/profiles/${profileId}/analytics/timeseries${query({ ...params, interval, tz: timeZone })}`,
      );
      const bucketContext = `${context} ${interval} ${timeZone}`;
      const expectedBuckets = expectedBreakdown(inScope, (row) => localBucket(row.timestamp, interval, timeZone));
      const points = series.body.points.filter((point) => point.views + point.clicks > 0);
      expect(points.map((point) => localBucket(Date.parse(point.start), interval, timeZone)), bucketContext).toEqual([...expectedBuckets.keys()].sort());
      for (const point of points) {
        const bucket = expectedBuckets.get(localBucket(Date.parse(point.start), interval, timeZone))!;
        expect({ views: point.views, visitors: point.visitors, clicks: point.clicks }, `${bucketContext} ${point.start}`).toEqual({ views: bucket.views, visitors: bucket.visitors, clicks: bucket.clicks });
      }

      const links = await owner.get<{ links: { linkId: string; clicks: number; uniqueClicks: number; title: string }[] }>(`/api/v1/profiles/${profileId}/analytics/links${query(params)}`);
      const expectedLinks = expectedBreakdown(
        inScope.filter((row) => row.event_type === 'click'),
        (row) => row.link_id,
      );
      const clickedLinks = links.body.links.filter((link) => link.clicks > 0);
      expect(Object.fromEntries(clickedLinks.map((link) => [link.linkId, { clicks: link.clicks, uniqueClicks: link.uniqueClicks }])), context).toEqual(
        Object.fromEntries([...expectedLinks].map(([link, counts]) => [link, { clicks: counts.clicks, uniqueClicks: counts.uniqueClicks }])),
      );
      // The rest of the page's links (only the filtered one under a link filter) follow with nothing.
      expect(links.body.links.slice(clickedLinks.length).map((link) => [link.linkId, link.clicks, link.uniqueClicks]), context).toEqual(
        linkIds.filter((id) => !expectedLinks.has(id) && (params.link === undefined || params.link === id)).map((id) => [id, 0, 0]),
      );
      for (const link of links.body.links) expect(link.title).toMatch(/^Link \d$/);

      // Each breakdown table holds the oracle's figures per value.
      for (const [endpoint, table, column] of [
        ['geo', 'countries', 'country'],
        ['devices', 'devices', 'device'],
        ['devices', 'browsers', 'browser'],
        ['referrers', 'channels', 'channel'],
        ['referrers', 'referrers', 'referrer_domain'],
        ['referrers', 'triggers', 'trigger'],
      ] as const) {
        const breakdown = await owner.get<{ tables: Record<string, { values: Record<string, string>; views: number; visitors: number; clicks: number }[]> }>(
          `/api/v1/profiles/${profileId}/analytics/${endpoint}${query(params)}`,
        );
        const actual = Object.fromEntries(breakdown.body.tables[table]!.map((row) => [row.values[column] ?? '', { views: row.views, visitors: row.visitors, clicks: row.clicks }]));
        const oracle = Object.fromEntries(
          [...expectedBreakdown(inScope, (row) => String(row[column]))].map(([value, counts]) => [value, { views: counts.views, visitors: counts.visitors, clicks: counts.clicks }]),
        );
        expect(actual, `${endpoint}.${table} ${context}`).toEqual(oracle);
      }
      const heatmap = await owner.get<{ clicks: number }>(`/api/v1/profiles/${profileId}/analytics/heatmap${query(params)}`);
      expect(heatmap.body.clicks).toBe(expected.positions);
    }
  });

  it('reads whole days from the aggregates, which keep their figures after the raw rows are gone', async () => {
    // A profile of its own, with 400 events spread over five whole UTC days.
    const archived = (await owner.newProfile({ published: true })).id;
    const firstDay = Date.UTC(2026, 9, 1);
    const old = generate(400).map((row, index) => ({ ...row, event_id: randomUUID(), profile_id: archived, timestamp: firstDay + ((index * 1_080_001) % (5 * DAY)) }));
    await clickhouse.insert('events', old);
    const range = query({ from: new Date(firstDay).toISOString(), to: new Date(firstDay + 5 * DAY).toISOString() });
    const read = () =>
      Promise.all(
        [
          'summary',
          'timeseries?interval=week',
          'links',
          'geo',
          'devices',
          'referrers',
          // A referrer alone is one dimension of dimension_daily, like the other single filters.
          'summary?referrer=github.com',
          // So is the trigger (QR scans against the rest).
          'summary?trigger=qr',
          'timeseries?interval=day&referrer=github.com',
          'links?referrer=github.com',
          'export?data=daily&format=ndjson&referrer=github.com',
        ].map(async (endpoint) => {
          const [path, extra] = endpoint.split('?');
          const response = await owner.get<Record<string, unknown>>(`/api/v1/profiles/${archived}/analytics/${path}${range}${extra ? `&${extra}` : ''}`);
          if (path !== 'summary' || !extra) return { endpoint, body: response.body };
          // Time to click lives in link_stats only: a filtered summary reads it from the raw rows.
          const { medianTimeToClickMs: _fromRawRows, ...current } = (response.body as { current: Record<string, unknown> }).current;
          return { endpoint, body: { ...response.body, current } };
        }),
      );
    const before = await read();
    const summary = before[0]!.body as { current: { views: number; clicks: number } };
    expect(summary.current.views).toBeGreaterThan(0);
    const referred = before[6]!.body as { current: { views: number; clicks: number } };
    expect(referred.current.views).toBeGreaterThan(0);
    expect(referred.current.views).toBeLessThan(summary.current.views);

    // As if the raw rows had expired (ANALYTICS_RETENTION_DAYS): the same figures, now from the aggregates alone.
    await clickhouse.command('DELETE FROM events WHERE profile_id = {profile:UUID}', { profile: archived });
    expect(await clickhouse.query('SELECT 1 FROM events WHERE profile_id = {profile:UUID}', { profile: archived })).toEqual([]);
    expect(await read()).toEqual(before);
    // Filters on two dimensions need raw rows: nothing is left for them.
    const combined = await owner.get<{ current: { views: number } }>(`/api/v1/profiles/${archived}/analytics/summary${range}&country=DE&device=mobile`);
    expect(combined.body.current.views).toBe(0);
    const referredCombined = await owner.get<{ current: { views: number } }>(`/api/v1/profiles/${archived}/analytics/summary${range}&referrer=github.com&channel=github`);
    expect(referredCombined.body.current.views).toBe(0);
    // UTM source × medium × campaign has its own aggregate (utm_daily): it adds up to the sources.
    const utm = await owner.get<{ tables: { sources: { views: number }[]; combinations: { views: number }[] } }>(`/api/v1/profiles/${archived}/analytics/utm${range}`);
    const totalViews = (rows: { views: number }[]) => rows.reduce((sum, row) => sum + row.views, 0);
    expect(totalViews(utm.body.tables.sources)).toBeGreaterThan(0);
    expect(totalViews(utm.body.tables.combinations)).toBe(totalViews(utm.body.tables.sources));
  });

  it('reports the share of bot traffic that every other figure leaves out', async () => {
    const response = await owner.get<{ total: number; bots: number; filteredShare: number }>(`/api/v1/profiles/${profileId}/analytics/bots${query({ from: new Date(NOW - 11 * DAY).toISOString(), to: new Date(NOW + DAY).toISOString() })}`);
    const counted = rows.filter((row) => row.is_internal === 0 && (row.event_type === 'view' || row.event_type === 'click'));
    expect(response.body.total).toBe(counted.length);
    expect(response.body.bots).toBe(counted.filter((row) => row.is_bot === 1).length);
    expect(response.body.filteredShare).toBeCloseTo(response.body.bots / response.body.total, 10);

    // Whole days come from dimension_daily's bot_kind rows, the ends from raw rows; per kind, and for one link.
    const link = linkIds[0]!;
    const byKind = await owner.get<{ kinds: { kind: string; events: number }[] }>(
      `/api/v1/profiles/${profileId}/analytics/bots${query({ from: new Date(NOW - 11 * DAY + 3_600_000 + 7).toISOString(), to: new Date(NOW).toISOString(), link })}`,
    );
    const inRange = rows.filter((row) => row.is_internal === 0 && row.timestamp >= NOW - 11 * DAY + 3_600_007 && row.timestamp < NOW);
    const expected = new Map<string, number>();
    for (const row of inRange) {
      if (row.event_type === 'view' || (row.event_type === 'click' && row.link_id === link)) expected.set(row.bot_kind || 'human', (expected.get(row.bot_kind || 'human') ?? 0) + 1);
    }
    expect(Object.fromEntries(byKind.body.kinds.map((kind) => [kind.kind, kind.events]))).toEqual(Object.fromEntries(expected));
  });

  it('filters bots, the heatmap, UTM and exports by referrer, and refuses a referrer that is not a lower-case domain', async () => {
    const from = NOW - 11 * DAY;
    const to = NOW + DAY;
    const referrer = 'news.ycombinator.com';
    const params = query({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), referrer });
    const referred = rows.filter((row) => row.is_internal === 0 && row.timestamp >= from && row.timestamp < to && row.referrer_domain === referrer);
    expect(referred.length).toBeGreaterThan(0);

    const bots = await owner.get<{ total: number; bots: number }>(`/api/v1/profiles/${profileId}/analytics/bots${params}`);
    const counted = referred.filter((row) => row.event_type === 'view' || row.event_type === 'click');
    expect(bots.body).toMatchObject({ total: counted.length, bots: counted.filter((row) => row.is_bot === 1).length });
    const heatmap = await owner.get<{ clicks: number }>(`/api/v1/profiles/${profileId}/analytics/heatmap${params}`);
    expect(heatmap.body.clicks).toBe(referred.filter((row) => row.is_bot === 0 && row.event_type === 'click_position').length);
    const utm = await owner.get<{ tables: { sources: { values: Record<string, string>; views: number }[] } }>(`/api/v1/profiles/${profileId}/analytics/utm${params}`);
    expect(utm.body.tables.sources).toEqual([expect.objectContaining({ values: { utm_source: '' }, views: referred.filter((row) => row.is_bot === 0 && row.event_type === 'view').length })]);
    const exported = await owner.get<string>(`/api/v1/profiles/${profileId}/analytics/export${params}&format=ndjson`);
    const records = exported.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(referred.length);
    expect(records.every((record) => record.referrer_domain === referrer)).toBe(true);

    for (const invalid of ['', 'News.YCombinator.com', 'news.ycombinator.com:443', 'https://news.ycombinator.com', "x' OR 1=1 --", 'a..b', `${'a'.repeat(63)}.`.repeat(4) + 'com']) {
      const response = await owner.get<{ error: { code: string } }>(`/api/v1/profiles/${profileId}/analytics/summary?${new URLSearchParams({ referrer: invalid }).toString()}`);
      expect(response.status, invalid).toBe(400);
      expect(response.body.error.code).toBe('INVALID_INPUT');
    }
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
    expect(lines[0]).toBe(EVENT_EXPORT_COLUMNS.join(','));
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
    // Links by their titles; page views on rows without a link (not the nil id).
    const dailyCsv = await owner.get<string>(`/api/v1/profiles/${profileId}/analytics/export${params}&data=daily&format=csv`);
    const dailyLines = dailyCsv.body.trimEnd().split('\r\n');
    expect(dailyLines[0]).toBe(DAILY_EXPORT_COLUMNS.join(','));
    expect(dailyCsv.body).not.toContain('00000000-0000-0000-0000-000000000000');
    const cells = dailyLines.slice(1).map((line) => line.split(','));
    expect(cells.some((row) => row[1] === '' && row[2] === '')).toBe(true);
    expect(cells.filter((row) => row[1] !== '').every((row) => row[2] !== '')).toBe(true);
    expect(csv.body).not.toContain('00000000-0000-0000-0000-000000000000');
  });

  it('compares with the previous period of the same length', async () => {
    const from = NOW - 4 * DAY;
    const response = await owner.get<{ previous: { views: number; range: { from: string; to: string } } }>(
      `/api/v1/profiles/${profileId}/analytics/summary${query({ from: new Date(from).toISOString(), to: new Date(NOW).toISOString(), compare: 'previous' })}`,
    );
    expect(response.body.previous.range).toEqual({ from: new Date(from - 4 * DAY).toISOString(), to: new Date(from).toISOString() });
    expect(response.body.previous.views).toBe(expectedSummary(from - 4 * DAY, from, {}).views);
  });

  it('compares back to 2000-01-01 at the earliest, with every instant an RFC 3339 date-time', async () => {
    const earliest = Date.UTC(2000, 0, 1);
    const from = Date.UTC(2002, 0, 1);
    const to = 2 * from - earliest; // the previous period starts exactly at the earliest instant
    const response = await owner.get<{ range: { from: string; to: string }; previous: { range: { from: string; to: string } } }>(
      `/api/v1/profiles/${profileId}/analytics/summary${query({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), compare: 'previous' })}`,
    );
    expect(response.status).toBe(200);
    expect(response.body.previous.range).toEqual({ from: '2000-01-01T00:00:00.000Z', to: new Date(from).toISOString() });
    const oneMore = await owner.get(`/api/v1/profiles/${profileId}/analytics/summary${query({ from: new Date(from).toISOString(), to: new Date(to + 1).toISOString(), compare: 'previous' })}`);
    expect(oneMore.status).toBe(400);
  });

  it('takes a time zone in any letter case or as an alias, and answers its canonical name', async () => {
    // Intl knows europe/berlin; ClickHouse only Europe/Berlin: passed on as given, it was a 500.
    for (const [given, canonical] of [['europe/berlin', 'Europe/Berlin'], ['US/Pacific', 'America/Los_Angeles']]) {
      const response = await owner.get<{ timeZone: string }>(`/api/v1/profiles/${profileId}/analytics/timeseries${query({ tz: given, interval: 'day' })}`);
      expect({ given, status: response.status, timeZone: response.body.timeZone }).toEqual({ given, status: 200, timeZone: canonical });
    }
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
