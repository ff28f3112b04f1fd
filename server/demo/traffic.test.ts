import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyReferrer } from '../../consumers/steps/classify-referrer.step.js';
import { BOT_KINDS, CHANNELS, DEVICE_CLASSES, NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import { generateTraffic, type TrafficOptions } from './traffic.js';

const DAY = 86_400_000;
const END = Date.UTC(2026, 5, 1, 9, 30);
const LINKS = [
  { id: '0195a4c2-0000-7000-8000-000000000001', kind: 'github' as const },
  { id: '0195a4c2-0000-7000-8000-000000000002' },
  { id: '0195a4c2-0000-7000-8000-000000000003' },
  { id: '0195a4c2-0000-7000-8000-000000000004', kind: 'github' as const },
  { id: '0195a4c2-0000-7000-8000-000000000005' },
];
const OPTIONS: TrafficOptions = { profileId: '0195a4c2-1111-7000-8000-00000000aaaa', links: LINKS, days: 90, events: 200_000, end: END, seed: 42 };

function all(options: TrafficOptions): { rows: AnalyticsRow[]; batchSizes: number[] } {
  const rows: AnalyticsRow[] = [];
  const batchSizes: number[] = [];
  for (const batch of generateTraffic(options)) {
    batchSizes.push(batch.length);
    for (const row of batch) rows.push(row);
  }
  return { rows, batchSizes };
}

/** Column names of the events table, read from its DDL. */
/** The events table's columns: 0001's CREATE TABLE and every later ADD COLUMN. */
function eventsColumns(): string[] {
  const ddl = readFileSync(new URL('../../clickhouse/0001_events.sql', import.meta.url), 'utf8');
  const body = ddl.slice(ddl.indexOf('(', ddl.indexOf('CREATE TABLE')) + 1, ddl.indexOf('\n)'));
  const created = [...body.matchAll(/^\s{4}([a-z_]+)\s+[A-Z]/gm)].map((match) => match[1]!);
  const folder = new URL('../../clickhouse/', import.meta.url);
  const added = readdirSync(folder)
    .filter((file) => /^\d{4}_.*\.sql$/.test(file))
    .sort()
    .flatMap((file) => [...readFileSync(new URL(file, folder), 'utf8').matchAll(/^ALTER TABLE events ADD COLUMN IF NOT EXISTS ([a-z_]+)/gm)].map((match) => match[1]!));
  return [...created, ...added];
}

const { rows } = all(OPTIONS);
const share = (predicate: (row: AnalyticsRow) => boolean, among: readonly AnalyticsRow[] = rows) => among.filter(predicate).length / among.length;
const humans = rows.filter((row) => row.is_bot === 0 && row.is_internal === 0);
const humanViews = humans.filter((row) => row.event_type === 'view');
const humanClicks = humans.filter((row) => row.event_type === 'click');

describe('generateTraffic', () => {
  it('gives exactly the number of rows asked for, in batches no larger than asked', () => {
    for (const events of [0, 1, 7, 12_345]) {
      const { rows: generated, batchSizes } = all({ ...OPTIONS, events, batchSize: 1000 });
      expect(generated).toHaveLength(events);
      expect(batchSizes.every((size) => size > 0 && size <= 1000)).toBe(true);
    }
    expect(rows).toHaveLength(200_000);
  });

  it('gives the same rows for the same options and other rows for another seed', () => {
    const first = all({ ...OPTIONS, events: 5000 }).rows;
    expect(all({ ...OPTIONS, events: 5000 }).rows).toEqual(first);
    expect(all({ ...OPTIONS, events: 5000, seed: 43 }).rows).not.toEqual(first);
  });

  it('makes rows the events table accepts: its columns, its types and value ranges', () => {
    const columns = eventsColumns();
    expect(columns).toHaveLength(30);
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    const linkIds = new Set(LINKS.map((link) => link.id));
    expect(new Set(rows.map((row) => row.event_id)).size).toBe(rows.length);
    // Every 7th row (expect() per field over all 200,000 rows takes 20 s).
    for (const row of rows.filter((_, index) => index % 7 === 0)) {
      expect(Object.keys(row).sort()).toEqual([...columns].sort());
      expect(row.event_id).toMatch(uuid);
      expect(row.timestamp).toBeGreaterThanOrEqual(END - 90 * DAY);
      expect(row.timestamp).toBeLessThan(END);
      expect(row.visitor_id).toMatch(/^\d{1,20}$/);
      expect(BigInt(row.visitor_id) < 2n ** 64n).toBe(true);
      expect(CHANNELS).toContain(row.channel);
      expect(BOT_KINDS).toContain(row.bot_kind);
      expect(DEVICE_CLASSES).toContain(row.device);
      expect(row.is_bot).toBe(row.bot_kind === '' ? 0 : 1);
      expect(row.country).toMatch(/^([A-Z]{2})?$/);
      if (row.event_type === 'view') {
        expect([row.source, row.link_id, row.click_x, row.click_y, row.viewport_width, row.time_to_click_ms]).toEqual(['beacon', NO_LINK, 0, 0, 0, 0]);
      } else {
        expect(linkIds.has(row.link_id)).toBe(true);
        expect(row.source).toBe(row.event_type === 'click' ? 'redirect' : 'beacon');
      }
      if (row.event_type === 'click_position') {
        expect(row.click_id).not.toBe(NO_LINK);
        expect(row.click_x).toBeGreaterThan(0);
        expect(row.click_x).toBeLessThan(1);
        expect(row.click_y).toBeGreaterThan(100);
        expect(row.viewport_width).toBeGreaterThan(300);
        expect(row.time_to_click_ms).toBeGreaterThanOrEqual(250);
      }
    }
  });

  it('joins every click position to its click by click_id', () => {
    const clickIds = new Set(rows.filter((row) => row.event_type === 'click' && row.click_id !== NO_LINK).map((row) => row.click_id));
    const positions = rows.filter((row) => row.event_type === 'click_position');
    // A day's quota can end between a click and its position, never the other way round.
    expect(positions.filter((row) => !clickIds.has(row.click_id))).toEqual([]);
    expect(positions.length / humanClicks.length).toBeGreaterThan(0.8);
  });

  it('classifies referrers and UTM tags as the consumers would', () => {
    const seen = new Map<string, AnalyticsRow>();
    for (const row of rows) seen.set(`${row.referrer_domain}|${row.utm_source}|${row.utm_medium}|${row.channel}`, row);
    for (const row of seen.values()) {
      const referrer = row.referrer_domain === '' ? null : `https://${row.referrer_domain}/some/path`;
      const utm = { source: row.utm_source || null, medium: row.utm_medium || null };
      expect(classifyReferrer(referrer, utm), JSON.stringify(row)).toEqual({ referrer_domain: row.referrer_domain, channel: row.channel });
    }
    const channels = new Set(humanViews.map((row) => row.channel));
    for (const channel of ['direct', 'search', 'github', 'hacker_news', 'stack_overflow', 'dev_to', 'npm', 'x', 'reddit', 'email']) expect(channels).toContain(channel);
    expect(share((row) => row.utm_campaign !== '', humanViews)).toBeGreaterThan(0.02);
  });

  it('has plausible proportions: bots, internal visits, click-through, devices, countries', () => {
    expect(share((row) => row.is_bot === 1)).toBeGreaterThan(0.03);
    expect(share((row) => row.is_bot === 1)).toBeLessThan(0.05);
    expect(new Set(rows.map((row) => row.bot_kind))).toEqual(new Set(BOT_KINDS));
    expect(share((row) => row.is_internal === 1)).toBeGreaterThan(0.002);
    expect(share((row) => row.is_internal === 1)).toBeLessThan(0.03);

    const ctr = humanClicks.length / humanViews.length;
    expect(ctr).toBeGreaterThan(0.2);
    expect(ctr).toBeLessThan(0.5);
    const clicksOf = (id: string) => humanClicks.filter((row) => row.link_id === id).length;
    // Links differ: the first link draws far more clicks than the fifth.
    expect(clicksOf(LINKS[0]!.id)).toBeGreaterThan(2 * clicksOf(LINKS[4]!.id));

    expect(share((row) => row.device === 'mobile', humanViews)).toBeGreaterThan(0.25);
    expect(share((row) => row.device === 'desktop', humanViews)).toBeGreaterThan(0.4);
    expect(share((row) => row.device === 'tablet', humanViews)).toBeGreaterThan(0.005);
    expect(share((row) => row.country === 'US', humanViews)).toBeGreaterThan(0.15);
    expect(new Set(humanViews.map((row) => row.country)).size).toBeGreaterThan(15);
    // Cities belong to their country: Berlin is German, wherever it appears.
    expect(new Set(humans.filter((row) => row.city === 'Berlin').map((row) => row.country))).toEqual(new Set(['DE']));
    // Visitors come back within a day: fewer distinct visitor ids than views.
    expect(new Set(humanViews.map((row) => row.visitor_id)).size).toBeLessThan(humanViews.length * 0.95);
  });

  it('places clicks on the links, lower on the page for later links, per layout', () => {
    const positions = humans.filter((row) => row.event_type === 'click_position');
    const meanY = (id: string, device: string) => {
      const ys = positions.filter((row) => row.link_id === id && row.device === device).map((row) => row.click_y);
      return ys.reduce((a, b) => a + b, 0) / ys.length;
    };
    for (const device of ['mobile', 'desktop']) {
      expect(meanY(LINKS[1]!.id, device)).toBeLessThan(meanY(LINKS[2]!.id, device));
      expect(meanY(LINKS[2]!.id, device)).toBeLessThan(meanY(LINKS[4]!.id, device));
    }
    expect(positions.filter((row) => row.device === 'mobile').every((row) => row.viewport_width < 450)).toBe(true);
  });

  it('has a weekly and a daily rhythm, growth and a Hacker News day', () => {
    const perDay = new Map<number, AnalyticsRow[]>();
    for (const row of humanViews) {
      const day = Math.floor((row.timestamp - (END - 90 * DAY)) / DAY);
      perDay.set(day, [...(perDay.get(day) ?? []), row]);
    }
    const counts = Array.from({ length: 90 }, (_, day) => perDay.get(day)?.length ?? 0);
    const busiest = counts.indexOf(Math.max(...counts));
    expect(share((row) => row.channel === 'hacker_news', perDay.get(busiest))).toBeGreaterThan(0.5);
    const median = [...counts].sort((a, b) => a - b)[45]!;
    expect(counts[busiest]).toBeGreaterThan(4 * median);
    const sum = (days: number[]) => days.reduce((a, b) => a + b, 0);
    expect(sum(counts.slice(70, 84))).toBeGreaterThan(1.2 * sum(counts.slice(0, 14)));

    const byWeekday = Array.from({ length: 7 }, () => 0);
    for (const row of humanViews) byWeekday[new Date(row.timestamp).getUTCDay()]! += 1;
    expect(byWeekday[3]!).toBeGreaterThan(1.3 * byWeekday[6]!); // Wednesday over Saturday

    // Berliners (UTC+1): 11:00 local is far busier than 04:00 local.
    const berlinHour = (row: AnalyticsRow) => (new Date(row.timestamp).getUTCHours() + 1) % 24;
    const berlin = humanViews.filter((row) => row.city === 'Berlin');
    expect(berlin.filter((row) => berlinHour(row) === 11).length).toBeGreaterThan(4 * berlin.filter((row) => berlinHour(row) === 4).length);
  });

  it('generates views only when the profile has no links', () => {
    const { rows: viewsOnly } = all({ ...OPTIONS, links: [], events: 2000 });
    expect(new Set(viewsOnly.map((row) => row.event_type))).toEqual(new Set(['view']));
  });
});
