// ANALYTICS_RETENTION_DAYS reaches the events table's TTL, and rows past it are removed.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NO_LINK, type AnalyticsRow } from '../events/analytics-row.js';
import { testLogger } from '../testing/services.js';
import type { ClickHouse } from './clickhouse.js';
import { applyRawRetention } from './retention.js';
import { createTestClickHouse, type TestClickHouse } from '../testing/clickhouse.js';

let engine: TestClickHouse | undefined;
let clickhouse: ClickHouse;
beforeAll(async () => {
  engine = await createTestClickHouse('retention');
  clickhouse = engine.clickhouse;
});
afterAll(async () => {
  await engine?.close();
});

const ddl = async () => (await clickhouse.query<{ ddl: string }>("SELECT create_table_query AS ddl FROM system.tables WHERE database = currentDatabase() AND name = 'events'"))[0]!.ddl;

function row(daysAgo: number, profileId: string): AnalyticsRow {
  return {
    event_id: randomUUID(), event_type: 'view', source: 'beacon', timestamp: Date.now() - daysAgo * 86_400_000, profile_id: profileId, link_id: NO_LINK, click_id: NO_LINK,
    visitor_id: '1', is_bot: 0, bot_kind: '', is_internal: 0, country: '', region: '', city: '', device: 'desktop', browser: '', os: '', referrer_domain: '',
    channel: 'direct', utm_source: '', utm_medium: '', utm_campaign: '', trigger: 'link', ab_tests: [], ab_variants: [], click_x: 0, click_y: 0, viewport_width: 0, viewport_height: 0, time_to_click_ms: 0,
  };
}

it('keeps 400 days by default, applies a configured retention once, and removes older rows', async () => {
  expect(await ddl()).toContain('toIntervalDay(400)');
  await applyRawRetention(clickhouse, 30, testLogger);
  expect(await ddl()).toContain('toIntervalDay(30)');
  await applyRawRetention(clickhouse, 30, testLogger);
  const profileId = randomUUID();
  await clickhouse.insert('events', [row(60, profileId), row(1, profileId)]);
  await clickhouse.command('OPTIMIZE TABLE events FINAL');
  const [count] = await clickhouse.query<{ n: string }>('SELECT count() AS n FROM events WHERE profile_id = {p:UUID}', { p: profileId });
  expect(count!.n).toBe('1');
});
