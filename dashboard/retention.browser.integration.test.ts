// A page's analytics retention in Chromium, on a whole process (ANALYTICS_RETENTION_DAYS=400): the
// owner chooses it in the editor among the choices within the maximum, is warned that a shorter time
// deletes data, saves (a toast), and the analytics page says how far back data goes, with a note when
// the range reaches further; an editor sees it read-only. Screenshots: artifacts/retention-*.png.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, linkIn, signedInPage, startSite, type Site } from '../server/testing/site.js';
import { screenshot } from '../server/testing/screens.js';

const DAY_MS = 86_400_000;
/** How the page writes the UTC day data is kept from (the browser's locale: Chromium's default, en-US). */
const utcDate = (time: number) => new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(time);

describeWithService('a page’s analytics retention, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('retention', ['api', 'dashboard'], { ANALYTICS_RETENTION_DAYS: '400', AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--lang=en-US'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('lets the owner choose within the maximum, says how far back data goes, and shows it read-only to an editor', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Kept Page' });
    const { page, cspViolations, close } = await signedInPage(browser, site.origin, owner);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${site.origin}/dashboard/${profile.id}`);
    const section = page.getByRole('region', { name: 'Analytics retention' });
    await section.getByText('Raw events are kept for 400 days').waitFor();

    // Nothing above the server's maximum is offered.
    const select = section.getByLabel('Keep analytics for');
    expect(await select.locator('option').allTextContents()).toEqual(['Operator default (400 days)', '30 days', '90 days', '6 months', '1 year']);
    const save = section.getByRole('button', { name: 'Save retention' });
    expect(await save.isDisabled()).toBe(true);

    // A choice deletes what is older: the button says so before anything happens.
    await select.selectOption({ label: '90 days' });
    const from = utcDate(Math.floor(Date.now() / DAY_MS) * DAY_MS - 90 * DAY_MS);
    await section.getByText(`Analytics from before ${from} (raw events and totals alike) will be deleted`).waitFor();
    await section.scrollIntoViewIfNeeded();
    await screenshot(page, 'retention-editor', 1280, 'light');
    await section.getByRole('button', { name: 'Delete older analytics and save' }).click();
    await page.getByRole('status').filter({ hasText: 'Analytics retention saved.' }).waitFor();
    await section.getByText(`Data is kept for 90 days: from ${from}.`).waitFor();
    expect((await owner.get<{ analyticsRetentionDays: number | null }>(`/api/v1/profiles/${profile.id}`)).body.analyticsRetentionDays).toBe(90);

    // The analytics page (the layout's profile follows the save) says it beside the range, and notes a longer range.
    await page.getByRole('navigation', { name: 'Profile' }).getByRole('link', { name: 'Analytics' }).click();
    const retention = page.locator('#analytics-retention');
    await retention.getByText(`Data is kept for 90 days: from ${from}.`).waitFor();
    expect(await retention.getByText('This range starts before').count()).toBe(0);
    await page.getByRole('group', { name: 'Date range' }).getByRole('button', { name: 'All time' }).click();
    await retention.getByText(`This range starts before ${from}: nothing older is kept`).waitFor();
    await screenshot(page, 'retention-analytics', 1280, 'light');
    expect(problems).toEqual([]);
    expect(cspViolations).toEqual([]);
    await close();

    // An editor reads it, and cannot change it.
    const editor = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const confirmation = linkIn(await site.mailTo(editor.email!, /Confirm your Linkpulse address/), site.origin, '/verify-email');
    expect((await editor.post('/api/v1/auth/email-verification/confirm', { token: confirmation.split('#token=')[1] })).status).toBe(200);
    expect((await editor.logIn(editor.email!, editor.password!)).status).toBe(200);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: editor.email, role: 'editor' })).status).toBe(201);
    const invitation = linkIn(await site.mailTo(editor.email!, /invited you to Kept Page/), site.origin, '/invitations/accept');
    expect((await editor.post('/api/v1/invitations/accept', { token: invitation.split('#token=')[1] })).status).toBe(200);
    const editorScreen = await signedInPage(browser, site.origin, editor);
    await editorScreen.page.goto(`${site.origin}/dashboard/${profile.id}`);
    const readOnly = editorScreen.page.getByRole('region', { name: 'Analytics retention' });
    await readOnly.getByText(`Data is kept for 90 days: from ${from}.`).waitFor();
    await readOnly.getByText('Only the page’s owner can change how long its analytics are kept.').waitFor();
    expect(await readOnly.getByLabel('Keep analytics for').count()).toBe(0);
    await editorScreen.close();
  });
});
