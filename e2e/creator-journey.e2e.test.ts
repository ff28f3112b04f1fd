// The whole product in a real browser (Debian's Chromium, headless), on one Linkpulse process with
// every role: embedded defaults locally, the real services in CI (REQUIRE_SERVICES=1). A creator signs
// up, confirms the address from the mail, creates a page, adds links (one a GitHub repository, served by the fake GitHub), moves the card
// first with the keyboard only, and publishes; visitors open the page in fresh browser contexts and
// click links at known positions; the creator's own visit is not counted; the dashboard then shows
// those views and clicks (through ingest, the bus, the consumers and ClickHouse), the top link, the
// device class and heatmap cells over the clicked link; the CSV exports contain them. The public page
// also works with JavaScript off. Then an account that recovers: confirmed by mail, a forgotten
// password reset from the mail, two-factor on, a log-in with a code (mail read from Mailpit on the real
// services). A team: the owner invites an editor and an analyst by mail, each accepts, the editor
// changes a link, the analyst reads the analytics and has no editor, the log shows the editor's
// change, and a dashboard the owner shares opens in a signed-out browser. Webhooks and an A/B test: a
// creator registers an endpoint (a receiver in this test) in the Webhooks tab, publishing sends signed
// deliveries an independent verifier accepts, and an A/B link sends fresh visitors to both
// destinations, which the analytics page then shows per variant. No page logs a console
// error or a CSP violation. Screenshots go to artifacts/ (not committed) for a reviewer.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { generate } from 'otplib';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../lib/paths.js';
import { allRealServices, realServicesEnv, type RealServicesEnv } from '../lib/testing/real-services.js';
import { describeWithService, testConfig } from '../lib/testing/services.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';
import { uniqueName, waitFor } from '../lib/testing/wait-for.js';
import { startFakeGitHub, type FakeGitHub } from '../lib/testing/fake-github.js';
import { verifyWithPython } from '../lib/testing/standard-webhooks-verifier.js';

const ARTIFACTS = path.join(PROJECT_ROOT, 'artifacts');
const IPHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
};
const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 900 },
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
};

/** Where the real-services run gets its services from; locally, embedded defaults. */
const onRealServices = testConfig.requireServices || allRealServices.configured;

