// A profile's alerts through the API: owners and editors set them, analysts and viewers read them,
// strangers get 404s; bad thresholds are 400s naming the field, a second alert of a kind or a foreign
// link 409s; every member decides whether they receive the mail; changes reach the activity log; the
// history pages newest first and names a link by its title. Row-Level Security holds in raw SQL too.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withUser } from '../../lib/postgres/tenant.js';
import { asOwner } from '../../lib/testing/postgres.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness('alerts_api');
});
afterAll(async () => {
  await harness?.close();
});

interface Rule {
  id: string;
  kind: string;
  enabled: boolean;
  channels: string[];
  factor?: number;
  minViews?: number;
  dropPercent?: number;
  linkId?: string | null;
}
interface Overview {
  rules: Rule[];
  canEdit: boolean;
  mail: { youReceive: boolean; recipients: { userId: string; email: string; role: string }[] };
  webhookEndpoints: number | null;
}

/** A page with an owner, a link, and a member in each role (each with a confirmed address, as joining needs). */
async function team(): Promise<{ owner: ApiClient; profileId: string; linkId: string; members: Record<'editor' | 'analyst' | 'viewer', ApiClient> }> {
  const owner = await harness.newUser();
  const profile = await owner.newProfile();
  const link = await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
  const members = { editor: await harness.confirmedUser(), analyst: await harness.confirmedUser(), viewer: await harness.confirmedUser() };
  for (const [role, member] of Object.entries(members)) {
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: member.email, role })).status).toBe(201);
    expect((await member.post('/api/v1/invitations/accept', { token: harness.mailedToken(member.email!, 'team-invitation') })).status).toBe(200);
  }
  return { owner, profileId: profile.id, linkId: link.id, members };
}

