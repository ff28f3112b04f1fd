// Shared dashboards over HTTP, against the real ClickHouse engine (chDB): only the owner creates,
// changes, rotates and revokes them; a signed-out visitor with the URL reads exactly what the owner's
// dashboard answers for the shared panels, and nothing else (no export, no other panel, no other
// profile); a password is asked first and remembered by a cookie that a new password ends; a rotated
// or revoked URL is dead; answers are noindex and never cached; every change is in the activity log
// without the secret.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAnalyticsRow, NO_LINK, type AnalyticsRow, type VisitColumns } from '../../lib/events/analytics-row.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

const HOUR = 3_600_000;
const VISIT: Omit<VisitColumns, 'profile_id' | 'visitor_id'> = {
  bot_kind: '',
  is_internal: 0,
  country: 'DE',
  region: '',
  city: '',
  device: 'mobile',
  browser: 'Firefox',
  os: 'Linux',
  referrer_domain: 'news.ycombinator.com',
  channel: 'hacker_news',
  utm_source: '',
  utm_medium: '',
  utm_campaign: '',
};
const NOW = Date.now();

let engine: TestClickHouse | undefined;
let harness: ApiHarness;
let owner: ApiClient;
let profileId: string;
let docsLink: string;

interface Share {
  id: string;
  label: string;
  url: string;
  panels: string[];
  passwordProtected: boolean;
}
interface Line {
  panel?: string;
  body?: unknown;
  done?: boolean;
  panels?: number;
}

/** A human view or click, as the consumers write it. */
const event = (type: 'view' | 'click', at: number, visitor: number, link = NO_LINK): AnalyticsRow =>
  buildAnalyticsRow({ ...VISIT, profile_id: profileId, visitor_id: String(visitor), country: visitor % 2 ? 'DE' : 'US' }, randomUUID(), type, at, link, NO_LINK);

/** A signed-out browser: no session; keeps the cookies the share's routes set, for their path. */
function visitor(address?: string) {
  const jar = new Map<string, string>();
  return async (path: string, init: RequestInit = {}) => {
    const cookies = [...jar.entries()].filter(([cookiePath]) => path.startsWith(cookiePath)).map(([, value]) => value);
    const response = await fetch(`${harness.url}${path}`, {
      ...init,
      headers: {
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...(cookies.length > 0 ? { cookie: cookies.join('; ') } : {}),
        // A client address of its own (the harness trusts the loopback proxy).
        ...(address ? { 'x-forwarded-for': address } : {}),
      },
    });
    for (const header of response.headers.getSetCookie()) {
      const cookiePath = /Path=([^;]+)/i.exec(header)?.[1] ?? '/';
      jar.set(cookiePath, header.split(';')[0]!);
    }
    const text = await response.text();
    const lines = response.headers.get('content-type')?.startsWith('application/x-ndjson') ? text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line) : [];
    return { status: response.status, headers: response.headers, text, lines, json: () => JSON.parse(text) as Record<string, unknown> };
  };
}

const tokenOf = (share: Share) => new URL(share.url).pathname.split('/').at(-1)!;

beforeAll(async () => {
  engine = await createTestClickHouse('shares');
  harness = await startApiHarness('shares', { clickhouse: engine.clickhouse, config: { trustProxy: ['loopback'] } });
  owner = await harness.newUser();
  profileId = (await owner.newProfile({ displayName: 'Shared Page', published: true })).id;
  docsLink = (await owner.newLink(profileId, { title: 'Docs' })).id;
  const rows: AnalyticsRow[] = [];
  for (let i = 0; i < 30; i++) {
    rows.push(event('view', NOW - (i + 1) * 3 * HOUR, i % 11));
    if (i % 3 === 0) rows.push(event('click', NOW - (i + 1) * 3 * HOUR + 1000, i % 11, docsLink));
  }
  await engine.clickhouse.insert('events', rows);
});
afterAll(async () => {
  await harness?.close();
  await engine?.close();
});

