// Account security in headless Chromium, on a whole process: turning two-factor on from the settings
// (the QR code and key, a code from the "app", the recovery codes shown once), logging in with the
// second step, and the list of sessions with "log out everywhere else". No console error, CSP
// violation or serious axe violation; screenshots go to artifacts/.
import { existsSync } from 'node:fs';
import { generate } from 'otplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../lib/testing/services.js';
import { uniqueName } from '../lib/testing/wait-for.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { openScreen, screenshot, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';

const PASSWORD = 'a calm granite lantern orchard';

describeWithService('account security in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('account-security', ['api', 'dashboard'], { AUTH_RATE_LIMIT_PER_MINUTE: '100' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  /** The log-in page, as a person uses it, up to the dashboard (two-factor off). */
  async function logInThroughTheForm(page: Page, email: string): Promise<void> {
    await page.goto(`${site.origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${site.origin}/dashboard`);
  }

  it('turns two-factor on in the settings, then logs in with a code, and logs out everywhere else', async () => {
    const email = `${uniqueName('secure')}@example.com`;
    await new ApiClient(site.running.url, site.origin).signUpAndLogIn(email, PASSWORD);
    const laptop = await openScreen(browser, 1440, 'light', { expectedStatuses: [401] });
    const { page } = laptop;

    await logInThroughTheForm(page, email);
    await page.goto(`${site.origin}/dashboard/settings`);
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const key = (await page.locator('.key code').textContent())!.replace(/\s/g, '');
    expect(key).toMatch(/^[A-Z2-7]{16,}$/);
    await page.locator('.qr svg').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'settings-two-factor-setup', 1440, 'light');

    await page.getByLabel('Code from the app').fill(await generate({ secret: key }));
    await page.locator('#two-factor-enable-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await screenshot(page, 'settings-two-factor-recovery-codes', 1440, 'light');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByText(/On\. Log-ins ask for a code/).waitFor();

    // A phone logs in: the password, then the code (the next time step's: each code works once).
    const phone = await openScreen(browser, 390, 'dark', { expectedStatuses: [401] });
    await phone.page.goto(`${site.origin}/login`);
    await phone.page.getByLabel('Email').fill(email);
    await phone.page.getByLabel('Password').fill(PASSWORD);
    await phone.page.getByRole('button', { name: 'Log in' }).click();
    await phone.page.getByLabel('Code from your authenticator app').fill('000000');
    await phone.page.getByRole('button', { name: 'Verify and log in' }).click();
    await phone.page.locator('#code-error').waitFor();
    expect(await seriousAccessibilityViolations(phone.page)).toEqual([]);
    await screenshot(phone.page, 'site-login-second-factor', 390, 'dark');
    await phone.page.getByLabel('Code from your authenticator app').fill(await generate({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await phone.page.getByRole('button', { name: 'Verify and log in' }).click();
    await phone.page.waitForURL(`${site.origin}/dashboard`);

    // The laptop sees every session (the sign-up's, its own, the phone's) and logs the others out.
    await page.reload();
    const sessions = page.locator('section[aria-labelledby="sessions-heading"]');
    await sessions.getByText('this browser').waitFor();
    expect(await sessions.getByRole('listitem').count()).toBe(3);
    expect(await sessions.getByText('Chrome on Linux').count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Log out everywhere else' }).click();
    await page.getByText('2 other sessions are logged out.').waitFor();
    await expect.poll(() => sessions.getByRole('listitem').count()).toBe(1);
    await screenshot(page, 'settings-sessions', 1440, 'light');
    await phone.page.goto(`${site.origin}/dashboard/settings`);
    await phone.page.getByRole('link', { name: 'Log in' }).first().waitFor();

    expect([...laptop.problems, ...phone.problems]).toEqual([]);
    await phone.close();
    await laptop.close();
  });

  it('moves the account to another address once both addresses confirm', async () => {
    const email = `${uniqueName('moving')}@example.com`;
    const next = `${uniqueName('moved')}@example.com`;
    await new ApiClient(site.running.url, site.origin).signUpAndLogIn(email, PASSWORD);
    const screen = await openScreen(browser, 390, 'light');
    const { page } = screen;
    await logInThroughTheForm(page, email);
    await page.goto(`${site.origin}/dashboard/settings`);
    await page.getByText('Change the address').click();
    await page.getByLabel('New address').fill(next);
    await page.locator('#email-change-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Send the confirmation links' }).click();
    await page.getByText(`Moving to ${next}`).waitFor();

    await page.goto(linkIn(await site.mailTo(next, /Confirm your new Linkpulse address/), site.origin, '/confirm-email-change'));
    // Opening the link confirms nothing: the button does.
    await page.getByRole('button', { name: 'Confirm the change' }).click();
    await page.getByText(/Confirmed from your new address/).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'site-confirm-email-change-waiting', 390, 'light');
    // The other link, opened as from another mail: a new document (not a jump within this one).
    await page.goto('about:blank');
    await page.goto(linkIn(await site.mailTo(email, /Confirm moving your Linkpulse account/), site.origin, '/confirm-email-change'));
    await page.getByRole('button', { name: 'Confirm the change' }).click();
    await page.getByText(`Done: your address is now ${next}`).waitFor();
    await page.getByRole('link', { name: 'Go to your settings' }).click();
    await page.getByText(`${next}: confirmed`).waitFor();
    expect(screen.problems).toEqual([]);
    await screen.close();
  });
});
