import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordHasher } from '../../api/auth/password.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { startSite, type Site } from '../testing/site.js';
import { DEMO_CREDENTIALS, DEMO_HANDLE } from '../../lib/demo-account.js';
import { LEGACY_DEMO_PASSWORD, seedDemo, type SeedDemoOptions } from './seed-demo.js';

describe('the demo seeding (linkpulse demo)', () => {
  let site: Site;
  let options: SeedDemoOptions;

  beforeAll(async () => {
    // Every seeding signs up and logs in: more credential requests than a person's 10 a minute.
    site = await startSite('demo', ['api'], { AUTH_RATE_LIMIT_PER_MINUTE: '100' });
    options = { baseUrl: site.origin, origin: site.origin, clickhouse: site.running.platform.clickhouse!, events: 4000, days: 30 };
  });
  afterAll(async () => {
    await site?.stop();
  });

  it('creates the demo creator, a published page with links and traffic the analytics API reports', async () => {
    const seeded = await seedDemo(options);
    expect(seeded).toMatchObject({ handle: DEMO_HANDLE, linksCreated: 6, eventsInserted: 4000, eventsTotal: 4000 });

    const page = await fetch(`${site.origin}/api/v1/public/profiles/${DEMO_HANDLE}`);
    expect(page.status).toBe(200);
    const profile = (await page.json()) as { displayName: string; bio: string; links: { url: string }[] };
    expect(profile.displayName).not.toBe('');
    expect(profile.bio).not.toBe('');
    expect(profile.links.map((link) => link.url)).toContain('https://github.com/sveltejs/svelte');

    const get = async (path: string) => {
      const response = await fetch(`${site.origin}/api/v1/profiles/${seeded.profileId}/analytics/${path}`, { headers: { cookie: seeded.cookie } });
      expect(response.status, path).toBe(200);
      return (await response.json()) as Record<string, unknown>;
    };
    const from = new Date(Date.now() - 30 * 86_400_000).toISOString();
    const to = new Date().toISOString();
    const summary = (await get(`summary?from=${from}&to=${to}`)) as { current: { views: number; clicks: number; visitors: number } };
    expect(summary.current.views).toBeGreaterThan(1000);
    expect(summary.current.clicks).toBeGreaterThan(200);
    expect(summary.current.visitors).toBeGreaterThan(500);
    const links = (await get(`links?from=${from}&to=${to}`)) as { links: { clicks: number }[] };
    expect(links.links.filter((link) => link.clicks > 0).length).toBe(6);
    const referrers = (await get(`referrers?from=${from}&to=${to}`)) as { tables: { channels: { values: { channel: string } }[] } };
    expect(referrers.tables.channels.map((row) => row.values.channel)).toEqual(expect.arrayContaining(['github', 'hacker_news', 'direct']));
  });

  it('adds nothing on a second run: the same account, profile, links and events', async () => {
    const first = await seedDemo(options);
    const second = await seedDemo(options);
    expect(second).toMatchObject({ profileId: first.profileId, linksCreated: 0, eventsInserted: 0, eventsTotal: 4000 });
    const response = await fetch(`${site.origin}/api/v1/profiles`, { headers: { cookie: second.cookie } });
    expect(((await response.json()) as { profiles: unknown[] }).profiles).toHaveLength(1);
    const links = await fetch(`${site.origin}/api/v1/profiles/${second.profileId}/links`, { headers: { cookie: second.cookie } });
    expect(((await links.json()) as { links: unknown[] }).links).toHaveLength(6);
    expect(DEMO_CREDENTIALS.email).toBe('demo@linkpulse.dev');
  });

  it('gives a demo account seeded before the password rule today’s password (the old one no longer passes)', async () => {
    const seeded = await seedDemo(options);
    const me = (await (await fetch(`${site.origin}/api/v1/auth/me`, { headers: { cookie: seeded.cookie } })).json()) as { user: { id: string } };
    // As an earlier version left it: the rule refuses this password now, so only SQL can set it.
    const legacyHash = await createPasswordHasher().hash(LEGACY_DEMO_PASSWORD);
    await withUser(site.running.platform.db!, me.user.id, (tx) => tx.query('UPDATE users SET password_hash = $1', [legacyHash]));

    const progress: string[] = [];
    expect(await seedDemo({ ...options, onProgress: (line) => progress.push(line) })).toMatchObject({ profileId: seeded.profileId, linksCreated: 0, eventsInserted: 0 });
    expect(progress).toContain(`changed the demo account's password to ${DEMO_CREDENTIALS.password}`);
    const logIn = (password: string) =>
      fetch(`${site.origin}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: site.origin },
        body: JSON.stringify({ email: DEMO_CREDENTIALS.email, password }),
      });
    expect((await logIn(DEMO_CREDENTIALS.password)).status).toBe(200);
    expect((await logIn(LEGACY_DEMO_PASSWORD)).status).toBe(401);
  });
});
