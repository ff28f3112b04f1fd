// The Alerts tab in Chromium, on a whole process with the scheduler: the owner sets up a traffic spike
// alert (with the webhook channel, and is told no endpoint listens) and a click-through alert (a bad
// threshold refused next to its field first); views arrive, the scheduler's alerts job runs, and the
// history says what fired while the mail lands in the outbox. A failed load says what to do and
// recovers; a viewer reads the alerts, cannot change them, and opts in to the mail. Audited by axe at
// 1440 and 390 px in light and dark. Screenshots: artifacts/alerts-*.png.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { trafficRows } from '../lib/testing/analytics-rows.js';
import { describeWithService } from '../lib/testing/services.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';

describeWithService('the Alerts tab, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('alerts', ['api', 'dashboard', 'scheduler'], { AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--lang=en-US'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  async function signedIn(creator: ApiClient, width = 1440, scheme: 'light' | 'dark' = 'light', expectedStatuses: readonly number[] = []) {
    const screen = await openScreen(browser, width, scheme, { expectedStatuses });
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await screen.context.addCookies([{ name, value, url: site.origin }]);
    return screen;
  }

  /** `count` human views of the page now, as the consumers would write them. */
  const viewsNow = (profileId: string, count: number) => site.running.platform.clickhouse!.insert('events', trafficRows(profileId, count, Date.now() - count));

  it('sets alerts up, runs the job, and shows what fired; axe finds nothing serious at both widths in light and dark', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Alert Page' });
    await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
    const url = `${site.origin}/dashboard/${profile.id}/alerts`;

    const screen = await signedIn(owner, 1440, 'light', [400]);
    const { page } = screen;
    await page.goto(url);
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.getByText('No alert has fired yet.').waitFor();
    const delivery = page.getByRole('region', { name: 'Delivery' });
    await delivery.getByText(`${owner.email} (owner)`).waitFor();
    expect(await delivery.getByLabel('Mail me this page’s alerts').isChecked()).toBe(true);

    // A traffic spike alert, by mail and webhook: no endpoint listens, and the page says so.
    const spikes = page.getByRole('region', { name: 'Traffic spike' });
    await spikes.getByRole('button', { name: 'Set up a Traffic spike alert' }).click();
    await spikes.getByLabel('Fire when an hour has more than').selectOption({ label: '3× the usual' });
    await spikes.getByLabel('And at least (views)').fill('20');
    await spikes.getByLabel('Webhook (alert.triggered)').check();
    await spikes.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('status').filter({ hasText: 'Traffic spike alert is on.' }).waitFor();
    await spikes.getByText('An hour with more than 3× its usual views and at least 20').waitFor();
    await delivery.getByText('so alerts sent by webhook reach nobody').waitFor();
    expect(await delivery.getByRole('link', { name: 'Add one in the Webhooks tab' }).getAttribute('href')).toBe(`/dashboard/${profile.id}/webhooks`);

    // A click-through alert: a threshold out of bounds is refused next to its field, then corrected.
    const drops = page.getByRole('region', { name: 'Click-through drop' });
    await drops.getByRole('button', { name: 'Set up a Click-through drop alert' }).click();
    expect(await drops.getByLabel('Watch').locator('option').allTextContents()).toEqual(['Every link', 'Docs']);
    const drop = drops.getByLabel('Fire when clicks per view fall by (%)');
    await drop.fill('5');
    await drops.getByRole('button', { name: 'Turn on' }).click();
    await drops.getByRole('alert').filter({ hasText: /10/ }).waitFor();
    expect(await drop.getAttribute('aria-invalid')).toBe('true');
    await drop.fill('40');
    await drops.getByRole('button', { name: 'Turn on' }).click();
    await drops.getByText('Clicks per view 40 % or more below the week before').waitFor();

    // Views arrive; the scheduler's alerts job runs (made due now) and records the spike.
    await viewsNow(profile.id, 30);
    await site.running.platform.schedulerDb!.query("UPDATE agenda_jobs SET next_run_at = now() WHERE name = 'alerts'");
    await waitFor(
      async () => ((await owner.get<{ firings: unknown[] }>(`/api/v1/profiles/${profile.id}/alerts/firings`)).body.firings.length > 0 ? true : undefined),
      { what: 'the alerts job to record the spike', timeoutMs: 30_000, intervalMs: 500 },
    );
    await page.reload();
    const history = page.getByRole('list', { name: 'Alerts that fired, newest first' });
    await history.getByRole('heading', { name: 'Traffic spike: 30 views in an hour' }).waitFor();
    await history.getByText(/30 views in the hour from \d\d:00 UTC so far/).waitFor();
    await history.getByText('No webhook endpoint listened').waitFor();
    expect(await history.getByRole('link', { name: 'See in analytics' }).getAttribute('href')).toMatch(new RegExp(`^/dashboard/${profile.id}/analytics\\?range=custom&from=`));
    const mail = await site.mailTo(owner.email!, /Traffic.spike/);
    expect(mail).toContain('30 views in the hour');
    expect(mail).toContain(`${site.origin}/dashboard/${profile.id}/alerts`);
    expect(screen.problems).toEqual([]);
    await screen.close();

    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const shot = await signedIn(owner, width, scheme);
        await shot.page.goto(url);
        await shot.page.getByRole('heading', { name: 'Traffic spike: 30 views in an hour' }).waitFor();
        expect(await seriousAccessibilityViolations(shot.page), `${width} ${scheme}`).toEqual([]);
        expect(Number(await shot.page.evaluate('document.documentElement.scrollWidth')), `${width} ${scheme}`).toBeLessThanOrEqual(width);
        expect(shot.problems).toEqual([]);
        await screenshot(shot.page, 'alerts', width, scheme);
        await shot.close();
      }
    }
  });

  it('says what to do when the alerts cannot be loaded, and recovers', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile();
    const screen = await signedIn(owner, 390, 'dark', [503]);
    const alertsRead = `**/api/v1/profiles/${profile.id}/alerts`;
    await screen.page.route(alertsRead, (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'Linkpulse is briefly unavailable: try again in a moment.', requestId: 'x', timestamp: new Date().toISOString() } }),
      }),
    );
    await screen.page.goto(`${site.origin}/dashboard/${profile.id}/alerts`);
    await screen.page.getByRole('alert').filter({ hasText: 'Linkpulse is briefly unavailable: try again in a moment.' }).waitFor();
    expect(await seriousAccessibilityViolations(screen.page)).toEqual([]);
    await screenshot(screen.page, 'alerts-error', 390, 'dark');
    await screen.page.unroute(alertsRead);
    await screen.page.getByRole('button', { name: 'Try again' }).click();
    await screen.page.getByRole('region', { name: 'Traffic spike' }).waitFor();
    expect(screen.problems).toEqual([]);
    await screen.close();
  });

  it('shows a viewer the alerts read-only and lets them choose to receive the mail', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Viewed Page' });
    expect((await owner.post(`/api/v1/profiles/${profile.id}/alerts`, { kind: 'star_milestone' })).status).toBe(201);
    const viewer = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const confirmation = linkIn(await site.mailTo(viewer.email!, /Confirm your Linkpulse address/), site.origin, '/verify-email');
    expect((await viewer.post('/api/v1/auth/email-verification/confirm', { token: confirmation.split('#token=')[1] })).status).toBe(200);
    expect((await viewer.logIn(viewer.email!, viewer.password!)).status).toBe(200);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: viewer.email, role: 'viewer' })).status).toBe(201);
    const invitation = linkIn(await site.mailTo(viewer.email!, /invited you to Viewed Page/), site.origin, '/invitations/accept');
    expect((await viewer.post('/api/v1/invitations/accept', { token: invitation.split('#token=')[1] })).status).toBe(200);

    const screen = await signedIn(viewer, 390, 'light');
    await screen.page.goto(`${site.origin}/dashboard/${profile.id}/alerts`);
    await screen.page.getByText('Only the page’s owner and editors change its alerts.').waitFor();
    const stars = screen.page.getByRole('region', { name: 'GitHub star milestone' });
    await stars.getByText('Each time a repository passes 100, 1,000, 10,000 stars').waitFor();
    expect(await screen.page.getByRole('button', { name: /Set up|Change|Delete|Turn on/ }).count()).toBe(0);
    expect(await screen.page.getByRole('switch').count()).toBe(0);
    const optIn = screen.page.getByLabel('Mail me this page’s alerts');
    expect(await optIn.isChecked()).toBe(false);
    await optIn.check();
    await screen.page.getByRole('status').filter({ hasText: 'You will receive this page’s alerts by mail.' }).waitFor();
    await screen.page.getByRole('region', { name: 'Delivery' }).getByText(`${viewer.email} (viewer)`).waitFor();
    expect(await seriousAccessibilityViolations(screen.page)).toEqual([]);
    await screenshot(screen.page, 'alerts-viewer', 390, 'light');
    expect(screen.problems).toEqual([]);
    await screen.close();
  });
});
