// The password strength meter in headless Chromium, on a whole process (api, dashboard): on sign-up and
// on the settings page's password change it judges the password as it is typed, with the rule the API
// applies (lib/passwords), in words in a polite live region that the field's aria-describedby names;
// its dictionaries load only when the field is first focused; and the form still submits a password the
// meter calls weak, so that the server's refusal, with its reason, is what the user sees. Screenshots at
// 1440 and 390 px, light and dark, go to artifacts/ for review.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../lib/paths.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';
import { uniqueName } from '../lib/testing/wait-for.js';

const ARTIFACTS = path.join(PROJECT_ROOT, 'artifacts');
/** Scripts larger than this are the estimator's dictionaries (the page's own chunks are under 60 KB). */
const DICTIONARY_CHUNK_BYTES = 200_000;

describeWithService('the password strength meter in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('password-meter', ['api', 'dashboard'], { AUTH_RATE_LIMIT_PER_MINUTE: '100' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  /** A page that records problems (console errors, CSP violations) and the sizes of the scripts it loads. */
  async function openPage(width: number, colorScheme: 'light' | 'dark') {
    const context = await browser.newContext({ viewport: { width, height: width > 800 ? 900 : 844 }, colorScheme });
    const page = await context.newPage();
    const problems: string[] = [];
    const scripts: number[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (new URL(response.url()).pathname.endsWith('.js')) void response.body().then((body) => scripts.push(body.length), () => undefined);
    });
    return { page, context, problems, scripts };
  }

  /** The meter's text, as the field's aria-describedby names it (what a screen reader reads with the field): the polite live region among its ids. */
  async function description(page: Page, field: RegExp): Promise<string> {
    const input = page.getByLabel(field);
    const ids = (await input.getAttribute('aria-describedby'))?.split(' ') ?? [];
    expect(ids.length).toBeGreaterThan(0);
    const regions = await Promise.all(ids.map(async (id) => ({ id, live: await page.locator(`[id="${id}"]`).getAttribute('aria-live') })));
    const verdict = regions.find((region) => region.live === 'polite');
    expect(verdict).toBeDefined();
    return ((await page.locator(`[id="${verdict!.id}"]`).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  const verdictOf = (page: Page, field: string, text: RegExp) => page.locator(`[id="${field}"]`).filter({ hasText: text }).waitFor();

  for (const [width, colorScheme] of [
    [1440, 'light'],
    [390, 'dark'],
    [390, 'light'],
    [1440, 'dark'],
  ] as const) {
    it(`judges the password as it is typed on sign-up and in the settings, ${width} px, ${colorScheme}`, async () => {
      const { page, context, problems, scripts } = await openPage(width, colorScheme);
      const email = `${uniqueName('meter')}@example.com`;
      const name = `${width}-${colorScheme}`;

      await page.goto(`${site.origin}/signup`);
      await page.getByLabel('Email').fill(email);
      await page.waitForLoadState('networkidle');
      expect(scripts.filter((bytes) => bytes > DICTIONARY_CHUNK_BYTES)).toEqual([]);

      // Focusing the field loads the estimator; typing judges what is typed.
      await page.getByLabel(/^Password/).fill('passwordpassword');
      await verdictOf(page, 'password-extra', /Password strength: Very weak\./);
      expect(scripts.filter((bytes) => bytes > DICTIONARY_CHUNK_BYTES).length).toBeGreaterThan(0);
      expect(await description(page, /^Password/)).toMatch(/^Password strength: Very weak\. Repeated character patterns like "abcabcabc" are easy to guess\./);
      await page.getByLabel(/^Password/).fill(email.split('@')[0]! + '-orchard');
      await verdictOf(page, 'password-extra', /contain your email address/);
      await page.getByLabel(/^Password/).fill('granite lantern');
      await verdictOf(page, 'password-extra', /Password strength: (Fair|Good|Strong)\./);
      await page.getByLabel(/^Password/).fill('passwordpassword');
      await verdictOf(page, 'password-extra', /Very weak/);
      await page.screenshot({ path: path.join(ARTIFACTS, `password-meter-signup-${name}.png`), fullPage: true, animations: 'disabled' });

      // The meter only informs: the form submits, and the server says no, with the reason, next to the field.
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('#password-error').filter({ hasText: /Repeated character patterns/ }).waitFor();

      await page.getByLabel(/^Password/).fill('a calm granite lantern orchard');
      await verdictOf(page, 'password-extra', /Password strength: Strong\./);
      await page.screenshot({ path: path.join(ARTIFACTS, `password-meter-signup-strong-${name}.png`), fullPage: true, animations: 'disabled' });
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByText('Check your inbox').waitFor();
      await page.goto(linkIn(await site.mailTo(email, /Confirm your Linkpulse address/), site.origin, '/verify-email'));
      await page.waitForURL(`${site.origin}/dashboard`);

      await page.goto(`${site.origin}/dashboard/settings`);
      await page.getByLabel('Current password').fill('a calm granite lantern orchard');
      await page.getByLabel(/^New password/).fill(email);
      await verdictOf(page, 'new-password-strength', /contain your email address/);
      expect(await description(page, /^New password/)).toMatch(/^Password strength: Very weak\. Passwords that contain your email address/);
      await page.getByLabel(/^New password/).fill('qwertyuiop1');
      await verdictOf(page, 'new-password-strength', /Password strength: Weak\. This is similar to a commonly used password\./);
      await page.screenshot({ path: path.join(ARTIFACTS, `password-meter-settings-${name}.png`), fullPage: true, animations: 'disabled' });
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByRole('alert').filter({ hasText: 'Choose a stronger password' }).waitFor();
      await page.getByLabel(/^New password/).fill('seven quiet harbours at dawn');
      await verdictOf(page, 'new-password-strength', /Password strength: Strong\./);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed.').waitFor();

      // Nothing scrolls sideways; the only errors are the refusals' 400s.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(width);
      expect(problems.filter((problem) => !/400/.test(problem))).toEqual([]);
      await context.close();
    }, 90_000);
  }
});
