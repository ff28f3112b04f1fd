// "Download your data" in headless Chromium, on a whole process with the scheduler: asked for in the
// settings, built by the scheduler's job (queued by the API), mailed (the outbox), and downloaded from
// the mailed link's page, at a laptop's and a phone's width, light and dark. No console error, CSP
// violation or serious axe violation; screenshots go to artifacts/.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { strFromU8, unzipSync } from 'fflate';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../lib/testing/services.js';
import { uniqueName } from '../lib/testing/wait-for.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { openScreen, screenshot, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { CHROMIUM, startSite, type Site } from '../server/testing/site.js';

const PASSWORD = 'a calm granite lantern orchard';

describeWithService('download your data in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('data-export', ['api', 'scheduler', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('asks for an export in the settings, gets the mail, and downloads the ZIP from its link', async () => {
    const email = `${uniqueName('export')}@example.com`;
    const creator = await new ApiClient(site.running.url, site.origin).signUpAndLogIn(email, PASSWORD);
    const profile = await creator.newProfile({ displayName: 'Exported' });
    await creator.newLink(profile.id, { title: 'Docs' });

    const laptop = await openScreen(browser, 1440, 'light');
    const { page } = laptop;
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await laptop.context.addCookies([{ name, value, url: site.origin }]);
    await page.goto(`${site.origin}/dashboard/settings`);
    const section = page.locator('section[aria-labelledby="export-heading"]');
    await section.getByRole('button', { name: 'Request my data' }).click();
    await section.getByText(/We are putting your data together/).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'settings-data-export-pending', 1440, 'light');

    // The scheduler builds it (the API queued the job) and mails the link; the page sees it ready.
    const mail = await site.mailTo(email, /ready to download/);
    const link = new RegExp(`${site.origin}/dashboard/settings\\?export=[0-9a-f-]{36}#token=[A-Za-z0-9_-]{43}`).exec(mail)?.[0];
    expect(link).toBeDefined();
    await section.getByText(/Your data is ready/).waitFor({ timeout: 15_000 });
    // Without the mailed link, this tab cannot download: it points at the mail.
    await section.getByText(/Open the link in the mail we sent/).waitFor();
    expect(await section.getByRole('button', { name: /^Download/ }).count()).toBe(0);

    // The mailed link: the secret leaves the address bar, and the download is offered.
    await page.goto(link!);
    await section.getByRole('button', { name: /^Download \(/ }).waitFor();
    expect(page.url()).toBe(`${site.origin}/dashboard/settings`);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'settings-data-export-ready', 1440, 'light');
    const [download] = await Promise.all([page.waitForEvent('download'), section.getByRole('button', { name: /^Download \(/ }).click()]);
    expect(download.suggestedFilename()).toMatch(/^linkpulse-export-\d{4}-\d{2}-\d{2}\.zip$/);
    const files = unzipSync(new Uint8Array(await readFile((await download.path()))));
    expect(JSON.parse(strFromU8(files['account.json']!))).toMatchObject({ email });
    expect(Object.keys(files)).toContain(`profiles/${profile.handle}/links.json`);

    // The same on a phone, dark, opened from the mail.
    const phone = await openScreen(browser, 390, 'dark');
    await phone.context.addCookies([{ name, value, url: site.origin }]);
    await phone.page.goto(link!);
    await phone.page.locator('section[aria-labelledby="export-heading"]').getByRole('button', { name: /^Download \(/ }).waitFor();
    await phone.page.locator('section[aria-labelledby="export-heading"]').scrollIntoViewIfNeeded();
    expect(await seriousAccessibilityViolations(phone.page)).toEqual([]);
    // Nothing wider than the phone (a long address wraps).
    expect(await phone.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await screenshot(phone.page, 'settings-data-export-ready', 390, 'dark');

    // Deleted early: the file goes, and the section says so.
    await section.getByRole('button', { name: 'Delete it now' }).click();
    await page.getByText('The export’s file is deleted.').waitFor();
    await section.getByText(/You deleted your last export/).waitFor();
    await section.getByRole('button', { name: 'Request my data' }).waitFor();

    expect([...laptop.problems, ...phone.problems]).toEqual([]);
    await phone.close();
    await laptop.close();
  });
});