describe('shared dashboards', () => {
  it('shows a signed-out visitor exactly the owner’s figures for the shared panels, and nothing else', async () => {
    const created = await owner.post<Share>(`/api/v1/profiles/${profileId}/shares`, { label: 'For sponsors', panels: ['summary', 'links', 'timeseries', 'summary'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ label: 'For sponsors', panels: ['summary', 'timeseries', 'links'], passwordProtected: false });
    expect(created.body.url).toMatch(new RegExp(`^${harness.config.publicUrl}/share/[A-Za-z0-9_-]{32}$`));
    const token = tokenOf(created.body);
    const browser = visitor();

    const opened = await browser(`/api/v1/shared/${token}`);
    expect(opened.status).toBe(200);
    expect(opened.json()).toEqual({ label: 'For sponsors', profile: { handle: expect.any(String) as unknown, displayName: 'Shared Page' }, panels: ['summary', 'timeseries', 'links'], passwordRequired: false, unlocked: true });
    expect(opened.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(opened.headers.get('cache-control')).toBe('no-store');

    const from = new Date(NOW - 7 * 24 * HOUR).toISOString();
    const to = new Date(NOW).toISOString();
    const query = `?${new URLSearchParams({ from, to, compare: 'previous', tz: 'Europe/Berlin' }).toString()}`;
    const shared = await browser(`/api/v1/shared/${token}/dashboard${query}`);
    expect(shared.status).toBe(200);
    expect(shared.headers.get('x-robots-tag')).toBe('noindex, nofollow');
    expect(shared.lines.at(-1)).toEqual({ done: true, panels: 3, errors: 0 });
    // The same lines as the owner's own dashboard, for these panels.
    const own = await fetch(`${harness.url}/api/v1/profiles/${profileId}/analytics/dashboard${query}`, { headers: { cookie: owner.cookie! } });
    const ownLines = (await own.text()).split('\n').filter(Boolean).map((line) => JSON.parse(line) as Line);
    const byPanel = (lines: Line[]): Record<string, unknown> => Object.fromEntries(lines.filter((line) => line.panel).map((line): [string, unknown] => [line.panel!, line.body]));
    const sharedPanels = byPanel(shared.lines);
    expect(Object.keys(sharedPanels).sort()).toEqual(['links', 'summary', 'timeseries']);
    for (const panel of ['summary', 'timeseries', 'links']) expect(sharedPanels[panel]).toEqual(byPanel(ownLines)[panel]);
    expect((sharedPanels.summary as { current: { views: number } }).current.views).toBe(30);

    // Not shared: realtime; never: exports or the profile's own endpoints.
    expect((await browser(`/api/v1/shared/${token}/realtime`)).status).toBe(403);
    expect((await browser(`/api/v1/profiles/${profileId}/analytics/export`)).status).toBe(401);
    expect((await browser(`/api/v1/shared/${token}/export`)).status).toBe(404);
    // A bad query is a 400 before anything is read; an unknown token a 404.
    expect((await browser(`/api/v1/shared/${token}/dashboard?from=yesterday`)).status).toBe(400);
    expect((await browser(`/api/v1/shared/${'x'.repeat(32)}`)).status).toBe(404);
    expect((await browser(`/api/v1/shared/${'x'.repeat(32)}/dashboard`)).status).toBe(404);

    // Filters only by the dimensions of shared panels: by link (shared), not by country (the map is not).
    expect((await browser(`/api/v1/shared/${token}/dashboard?link=${docsLink}`)).status).toBe(200);
    // The heatmap's own device narrows nothing else.
    expect((await browser(`/api/v1/shared/${token}/dashboard?heatmapDevice=mobile`)).status).toBe(200);
    for (const filter of ['country=US', 'device=mobile', 'referrer=news.ycombinator.com']) {
      expect((await browser(`/api/v1/shared/${token}/dashboard?${filter}`)).status, filter).toBe(403);
    }

    // Realtime alone: the batch has nothing to read, realtime answers.
    const live = tokenOf((await owner.post<Share>(`/api/v1/profiles/${profileId}/shares`, { label: 'Live only', panels: ['realtime'] })).body);
    expect((await browser(`/api/v1/shared/${live}/dashboard`)).lines).toEqual([{ done: true, panels: 0, errors: 0 }]);
    expect((await browser(`/api/v1/shared/${live}/realtime`)).status).toBe(200);
  });

  it('asks for the password first and remembers it until the password changes', async () => {
    const created = await owner.post<Share>(`/api/v1/profiles/${profileId}/shares`, { label: 'Board', password: 'violet harbour lantern 42' });
    expect(created.body.passwordProtected).toBe(true);
    expect(created.body.panels).toHaveLength(10);
    const token = tokenOf(created.body);
    const browser = visitor();
    expect((await browser(`/api/v1/shared/${token}`)).json()).toMatchObject({ passwordRequired: true, unlocked: false });
    expect((await browser(`/api/v1/shared/${token}/dashboard`)).status).toBe(401);
    expect((await browser(`/api/v1/shared/${token}/realtime`)).status).toBe(401);
    const wrong = await browser(`/api/v1/shared/${token}/unlock`, { method: 'POST', body: JSON.stringify({ password: 'wrong horse' }) });
    expect(wrong.status).toBe(400);
    expect(wrong.text).toContain('body.password');
    const right = await browser(`/api/v1/shared/${token}/unlock`, { method: 'POST', body: JSON.stringify({ password: 'violet harbour lantern 42' }) });
    expect(right.status).toBe(204);
    const setCookie = right.headers.getSetCookie()[0]!;
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toContain(`Path=/api/v1/shared/${token}`);
    expect((await browser(`/api/v1/shared/${token}`)).json()).toMatchObject({ unlocked: true });
    expect((await browser(`/api/v1/shared/${token}/dashboard`)).lines.at(-1)).toEqual({ done: true, panels: 9, errors: 0 });
    expect((await browser(`/api/v1/shared/${token}/realtime`)).status).toBe(200);
    // Another browser has not given it.
    expect((await visitor()(`/api/v1/shared/${token}/dashboard`)).status).toBe(401);
    // A new password ends every unlock; removing it opens the dashboard to anyone with the URL.
    expect((await owner.patch(`/api/v1/profiles/${profileId}/shares/${created.body.id}`, { password: 'quiet orchard compass 77' })).status).toBe(200);
    expect((await browser(`/api/v1/shared/${token}/dashboard`)).status).toBe(401);
    expect((await owner.patch(`/api/v1/profiles/${profileId}/shares/${created.body.id}`, { password: null })).body).toMatchObject({ passwordProtected: false });
    expect((await visitor()(`/api/v1/shared/${token}/dashboard`)).status).toBe(200);
  });

  it('refuses a weak password, and stops guesses at a share from many addresses', async () => {
    const weak = await owner.post<{ error: { details: { fields: { field: string }[] } } }>(`/api/v1/profiles/${profileId}/shares`, { label: 'Weak', password: 'password123' });
    expect({ status: weak.status, fields: weak.body.error.details.fields.map((field) => field.field) }).toEqual({ status: 400, fields: ['body.password'] });
    const token = tokenOf((await owner.post<Share>(`/api/v1/profiles/${profileId}/shares`, { label: 'Guarded', password: 'violet harbour lantern 42' })).body);
    // 20 wrong guesses, each from another address (so no per-address limit applies): then the share refuses every try.
    for (let guess = 0; guess < 20; guess++) {
      const wrong = await visitor(`198.51.100.${guess + 1}`)(`/api/v1/shared/${token}/unlock`, { method: 'POST', body: JSON.stringify({ password: `guess number ${guess}` }) });
      expect(wrong.status).toBe(400);
    }
    const blocked = await visitor('198.51.100.200')(`/api/v1/shared/${token}/unlock`, { method: 'POST', body: JSON.stringify({ password: 'violet harbour lantern 42' }) });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Each wrong guess is in the security audit log, naming the share and not its token.
    const reader = new pg.Client({ connectionString: harness.database.ownerUrl });
    await reader.connect();
    const { rows } = await reader.query<{ target: string }>("SELECT target FROM security_audit_log WHERE action = 'share.unlock' AND outcome = 'failure'").finally(() => reader.end());
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('rotates and revokes; only the owner manages shares; the log has every change and no secret', async () => {
    const editor = await harness.confirmedUser();
    expect((await owner.post(`/api/v1/profiles/${profileId}/invitations`, { email: editor.email, role: 'editor' })).status).toBe(201);
    expect((await editor.post('/api/v1/invitations/accept', { token: harness.mailedToken(editor.email!, 'team-invitation') })).status).toBe(200);
    const stranger = await harness.newUser();

    const created = (await owner.post<Share>(`/api/v1/profiles/${profileId}/shares`, { label: 'Rotating', panels: ['summary'], password: 'amber glacier notebook 19' })).body;
    const before = tokenOf(created);
    const rotated = await owner.patch<Share>(`/api/v1/profiles/${profileId}/shares/${created.id}`, { rotate: true, label: 'Rotated' });
    expect(rotated.status).toBe(200);
    const after = tokenOf(rotated.body);
    expect(after).not.toBe(before);
    expect((await visitor()(`/api/v1/shared/${before}`)).status).toBe(404);
    expect((await visitor()(`/api/v1/shared/${after}`)).status).toBe(200);

    // Members other than the owner, and strangers, cannot see or change shares.
    expect((await editor.get(`/api/v1/profiles/${profileId}/shares`)).status).toBe(403);
    expect((await editor.post(`/api/v1/profiles/${profileId}/shares`, { label: 'Mine' })).status).toBe(403);
    expect((await editor.delete(`/api/v1/profiles/${profileId}/shares/${created.id}`)).status).toBe(403);
    expect((await stranger.get(`/api/v1/profiles/${profileId}/shares`)).status).toBe(404);
    expect((await stranger.patch(`/api/v1/profiles/${profileId}/shares/${created.id}`, { rotate: true })).status).toBe(404);
    // Bad input names the field.
    const bad = await owner.post<{ error: { details: { fields: { field: string }[] } } }>(`/api/v1/profiles/${profileId}/shares`, { label: ' ', panels: ['export'], password: 'short' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((field) => field.field).sort()).toEqual(['body.label', 'body.panels.0', 'body.password']);
    expect((await owner.patch(`/api/v1/profiles/${profileId}/shares/${created.id}`, {})).status).toBe(400);

    expect((await owner.delete(`/api/v1/profiles/${profileId}/shares/${created.id}`)).status).toBe(204);
    expect((await visitor()(`/api/v1/shared/${after}`)).status).toBe(404);
    expect((await owner.delete(`/api/v1/profiles/${profileId}/shares/${created.id}`)).status).toBe(404);

    const log = (await editor.get<{ entries: { action: string; entityId: string; changes: Record<string, unknown> }[] }>(`/api/v1/profiles/${profileId}/activity?entity=share`)).body.entries.filter(
      (entry) => entry.entityId === created.id,
    );
    expect(log.map((entry) => entry.action)).toEqual(['deleted', 'updated', 'created']);
    expect(log[1]!.changes).toEqual({ label: { before: 'Rotating', after: 'Rotated' }, token: { before: 'hidden (replaced)', after: 'hidden' } });
    expect(log[2]!.changes).toMatchObject({ label: 'Rotating', token: 'hidden', password_hash: 'hidden', panels: ['summary'] });
    const text = JSON.stringify(log);
    expect(text).not.toContain(before);
    expect(text).not.toContain(after);
    expect(text).not.toContain('scrypt');
  });
});
