// The pages around the app in headless Chromium, on a whole process with embedded defaults: the landing
// page (what Linkpulse is, the way in, the live demo once it exists), the status page, log-in, sign-up
// and password reset (its mail read from Mailpit when SMTP_URL and MAILPIT_URL are set, else from the
// process's outbox).
// Each at 1440 and 390 px, light and dark, with no console error, CSP violation or failed request, and
// no serious or critical axe-core violation; screenshots go to artifacts/. Also: a signed-in creator
// going to / lands on their pages, and a refusal shows next to its field with what was typed kept.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService, realServices, testConfig } from '../lib/testing/services.js';
import { uniqueName } from '../lib/testing/wait-for.js';
import { DEMO_CREDENTIALS, DEMO_HANDLE } from '../lib/demo-account.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { COLOR_SCHEMES, openScreen, SCREEN_WIDTHS, screenshot, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';

describeWithService('the landing, status, log-in and sign-up pages in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('site-pages', ['api', 'ingest', 'dashboard'], {
      AUTH_RATE_LIMIT_PER_MINUTE: '100',
      ...(realServices.smtp.configured ? { SMTP_URL: testConfig.mail.smtpUrl! } : {}),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('says what Linkpulse is and leads to sign-up and log-in; the status page is a link away', async () => {
    const screen = await openScreen(browser, 1440, 'light');
    const { page } = screen;
    const response = await page.goto(`${site.origin}/`);
    expect(response?.headers()['cache-control']).toBe('private, no-cache');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toMatch(/One link for everything you build/);
    for (const heading of ['Private by design', 'Analytics that stay fast', 'Live GitHub cards', 'Click heatmaps']) await page.getByRole('heading', { name: heading }).waitFor();
    expect(await page.getByRole('link', { name: /Create your page/ }).first().getAttribute('href')).toBe('/signup');
    expect(await page.getByRole('navigation', { name: 'Account' }).getByRole('link', { name: 'Log in' }).getAttribute('href')).toBe('/login');
    // No demo here yet: nothing links to it.
    expect(await page.getByRole('link', { name: /live (page|demo)/i }).allTextContents()).toEqual([]);
    await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Status' }).click();
    await page.waitForURL(`${site.origin}/status`);
    await page.getByRole('heading', { name: 'Platform status' }).waitFor();
    await page.getByRole('rowheader', { name: 'postgres' }).waitFor();
    expect(screen.problems).toEqual([]);
    await screen.close();
  });

  describe('every page at 1440 and 390 px, light and dark', () => {
    for (const [name, path] of [
      ['landing', '/'],
      ['status', '/status'],
      ['login', '/login'],
      ['signup', '/signup'],
      ['forgot-password', '/forgot-password'],
      ['reset-password', '/reset-password'],
      ['verify-email', '/verify-email'],
      ['confirm-email-change', '/confirm-email-change'],
    ] as const) {
      it(`${name}: no console error, CSP violation or failed request, and no serious axe violation`, async () => {
        for (const width of SCREEN_WIDTHS) {
          for (const scheme of COLOR_SCHEMES) {
            const screen = await openScreen(browser, width, scheme);
            await screen.page.goto(`${site.origin}${path}`);
            await screen.page.getByRole('heading', { level: 1 }).waitFor();
            // Nothing wider than the window (a phone would scroll sideways).
            expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
            expect({ width, scheme, violations: await seriousAccessibilityViolations(screen.page) }).toEqual({ width, scheme, violations: [] });
            await screenshot(screen.page, `site-${name}`, width, scheme);
            expect(screen.problems).toEqual([]);
            await screen.close();
          }
        }
      }, 120_000);
    }
  });

  it('shows a refusal next to its field and keeps what was typed', async () => {
    const screen = await openScreen(browser, 390, 'dark', { expectedStatuses: [400, 401] });
    const { page } = screen;
    await page.goto(`${site.origin}/signup`);
    await page.getByRole('button', { name: 'Create account' }).click();
    // Checked before anything is sent, said the same way as the server's refusals.
    await page.getByText('Enter your email address.').waitFor();
    await page.getByText('Enter your password.').waitFor();
    expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');

    const email = `${uniqueName('weak')}@example.com`;
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('password12345');
    await page.getByRole('button', { name: 'Create account' }).click();
    const message = page.locator('#password-error');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/common|guess|predictable/i);
    expect((await page.getByLabel('Password').getAttribute('aria-describedby'))?.split(' ')).toContain('password-error');
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await screenshot(page, 'site-signup-refused', 390, 'dark');
    // Typing again takes the message away.
    await page.getByLabel('Password').fill('a much less guessable phrase');
    expect(await message.count()).toBe(0);

    await page.goto(`${site.origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('not the password at all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: /incorrect/i }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    expect(screen.problems).toEqual([]);
    await screen.close();
  });

  it('sends a signed-in creator from / to their pages, and forgets a stale session cookie', async () => {
    const creator = await new ApiClient(site.running.url, site.origin).signUpAndLogIn();
    const [name, value] = creator.cookie!.split('=') as [string, string];
    const context = await browser.newContext();
    await context.addCookies([{ name, value, url: site.origin }]);
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForURL(`${site.origin}/dashboard`);

    // A session that ended (logged out elsewhere): the dashboard's first API call clears the cookie,
    // and the landing page shows again.
    await creator.post('/api/v1/auth/logout');
    await page.goto(`${site.origin}/dashboard`);
    await page.getByRole('link', { name: 'Log in' }).first().waitFor();
    expect((await context.cookies()).some((cookie) => cookie.name === name)).toBe(false);
    await page.goto(`${site.origin}/`);
    expect(new URL(page.url()).pathname).toBe('/');
    await context.close();
  });

  it('offers the live demo once its page is published: the page, and its analytics with the demo log-in to fill in', async () => {
    const owner = await new ApiClient(site.running.url, site.origin).signUpAndLogIn(DEMO_CREDENTIALS.email, DEMO_CREDENTIALS.password);
    await owner.newProfile({ handle: DEMO_HANDLE, displayName: 'Demo', published: true });
    const screen = await openScreen(browser, 1440, 'light');
    const { page } = screen;
    await page.goto(`${site.origin}/`);
    expect(new URL((await page.getByRole('link', { name: 'See a live page' }).getAttribute('href'))!, page.url()).href).toBe(`${site.origin}/@demo`);
    await page.getByRole('link', { name: 'explore its analytics' }).click();
    await page.waitForURL(`${site.origin}/login?demo`);
    await page.getByRole('button', { name: 'Use the demo account' }).click();
    expect(await page.getByLabel('Email').inputValue()).toBe(DEMO_CREDENTIALS.email);
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'site-login-demo', 1440, 'light');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${site.origin}/dashboard`);
    // Without ?demo the log-in page does not offer it.
    const plain = await openScreen(browser, 390, 'light');
    await plain.page.goto(`${site.origin}/login`);
    await plain.page.getByRole('heading', { level: 1 }).waitFor();
    expect(await plain.page.getByRole('button', { name: 'Use the demo account' }).count()).toBe(0);
    expect([...screen.problems, ...plain.problems]).toEqual([]);
    await plain.close();
    await screen.close();
  });

  it('resets a forgotten password from the mailed link, which then works no more', async () => {
    const email = `${uniqueName('forgot')}@example.com`;
    await new ApiClient(site.running.url, site.origin).signUpAndLogIn(email, 'an old and quiet passphrase');
    const screen = await openScreen(browser, 390, 'light', { expectedStatuses: [400, 404] });
    const { page } = screen;
    await page.goto(`${site.origin}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(`${site.origin}/forgot-password`);
    // The log-in page has an Email field too: fill the reset page's, once it is there.
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').filter({ hasText: `If an account uses ${email}` }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(email);
    await screenshot(page, 'site-forgot-password-sent', 390, 'light');

    const link = linkIn(await site.mailTo(email, /Reset your Linkpulse password/), site.origin, '/reset-password');
    await page.goto(link);
    // The token leaves the address bar once read.
    await page.getByLabel('New password').waitFor();
    expect(new URL(page.url()).hash).toBe('');
    await page.getByLabel('New password').fill('password1234');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.locator('#new-password-error').waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'site-reset-password-refused', 390, 'light');
    await page.getByLabel('New password').fill('seven new lanterns by the harbour');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.waitForURL(`${site.origin}/dashboard`);
    expect((await new ApiClient(site.running.url, site.origin).logIn(email, 'seven new lanterns by the harbour')).status).toBe(200);

    // The same link again: it says so, and how to get a new one.
    await page.goto(link);
    await page.getByLabel('New password').fill('another long quiet passphrase');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText(/expired or was already used/).waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).waitFor();
    expect(screen.problems).toEqual([]);
    await screen.close();
  });

  it('signs up, says to check the inbox, and the mailed link confirms the address and signs in', async () => {
    const email = `${uniqueName('signup')}@example.com`;
    const screen = await openScreen(browser, 1440, 'dark');
    const { page } = screen;
    await page.goto(`${site.origin}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a calm granite lantern orchard');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('status').filter({ hasText: `Check your inbox: we sent a mail to ${email}` }).waitFor();
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'site-signup-check-inbox', 1440, 'dark');

    const mail = await site.mailTo(email, /Confirm your Linkpulse address/);
    expect(mail).toContain('Confirm');
    await page.goto(linkIn(mail, site.origin, '/verify-email'));
    await page.waitForURL(`${site.origin}/dashboard`);
    await page.goto(`${site.origin}/dashboard/settings`);
    await page.getByText(`${email}: confirmed`).waitFor();

    // The link again (after the confirmation, or from a mail scanner's copy): it says what to do.
    await page.goto(linkIn(mail, site.origin, '/verify-email'));
    await page.getByText(/expired, was already used/).waitFor();
    await page.getByRole('link', { name: 'Log in' }).last().waitFor();
    expect(screen.problems.filter((problem) => !/\b404\b/.test(problem))).toEqual([]);
    await screen.close();
  });

  it('your pages: designed at 1440 and 390 px, light and dark, empty and with pages, with no serious axe violation', async () => {
    const creator = await new ApiClient(site.running.url, site.origin).signUpAndLogIn();
    const [name, value] = creator.cookie!.split('=') as [string, string];
    for (const pages of [0, 2]) {
      if (pages === 2) {
        await creator.newProfile({ displayName: 'Ada Lovelace', published: true });
        await creator.newProfile({ displayName: 'Analytical Engine notes' });
      }
      for (const width of SCREEN_WIDTHS) {
        for (const scheme of COLOR_SCHEMES) {
          const screen = await openScreen(browser, width, scheme);
          await screen.context.addCookies([{ name, value, url: site.origin }]);
          await screen.page.goto(`${site.origin}/dashboard`);
          await screen.page.getByRole('heading', { name: 'New page' }).waitFor();
          if (pages === 2) expect(await screen.page.getByRole('list', { name: 'Your pages' }).getByRole('listitem').count()).toBe(2);
          else await screen.page.getByText('No page yet').waitFor();
          expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
          expect({ width, scheme, violations: await seriousAccessibilityViolations(screen.page) }).toEqual({ width, scheme, violations: [] });
          await screenshot(screen.page, `dashboard-pages-${pages}`, width, scheme);
          expect(screen.problems).toEqual([]);
          await screen.close();
        }
      }
    }
  }, 120_000);
});
