// The batched analytics dashboard (GET …/analytics/dashboard, NDJSON) against the real ClickHouse
// engine (chDB): each panel's line holds exactly what the panel's own endpoint answers for the same
// query; a panel whose read fails sends its own error line and the stream goes on to its done line;
// another creator's profile and a bad query are refused before the stream starts; and the whole
// batch is one request to the rate limiter.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

const HOUR = 3_600_000;
const NOW = Date.now();

let engine: TestClickHouse | undefined;
let harness: ApiHarness;
let owner: ApiClient;
let profileId: string;
/** SQL that contains this fails, so one panel's read can be broken on purpose. */
let failingSql: string | undefined;

/** The engine, but any query whose SQL contains `failingSql` throws as a broken engine would. */
function breakable(clickhouse: ClickHouse): ClickHouse {
  return new Proxy(clickhouse, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      return (sql: string, params?: Parameters<ClickHouse['query']>[1]) => {
        if (failingSql !== undefined && sql.includes(failingSql)) return Promise.reject(new Error('engine failure (test)'));
        return target.query(sql, params);
      };
    },
  });
}

function row(type: 'view' | 'click' | 'click_position', at: number, visitor: number, country: string, device: AnalyticsRow['device'], link = NO_LINK): AnalyticsRow {
  return {
    event_id: randomUUID(),
    event_type: type,
    source: type === 'click' ? 'redirect' : 'beacon',
    timestamp: at,
    profile_id: profileId,
    link_id: link,
    click_id: NO_LINK,
    visitor_id: String(visitor),
    is_bot: visitor > 900 ? 1 : 0,
    bot_kind: visitor > 900 ? 'crawler' : '',
    is_internal: 0,
    country,
    region: '',
    city: country === 'DE' ? 'Berlin' : 'Austin',
    device,
    browser: 'Firefox',
    os: 'Linux',
    referrer_domain: 'news.ycombinator.com',
    channel: 'hacker_news',
    utm_source: 'newsletter',
    utm_medium: 'email',
    utm_campaign: 'launch',
    trigger: 'link',
    ab_tests: [],
    ab_variants: [],
    click_x: type === 'click_position' ? 0.4 : 0,
    click_y: type === 'click_position' ? 200 : 0,
    viewport_width: 390,
    viewport_height: 844,
    time_to_click_ms: type === 'click_position' ? 1500 : 0,
  };
}

interface Line {
  panel?: string;
  body?: unknown;
  error?: { status: number; code: string; message: string };
  done?: boolean;
  panels?: number;
  errors?: number;
}

async function dashboard(client: ApiClient, id: string, search: string) {
  const response = await fetch(`${harness.url}/api/v1/profiles/${id}/analytics/dashboard${search}`, { headers: { cookie: client.cookie! } });
  const text = await response.text();
  const lines = response.headers.get('content-type')?.startsWith('application/x-ndjson')
    ? text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Line)
    : [];
  return { status: response.status, contentType: response.headers.get('content-type'), text, lines };
}

beforeAll(async () => {
  engine = await createTestClickHouse('analytics_dashboard');
  harness = await startApiHarness('analytics_dashboard', { clickhouse: breakable(engine.clickhouse) });
  owner = await harness.newUser();
  profileId = (await owner.newProfile({ published: true })).id;
  const docs = (await owner.newLink(profileId, { title: 'Docs' })).id;
  await owner.newLink(profileId, { title: 'Never clicked' });
  const rows: AnalyticsRow[] = [];
  for (let i = 0; i < 40; i++) {
    const at = NOW - (i + 1) * 5 * HOUR;
    const country = i % 3 === 0 ? 'US' : 'DE';
    const device = i % 2 === 0 ? 'mobile' : 'desktop';
    rows.push(row('view', at, i % 17, country, device));
    if (i % 4 === 0) rows.push(row('click', at + 1000, i % 17, country, device, docs), row('click_position', at + 1000, i % 17, country, device, docs));
    if (i % 10 === 0) rows.push(row('view', at, 901 + i, 'US', 'desktop'));
  }
  await engine.clickhouse.insert('events', rows);
});
afterAll(async () => {
  await harness?.close();
  await engine?.close();
});

const PANEL_ENDPOINTS = {
  summary: 'summary',
  timeseries: 'timeseries',
  links: 'links',
  bots: 'bots',
  geo: 'geo',
  devices: 'devices',
  referrers: 'referrers',
  utm: 'utm',
  heatmap: 'heatmap',
  abTests: 'ab-tests',
} as const;

