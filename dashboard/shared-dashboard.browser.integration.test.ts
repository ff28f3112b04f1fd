// Shared dashboards in Chromium, on a whole process: the owner creates one from the Share tab (some
// panels, a password), a signed-out browser opens its link, is asked for the password (a wrong one is
// refused next to the field), then sees exactly the shared panels with the seeded figures, read-only
// and marked noindex; a new link kills the old one. The Share tab and the shared dashboard are audited
// by axe at both widths in light and dark, with screenshots in artifacts/.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { buildAnalyticsRow, NO_LINK, type VisitColumns } from '../lib/events/analytics-row.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';

const HOUR = 3_600_000;

/** A human view or click from Germany on a phone, as the consumers write it. */
function eventRow(profileId: string, type: 'view' | 'click', at: number, visitor: number, link = NO_LINK) {
  const visit: VisitColumns = {
    profile_id: profileId,
    visitor_id: String(visitor),
    bot_kind: '',
    is_internal: 0,
    country: 'DE',
    region: '',
    city: 'Berlin',
    device: 'mobile',
    browser: 'Chrome',
    os: 'Android',
    referrer_domain: 'news.ycombinator.com',
    channel: 'hacker_news',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
  };
  return buildAnalyticsRow(visit, randomUUID(), type, at, link, NO_LINK);
}

const kpi = (page: Page, label: string) =>
  page
    .locator('#overview .kpi')
    .filter({ has: page.getByText(label, { exact: true }) })
    .locator('.value');

/** Every shown panel has its data: none is busy. */
async function panelsSettled(page: Page, count: number) {
  await page.locator('section.panel').nth(count - 1).waitFor({ timeout: 30_000 });
  await page.locator('section.panel[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 30_000 });
}

describeWithService('shared dashboards, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('shared-dashboard', ['api', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('shares some panels behind a password with a signed-out browser, and a new link ends the old one', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Shared Numbers', published: true });
    const docs = await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
    const now = Date.now();
    await site.running.platform.clickhouse!.insert('events', [
      ...[1, 2, 3, 4, 5].map((visitor) => eventRow(profile.id, 'view', now - visitor * HOUR, visitor)),
      eventRow(profile.id, 'click', now - HOUR + 1000, 1, docs.id),
      eventRow(profile.id, 'click', now - 2 * HOUR + 1000, 2, docs.id),
    ]);

    // The owner shares everything but the heatmap and the campaigns, with a password.
    const ownerScreen = await openScreen(browser, 1440, 'light');
    const [name, value] = owner.cookie!.split('=') as [string, string];
    await ownerScreen.context.addCookies([{ name, value, url: site.origin }]);
    const { page } = ownerScreen;
    await page.goto(`${site.origin}/dashboard/${profile.id}/share`);
    await page.getByRole('heading', { name: 'New shared dashboard' }).waitFor();
    await page.getByLabel('Name').fill('Sponsors');
    await page.getByLabel('Click heatmap').uncheck();
    await page.getByLabel('Campaigns (UTM)').uncheck();
    await page.getByLabel('Password (optional)').fill('violet harbour lantern 42');
    await page.getByRole('button', { name: 'Create the link' }).click();
    await page.getByRole('status').filter({ hasText: '“Sponsors” is shared' }).waitFor();
    const link = page.getByLabel('Link of Sponsors');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(new RegExp(`^${site.origin}/share/[A-Za-z0-9_-]{32}$`));
    expect(ownerScreen.problems).toEqual([]);

    // Signed out: the password first; a wrong one is refused next to the field.
    const visitorScreen = await openScreen(browser, 1440, 'dark', { expectedStatuses: [400] });
    const visitor = visitorScreen.page;
    const response = await visitor.goto(url);
    expect(response!.headers()['x-robots-tag']).toBe('noindex, nofollow');
    expect(response!.headers()['referrer-policy']).toBe('no-referrer');
    expect(await visitor.locator('meta[name="robots"]').getAttribute('content')).toBe('noindex, nofollow');
    await visitor.getByRole('heading', { name: 'Sponsors' }).waitFor();
    await visitor.getByLabel('Password').fill('not it');
    await visitor.getByRole('button', { name: 'Open the dashboard' }).click();
    await visitor.getByText('That is not the password.').waitFor();
    expect(await visitor.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await visitor.getByLabel('Password').fill('violet harbour lantern 42');
    await visitor.getByRole('button', { name: 'Open the dashboard' }).click();
    // Eight panels: the ten less the heatmap and the campaigns, with the seeded figures.
    await panelsSettled(visitor, 8);
    expect(await visitor.locator('section.panel').count()).toBe(8);
    expect(await visitor.locator('#utm').count()).toBe(0);
    expect(await visitor.getByRole('heading', { name: 'Click heatmap' }).count()).toBe(0);
    expect(await kpi(visitor, 'Views').textContent()).toBe('5');
    expect(await kpi(visitor, 'Clicks').textContent()).toBe('2');
    await visitor.locator('#links').getByRole('button', { name: 'Docs' }).waitFor();
    // Read-only: no downloads, no way into the owner's dashboard.
    expect(await visitor.getByRole('link', { name: /CSV/ }).count()).toBe(0);
    expect(await seriousAccessibilityViolations(visitor)).toEqual([]);
    await screenshot(visitor, 'shared-dashboard', 1440, 'dark');
    expect(visitorScreen.problems).toEqual([]);
    await visitorScreen.close();

    // A new link: the old one says it is gone and what to do.
    await page.getByRole('button', { name: 'New link for Sponsors' }).click();
    await page.getByRole('status').filter({ hasText: 'has a new link' }).waitFor();
    await expect.poll(() => link.inputValue()).not.toBe(url);
    const late = await openScreen(browser, 390, 'light', { expectedStatuses: [404] });
    await late.page.goto(url);
    await late.page.getByText(/does not exist any more/).waitFor();
    expect(late.problems).toEqual([]);
    await late.close();
    await ownerScreen.close();
  }, 120_000);

  it('designs the Share tab and the shared dashboard at 1440 and 390 px, light and dark, with no serious axe violation', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Screens', published: true });
    const share = await owner.post<{ url: string }>(`/api/v1/profiles/${profile.id}/shares`, { label: 'Team wiki', panels: ['summary', 'timeseries', 'links', 'realtime'] });
    expect(share.status).toBe(201);
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const ownerScreen = await openScreen(browser, width, scheme);
        const [name, value] = owner.cookie!.split('=') as [string, string];
        await ownerScreen.context.addCookies([{ name, value, url: site.origin }]);
        await ownerScreen.page.goto(`${site.origin}/dashboard/${profile.id}/share`);
        await ownerScreen.page.getByLabel('Link of Team wiki').waitFor();
        expect(Number(await ownerScreen.page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ width, scheme, violations: await seriousAccessibilityViolations(ownerScreen.page) }).toEqual({ width, scheme, violations: [] });
        await screenshot(ownerScreen.page, 'share-tab', width, scheme);
        expect(ownerScreen.problems).toEqual([]);
        await ownerScreen.close();

        const visitorScreen = await openScreen(browser, width, scheme);
        await visitorScreen.page.goto(share.body.url);
        await panelsSettled(visitorScreen.page, 4);
        expect(Number(await visitorScreen.page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ width, scheme, violations: await seriousAccessibilityViolations(visitorScreen.page) }).toEqual({ width, scheme, violations: [] });
        await screenshot(visitorScreen.page, 'shared-dashboard-open', width, scheme);
        expect(visitorScreen.problems).toEqual([]);
        await visitorScreen.close();
      }
    }
  }, 180_000);
});
