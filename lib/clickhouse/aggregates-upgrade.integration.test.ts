// Upgrading a database that holds traffic to clickhouse/0007 (aggregates at scale): the new tables hold,
// per link and for all links, exactly what their views compute from the raw events (sums, visitor sets
// and sketches), the old tables and views are gone, and running the file's statements again changes
// nothing.
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CLICKHOUSE_MIGRATIONS_DIR } from '../paths.js';
import { NO_LINK } from '../events/analytics-row.js';
import { testLogger } from '../testing/services.js';
import { createChdbAdapter } from './chdb-adapter.js';
import type { ClickHouse } from './clickhouse.js';
import { migrateClickHouse, splitStatements } from './migrate.js';
import { ALL_LINKS } from '../analytics/query-plan.js';

const UPGRADE = '0007_aggregates_at_scale.sql';
const PROFILE = '0190f0f0-0000-7000-8000-0000000000aa';
const LINK = '0190f0f0-0000-7000-8000-0000000000ab';

let dataDir: string;
let before: string;
let clickhouse: ClickHouse;

/** The new states per row of each aggregate, next to the same figures computed from the raw events. */
const STATE_CHECKS = {
  traffic_daily: { keys: 'profile_id, is_bot, is_internal, day, link_id', raw: 'toDate(timestamp) AS day, link_id', rawWhere: '1' },
  traffic_hourly: { keys: 'profile_id, is_bot, is_internal, hour, link_id', raw: 'toStartOfHour(timestamp) AS hour, link_id', rawWhere: '1' },
  geo_daily: { keys: 'profile_id, is_bot, is_internal, day, country, city, link_id', raw: 'toDate(timestamp) AS day, country, city, link_id', rawWhere: "event_type IN ('view', 'click')" },
  dimension_daily: { keys: 'profile_id, is_bot, is_internal, dimension, day, value, link_id', raw: "'browser' AS dimension, toDate(timestamp) AS day, toString(browser) AS value, link_id", rawWhere: "event_type IN ('view', 'click')" },
  utm_daily: {
    keys: 'profile_id, is_bot, is_internal, day, utm_source, utm_medium, utm_campaign, link_id',
    raw: 'toDate(timestamp) AS day, utm_source, utm_medium, utm_campaign, link_id',
    rawWhere: "event_type IN ('view', 'click')",
  },
} as const;

async function statesMatchRaw(table: keyof typeof STATE_CHECKS): Promise<void> {
  const { keys, raw, rawWhere } = STATE_CHECKS[table];
  const stored = await clickhouse.query(
    `SELECT ${keys}, sum(views) AS views, sum(clicks) AS clicks, length(groupUniqArrayMerge(256)(visitor_set)) AS visitors,
            uniqCombined64Merge(12)(visitor_sketch) AS estimate, length(groupUniqArrayMerge(256)(clicker_set)) AS clickers
       FROM ${table} WHERE ${table === 'dimension_daily' ? "dimension = 'browser'" : '1'} GROUP BY ${keys} ORDER BY ${keys}`,
  );
  const expected = await clickhouse.query(
    `SELECT profile_id, is_bot, is_internal, ${raw}, countIf(event_type = 'view') AS views, countIf(event_type = 'click') AS clicks,
            least(uniqExactIf(visitor_id, event_type IN ('view', 'click')), 256) AS visitors,
            uniqCombined64If(12)(visitor_id, event_type IN ('view', 'click')) AS estimate,
            least(uniqExactIf(visitor_id, event_type = 'click'), 256) AS clickers
       FROM (SELECT * REPLACE (link AS link_id) FROM events ARRAY JOIN [link_id, toUUID('${ALL_LINKS}')] AS link)
      WHERE ${rawWhere} GROUP BY ${keys} ORDER BY ${keys}`,
  );
  expect(stored.filter((row) => row.link_id === ALL_LINKS).length, table).toBeGreaterThan(0);
  expect(stored, table).toEqual(expected);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-upgrade-'));
  before = await mkdtemp(path.join(tmpdir(), 'linkpulse-migrations-'));
  for (const file of await readdir(CLICKHOUSE_MIGRATIONS_DIR)) if (file < UPGRADE) await cp(path.join(CLICKHOUSE_MIGRATIONS_DIR, file), path.join(before, file));
  clickhouse = await createChdbAdapter({ path: dataDir, database: 'analytics', logger: testLogger });
  await migrateClickHouse(clickhouse, { logger: testLogger, dir: before });
  // Traffic under the old schema: 3,000 visitors over three days (more than a set holds in a day), a
  // click for every fourth view, UTM tags on some.
  await clickhouse.command(
    `INSERT INTO events (event_id, event_type, source, timestamp, profile_id, link_id, click_id, visitor_id, is_bot, bot_kind, is_internal,
                         country, region, city, device, browser, os, referrer_domain, channel, utm_source, utm_medium, utm_campaign)
     SELECT generateUUIDv4(number), if(number % 4 = 0, 'click', 'view'), 'beacon',
            fromUnixTimestamp64Milli(toInt64(${Date.UTC(2026, 10, 1)} + (number % 3) * 86400000 + (cityHash64(number) % 86400000))),
            toUUID('${PROFILE}'), if(number % 4 = 0, toUUID('${LINK}'), toUUID('${NO_LINK}')), toUUID('${NO_LINK}'),
            1 + number % 3000, number % 50 = 0, '', 0, ['DE', 'US'][1 + number % 2], '', concat('city-', toString(number % 7)),
            'desktop', 'Firefox', 'Linux', '', 'direct', ['', 'newsletter'][1 + number % 2], '', ['', 'launch', 'docs'][1 + number % 3]
       FROM numbers(9000)`,
  );
  await migrateClickHouse(clickhouse, { logger: testLogger });
});

afterAll(async () => {
  await clickhouse?.close();
  await rm(dataDir, { recursive: true, force: true });
  await rm(before, { recursive: true, force: true });
});

it('fills the new tables from the raw events, per link and for all links, and drops the old ones', async () => {
  for (const table of Object.keys(STATE_CHECKS) as (keyof typeof STATE_CHECKS)[]) await statesMatchRaw(table);
  const tables = await clickhouse.query<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE '%stats%' ORDER BY name");
  expect(tables).toEqual([]);
});

it('changes nothing when its statements run again (a re-run after a failure half-way)', async () => {
  const statements = splitStatements(await readFile(path.join(CLICKHOUSE_MIGRATIONS_DIR, UPGRADE), 'utf8'));
  for (const statement of statements) await clickhouse.command(statement);
  for (const table of Object.keys(STATE_CHECKS) as (keyof typeof STATE_CHECKS)[]) await statesMatchRaw(table);
});
