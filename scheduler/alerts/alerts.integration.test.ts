// The alerts job on seeded analytics (raw events inserted into ClickHouse, so the materialized views
// fill traffic_hourly as in production) and a controlled clock: each kind fires once on data that
// should trigger it and not on data that should not (below the floor, below k, a small or chance drop,
// bots and the creator's own visits, a milestone passed before the alert looked); never twice for a
// window, also after a restart, with two processes at once, and within the quiet period; the webhook
// event is enqueued with the documented payload in the firing's transaction; the mail reaches the
// recipients (and the outbox). And the job reads aggregates only: every ClickHouse query it makes
// plans to read traffic_hourly and nothing else (EXPLAIN ESTIMATE, which real ClickHouse answers too).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertEventData } from '../../lib/alerts/alert-payload.js';
import type { ClickHouse, QueryParams, Row } from '../../lib/clickhouse/clickhouse.js';
import { createMailer } from '../../lib/mail/mailer.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { trafficRows } from '../../lib/testing/analytics-rows.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { createRecordingMailer, outboxMailFor, type RecordingMailer } from '../../lib/testing/mail.js';
import { asOwner } from '../../lib/testing/postgres.js';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { runAlerts, type AlertsDeps } from './alerts.job.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** The job's clock: 40 minutes into an hour, two days ago (every window it reads is in the past, inside the TTLs). */
const NOW = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 2 * DAY_MS + 40 * 60_000);
const CURRENT_HOUR = Math.floor(NOW.getTime() / HOUR_MS) * HOUR_MS;

let engine: TestClickHouse;
let harness: ApiHarness;
let schedulerDb: Database;
let mailer: RecordingMailer;
/** Every ClickHouse query the job made, with its parameters. */
const queries: { sql: string; params: QueryParams | undefined }[] = [];
let recordingClickHouse: ClickHouse;

beforeAll(async () => {
  engine = await createTestClickHouse('alerts_job');
  harness = await startApiHarness('alerts_job', { clickhouse: engine.clickhouse });
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-scheduler', logger: testLogger });
    mailer = createRecordingMailer();
  const inner = engine.clickhouse;
  recordingClickHouse = {
    kind: inner.kind,
    database: inner.database,
    query: <T extends Row = Row>(sql: string, params?: QueryParams) => {
      queries.push({ sql, params });
      return inner.query<T>(sql, params);
    },
    insert: (table, rows, options) => inner.insert(table, rows, options),
    command: (sql, params) => inner.command(sql, params),
    healthCheck: () => inner.healthCheck(),
    close: () => inner.close(),
  };
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
  await engine?.close();
});

const deps = (overrides: Partial<AlertsDeps> = {}): AlertsDeps => ({
  db: schedulerDb,
  appDb: harness.database.db,
  clickhouse: recordingClickHouse,
  mailer,
  publicUrl: 'https://linkpulse.example',
  logger: testLogger,
  ...overrides,
});

/** `count` events of a kind at `time`, as the consumers would write them. */
const events = trafficRows;

/** `views` views at the given hour of each of the 28 days before `hour`. */
const baselineViews = (profileId: string, hour: number, views: number) => Array.from({ length: 28 }, (_, day) => events(profileId, views, hour - (day + 1) * DAY_MS + 60_000)).flat();

async function newPage(): Promise<{ owner: ApiClient; profileId: string }> {
  const owner = await harness.newUser();
  return { owner, profileId: (await owner.newProfile()).id };
}

async function addRule(owner: ApiClient, profileId: string, rule: Record<string, unknown>): Promise<string> {
  const created = await owner.post<{ id: string }>(`/api/v1/profiles/${profileId}/alerts`, rule);
  expect(created.status).toBe(201);
  return created.body.id;
}

/** An active webhook endpoint of the page subscribed to alert.triggered (the webhooks API is another branch's; this is its row). */
const subscribeWebhook = (profileId: string) =>
  asOwner(harness.database, (client) =>
    client.query("INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted) VALUES ($1, 'https://hooks.example.com/in', '{alert.triggered}', $2)", [profileId, Buffer.alloc(40)]),
  );