it('answers every panel with exactly its endpoint’s body for the same query, then a done line', async () => {
  const from = new Date(NOW - 6 * 24 * HOUR).toISOString();
  const to = new Date(NOW).toISOString();
  for (const query of [
    { from, to, compare: 'previous', interval: 'hour', tz: 'Europe/Berlin' },
    { from, to, country: 'DE', heatmapDevice: 'mobile' },
    { from, to, device: 'desktop', compare: 'previous', heatmapDevice: 'mobile' },
  ] as Record<string, string>[]) {
    const { heatmapDevice, ...shared } = query;
    const batch = await dashboard(owner, profileId, `?${new URLSearchParams(query).toString()}`);
    expect(batch.status).toBe(200);
    expect(batch.contentType).toMatch(/^application\/x-ndjson/);
    const done = batch.lines.at(-1);
    expect(done).toEqual({ done: true, panels: 10, errors: 0 });
    const panels = new Map(batch.lines.slice(0, -1).map((line) => [line.panel, line.body]));
    expect([...panels.keys()].sort()).toEqual(Object.keys(PANEL_ENDPOINTS).sort());
    for (const [panel, endpoint] of Object.entries(PANEL_ENDPOINTS)) {
      // Each endpoint takes what it takes: the heatmap's device is a device filter, realtime-free.
      const own: Record<string, string | undefined> = { ...shared };
      if (endpoint !== 'timeseries') {
        delete own.interval;
        delete own.tz;
      }
      if (endpoint === 'heatmap' && heatmapDevice) own.device = heatmapDevice;
      // A/B tests are measured over each test's whole run: the range picks the tests, nothing else applies.
      if (endpoint === 'ab-tests') for (const key of Object.keys(own)) if (key !== 'from' && key !== 'to') delete own[key];
      const search = new URLSearchParams(Object.entries(own).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
      const single = await owner.get(`/api/v1/profiles/${profileId}/analytics/${endpoint}?${search}`);
      expect(single.status, `${panel} ${search}`).toBe(200);
      expect(panels.get(panel), `${panel} ${search}`).toEqual(single.body);
    }
    // Not an empty comparison: the seeded traffic shows.
    expect(panels.get('summary')).toMatchObject({ current: { views: expect.any(Number) as number } });
    expect((panels.get('summary') as { current: { views: number } }).current.views).toBeGreaterThan(0);
  }
});

it('sends a failing panel’s error as its own line and still answers every other panel', async () => {
  failingSql = 'heatmap';
  try {
    const batch = await dashboard(owner, profileId, '');
    expect(batch.status).toBe(200);
    const heatmap = batch.lines.find((line) => line.panel === 'heatmap');
    expect(heatmap?.body).toBeUndefined();
    expect(heatmap?.error).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(heatmap?.error?.message).not.toContain('engine failure');
    expect(batch.lines.filter((line) => line.body !== undefined).map((line) => line.panel).sort()).toEqual(
      Object.keys(PANEL_ENDPOINTS)
        .filter((panel) => panel !== 'heatmap')
        .sort(),
    );
    expect(batch.lines.at(-1)).toEqual({ done: true, panels: 10, errors: 1 });
  } finally {
    failingSql = undefined;
  }
});

it('refuses another creator’s profile (404) and a bad query (400) before the stream starts', async () => {
  const stranger = await harness.newUser();
  const foreign = await dashboard(stranger, profileId, '');
  expect(foreign.status).toBe(404);
  expect(foreign.contentType).toMatch(/^application\/json/);
  expect(JSON.parse(foreign.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });

  for (const [search, field] of [
    ['?from=yesterday', 'query.from'],
    ['?heatmapDevice=phone', 'query.heatmapDevice'],
    ['?interval=fortnight', 'query.interval'],
    ['?panels=summary', 'query'],
  ] as const) {
    const bad = await dashboard(owner, profileId, search);
    expect(bad.status, search).toBe(400);
    expect(JSON.parse(bad.text), search).toMatchObject({ error: { code: 'INVALID_INPUT' } });
    expect(bad.text, search).toContain(field);
  }
});

it('counts the whole batch as one request against the per-user rate limit', async () => {
  const limited = await startApiHarness('analytics_dashboard_limit', {
    database: harness.database,
    clickhouse: engine!.clickhouse,
    config: { rateLimits: { ipPerMinute: 100, userPerMinute: 3, authPerMinute: 100 } },
  });
  try {
    const creator = await limited.newUser();
    const id = (await creator.newProfile({ published: true })).id;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await fetch(`${limited.url}/api/v1/profiles/${id}/analytics/dashboard`, { headers: { cookie: creator.cookie! } });
      const text = await response.text();
      statuses.push(response.status);
      if (response.status === 200) expect(text.trim().split('\n').at(-1)).toBe(JSON.stringify({ done: true, panels: 10, errors: 0 }));
    }
    // The profile's creation was the first of 3; each batch of 9 panels one more.
    expect(statuses).toEqual([200, 200, 429]);
  } finally {
    await limited.close();
  }
});
