// The analytics page in headless Chromium, against a whole process (api + dashboard roles on
// embedded defaults) whose ClickHouse holds a small, hand-counted set of events: the page shows
// exactly those figures, reads every panel in at most 5 API requests per load and per filter change
// (one batched, streamed read; realtime; the session), filters by a country and back, draws the map
// and the heatmap once they are scrolled to, downloads the CSV, shows its empty states for a profile
// without traffic, and runs without a CSP violation, a console error or a request to another origin.
// Screenshots go to artifacts/ (ignored by git).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, signedInPage, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';

const NO_LINK = '00000000-0000-0000-0000-000000000000';
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Seed {
  type: 'view' | 'click' | 'click_position';
  at: number;
  /** The hashed visitor id (a UInt64). */
  visitor: number;
  country: 'DE' | 'US';
  device?: 'mobile' | 'desktop';
  link?: string;
  bot?: boolean;
  x?: number;
  y?: number;
}

/** A row of ClickHouse's events table, as the consumers write it (lib/events/analytics-row.ts). */
function eventRow(profileId: string, seed: Seed) {
  return {
    event_id: randomUUID(),
    event_type: seed.type,
    source: seed.type === 'click' ? 'redirect' : 'beacon',
    timestamp: seed.at,
    profile_id: profileId,
    link_id: seed.link ?? NO_LINK,
    click_id: NO_LINK,
    // Hashed with the UTC day, as ingest's daily salt makes ids: the same person on two days is two ids.
    visitor_id: String(Math.floor(seed.at / DAY) * 1000 + seed.visitor),
    is_bot: seed.bot ? 1 : 0,
    bot_kind: seed.bot ? 'crawler' : '',
    is_internal: 0,
    country: seed.country,
    region: '',
    city: seed.country === 'DE' ? 'Berlin' : 'New York',
    device: seed.device ?? 'mobile',
    browser: seed.device === 'desktop' ? 'Firefox' : 'Chrome',
    os: seed.device === 'desktop' ? 'Linux' : 'Android',
    referrer_domain: seed.country === 'DE' ? 'news.ycombinator.com' : '',
    channel: seed.country === 'DE' ? 'hacker_news' : 'direct',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    click_x: seed.x ?? 0,
    click_y: seed.y ?? 0,
    viewport_width: 390,
    viewport_height: 844,
    time_to_click_ms: seed.type === 'click_position' ? 2000 : 0,
  };
}

/**
 * Distinct visitors of some seeds as the analytics count them: a visitor seen on two UTC days is two
 * (visitor ids carry their day's salt), so a count over hours that cross midnight depends on the clock.
 */
function visitorsOf(seeds: readonly Seed[]): number {
  return new Set(seeds.map((seed) => `${Math.floor(seed.at / DAY)}:${seed.visitor}`)).size;
}

/**
 * The traffic, counted by hand. In the last two days: 12 human views from 9 visitors (100…108; 7 views
 * from Germany, 5 from the US), 5 clicks (3 on Docs from German visitors 100-102, 2 on Blog from one US
 * visitor 107: 4 unique clicks), 4 click positions on mobile and 3 bot views. Nine days ago (the
 * previous period): 4 views from Germany.
 */
function traffic(now: number, links: { docs: string; blog: string }): Seed[] {
  const seeds: Seed[] = [];
  for (let i = 0; i < 12; i++) {
    seeds.push({ type: 'view', at: now - i * 3 * HOUR - 2 * MINUTE, visitor: 100 + (i % 9), country: i < 7 ? 'DE' : 'US', device: i % 2 === 0 ? 'mobile' : 'desktop' });
  }
  for (let i = 0; i < 3; i++) {
    seeds.push({ type: 'click', at: now - i * 3 * HOUR - MINUTE, visitor: 100 + i, country: 'DE', link: links.docs });
    seeds.push({ type: 'click_position', at: now - i * 3 * HOUR - MINUTE, visitor: 100 + i, country: 'DE', link: links.docs, x: 0.3 + i * 0.2, y: 250 });
  }
  seeds.push({ type: 'click', at: now - 21 * HOUR, visitor: 107, country: 'US', link: links.blog });
  seeds.push({ type: 'click', at: now - 21 * HOUR + MINUTE, visitor: 107, country: 'US', link: links.blog });
  seeds.push({ type: 'click_position', at: now - 21 * HOUR, visitor: 107, country: 'US', link: links.blog, x: 0.5, y: 320 });
  for (let i = 0; i < 3; i++) seeds.push({ type: 'view', at: now - (i + 1) * HOUR, visitor: 200 + i, country: 'US', device: 'desktop', bot: true });
  for (let i = 0; i < 4; i++) seeds.push({ type: 'view', at: now - 9 * 24 * HOUR - i * HOUR, visitor: 300 + i, country: 'DE' });
  return seeds;
}