interface FiringRow {
  id: string;
  fired_at: Date;
  kind: string;
  subject: string;
  window_key: string;
  details: Record<string, unknown>;
  webhook_status: string;
  webhook_event_id: string | null;
  mail_status: string;
}
const firingsOf = async (profileId: string) =>
  (
    await asOwner(harness.database, (client) =>
      client.query<FiringRow>('SELECT id, fired_at, kind, subject, window_key, details, webhook_status, webhook_event_id, mail_status FROM alert_firings WHERE profile_id = $1 ORDER BY fired_at, window_key', [
        profileId,
      ]),
    )
  ).rows;
const eventsOf = async (profileId: string) =>
  (await asOwner(harness.database, (client) => client.query<{ id: string; type: string; data: AlertEventData }>('SELECT id, type, data FROM webhook_events WHERE profile_id = $1', [profileId]))).rows;

describe('traffic spikes', () => {
  it('fires once for an hour far above its usual views, and not below the floor, below k, or for bots and the creator’s own visits', async () => {
    const [spiking, belowFloor, belowK, botsOnly] = [await newPage(), await newPage(), await newPage(), await newPage()];
    const spikeRule = await addRule(spiking.owner, spiking.profileId, { kind: 'traffic_spike', channels: ['mail', 'webhook'] });
    await addRule(belowFloor.owner, belowFloor.profileId, { kind: 'traffic_spike', factor: 2, minViews: 20 });
    await addRule(belowK.owner, belowK.profileId, { kind: 'traffic_spike', factor: 3, minViews: 20 });
    await addRule(botsOnly.owner, botsOnly.profileId, { kind: 'traffic_spike' });
    await subscribeWebhook(spiking.profileId);
    await engine.clickhouse.insert('events', [
      // Usually 5 views at this hour; 40 so far.
      ...baselineViews(spiking.profileId, CURRENT_HOUR, 5),
      ...events(spiking.profileId, 40, CURRENT_HOUR + 5 * 60_000),
      // Usually 1; 3 now: three times as many, and still no news.
      ...baselineViews(belowFloor.profileId, CURRENT_HOUR, 1),
      ...events(belowFloor.profileId, 3, CURRENT_HOUR + 60_000),
      // Usually 10; 25 now: above the floor, not 3×.
      ...baselineViews(belowK.profileId, CURRENT_HOUR, 10),
      ...events(belowK.profileId, 25, CURRENT_HOUR + 60_000),
      // Usually 5; 10 real views, and 400 from crawlers and the creator.
      ...baselineViews(botsOnly.profileId, CURRENT_HOUR, 5),
      ...events(botsOnly.profileId, 10, CURRENT_HOUR + 60_000),
      ...events(botsOnly.profileId, 200, CURRENT_HOUR + 60_000, { bot: 'crawler' }),
      ...events(botsOnly.profileId, 200, CURRENT_HOUR + 60_000, { internal: true }),
    ]);

    const report = await runAlerts(deps(), NOW);
    expect(report.fired.traffic_spike).toBe(1);
    const [firing, ...others] = await firingsOf(spiking.profileId);
    expect(others).toEqual([]);
    expect(firing).toMatchObject({
      kind: 'traffic_spike',
      subject: '',
      window_key: `hour:${new Date(CURRENT_HOUR).toISOString()}`,
      details: { kind: 'traffic_spike', views: 40, usualViews: 5, ratio: 8, factor: 3, minViews: 20, hourComplete: false, baselineDays: 28 },
      webhook_status: 'enqueued',
      mail_status: 'sent',
    });
    for (const quiet of [belowFloor, belowK, botsOnly]) expect(await firingsOf(quiet.profileId)).toEqual([]);

    // The webhook event, written with the firing: the documented payload.
    const [event, ...moreEvents] = await eventsOf(spiking.profileId);
    expect(moreEvents).toEqual([]);
    expect(event!.id).toBe(firing!.webhook_event_id);
    expect(event!.type).toBe('alert.triggered');
    expect(event!.data).toEqual({
      alert: { id: spikeRule, kind: 'traffic_spike' },
      firing: { id: firing!.id, firedAt: firing!.fired_at.toISOString(), windowStart: new Date(CURRENT_HOUR).toISOString(), windowEnd: new Date(CURRENT_HOUR + HOUR_MS).toISOString() },
      profileId: spiking.profileId,
      summary: `40 views in the hour from ${new Date(CURRENT_HOUR).toISOString().slice(11, 16)} UTC so far: 8× the usual 5.`,
      details: firing!.details as AlertEventData['details'],
      links: { analytics: `https://linkpulse.example/dashboard/${spiking.profileId}/analytics`, settings: `https://linkpulse.example/dashboard/${spiking.profileId}/alerts` },
    } satisfies AlertEventData);

    // The owner's mail, with the way to the analytics of that hour and to the settings.
    const mails = mailer.sent.filter((mail) => mail.to === spiking.owner.email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Traffic spike: 40 views in an hour · Test Creator');
    expect(mails[0]!.text).toContain('8× the usual 5');
    expect(mails[0]!.text).toContain(`https://linkpulse.example/dashboard/${spiking.profileId}/analytics?range=custom&from=${new Date(CURRENT_HOUR).toISOString().slice(0, 10)}`);
    expect(mails[0]!.text).toContain(`https://linkpulse.example/dashboard/${spiking.profileId}/alerts`);
    expect(mails[0]!.html).toContain('Alert settings');

    // Never twice for the hour: the next run, a restarted process (a new connection), and later in the
    // hour with more views; nor for the next hour, inside the quiet period.
    expect((await runAlerts(deps(), NOW)).fired.traffic_spike).toBe(0);
    const restarted = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-scheduler-2', logger: testLogger });
    try {
      await engine.clickhouse.insert('events', events(spiking.profileId, 30, CURRENT_HOUR + 50 * 60_000));
      expect((await runAlerts(deps({ db: restarted }), new Date(NOW.getTime() + 15 * 60_000))).fired.traffic_spike).toBe(0);
      await engine.clickhouse.insert('events', events(spiking.profileId, 60, CURRENT_HOUR + HOUR_MS + 60_000));
      expect((await runAlerts(deps({ db: restarted }), new Date(NOW.getTime() + HOUR_MS))).fired.traffic_spike).toBe(0);
    } finally {
      await restarted.close();
    }
    // Past the quiet period a new spike fires again.
    const later = CURRENT_HOUR + 7 * HOUR_MS;
    await engine.clickhouse.insert('events', events(spiking.profileId, 60, later + 60_000));
    expect((await runAlerts(deps(), new Date(later + 10 * 60_000))).fired.traffic_spike).toBe(1);
    expect((await firingsOf(spiking.profileId)).map((row) => row.window_key)).toEqual([`hour:${new Date(CURRENT_HOUR).toISOString()}`, `hour:${new Date(later).toISOString()}`]);
    expect(await eventsOf(spiking.profileId)).toHaveLength(2);
    expect(mailer.sent.filter((mail) => mail.to === spiking.owner.email)).toHaveLength(2);
  });

  it('fires once when two scheduler processes judge the same spike at the same moment', async () => {
    const page = await newPage();
    await addRule(page.owner, page.profileId, { kind: 'traffic_spike', channels: ['webhook'] });
    await subscribeWebhook(page.profileId);
    // A spike in the last whole hour, judged at the start of the next.
    await engine.clickhouse.insert('events', events(page.profileId, 50, CURRENT_HOUR - HOUR_MS + 60_000));
    const second = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-scheduler-b', logger: testLogger });
    try {
      const reports = await Promise.all([runAlerts(deps(), NOW), runAlerts(deps({ db: second }), NOW)]);
      expect(reports.map((report) => report.fired.traffic_spike).sort()).toEqual([0, 1]);
    } finally {
      await second.close();
    }
    const firings = await firingsOf(page.profileId);
    expect(firings.map((firing) => [firing.window_key, firing.details.hourComplete, firing.mail_status])).toEqual([[`hour:${new Date(CURRENT_HOUR - HOUR_MS).toISOString()}`, true, 'not_requested']]);
    expect(await eventsOf(page.profileId)).toHaveLength(1);
  });

  it('records that the webhook reached nobody when no endpoint subscribes, and a disabled alert never fires', async () => {
    const [unheard, disabled] = [await newPage(), await newPage()];
    await addRule(unheard.owner, unheard.profileId, { kind: 'traffic_spike', channels: ['webhook'] });
    await addRule(disabled.owner, disabled.profileId, { kind: 'traffic_spike', enabled: false });
    await engine.clickhouse.insert('events', [...events(unheard.profileId, 50, CURRENT_HOUR + 60_000), ...events(disabled.profileId, 50, CURRENT_HOUR + 60_000)]);
    await runAlerts(deps(), NOW);
    expect((await firingsOf(unheard.profileId)).map((firing) => [firing.webhook_status, firing.webhook_event_id])).toEqual([['no_endpoint', null]]);
    expect(await eventsOf(unheard.profileId)).toEqual([]);
    expect(await firingsOf(disabled.profileId)).toEqual([]);
  });
});

describe('click-through drops', () => {
  const to = CURRENT_HOUR;
  const recent = to - 5 * HOUR_MS;
  const baseline = to - 3 * DAY_MS;

  it('fires once per link whose clicks per view fell by the rule’s share, and not for a small, thin or overridden drop', async () => {
    const page = await newPage();
    const [dropping, steady, hidden] = [
      (await page.owner.newLink(page.profileId, { title: 'Dropping' })).id,
      (await page.owner.newLink(page.profileId, { title: 'Steady' })).id,
      (await page.owner.newLink(page.profileId, { title: 'Hidden', enabled: false })).id,
    ];
    await addRule(page.owner, page.profileId, { kind: 'ctr_drop', channels: ['mail', 'webhook'] });
    await subscribeWebhook(page.profileId);
    const overridden = await newPage();
    const overriddenLink = (await overridden.owner.newLink(overridden.profileId, { title: 'Ad' })).id;
    await addRule(overridden.owner, overridden.profileId, { kind: 'ctr_drop' });
    await addRule(overridden.owner, overridden.profileId, { kind: 'ctr_drop', linkId: overriddenLink, dropPercent: 80 });
    const thin = await newPage();
    const thinLink = (await thin.owner.newLink(thin.profileId, { title: 'Thin' })).id;
    await addRule(thin.owner, thin.profileId, { kind: 'ctr_drop' });
    await engine.clickhouse.insert('events', [
      // 7,000 views before, 1,000 in the last 24 hours: "Dropping" 6 % → 2 %, "Steady" 5 % → 4.8 %, "Hidden" 6 % → 0 (hidden since).
      ...events(page.profileId, 7_000, baseline),
      ...events(page.profileId, 420, baseline, { type: 'click', linkId: dropping }),
      ...events(page.profileId, 350, baseline, { type: 'click', linkId: steady }),
      ...events(page.profileId, 420, baseline, { type: 'click', linkId: hidden }),
      ...events(page.profileId, 1_000, recent),
      ...events(page.profileId, 20, recent, { type: 'click', linkId: dropping }),
      ...events(page.profileId, 48, recent, { type: 'click', linkId: steady }),
      // Bots clicking do not hide a drop.
      ...events(page.profileId, 300, recent, { type: 'click', linkId: dropping, bot: 'automation' }),
      // The same 66 % drop, under a link's own rule that asks for 80 %.
      ...events(overridden.profileId, 7_000, baseline),
      ...events(overridden.profileId, 420, baseline, { type: 'click', linkId: overriddenLink }),
      ...events(overridden.profileId, 1_000, recent),
      ...events(overridden.profileId, 20, recent, { type: 'click', linkId: overriddenLink }),
      // A 100 % drop on 150 views: under the rule's 200.
      ...events(thin.profileId, 7_000, baseline),
      ...events(thin.profileId, 420, baseline, { type: 'click', linkId: thinLink }),
      ...events(thin.profileId, 150, recent),
    ]);

    expect((await runAlerts(deps(), NOW)).fired.ctr_drop).toBe(1);
    const [firing, ...others] = await firingsOf(page.profileId);
    expect(others).toEqual([]);
    expect(firing).toMatchObject({
      kind: 'ctr_drop',
      subject: dropping,
      window_key: `24h:${new Date(to).toISOString()}`,
      details: {
        kind: 'ctr_drop',
        linkId: dropping,
        recent: { hours: 24, views: 1_000, clicks: 20, clicksPerView: 0.02 },
        baseline: { hours: 168, views: 7_000, clicks: 420, clicksPerView: 0.06 },
        dropPercent: 66.7,
        thresholdPercent: 50,
        minViews: 200,
      },
      webhook_status: 'enqueued',
      mail_status: 'sent',
    });
    expect(await firingsOf(overridden.profileId)).toEqual([]);
    expect(await firingsOf(thin.profileId)).toEqual([]);
    const [event] = await eventsOf(page.profileId);
    expect(event!.data).toMatchObject({ alert: { kind: 'ctr_drop' }, firing: { id: firing!.id }, details: { linkId: dropping, dropPercent: 66.7 } });
    // The mail names the link (read as the recipient) and opens the analytics filtered to it.
    const [mail] = mailer.sent.filter((sent) => sent.to === page.owner.email);
    expect(mail!.subject).toBe('Clicks on “Dropping” dropped 67 % · Test Creator');
    expect(mail!.text).toContain(`&link=${dropping}`);

    // Once per window, and once per quiet day for the link: the next hour's window does not fire again.
    expect((await runAlerts(deps(), NOW)).fired.ctr_drop).toBe(0);
    expect((await runAlerts(deps(), new Date(NOW.getTime() + HOUR_MS))).fired.ctr_drop).toBe(0);
    expect(await firingsOf(page.profileId)).toHaveLength(1);
  });
});

describe('star milestones', () => {
  const setStars = (fullName: string, stars: number) => {
    const [owner, name] = fullName.split('/');
    return schedulerDb.query("UPDATE github_repos SET stars = $3, status = 'ok', last_synced_at = now() WHERE owner = $1 AND name = $2", [owner, name, stars]);
  };

  it('marks the repositories it first sees, then fires once per milestone a repository passes', async () => {
    const page = await newPage();
    const repo = `octo-${randomUUID().slice(0, 8)}/stars`;
    const popular = `octo-${randomUUID().slice(0, 8)}/popular`;
    await page.owner.newLink(page.profileId, { title: 'Stars', url: `https://github.com/${repo}` });
    // Two cards of one repository count once.
    await page.owner.newLink(page.profileId, { title: 'Stars again', url: `https://github.com/${repo}` });
    await page.owner.newLink(page.profileId, { title: 'Popular', url: `https://github.com/${popular}` });
    await setStars(repo, 950);
    await setStars(popular, 5_400);
    await addRule(page.owner, page.profileId, { kind: 'star_milestone', channels: ['mail', 'webhook'] });
    await subscribeWebhook(page.profileId);

    // The first look: 5,400 stars passed 1,000 before the alert existed, so nothing fires.
    expect(await runAlerts(deps(), NOW)).toMatchObject({ fired: { star_milestone: 0 }, marked: 2 });
    await setStars(repo, 1_003);
    expect((await runAlerts(deps(), NOW)).fired.star_milestone).toBe(1);
    expect((await runAlerts(deps(), NOW)).fired.star_milestone).toBe(0);
    // Falling below and climbing back does not fire 1,000 again; 10,000 fires.
    await setStars(repo, 990);
    await runAlerts(deps(), NOW);
    await setStars(repo, 1_010);
    expect((await runAlerts(deps(), NOW)).fired.star_milestone).toBe(0);
    await setStars(repo, 10_200);
    await setStars(popular, 9_999);
    expect((await runAlerts(deps(), NOW)).fired.star_milestone).toBe(1);

    const firings = await firingsOf(page.profileId);
    expect(firings.map((firing) => [firing.window_key, (firing.details as { repository: { fullName: string } }).repository.fullName, firing.details.stars])).toEqual([
      ['stars:1000', repo, 1_003],
      ['stars:10000', repo, 10_200],
    ]);
    expect((await eventsOf(page.profileId)).map((event) => event.data.summary)).toEqual([`${repo} has 1,003 stars on GitHub: it passed 1,000.`, `${repo} has 10,200 stars on GitHub: it passed 10,000.`]);
    expect(mailer.sent.filter((mail) => mail.to === page.owner.email).map((mail) => mail.subject)).toEqual([`${repo} passed 1,000 stars · Test Creator`, `${repo} passed 10,000 stars · Test Creator`]);
  });
});

describe('delivery by mail', () => {
  it('mails the members who chose to receive alerts, into the outbox without SMTP, and retries a failed send without mailing anyone twice', async () => {
    const page = await newPage();
    const member = await harness.confirmedUser();
    await page.owner.post(`/api/v1/profiles/${page.profileId}/invitations`, { email: member.email, role: 'viewer' });
    expect((await member.post('/api/v1/invitations/accept', { token: harness.mailedToken(member.email!, 'team-invitation') })).status).toBe(200);
    expect((await member.put(`/api/v1/profiles/${page.profileId}/alerts/mail`, { receive: true })).status).toBe(200);
    await addRule(page.owner, page.profileId, { kind: 'traffic_spike' });
    await engine.clickhouse.insert('events', events(page.profileId, 30, CURRENT_HOUR + 60_000));

    // The first attempt reaches the owner and fails for the member; the retry mails the member only.
    const outboxDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-alerts-outbox-'));
    try {
      const outbox = createMailer({ smtpUrl: undefined, from: 'Linkpulse <no-reply@linkpulse.example>', outboxDir }, testLogger);
      let refuseMember = true;
      const flaky = {
        ...outbox,
        async send(mail: Parameters<typeof outbox.send>[0]) {
          if (mail.to === member.email && refuseMember) throw Object.assign(new Error('421 try later'), { code: 'ECONNECTION' });
          await outbox.send(mail);
        },
      };
      const first = await runAlerts(deps({ mailer: flaky }), NOW);
      expect(first.mails).toEqual({ sent: 0, retrying: 1, failed: 0 });
      expect(await outboxMailFor(outboxDir, page.owner.email!)).toContain('30 views in the hour');
      const [pending] = await firingsOf(page.profileId);
      expect(pending!.mail_status).toBe('pending');
      // Due again (the test moves the retry to now rather than waiting a minute).
      await asOwner(harness.database, (client) => client.query('UPDATE alert_firings SET mail_next_attempt_at = now() WHERE id = $1', [pending!.id]));
      refuseMember = false;
      expect((await runAlerts(deps({ mailer: flaky }), NOW)).mails).toEqual({ sent: 1, retrying: 0, failed: 0 });
      const memberMail = await outboxMailFor(outboxDir, member.email!);
      expect(memberMail).toContain(`/dashboard/${page.profileId}/alerts`);
      const { readdir } = await import('node:fs/promises');
      expect((await readdir(outboxDir)).filter((file) => file.endsWith('.eml'))).toHaveLength(2);
      expect((await firingsOf(page.profileId))[0]!.mail_status).toBe('sent');
    } finally {
      await rm(outboxDir, { recursive: true, force: true });
    }
  });

  it('records that nobody receives the mail when every member opted out', async () => {
    const page = await newPage();
    await page.owner.put(`/api/v1/profiles/${page.profileId}/alerts/mail`, { receive: false });
    await addRule(page.owner, page.profileId, { kind: 'traffic_spike' });
    await engine.clickhouse.insert('events', events(page.profileId, 30, CURRENT_HOUR + 60_000));
    await runAlerts(deps(), NOW);
    expect((await firingsOf(page.profileId)).map((firing) => firing.mail_status)).toEqual(['no_recipients']);
    expect(mailer.sent.filter((mail) => mail.to === page.owner.email)).toEqual([]);
  });
});

describe('what the job reads', () => {
  it('reads the aggregate traffic_hourly only, never the raw events, with one query per kind for many profiles', async () => {
    // Every query the job made above, planned again: EXPLAIN ESTIMATE lists each table a query reads.
    expect(queries.length).toBeGreaterThan(0);
    const distinct = [...new Map(queries.map((query) => [query.sql, query])).values()];
    expect(distinct).toHaveLength(2);
    const tablesRead = async (sql: string, params?: QueryParams) =>
      [...new Set((await engine.clickhouse.query<{ table: string }>(`EXPLAIN ESTIMATE ${sql}`, params)).map((row) => row.table.replace(/_local$/, '')))];
    for (const query of distinct) expect(await tablesRead(query.sql, query.params)).toEqual(['traffic_hourly']);
    // The check sees a raw read when there is one: the same profiles' views counted from the events.
    const params = { profiles: distinct[0]!.params!.profiles as string[] };
    expect(await tablesRead("SELECT profile_id, countIf(event_type = 'view') FROM events WHERE profile_id IN {profiles:Array(UUID)} GROUP BY profile_id", params)).toEqual(['events']);
    // Batched: one run over every page of this file (a dozen profiles with rules) makes one query per kind.
    queries.length = 0;
    await runAlerts(deps(), NOW);
    expect(queries.map((query) => /FROM traffic_hourly/.test(query.sql))).toEqual([true, true]);
    const [spikes] = queries;
    expect((spikes!.params!.profiles as string[]).length).toBeGreaterThan(5);
  });
});
