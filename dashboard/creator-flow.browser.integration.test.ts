// The creator's first steps in headless Chromium, on a whole process with embedded defaults: sign up,
// confirm the address from the mail (which signs in) and land on the dashboard, create a page (the handle check says it is free), open it, log out, log
// back in, manage a token, change the password, delete the account; no console error and no CSP
// violation on any page.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';
import { uniqueName } from '../lib/testing/wait-for.js';

describeWithService('the creator’s first steps in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('creator-flow', ['api', 'ingest', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('signs up, creates and opens a page, logs out and back in, uses the settings, deletes the account', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    const email = `${uniqueName('flow')}@example.com`;
    const password = 'a long enough passphrase';
    const handle = `flow-${Date.now().toString(36)}`;

    await page.goto(`${site.origin}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    // The mailed link confirms the address and signs in.
    await page.getByText('Check your inbox').waitFor();
    await page.goto(linkIn(await site.mailTo(email, /Confirm your Linkpulse address/), site.origin, '/verify-email'));
    await page.waitForURL(`${site.origin}/dashboard`);
    await page.getByText('No page yet').waitFor();

    await page.getByLabel(/^Handle/).fill(handle);
    await page.getByText(`@${handle} is free.`).waitFor();
    await page.getByLabel('Display name').fill('Flow Tester');
    await page.getByRole('button', { name: 'Create page' }).click();
    // A new page is a draft, opened in the editor: publishing it makes it public.
    await page.getByRole('heading', { name: `Edit @${handle}` }).waitFor();
    expect((await fetch(`${site.origin}/@${handle}`)).status).toBe(404);
    await page.getByRole('switch', { name: 'Published' }).check();
    await page.getByText('Visible to everyone at').waitFor();
    await page.getByRole('link', { name: 'View page ↗' }).click();
    await page.waitForURL(`${site.origin}/@${handle}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Flow Tester');

    await page.goto(`${site.origin}/dashboard`);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${site.origin}/login`);
    await page.goto(`${site.origin}/dashboard`);
    await page.getByText('to see your pages').waitFor();

    await page.goto(`${site.origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('a wrong passphrase!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${site.origin}/dashboard`);
    await page.getByRole('link', { name: `@${handle}`, exact: true }).waitFor();

    // Settings: a token (its secret shown once), revoked; a new password; then the account deleted.
    await page.getByRole('link', { name: 'Account settings' }).click();
    await page.getByLabel('Token name').fill('CI');
    await page.getByRole('button', { name: 'Create token' }).click();
    expect(await page.locator('.secret code').textContent()).toMatch(/^lp_pat_/);
    await page.getByRole('button', { name: 'Revoke CI' }).click();
    await page.getByText('· revoked').waitFor();
    const newPassword = 'an even longer passphrase';
    await page.getByLabel('Current password').fill(password);
    await page.getByLabel(/^New password/).fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.').waitFor();
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(`${site.origin}/signup`);
    await page.goto(`${site.origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();

    // The failed logins' 401s are the only errors the console may show.
    expect(problems.filter((problem) => !/401/.test(problem))).toEqual([]);
    await context.close();
  }, 90_000);
});
