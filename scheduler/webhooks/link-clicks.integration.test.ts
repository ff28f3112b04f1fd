// link.clicked batches: each click in exactly one event, only once the consumers have provably written
// its period, at most one event per profile per batch period, per-link counts complete and the listed
// clicks capped, no visitor data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISH_GRACE_MS } from '../../lib/clickhouse/reconcile.js';
import type { AnalyticsRow } from '../../lib/events/analytics-row.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { visitRows } from '../../lib/testing/analytics-rows.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { sendLinkClicks, type LinkClicksDeps } from './link-clicks.job.js';
import { registerEndpoint } from './webhook-testing.js';

let harness: ApiHarness;
let engine: TestClickHouse;
let schedulerDb: Database;
beforeAll(async () => {
  harness = await startApiHarness('webhook_clicks');
  engine = await createTestClickHouse('webhook-clicks');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-webhook-clicks', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await engine?.close();
  await harness?.close();
});

/** The consumers have committed everything published before this moment. */
let consumedUntil = 0;
const deps = (): LinkClicksDeps => ({
  db: schedulerDb,
  clickhouse: engine.clickhouse,
  bus: { hasConsumedUntil: async (_topic, _group, time) => time.getTime() <= consumedUntil },
  group: 'events-test',
  logger: testLogger,
});

function click(profileId: string, linkId: string, time: number, overrides: Partial<AnalyticsRow> = {}): AnalyticsRow {
  return { ...visitRows(profileId, { time, linkId }).find((row) => row.event_type === 'click')!, ...overrides };
}

interface ClickedData {
  period: { after: string; until: string };
  clicks: number;
  links: { linkId: string; clicks: number }[];
  recentClicks: { linkId: string; at: string; country: string }[];
  recentClicksTruncated: boolean;
}
const clickedEvents = async (profileId: string) =>
  (await schedulerDb.query<{ data: ClickedData }>("SELECT data FROM webhook_events WHERE profile_id = $1 AND type = 'link.clicked' ORDER BY occurred_at, id", [profileId])).rows.map((row) => row.data);

describe('link.clicked batches', () => {
  it('sends every human click exactly once, only up to what the consumers have written', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const [docs, blog] = [await owner.newLink(profile.id, { title: 'Docs' }), await owner.newLink(profile.id, { title: 'Blog' })];
    await registerEndpoint(harness.database.db, owner.userId!, profile.id, 'https://hooks.example.com/clicks', ['link.clicked']);
    const start = Date.now() - 10 * 60_000;
    consumedUntil = start;
    const first = await sendLinkClicks(deps(), { batchSeconds: 10 }, new Date(start));
    const origin = start - PUBLISH_GRACE_MS;
    expect(first).toEqual({ watermark: new Date(origin), events: 0, clicks: 0 });

    await engine.clickhouse.insert('events', [
      // Before the cursor began: never sent.
      click(profile.id, docs.id, origin - 1_000),
      click(profile.id, docs.id, origin + 1_000),
      click(profile.id, docs.id, origin + 2_000),
      click(profile.id, blog.id, origin + 3_000),
      // Exactly at the next watermark: in the first batch, not the second.
      click(profile.id, blog.id, origin + 30_000),
      // A bot's and the creator's own clicks are not clicks.
      click(profile.id, docs.id, origin + 4_000, { is_bot: 1, bot_kind: 'crawler' }),
      click(profile.id, docs.id, origin + 5_000, { is_internal: 1 }),
      // After the next watermark: the batch after.
      click(profile.id, docs.id, origin + 31_000),
    ]);
    consumedUntil = start + 30_000;
    const second = await sendLinkClicks(deps(), { batchSeconds: 10, recentCap: 3 }, new Date(start + 30_000));
    expect(second).toMatchObject({ events: 1, clicks: 4 });
    // Within the batch period of the last event: nothing, even with new clicks written.
    consumedUntil = start + 35_000;
    expect(await sendLinkClicks(deps(), { batchSeconds: 10 }, new Date(start + 35_000))).toMatchObject({ events: 0 });
    // The consumers are behind: the job reads only as far as they have written.
    consumedUntil = start + 45_000;
    const third = await sendLinkClicks(deps(), { batchSeconds: 10 }, new Date(start + 90_000));
    expect(third).toMatchObject({ events: 1, clicks: 1 });
    // To the second: the consumers' progress is bisected.
    expect(Math.abs(third.watermark!.getTime() - (origin + 45_000))).toBeLessThanOrEqual(1_000);
    expect(third.watermark!.getTime()).toBeLessThanOrEqual(origin + 45_000);

    const events = await clickedEvents(profile.id);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      period: { after: new Date(origin).toISOString(), until: new Date(origin + 30_000).toISOString() },
      clicks: 4,
      recentClicksTruncated: true,
    });
    expect(events[0]!.links).toEqual(
      [
        { linkId: docs.id, clicks: 2 },
        { linkId: blog.id, clicks: 2 },
      ].sort((a, b) => a.linkId.localeCompare(b.linkId)),
    );
    expect(events[0]!.recentClicks.map((recent) => recent.at)).toEqual([origin + 30_000, origin + 3_000, origin + 2_000].map((ms) => new Date(ms).toISOString()));
    expect(events[0]!.recentClicks[0]).toMatchObject({ linkId: blog.id, country: 'DE', device: 'mobile', referrer: 'github.com' });
    expect(events[1]).toMatchObject({ clicks: 1, links: [{ linkId: docs.id, clicks: 1 }], recentClicksTruncated: false });
    expect(JSON.stringify(events)).not.toMatch(/visitor|ip/i);
  });

  it('keeps no cursor and writes nothing for profiles no endpoint asks for clicks', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const link = await owner.newLink(profile.id);
    await registerEndpoint(harness.database.db, owner.userId!, profile.id, 'https://hooks.example.com/links', ['link.created']);
    const now = Date.now();
    consumedUntil = now;
    await engine.clickhouse.insert('events', [click(profile.id, link.id, now - PUBLISH_GRACE_MS - 1_000)]);
    await sendLinkClicks(deps(), { batchSeconds: 1 }, new Date(now));
    expect((await schedulerDb.query('SELECT 1 FROM webhook_click_cursors WHERE profile_id = $1', [profile.id])).rowCount).toBe(0);
    expect(await clickedEvents(profile.id)).toEqual([]);
  });

  it('writes nothing while the consumers are more than an hour behind', async () => {
    consumedUntil = 0;
    expect(await sendLinkClicks(deps(), { batchSeconds: 1 }, new Date())).toEqual({ watermark: undefined, events: 0, clicks: 0 });
  });
});