describeWithService('a creator’s journey and their visitors, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  let github: FakeGitHub;
  let real: RealServicesEnv | undefined;
  /** Where the links lead: a local site standing in for the outside world, which may be unreachable. */
  let landing: Server;
  let landingOrigin: string;
  /** A webhook receiver: every delivery it got, with its headers and body. */
  let receiver: Server;
  let receiverUrl: string;
  const received: { headers: Record<string, string | undefined>; body: string }[] = [];
  /** Console errors, page errors, CSP violations and failed requests of every page, with where they happened. */
  const problems: string[] = [];

  async function newContext(options: BrowserContextOptions = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ ...options, acceptDownloads: true });
    context.on('page', watch);
    return context;
  }

  function watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400 && new URL(response.url()).origin === site.origin) problems.push(`${response.status()} ${response.request().method()} ${response.url()}`);
    });
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    landing = createServer((_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Landed</title><h1>Landed</h1>'));
    await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
    landingOrigin = `http://localhost:${(landing.address() as AddressInfo).port}`;
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const header = (name: string) => request.headers[name] as string | undefined;
        received.push({
          headers: { 'webhook-id': header('webhook-id'), 'webhook-timestamp': header('webhook-timestamp'), 'webhook-signature': header('webhook-signature') },
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    github = await startFakeGitHub();
    github.add({ owner: 'linkpulse', name: 'pulse', description: 'Privacy-first link analytics', language: 'TypeScript', stars: 1234, forks: 56, topics: ['analytics'], pushedAt: '2026-11-23T08:00:00Z' });
    real = onRealServices ? await realServicesEnv('e2e') : undefined;
    // Five accounts sign up and log in from this one address within a few minutes: more than the
    // per-address budget of credential requests a real visitor needs.
    site = await startSite('e2e', ['api', 'ingest', 'consumers', 'scheduler', 'dashboard'], { GITHUB_API_URL: github.url, AUTH_RATE_LIMIT_PER_MINUTE: '100',
      // The webhook receiver is this machine's.
      WEBHOOK_ALLOW_LOOPBACK: 'true',
      ...real?.env,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
    await real?.drop();
    await github?.close();
    await new Promise((resolve) => landing?.close(resolve));
    await new Promise((resolve) => receiver?.close(resolve));
  });

  it('sign up → page → links → keyboard reorder → publish → visitors click → dashboard figures, heatmap, CSV', async () => {
    const { origin } = site;
    const handle = uniqueName('e2e').replaceAll('_', '-').slice(0, 30);
    const email = `${handle}@example.com`;

    // ── The creator: sign up, create a page (a draft), add three links.
    const creatorContext = await newContext(DESKTOP);
    const creator = await creatorContext.newPage();
    await creator.goto(`${origin}/signup`);
    await creator.getByLabel('Email').fill(email);
    await creator.getByLabel(/^Password/).fill('a long enough passphrase');
    await creator.getByRole('button', { name: 'Create account' }).click();
    // The confirmation mail (read from Mailpit on the real services, else the outbox) signs in.
    await creator.getByText('Check your inbox').waitFor();
    await creator.goto(linkIn(await site.mailTo(email, /Confirm your Linkpulse address/), origin, '/verify-email'));
    await creator.waitForURL(`${origin}/dashboard`);
    await creator.getByLabel(/^Handle/).fill(handle);
    await creator.getByText(`@${handle} is free.`).waitFor();
    await creator.getByLabel('Display name').fill('Ada Journey');
    await creator.getByRole('button', { name: 'Create page' }).click();
    await creator.getByRole('heading', { name: `Edit @${handle}` }).waitFor();
    const profileId = new URL(creator.url()).pathname.split('/')[2]!;

    await creator.getByLabel('Bio').fill('Building developer tools in the open.');
    await creator.getByRole('button', { name: 'Save profile' }).click();
    await creator.getByText('Saved.').waitFor();

    const list = creator.getByRole('list', { name: 'Your links, in page order' });
    for (const [title, url] of [
      ['Docs', `${landingOrigin}/docs`],
      ['Blog', `${landingOrigin}/blog`],
      ['Pulse', 'https://github.com/linkpulse/pulse'],
    ] as const) {
      await creator.getByLabel('Title', { exact: true }).fill(title);
      await creator.getByLabel(/^URL/).fill(url);
      if (url.includes('github.com')) await creator.getByText('Recognised as a GitHub repository').waitFor();
      await creator.getByRole('button', { name: 'Add link' }).click();
      await list.getByRole('button', { name: `Edit ${title}` }).waitFor();
    }
    // The card fills from the (fake) GitHub within seconds, in the list and in the live preview.
    await list.getByRole('article', { name: 'linkpulse/pulse on GitHub' }).getByText('★ 1.2K').waitFor({ timeout: 30_000 });
    await creator.getByRole('complementary', { name: 'Live preview' }).getByText('★ 1.2K').waitFor();

    // ── Keyboard only: Tab to the card's move handle, then two presses of ↑ make it first.
    await creator.getByRole('button', { name: 'Add link' }).focus();
    let reached = false;
    for (let presses = 0; presses < 40 && !reached; presses++) {
      await creator.keyboard.press('Tab');
      reached = await creator.evaluate("document.activeElement?.getAttribute('aria-label')?.startsWith('Move Pulse') ?? false");
    }
    expect(reached).toBe(true);
    await creator.keyboard.press('ArrowUp');
    await creator.keyboard.press('ArrowUp');
    await creator.getByText('Pulse: position 1 of 3.').waitFor();
    await expect.poll(() => creator.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('Move Pulse (position 1 of 3)');
    const titles = async () =>
      ((await (await creator.request.get(`${origin}/api/v1/profiles/${profileId}/links`)).json()) as { links: { id: string; title: string }[] }).links;
    await waitFor(async () => (await titles()).map((link) => link.title).join() === 'Pulse,Docs,Blog', { what: 'the new order to be saved', intervalMs: 500 });
    const linkIds = Object.fromEntries((await titles()).map((link) => [link.title, link.id])) as Record<'Docs' | 'Blog' | 'Pulse', string>;

    // Publish with the keyboard too: the switch takes Space.
    await creator.getByRole('switch', { name: 'Published' }).focus();
    await creator.keyboard.press('Space');
    await creator.getByText('Visible to everyone at').waitFor();
    await creator.screenshot({ path: path.join(ARTIFACTS, 'editor-desktop.png'), fullPage: true });

    // The creator's own visit is marked internal (the dashboard set the owner marker): not counted.
    const own = await creatorContext.newPage();
    await own.goto(`${origin}/@${handle}`);
    await own.getByRole('heading', { name: 'Ada Journey' }).waitFor();
    await own.close();

    // ── Visitors, each in a fresh context: a desktop view, then three phone views with a click each.
    const desktopContext = await newContext(DESKTOP);
    const desktop = await desktopContext.newPage();
    await desktop.goto(`${origin}/@${handle}`);
    await desktop.getByRole('link', { name: 'Docs' }).waitFor();
    await desktop.screenshot({ path: path.join(ARTIFACTS, 'public-page-desktop.png'), fullPage: true });
    await desktopContext.close();

    const phoneContext = await newContext(IPHONE);
    const phone = await phoneContext.newPage();
    /** Opens the page (a view) and clicks a quarter of the way across the link, halfway down (a click). */
    const visitAndClick = async (title: 'Docs' | 'Blog') => {
      await phone.goto(`${origin}/@${handle}`);
      const link = phone.locator(`a[data-lp-link="${linkIds[title]}"]`);
      const box = (await link.boundingBox())!;
      // The redirect counts the click and leads to the link's site.
      const redirect = phone.waitForResponse((response) => new URL(response.url()).pathname === `/r/${linkIds[title]}`);
      await phone.mouse.click(box.x + box.width / 4, box.y + box.height / 2);
      expect((await redirect).status()).toBe(302);
      await phone.waitForURL(`${landingOrigin}/${title.toLowerCase()}`);
    };
    await phone.goto(`${origin}/@${handle}`);
    await phone.screenshot({ path: path.join(ARTIFACTS, 'public-page-mobile.png'), fullPage: true });
    await visitAndClick('Docs');
    await visitAndClick('Docs');
    await visitAndClick('Blog');
    await phoneContext.close();
    // 1 desktop view + 4 phone views (the screenshot's and three before clicks); 3 clicks.
    const expected = { views: 5, clicks: 3 };

    // ── Through the pipeline: the API has the figures within seconds.
    const summaryUrl = `${origin}/api/v1/profiles/${profileId}/analytics/summary`;
    await waitFor(
      async () => {
        const response = await creator.request.get(summaryUrl);
        if (!response.ok()) throw new Error(`summary: ${response.status()} ${await response.text()}`);
        const { current } = (await response.json()) as { current: { views: number; clicks: number } };
        return current.views === expected.views && current.clicks === expected.clicks;
      },
      { what: 'the visits to reach ClickHouse', timeoutMs: 90_000, intervalMs: 1_000 },
    );

    // ── The dashboard shows them.
    await creator.goto(`${origin}/dashboard/${profileId}/analytics`);
    // Every panel loads on its own; the page is done when none is busy.
    await creator.locator('section.panel').first().waitFor();
    await expect.poll(() => creator.locator('section.panel[aria-busy="true"]').count(), { timeout: 30_000 }).toBe(0);
    const kpi = (label: string) => creator.locator('#overview .kpi').filter({ has: creator.locator('dt', { hasText: new RegExp(`^${label}$`) }) }).locator('dd.value');
    expect(await kpi('Views').textContent()).toBe(String(expected.views));
    expect(await kpi('Clicks').textContent()).toBe(String(expected.clicks));
    expect(await kpi('Unique visitors').textContent()).toBe('2');
    const topLink = creator.locator('#links tbody tr').first();
    expect(await topLink.locator('th').textContent()).toContain('Docs');
    expect(await topLink.locator('td').first().textContent()).toBe('2');
    expect(await creator.locator('#devices').textContent()).toContain('Mobile');

    // Heatmap, mobile: every cell lies over the link that was clicked there, in the live render.
    const heatmap = creator.locator('#heatmap');
    await heatmap.getByRole('button', { name: 'Mobile' }).click();
    await heatmap.locator('.cell').first().waitFor();
    const cells = await Promise.all(
      (await heatmap.locator('.cell').all()).map(async (cell) => {
        const box = (await cell.boundingBox())!;
        return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
      }),
    );
    const linkBox = async (id: string) => (await heatmap.locator(`a[data-lp-link="${id}"]`).boundingBox())!;
    const targets = [await linkBox(linkIds.Docs), await linkBox(linkIds.Blog)];
    expect(cells.length).toBeGreaterThanOrEqual(2);
    for (const cell of cells) {
      expect(targets.some((box) => cell.x >= box.x && cell.x <= box.x + box.width && cell.y >= box.y && cell.y <= box.y + box.height)).toBe(true);
    }
    await creator.screenshot({ path: path.join(ARTIFACTS, 'analytics-journey-desktop.png'), fullPage: true });

    // ── CSV downloads of the current view: per day and link, and raw events with hashed visitors.
    const download = async (name: string) => {
      const [file] = await Promise.all([creator.waitForEvent('download'), creator.getByRole('link', { name }).click()]);
      return readFile(await file.path(), 'utf8');
    };
    const daily = (await download('Download CSV')).trim().split(/\r\n/);
    expect(daily[0]).toBe('day,link_id,link_title,views,visitors,clicks');
    const clicksOf = (id: string) => daily.filter((row) => row.split(',')[1] === id).reduce((sum, row) => sum + Number(row.split(',')[5]), 0);
    expect(daily.find((row) => row.split(',')[1] === linkIds.Docs)?.split(',')[2]).toBe('Docs');
    expect(clicksOf(linkIds.Docs)).toBe(2);
    expect(clicksOf(linkIds.Blog)).toBe(1);
    const events = (await download('Raw events (CSV)')).trim().split(/\r\n/);
    const header = events[0]!.split(',');
    const rows = events.slice(1).map((row) => Object.fromEntries(row.split(',').map((value, index) => [header[index]!, value])) as Record<string, string>);
    expect(rows.filter((row) => row.event_type === 'click' && row.link_id === linkIds.Docs)).toHaveLength(2);
    expect(header).not.toContain('ip');
    expect(new Set(rows.map((row) => row.visitor_id)).size).toBeGreaterThanOrEqual(2);
    await creatorContext.close();

    // ── Without JavaScript the page is whole, and its links still count (server-side redirect).
    const noScript = await browser.newContext({ ...IPHONE, javaScriptEnabled: false });
    const plain = await noScript.newPage();
    watch(plain);
    await plain.goto(`${origin}/@${handle}`);
    expect(await plain.getByRole('heading', { level: 1 }).textContent()).toBe('Ada Journey');
    expect(await Promise.all((await plain.locator('a[data-lp-link]').all()).map((link) => link.getAttribute('href')))).toEqual(
      [linkIds.Pulse, linkIds.Docs, linkIds.Blog].map((id) => `/r/${id}`),
    );
    await noScript.close();

    expect(problems).toEqual([]);
  }, 300_000);

  it('an account that recovers: sign up and confirm by mail → forget the password → reset it from the mail → two-factor on → log in with a code → a theme and social icons → publish → the Open Graph image', async () => {
    const { origin } = site;
    const email = `${uniqueName('recover')}@example.com`;
    const context = await newContext(DESKTOP);
    const page = await context.newPage();
    await page.goto(`${origin}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill('a long enough passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your inbox').waitFor();
    await page.goto(linkIn(await site.mailTo(email, /Confirm your Linkpulse address/), origin, '/verify-email'));
    await page.waitForURL(`${origin}/dashboard`);
    // Loaded (signed in) before the cookies go, so its own requests are not the ones refused.
    await page.getByText('No page yet').waitFor();
    await context.clearCookies();

    // Forgotten: the reset link comes by mail and signs in with the new password.
    await page.goto(`${origin}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    // The log-in page has an Email field too: fill the reset page's, once it is there.
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(email);
    const [asked] = await Promise.all([
      page.waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/auth/password-reset'),
      page.getByRole('button', { name: 'Send the link' }).click(),
    ]);
    expect(asked.status(), await asked.text()).toBe(202);
    await page.getByText(`If an account uses ${email}`).waitFor();
    await page.goto(linkIn(await site.mailTo(email, /Reset your Linkpulse password/), origin, '/reset-password'));
    await page.getByLabel('New password').fill('seven new lanterns by the harbour');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.waitForURL(`${origin}/dashboard`);

    // Two-factor on, from the settings, with a code from the key the page shows.
    await page.goto(`${origin}/dashboard/settings`);
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const key = (await page.locator('.key code').textContent())!.replace(/\s/g, '');
    await page.getByLabel('Code from the app').fill(await generate({ secret: key }));
    await page.locator('#two-factor-enable-password').fill('seven new lanterns by the harbour');
    await page.getByRole('button', { name: 'Turn on two-factor' }).click();
    await page.getByRole('list', { name: 'Recovery codes' }).waitFor();
    await context.clearCookies();

    // The next log-in asks for the code (the next time step's: each code works once).
    await page.goto(`${origin}/login`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('seven new lanterns by the harbour');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByLabel('Code from your authenticator app').fill(await generate({ secret: key, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await page.getByRole('button', { name: 'Verify and log in' }).click();
    await page.waitForURL(`${origin}/dashboard`);

    // A page worth sharing: a theme and social icons, published, and its Open Graph image served.
    const handle = uniqueName('share').replaceAll('_', '-').slice(0, 30);
    await page.getByLabel(/^Handle/).fill(handle);
    await page.getByText(`@${handle} is free.`).waitFor();
    await page.getByLabel('Display name').fill('Grace Shares');
    await page.getByRole('button', { name: 'Create page' }).click();
    await page.getByRole('heading', { name: `Edit @${handle}` }).waitFor();
    await page.getByText('Aurora', { exact: true }).click();
    await page.getByRole('button', { name: 'Add a social icon' }).click();
    await page.getByLabel('Address 1').fill('https://github.com/grace');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved.').waitFor();
    await page.getByRole('switch', { name: 'Published' }).check();
    await page.getByText(`Visible to everyone at`).waitFor();
    await page.goto(`${origin}/@${handle}`);
    await page.getByRole('link', { name: 'GitHub' }).waitFor();
    const image = await page.locator('meta[property="og:image"]').getAttribute('content');
    expect(image).toMatch(new RegExp(`^${origin}/og/${handle}/[0-9a-f]{32}\\.png$`));
    const served = await fetch(image!);
    expect({ status: served.status, type: served.headers.get('content-type') }).toEqual({ status: 200, type: 'image/png' });
    await context.close();
    expect(problems).toEqual([]);
  }, 180_000);

  /** A new account, signed up in the browser and confirmed from the mail: the context is signed in. */
  async function signUpConfirmed(context: BrowserContext, email: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(`${site.origin}/signup`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel(/^Password/).fill('a long enough passphrase');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your inbox').waitFor();
    await page.goto(linkIn(await site.mailTo(email, /Confirm your Linkpulse address/), site.origin, '/verify-email'));
    await page.waitForURL(`${site.origin}/dashboard`);
    return page;
  }

  it('a team: invitations by mail → the editor changes a link, the analyst reads → the log names the change → a shared dashboard opens signed out', async () => {
    const { origin } = site;
    const name = uniqueName('team').replaceAll('_', '-').slice(0, 24);
    const [ownerEmail, editorEmail, analystEmail] = ['owner', 'editor', 'analyst'].map((role) => `${name}-${role}@example.com`) as [string, string, string];

    // The owner: a page with a link, published.
    const ownerContext = await newContext(DESKTOP);
    const owner = await signUpConfirmed(ownerContext, ownerEmail);
    await owner.getByLabel(/^Handle/).fill(name);
    await owner.getByText(`@${name} is free.`).waitFor();
    await owner.getByLabel('Display name').fill('Team Page');
    await owner.getByRole('button', { name: 'Create page' }).click();
    await owner.getByRole('heading', { name: `Edit @${name}` }).waitFor();
    const profileId = new URL(owner.url()).pathname.split('/')[2]!;
    await owner.getByLabel('Title', { exact: true }).fill('Docs');
    await owner.getByLabel(/^URL/).fill(`${landingOrigin}/docs`);
    await owner.getByRole('button', { name: 'Add link' }).click();
    await owner.getByRole('list', { name: 'Your links, in page order' }).getByRole('button', { name: 'Edit Docs' }).waitFor();
    await owner.getByRole('switch', { name: 'Published' }).check();
    await owner.getByText('Visible to everyone at').waitFor();

    // The other two have accounts; the owner invites them from the Team tab.
    const editorContext = await newContext(DESKTOP);
    const editor = await signUpConfirmed(editorContext, editorEmail);
    const analystContext = await newContext(IPHONE);
    const analyst = await signUpConfirmed(analystContext, analystEmail);
    await owner.goto(`${origin}/dashboard/${profileId}/team`);
    for (const [email, role] of [
      [editorEmail, 'editor'],
      [analystEmail, 'analyst'],
    ] as const) {
      await owner.getByLabel('Email address').fill(email);
      await owner.getByText(role, { exact: true }).click();
      await owner.getByRole('button', { name: 'Send the invitation' }).click();
      await owner.getByRole('status').filter({ hasText: `Invitation sent to ${email}` }).waitFor();
    }

    // Each takes the mailed link: the editor lands in the editor and renames the link.
    await editor.goto(linkIn(await site.mailTo(editorEmail, /invited you to Team Page/), origin, '/invitations/accept'));
    await editor.getByRole('heading', { name: `Edit @${name}` }).waitFor();
    await editor.getByRole('button', { name: 'Edit Docs' }).click();
    await editor.getByLabel('Title', { exact: true }).last().fill('Docs, by the editor');
    await editor.getByRole('button', { name: 'Save link' }).click();
    await editor.getByRole('button', { name: 'Edit Docs, by the editor' }).waitFor();
    const linkTitle = async () => ((await (await owner.request.get(`${origin}/api/v1/profiles/${profileId}/links`)).json()) as { links: { title: string }[] }).links[0]?.title;
    await expect.poll(linkTitle).toBe('Docs, by the editor');

    // The analyst lands on the analytics, which load; there is no editor for them.
    await analyst.goto(linkIn(await site.mailTo(analystEmail, /invited you to Team Page/), origin, '/invitations/accept'));
    await analyst.waitForURL(`${origin}/dashboard/${profileId}/analytics`);
    await analyst.locator('section.panel').first().waitFor();
    await expect.poll(() => analyst.locator('section.panel[aria-busy="true"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await analyst.locator('section.panel .error').count()).toBe(0);
    expect(await analyst.getByRole('navigation', { name: 'Profile' }).getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await analyst.goto(`${origin}/dashboard/${profileId}`);
    await analyst.waitForURL(`${origin}/dashboard/${profileId}/analytics`);
    await analyst.screenshot({ path: path.join(ARTIFACTS, 'team-analyst-mobile.png'), fullPage: true });

    // The owner's activity log names the editor's change, before and after.
    await owner.goto(`${origin}/dashboard/${profileId}/activity`);
    const change = owner
      .getByRole('list', { name: 'Changes, newest first' })
      .getByRole('listitem')
      .filter({ hasText: `By ${editorEmail}` })
      .filter({ hasText: 'Link “Docs, by the editor” updated' });
    await change.waitFor();
    expect(await change.textContent()).toContain('Docs → Docs, by the editor');

    // The owner shares the overview and the top links; a signed-out browser opens the link.
    await owner.goto(`${origin}/dashboard/${profileId}/share`);
    await owner.getByLabel('Name').fill('Sponsors');
    for (const panel of ['Bots filtered out', 'Countries and cities', 'Devices, browsers, systems', 'Sources (channels, sites, QR scans)', 'Campaigns (UTM)', 'Click heatmap', 'Realtime', 'Views and clicks over time']) {
      await owner.getByLabel(panel).uncheck();
    }
    await owner.getByRole('button', { name: 'Create the link' }).click();
    const shareUrl = await owner.getByLabel('Link of Sponsors').inputValue();
    expect(shareUrl).toMatch(new RegExp(`^${origin}/share/[A-Za-z0-9_-]{32}$`));
    const strangerContext = await newContext(IPHONE);
    const stranger = await strangerContext.newPage();
    await stranger.goto(shareUrl);
    await stranger.getByRole('heading', { name: 'Sponsors' }).waitFor();
    await expect.poll(() => stranger.locator('section.panel').count(), { timeout: 30_000 }).toBe(2);
    await expect.poll(() => stranger.locator('section.panel[aria-busy="true"]').count(), { timeout: 30_000 }).toBe(0);
    expect(await stranger.locator('section.panel .error').count()).toBe(0);
    expect(await stranger.locator('#overview').textContent()).toContain('No views in this period yet');
    expect(await stranger.locator('#links').count()).toBe(1);
    expect(await stranger.locator('meta[name="robots"]').getAttribute('content')).toBe('noindex, nofollow');
    await stranger.screenshot({ path: path.join(ARTIFACTS, 'shared-dashboard-mobile.png'), fullPage: true });

    // The log has the sharing too.
    await owner.goto(`${origin}/dashboard/${profileId}/activity`);
    await owner.getByText('Dashboard “Sponsors” shared').waitFor();
    for (const context of [ownerContext, editorContext, analystContext, strangerContext]) await context.close();
    expect(problems).toEqual([]);
  }, 240_000);

  it('webhooks and an A/B test: an endpoint in the Webhooks tab → publishing sends a signed delivery → an A/B link splits fresh visitors → both variants in analytics', async () => {
    const { origin } = site;
    const name = uniqueName('hooks').replaceAll('_', '-').slice(0, 24);
    const creatorContext = await newContext(DESKTOP);
    const creator = await signUpConfirmed(creatorContext, `${name}@example.com`);
    await creator.getByLabel(/^Handle/).fill(name);
    await creator.getByText(`@${name} is free.`).waitFor();
    await creator.getByLabel('Display name').fill('Hooked Page');
    await creator.getByRole('button', { name: 'Create page' }).click();
    await creator.getByRole('heading', { name: `Edit @${name}` }).waitFor();
    const profileId = new URL(creator.url()).pathname.split('/')[2]!;

    // ── A webhook endpoint: the receiver in this test, on this machine (WEBHOOK_ALLOW_LOOPBACK).
    await creator.goto(`${origin}/dashboard/${profileId}/webhooks`);
    await creator.getByRole('button', { name: 'Add endpoint' }).click();
    await creator.getByLabel('Endpoint URL').fill(`${receiverUrl}/hooks`);
    await creator.getByText('profile.published', { exact: true }).click();
    await creator.getByText('link.created', { exact: true }).click();
    await creator.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = await creator.getByRole('textbox', { name: 'Signing secret' }).inputValue();
    expect(secret).toMatch(/^whsec_/);
    await creator.getByRole('button', { name: 'I have copied it' }).click();

    // ── Publishing (and a link) sends signed deliveries, which an independent verifier accepts.
    await creator.goto(`${origin}/dashboard/${profileId}`);
    await creator.getByLabel('Title', { exact: true }).fill('Try it');
    await creator.getByLabel(/^URL/).fill(`${landingOrigin}/try-a`);
    await creator.getByRole('button', { name: 'Add link' }).click();
    await creator.getByRole('list', { name: 'Your links, in page order' }).getByRole('button', { name: 'Edit Try it' }).waitFor();
    await creator.getByRole('switch', { name: 'Published' }).check();
    await creator.getByText('Visible to everyone at').waitFor();
    await expect.poll(() => received.map((delivery) => (JSON.parse(delivery.body) as { type: string }).type).sort(), { timeout: 60_000 }).toEqual(['link.created', 'profile.published']);
    const verdicts = await verifyWithPython(received.map((delivery) => ({ secret, headers: delivery.headers, body: delivery.body })));
    expect(verdicts).toEqual([{ ok: true }, { ok: true }]);
    const published = received.map((delivery) => JSON.parse(delivery.body) as { type: string; data: { profile?: { handle?: string } } }).find((body) => body.type === 'profile.published')!;
    expect(JSON.stringify(published.data)).toContain(name);
    // The endpoint's page shows them delivered.
    await creator.goto(`${origin}/dashboard/${profileId}/webhooks`);
    await creator.getByRole('link', { name: `${receiverUrl}/hooks` }).click();
    const deliveryList = creator.getByRole('list', { name: 'Deliveries, newest first' });
    await expect.poll(() => deliveryList.getByText('Delivered').count(), { timeout: 30_000 }).toBe(2);
    await creator.screenshot({ path: path.join(ARTIFACTS, 'webhook-endpoint-desktop.png'), fullPage: true });

    // ── An A/B test of the link: half the visitors to /try-a, half to /try-b.
    await creator.goto(`${origin}/dashboard/${profileId}`);
    await creator.getByRole('button', { name: 'A/B test of Try it' }).click();
    const abSection = creator.getByRole('region', { name: 'A/B test' });
    await abSection.getByLabel('Destination URL').nth(1).fill(`${landingOrigin}/try-b`);
    await abSection.getByRole('button', { name: 'Split evenly' }).click();
    await abSection.getByRole('button', { name: 'Start the test' }).click();
    await abSection.getByText('Running').waitFor();

    // Fresh visitors (each its own browser, so its own visitor id) open the page and click the link,
    // until both destinations have had visitors; where each landed is the oracle.
    const landed = { A: 0, B: 0 };
    for (let visitor = 0; visitor < 40 && (landed.A < 2 || landed.B < 2); visitor++) {
      const context = await newContext({ ...DESKTOP, userAgent: DESKTOP.userAgent!.replace('Chrome/142.0.0.0', `Chrome/142.0.${visitor}.0`) });
      const page = await context.newPage();
      await page.goto(`${origin}/@${name}`);
      await page.getByRole('link', { name: /Try it/ }).click();
      await page.waitForURL(/\/try-[ab]$/);
      landed[page.url().endsWith('/try-a') ? 'A' : 'B']++;
      await context.close();
    }
    expect(landed.A).toBeGreaterThanOrEqual(2);
    expect(landed.B).toBeGreaterThanOrEqual(2);

    // The API counts each variant's clicks exactly (through ingest, the bus, the consumers and
    // ClickHouse), and the analytics page's A/B panel shows both.
    const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
    const variantClicks = async () => {
      const response = await creator.request.get(`${origin}/api/v1/profiles/${profileId}/analytics/ab-tests?${range}`);
      const body = (await response.json()) as { tests: { variants: { variant: number; clicks: number }[] }[] };
      const variants = body.tests[0]?.variants ?? [];
      return { A: variants.find((item) => item.variant === 1)?.clicks ?? 0, B: variants.find((item) => item.variant === 2)?.clicks ?? 0 };
    };
    await expect.poll(variantClicks, { timeout: 90_000 }).toEqual(landed);
    await creator.goto(`${origin}/dashboard/${profileId}/analytics`);
    const abPanel = creator.locator('#ab-tests');
    await abPanel.waitFor();
    await abPanel.scrollIntoViewIfNeeded();
    for (const variant of ['A', 'B'] as const) {
      const row = abPanel.getByRole('row', { name: new RegExp(`^${variant} `) });
      await row.waitFor({ timeout: 30_000 });
      expect((await row.getByRole('cell').allTextContents())[1]?.trim()).toBe(String(landed[variant]));
    }
    await creator.screenshot({ path: path.join(ARTIFACTS, 'ab-test-analytics-desktop.png'), fullPage: true });
    await creatorContext.close();
    expect(problems).toEqual([]);
  }, 240_000);
});
