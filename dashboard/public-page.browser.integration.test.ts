// The public profile page in headless Chromium, from a whole process (ingest, api, dashboard on
// embedded defaults): it works with JavaScript disabled (links go through /r/<id>), the tracker
// sends a view that ingest accepts (202) and a positioned click, nothing breaks the CSP or logs an error,
// and nothing scrolls sideways at 320 px. Screenshots (mobile, desktop) go to artifacts/ for review.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, startSite, type Site } from '../server/testing/site.js';

const ARTIFACTS = path.join(PROJECT_ROOT, 'artifacts', 'screenshots');

describeWithService('the public page in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  let handle: string;
  let linkId: string;

  beforeAll(async () => {
    site = await startSite('public-browser', ['ingest', 'api', 'dashboard']);
    const creator = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true, bio: 'Open-source maintainer. Links below.', respectGpc: true });
    handle = profile.handle;
    linkId = (await creator.newLink(profile.id, { title: 'My blog', url: 'https://blog.example.com/' })).id;
    await creator.newLink(profile.id, { title: 'Linkpulse', url: 'https://github.com/linkpulse/linkpulse' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  /** A page that records console errors and CSP violations, with the link's target answered locally. */
  async function visitorPage(options: { javaScriptEnabled: boolean; width: number; height: number }): Promise<{ page: Page; context: BrowserContext; problems: string[] }> {
    const context = await browser.newContext({ javaScriptEnabled: options.javaScriptEnabled, viewport: { width: options.width, height: options.height } });
    // Nothing leaves the machine: the link's real target is answered here.
    await context.route('https://blog.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Blog</title>landed' }));
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));
    return { page, context, problems };
  }

  it('works with JavaScript disabled: the link goes through /r/<id> to its target', async () => {
    const { page, problems } = await visitorPage({ javaScriptEnabled: false, width: 390, height: 844 });
    await page.goto(`${site.origin}/@${handle}`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Test Creator');
    const redirects: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 302) redirects.push(new URL(response.url()).pathname);
    });
    await page.getByRole('link', { name: 'My blog' }).click();
    await page.waitForURL('https://blog.example.com/');
    expect(redirects).toEqual([`/r/${linkId}`]);
    expect(problems).toEqual([]);
  });

  it('sends a view (accepted) and a positioned click from the tracker, with no console error or CSP violation', async () => {
    const { page, context, problems } = await visitorPage({ javaScriptEnabled: true, width: 390, height: 844 });
    // Beacons as the browser sends them (the click's goes out while the page navigates away, so it
    // is watched on the context), and ingest's answers to those of the live page.
    const beacons: { t: string; l?: string }[] = [];
    const answers: number[] = [];
    context.on('request', (request) => {
      if (new URL(request.url()).pathname === '/e') beacons.push(JSON.parse(request.postData() ?? '{}') as { t: string; l?: string });
    });
    page.on('response', (response) => {
      if (new URL(response.url()).pathname === '/e') answers.push(response.status());
    });
    await page.goto(`${site.origin}/@${handle}`);
    await expect.poll(() => answers.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    expect(beacons[0]).toMatchObject({ t: 'view' });
    expect(answers[0]).toBe(202);
    await page.screenshot({ path: path.join(ARTIFACTS, 'public-page-mobile.png'), fullPage: true });
    await page.getByRole('link', { name: 'My blog' }).click();
    await page.waitForURL('https://blog.example.com/');
    await expect.poll(() => beacons.find((beacon) => beacon.t === 'click'), { timeout: 10_000 }).toMatchObject({ l: linkId });
    expect(problems).toEqual([]);
  });

  it('fits 320 px without sideways scrolling, and looks right on a desktop', async () => {
    const narrow = await visitorPage({ javaScriptEnabled: false, width: 320, height: 640 });
    await narrow.page.goto(`${site.origin}/@${handle}`);
    expect(await narrow.page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(320);
    const desktop = await visitorPage({ javaScriptEnabled: true, width: 1280, height: 800 });
    await desktop.page.goto(`${site.origin}/@${handle}`);
    await desktop.page.screenshot({ path: path.join(ARTIFACTS, 'public-page-desktop.png'), fullPage: true });
    expect([...narrow.problems, ...desktop.problems]).toEqual([]);
  });
});