describe('alerts through the API', () => {
  it('creates each kind with its defaults, once, and lists them with who receives the mail', async () => {
    const owner = await harness.newUser();
    const { id: profileId } = await owner.newProfile();
    const { id: linkId } = await owner.newLink(profileId, { title: 'Docs' });
    const base = `/api/v1/profiles/${profileId}/alerts`;

    const spike = await owner.post<Rule>(base, { kind: 'traffic_spike' });
    expect(spike.status).toBe(201);
    expect(spike.body).toMatchObject({ kind: 'traffic_spike', enabled: true, channels: ['mail'], factor: 3, minViews: 20 });
    expect((await owner.post<Rule>(base, { kind: 'ctr_drop', channels: ['webhook', 'mail', 'webhook'] })).body).toMatchObject({
      kind: 'ctr_drop',
      linkId: null,
      dropPercent: 50,
      minViews: 200,
      channels: ['webhook', 'mail'],
    });
    expect((await owner.post<Rule>(base, { kind: 'ctr_drop', linkId, dropPercent: 30, minViews: 50 })).body).toMatchObject({ linkId, dropPercent: 30, minViews: 50 });
    expect((await owner.post<Rule>(base, { kind: 'star_milestone', enabled: false })).body).toMatchObject({ kind: 'star_milestone', enabled: false });

    // One of a kind (and one click-through alert per link, one for every link).
    expect((await owner.post(base, { kind: 'traffic_spike', factor: 5 })).status).toBe(409);
    expect((await owner.post(base, { kind: 'ctr_drop' })).status).toBe(409);
    expect((await owner.post(base, { kind: 'ctr_drop', linkId })).status).toBe(409);
    expect((await owner.post(base, { kind: 'star_milestone' })).status).toBe(409);
    // A link of another page is not one of this page's links.
    const other = await harness.newUser();
    const foreign = await other.newLink((await other.newProfile()).id);
    const refused = await owner.post<{ error: { details: { fields: { field: string }[] } } }>(base, { kind: 'ctr_drop', linkId: foreign.id });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.fields[0]!.field).toBe('body.linkId');

    const listed = await owner.get<Overview>(base);
    expect(listed.status).toBe(200);
    expect(listed.body.rules.map((rule) => `${rule.kind}:${rule.linkId === undefined ? '' : (rule.linkId ?? 'all')}`)).toEqual(['traffic_spike:', 'ctr_drop:all', `ctr_drop:${linkId}`, 'star_milestone:']);
    expect(listed.body.canEdit).toBe(true);
    expect(listed.body.mail).toEqual({ youReceive: true, recipients: [{ userId: owner.userId, email: owner.email, role: 'owner' }] });
    expect(listed.body.webhookEndpoints).toBe(0);

    // Deleting the link deletes its own alert (the one for every link stays).
    expect((await owner.delete(`/api/v1/profiles/${profileId}/links/${linkId}`)).status).toBe(204);
    expect((await owner.get<Overview>(base)).body.rules.filter((rule) => rule.kind === 'ctr_drop').map((rule) => rule.linkId)).toEqual([null]);
  });

  it('refuses thresholds out of bounds and malformed bodies with a 400 naming the field, and thresholds of another kind with a 409', async () => {
    const owner = await harness.newUser();
    const { id: profileId } = await owner.newProfile();
    const base = `/api/v1/profiles/${profileId}/alerts`;
    const fieldsOf = async (body: unknown, path = base, method: 'post' | 'patch' = 'post') => {
      const response = await owner[method]<{ error: { code: string; details?: { fields?: { field: string }[] } } }>(path, body);
      return { status: response.status, fields: (response.body.error.details?.fields ?? []).map((field) => field.field) };
    };
    expect(await fieldsOf({ kind: 'traffic_spike', factor: 2.25 })).toMatchObject({ status: 400, fields: ['body.factor'] });
    expect(await fieldsOf({ kind: 'traffic_spike', factor: 11 })).toMatchObject({ status: 400, fields: ['body.factor'] });
    expect(await fieldsOf({ kind: 'traffic_spike', minViews: 4 })).toMatchObject({ status: 400, fields: ['body.minViews'] });
    expect(await fieldsOf({ kind: 'ctr_drop', dropPercent: 96 })).toMatchObject({ status: 400, fields: ['body.dropPercent'] });
    expect(await fieldsOf({ kind: 'ctr_drop', linkId: 'not-a-uuid' })).toMatchObject({ status: 400, fields: ['body.linkId'] });
    expect(await fieldsOf({ kind: 'star_milestone', channels: [] })).toMatchObject({ status: 400, fields: ['body.channels'] });
    expect(await fieldsOf({ kind: 'star_milestone', channels: ['sms'] })).toMatchObject({ status: 400 });
    expect(await fieldsOf({ kind: 'star_milestone', factor: 3 })).toMatchObject({ status: 400 });
    expect(await fieldsOf({ kind: 'weather' })).toMatchObject({ status: 400 });

    const star = await owner.post<Rule>(base, { kind: 'star_milestone' });
    const rule = `${base}/${star.body.id}`;
    expect(await fieldsOf({}, rule, 'patch')).toMatchObject({ status: 400 });
    expect(await fieldsOf({ factor: 4 }, rule, 'patch')).toEqual({ status: 409, fields: ['body.factor'] });
    expect(await fieldsOf({ minViews: 50 }, rule, 'patch')).toEqual({ status: 409, fields: ['body.minViews'] });
    expect((await owner.patch(`${base}/${randomUUID()}`, { enabled: false })).status).toBe(404);
    expect((await owner.patch<Rule>(rule, { enabled: false, channels: ['webhook'] })).body).toMatchObject({ enabled: false, channels: ['webhook'] });
    // A method a path does not have.
    expect((await owner.get(rule)).status).toBe(405);
  });

  it('lets owners and editors change alerts, analysts and viewers read them, and answers strangers 404', async () => {
    const { owner, profileId, members } = await team();
    const base = `/api/v1/profiles/${profileId}/alerts`;
    const byEditor = await members.editor.post<Rule>(base, { kind: 'traffic_spike', factor: 4.5, channels: ['mail', 'webhook'] });
    expect(byEditor.status).toBe(201);
    expect((await members.editor.patch<Rule>(`${base}/${byEditor.body.id}`, { minViews: 100 })).body.minViews).toBe(100);
    for (const reader of [members.analyst, members.viewer]) {
      const listed = await reader.get<Overview>(base);
      expect(listed.status).toBe(200);
      expect(listed.body).toMatchObject({ canEdit: false, webhookEndpoints: null });
      expect(listed.body.rules).toHaveLength(1);
      expect((await reader.post(base, { kind: 'star_milestone' })).status).toBe(403);
      expect((await reader.patch(`${base}/${byEditor.body.id}`, { enabled: false })).status).toBe(403);
      expect((await reader.delete(`${base}/${byEditor.body.id}`)).status).toBe(403);
      expect((await reader.get(`${base}/firings`)).status).toBe(200);
    }
    const stranger = await harness.newUser();
    for (const response of [await stranger.get(base), await stranger.get(`${base}/firings`), await stranger.post(base, { kind: 'star_milestone' }), await stranger.put(`${base}/mail`, { receive: true })]) {
      expect(response.status).toBe(404);
    }
    expect((await owner.get<Overview>(base)).body.rules[0]).toMatchObject({ factor: 4.5, minViews: 100, enabled: true });
    expect((await members.editor.delete(`${base}/${byEditor.body.id}`)).status).toBe(204);
    expect((await owner.get<Overview>(base)).body.rules).toEqual([]);
  });

  it('lets each member choose for themselves whether they receive the mail: the owner unless they opt out, others once they opt in', async () => {
    const { owner, profileId, members } = await team();
    const base = `/api/v1/profiles/${profileId}/alerts`;
    const recipients = async () => (await owner.get<Overview>(base)).body.mail.recipients.map((recipient) => recipient.role).sort();
    expect(await recipients()).toEqual(['owner']);
    expect((await members.viewer.put(`${base}/mail`, { receive: true })).body).toEqual({ youReceive: true });
    expect((await members.analyst.put(`${base}/mail`, { receive: true })).status).toBe(200);
    expect((await owner.put(`${base}/mail`, { receive: false })).body).toEqual({ youReceive: false });
    expect(await recipients()).toEqual(['analyst', 'viewer']);
    expect((await members.viewer.get<Overview>(base)).body.mail.youReceive).toBe(true);
    expect((await members.editor.get<Overview>(base)).body.mail.youReceive).toBe(false);
    // Leaving the team drops the choice.
    expect((await members.viewer.delete(`/api/v1/profiles/${profileId}/members/${members.viewer.userId}`)).status).toBe(204);
    expect(await recipients()).toEqual(['analyst']);

    // In SQL: a member writes their own choice only, a stranger none, and nobody writes a rule below editor.
    const viewerId = members.analyst.userId!;
    await expect(withUser(harness.database.db, viewerId, (tx) => tx.query('INSERT INTO alert_mail_preferences (profile_id, user_id, receive) VALUES ($1, $2, true)', [profileId, members.editor.userId]))).rejects.toThrow(
      /row-level security/,
    );
    await expect(withUser(harness.database.db, viewerId, (tx) => tx.query("INSERT INTO alert_rules (profile_id, kind, channels) VALUES ($1, 'star_milestone', '{mail}')", [profileId]))).rejects.toThrow(
      /row-level security/,
    );
    const stranger = await harness.newUser();
    await owner.post(base, { kind: 'star_milestone' });
    const seen = await withUser(harness.database.db, stranger.userId!, async (tx) => [
      (await tx.query('SELECT 1 FROM alert_rules')).rowCount,
      (await tx.query('SELECT 1 FROM alert_mail_preferences')).rowCount,
      (await tx.query('SELECT 1 FROM alert_firings')).rowCount,
    ]);
    expect(seen).toEqual([0, 0, 0]);
    await expect(withUser(harness.database.db, owner.userId!, (tx) => tx.query('SELECT 1 FROM alert_star_marks'))).rejects.toThrow(/permission denied/);
  });

  it('logs every change of an alert in the activity log', async () => {
    const owner = await harness.newUser();
    const { id: profileId } = await owner.newProfile();
    const base = `/api/v1/profiles/${profileId}/alerts`;
    const rule = await owner.post<Rule>(base, { kind: 'traffic_spike' });
    await owner.patch(`${base}/${rule.body.id}`, { factor: 5, channels: ['webhook'] });
    await owner.delete(`${base}/${rule.body.id}`);
    const log = await owner.get<{ entries: { entity: string; entityId: string; action: string; changes: Record<string, unknown> }[] }>(`/api/v1/profiles/${profileId}/activity?entity=alert`);
    expect(log.status).toBe(200);
    expect(log.body.entries.map((entry) => [entry.entity, entry.entityId, entry.action])).toEqual([
      ['alert', rule.body.id, 'deleted'],
      ['alert', rule.body.id, 'updated'],
      ['alert', rule.body.id, 'created'],
    ]);
    expect(log.body.entries[1]!.changes).toEqual({ spike_factor: { before: 3.0, after: 5.0 }, channels: { before: ['mail'], after: ['webhook'] } });
    expect(log.body.entries[2]!.changes).toMatchObject({ kind: 'traffic_spike', min_views: 20, enabled: true });
  });

  it('pages the history newest first, names a link by its title, and says whether a webhook endpoint listens', async () => {
    const { owner, profileId, linkId, members } = await team();
    const base = `/api/v1/profiles/${profileId}/alerts`;
    const rule = await owner.post<Rule>(base, { kind: 'ctr_drop', channels: ['mail', 'webhook'] });
    const details = {
      kind: 'ctr_drop',
      linkId,
      recent: { hours: 24, views: 1000, clicks: 20, clicksPerView: 0.02 },
      baseline: { hours: 168, views: 7000, clicks: 420, clicksPerView: 0.06 },
      dropPercent: 66.7,
      thresholdPercent: 50,
      minViews: 200,
      z: 6.1,
    };
    const firedAt = (index: number) => new Date(Date.UTC(2026, 0, 1) + index * 3_600_000);
    await asOwner(harness.database, async (client) => {
      for (let index = 0; index < 52; index++) {
        await client.query(
          `INSERT INTO alert_firings (id, profile_id, rule_id, kind, subject, window_key, window_start, window_end, fired_at, summary, details, channels, webhook_status, mail_status)
           VALUES ($1, $2, $3, 'ctr_drop', $4, $5, $6, $6, $6, 'A link dropped', $7, '{mail,webhook}', 'no_endpoint', 'sent')`,
          [randomUUID(), profileId, rule.body.id, linkId, `24h:${index}`, firedAt(index), details],
        );
      }
    });
    const first = await members.viewer.get<{ firings: { id: string; firedAt: string; title: string; summary: string; webhook: string; mail: string }[]; next: string | null }>(`${base}/firings`);
    expect(first.status).toBe(200);
    expect(first.body.firings).toHaveLength(50);
    expect(first.body.firings[0]).toMatchObject({ firedAt: firedAt(51).toISOString(), title: 'Clicks on “Docs” dropped 67 %', webhook: 'no_endpoint', mail: 'sent' });
    expect(first.body.firings[0]!.summary).toMatch(/^“Docs” was clicked 2 % of views/);
    const second = await members.viewer.get<{ firings: { firedAt: string }[]; next: string | null }>(`${base}/firings?before=${first.body.next}`);
    expect(second.body.firings.map((firing) => firing.firedAt)).toEqual([firedAt(1).toISOString(), firedAt(0).toISOString()]);
    expect(second.body.next).toBeNull();
    expect((await owner.get<{ firings: unknown[] }>(`${base}/firings?kind=traffic_spike`)).body.firings).toEqual([]);
    expect((await owner.get<{ firings: unknown[] }>(`${base}/firings?alertId=${rule.body.id}`)).body.firings).toHaveLength(50);
    expect((await owner.get(`${base}/firings?kind=weather`)).status).toBe(400);

    // An active endpoint subscribed to alert.triggered: editors see it counted, analysts and viewers are not told.
    await asOwner(harness.database, (client) =>
      client.query("INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted) VALUES ($1, 'https://hooks.example.com/a', '{alert.triggered}', $2)", [
        profileId,
        Buffer.alloc(40),
      ]),
    );
    expect((await members.editor.get<Overview>(base)).body.webhookEndpoints).toBe(1);
    expect((await members.analyst.get<Overview>(base)).body.webhookEndpoints).toBeNull();
  });
});