/** Every panel has its data (or its error or empty state): none is busy. */
async function panelsSettled(page: Page) {
  // Locators, not waitForFunction: the page's CSP rightly refuses the eval that would need.
  await page.locator('section.panel').nth(10).waitFor({ timeout: 30_000 });
  await page.locator('section.panel[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 30_000 });
}

const kpi = (page: Page, label: string) =>
  page
    .locator('#overview .kpi')
    .filter({ has: page.getByText(label, { exact: true }) })
    .locator('.value');

describeWithService('The analytics page, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    // The default per-user budget: a view is one request now, so the test's reloads stay well within it.
    site = await startSite('analytics', ['api', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    await mkdir('artifacts', { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  it('shows the seeded figures, filters by a country, draws the map and heatmap, and exports CSV', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true, displayName: 'Ada Analytics', bio: 'Numbers, privately.' });
    const docs = (await creator.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' })).id;
    const blog = (await creator.newLink(profile.id, { title: 'Blog', url: 'https://example.com/blog' })).id;
    await creator.newLink(profile.id, { title: 'Talks', url: 'https://example.com/talks' });
    const seeds = traffic(Date.now(), { docs, blog });
    await site.running.platform.clickhouse!.insert(
      'events',
      seeds.map((seed) => eventRow(profile.id, seed)),
    );
    // 9 visitors and 4 clickers when the last 33 hours lie on one UTC day; more when they cross midnight.
    const recentHumans = seeds.filter((seed) => !seed.bot && seed.at > Date.now() - 2 * DAY && seed.type !== 'click_position');
    const expectedVisitors = visitorsOf(recentHumans);
    const expectedClickers = visitorsOf(recentHumans.filter((seed) => seed.type === 'click'));

    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);
    const consoleErrors: string[] = [];
    const foreignRequests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    const failedResponses: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400) failedResponses.push(`${response.status()} ${response.url()}`);
    });
    const apiRequests: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.origin !== origin) foreignRequests.push(request.url());
      else if (url.pathname.startsWith('/api/')) apiRequests.push(url.pathname);
    });
    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`${origin}/dashboard/${profile.id}/analytics`);
    await panelsSettled(page);

    // Every panel has its data (none shows an error or is still a skeleton), from at most 5 requests:
    // the session and profiles, realtime, and one read of every other panel.
    expect(await page.locator('section.panel').count()).toBe(11);
    expect(await page.locator('section.panel .error').count()).toBe(0);
    expect(await page.locator('section.panel .skeleton').count()).toBe(0);
    expect(apiRequests.length, apiRequests.join('\n')).toBeLessThanOrEqual(5);
    expect(apiRequests.filter((path) => path.endsWith('/analytics/dashboard'))).toHaveLength(1);
    for (const id of ['devices', 'referrers', 'countries']) expect(await page.locator(`#${id} tbody tr`).count(), id).toBeGreaterThan(0);
    // The seeded traffic carries no UTM tags: that panel answered with its empty state.
    expect(await page.locator('#utm').textContent()).toContain('No campaign traffic in this period');

    expect(await kpi(page, 'Views').textContent()).toBe('12');
    expect(await kpi(page, 'Unique visitors').textContent()).toBe(String(expectedVisitors));
    expect(await kpi(page, 'Clicks').textContent()).toBe('5');
    expect(await kpi(page, 'Unique clicks').textContent()).toBe(String(expectedClickers));
    expect(await kpi(page, 'Click-through rate').textContent()).toBe('41.7%');
    // 12 views now against 4 in the previous period: too few before for a percentage to mean anything.
    expect(await page.locator('#overview .kpi').first().locator('.delta').textContent()).toMatch(/^—\s*only 4 in the previous period, too few to compare$/);

    // Today is not over: its bucket is drawn apart and named "so far", not read as a fall.
    expect(await page.locator('#timeseries path.line.views.open').count()).toBe(1);
    expect(await page.locator('#timeseries').textContent()).toContain('This day so far');

    // Top link: Docs, 3 clicks from 3 visitors, then Blog.
    const linkRows = page.locator('#links tbody tr');
    expect(await linkRows.first().locator('th').textContent()).toContain('Docs');
    expect(await linkRows.first().locator('td').first().textContent()).toBe('3');
    expect(await linkRows.nth(1).locator('th').textContent()).toContain('Blog');

    // The bot share: 3 of 20 views and clicks.
    expect(await page.locator('#bots .bot-share').textContent()).toContain('15%');
    // Realtime: the newest view was 2 minutes ago.
    expect(await page.locator('#realtime .active strong').textContent()).not.toBe('0');

    // The map colours Germany (a seeded country) and leaves a country without visitors grey; its
    // geometry loads once the map comes near the viewport.
    await page.locator('#countries').scrollIntoViewIfNeeded();
    await page.locator('#countries path[data-country="DE"]').waitFor();
    const fillOf = async (code: string) => String(await page.evaluate(`getComputedStyle(document.querySelector('#countries path[data-country="${code}"]')).fill`));
    // The neutral grey of the creator area's light theme (--lp-subtle-strong).
    expect(await fillOf('BR')).toBe('rgb(238, 241, 244)');
    expect(await fillOf('DE')).not.toBe(await fillOf('BR'));
    // In a dark system theme the page follows: light text, dark panels (the grey of empty countries too).
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate(`getComputedStyle(document.querySelector('h1')).color`)).toBe('rgb(230, 237, 243)');
    expect(await fillOf('BR')).toBe('rgb(33, 38, 45)');
    await page.emulateMedia({ colorScheme: 'light' });

    // The heatmap draws the mobile click cells over the page (rendered once scrolled near).
    await page.locator('#heatmap').scrollIntoViewIfNeeded();
    await page.locator('#heatmap svg.overlay .cell').first().waitFor();
    expect(await page.locator('#heatmap svg.overlay .cell').count()).toBe(4);
    expect(await page.locator('#heatmap').textContent()).toContain('4 tracked clicks');
    expect(await page.locator('#heatmap [data-lp-content]').textContent()).toContain('Docs');

    await page.screenshot({ path: 'artifacts/analytics-desktop.png', fullPage: true });

    // The CSV of the current view holds its per-day-and-link rows.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download CSV' }).click()]);
    const csv = await readFile(await download.path(), 'utf8');
    expect(csv.split('\n')[0]).toContain('link_id');
    expect(csv).toContain(docs);
    expect(csv).toContain(blog);

    // Filtering by Germany: a chip, Germany's figures everywhere (one more read of every panel), and
    // the chip's button removes it.
    apiRequests.length = 0;
    await page.locator('#countries table').getByRole('button', { name: /Germany/ }).click();
    const chip = page.getByRole('button', { name: /Remove filter Country/ });
    await chip.waitFor();
    // Chosen far down the page, the chip shows where the reader is (the bar sticks to the top).
    const box = await chip.boundingBox();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(page.viewportSize()!.height);
    expect(page.url()).toContain('country=DE');
    await panelsSettled(page);
    expect(apiRequests.filter((path) => !path.endsWith('/analytics/realtime')).length, apiRequests.join('\n')).toBeLessThanOrEqual(5);
    expect(apiRequests.filter((path) => path.endsWith('/analytics/dashboard'))).toHaveLength(1);
    await expect.poll(() => kpi(page, 'Views').textContent()).toBe('7');
    expect(await kpi(page, 'Clicks').textContent()).toBe('3');
    // One link was clicked from Germany; the page's other links follow with no clicks.
    expect(await page.locator('#links tbody tr td:first-of-type').allTextContents()).toEqual(['3', '0', '0']);
    await chip.click();
    await chip.waitFor({ state: 'detached' });
    await panelsSettled(page);
    await expect.poll(() => kpi(page, 'Views').textContent()).toBe('12');

    // A filtered view survives a reload (it lives in the URL).
    await page.goto(`${origin}/dashboard/${profile.id}/analytics?device=desktop`);
    await panelsSettled(page);
    expect(await page.getByRole('button', { name: /Remove filter Device/ }).count()).toBe(1);
    expect(await kpi(page, 'Views').textContent()).toBe('6');

    await page.goto(`${origin}/dashboard/${profile.id}/analytics`);
    await panelsSettled(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('#heatmap').scrollIntoViewIfNeeded();
    await page.locator('#heatmap svg.overlay .cell').first().waitFor();
    // Nothing wider than the phone's screen, once the charts have re-measured their boxes (a
    // ResizeObserver callback after the resize: until then they keep the desktop width).
    await expect.poll(() => page.evaluate('document.documentElement.scrollWidth'), { timeout: 10_000 }).toBeLessThanOrEqual(390);
    await page.screenshot({ path: 'artifacts/analytics-mobile.png', fullPage: true });

    expect(cspViolations).toEqual([]);
    expect(failedResponses).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
    await close();
  }, 120_000);

  it('is designed at 1440 and 390 px, light and dark, with data and without, with nothing axe rates serious', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const [name, value] = creator.cookie!.split('=') as [string, string];
    const empty = await creator.newProfile({ published: true, displayName: 'No Traffic Yet' });
    const busy = await creator.newProfile({ published: true, displayName: 'Ada Screens', pageTheme: 'aurora' });
    const docs = (await creator.newLink(busy.id, { title: 'Docs', url: 'https://example.com/docs' })).id;
    const blog = (await creator.newLink(busy.id, { title: 'Blog', url: 'https://example.com/blog' })).id;
    await site.running.platform.clickhouse!.insert(
      'events',
      traffic(Date.now(), { docs, blog }).map((seed) => eventRow(busy.id, seed)),
    );
    for (const [label, profile] of [
      ['analytics', busy],
      ['analytics-empty', empty],
    ] as const) {
      for (const width of SCREEN_WIDTHS) {
        for (const scheme of COLOR_SCHEMES) {
          const screen = await openScreen(browser, width, scheme);
          await screen.context.addCookies([{ name, value, url: origin }]);
          await screen.page.goto(`${origin}/dashboard/${profile.id}/analytics`);
          await panelsSettled(screen.page);
          if (profile === busy) {
            await screen.page.locator('#heatmap').scrollIntoViewIfNeeded();
            await screen.page.locator('#heatmap svg.overlay .cell').first().waitFor();
          }
          await expect.poll(() => screen.page.evaluate('document.documentElement.scrollWidth'), { timeout: 10_000 }).toBeLessThanOrEqual(width);
          expect({ label, width, scheme, violations: await seriousAccessibilityViolations(screen.page) }).toEqual({ label, width, scheme, violations: [] });
          await screenshot(screen.page, label, width, scheme);
          expect(screen.problems).toEqual([]);
          await screen.close();
        }
      }
    }
  }, 180_000);

  it('explains what to do when a profile has no traffic yet', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true });
    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);
    await page.goto(`${origin}/dashboard/${profile.id}/analytics`);
    await panelsSettled(page);
    expect(await page.locator('#overview').textContent()).toContain(`No views yet — share your page ${origin}/@${profile.handle}`);
    expect(await page.locator('#links').textContent()).toContain('No link clicks in this period');
    expect(await page.locator('#countries').textContent()).toContain('No visitors with a known location');
    expect(await page.locator('#heatmap').textContent()).toContain('No tracked clicks');
    expect(await page.locator('section.panel .error').count()).toBe(0);

    // A reversed custom range is refused where it was typed, with what to do, and the view stays.
    const before = page.url();
    const range = page.getByRole('form', { name: 'Custom range' });
    await range.getByLabel('From').fill('2026-11-30');
    await range.getByLabel('To').fill('2026-11-01');
    await range.getByRole('button', { name: 'Apply' }).click();
    await range.getByRole('alert').filter({ hasText: 'The start date is after the end date' }).waitFor();
    expect(await range.getByLabel('From').getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toBe(before);
    expect(cspViolations).toEqual([]);
    await close();
  }, 60_000);
});
