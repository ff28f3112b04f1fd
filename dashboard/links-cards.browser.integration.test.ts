// Adding a GitHub link in the dashboard shows its repository card without a reload (headless Chromium,
// a whole process with the api, scheduler and dashboard roles on embedded defaults, GITHUB_API_URL
// pointing at the fake GitHub); cards in every state say what they know, designed at both widths in
// both schemes (screenshots in artifacts/), with nothing axe rates serious.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { describeWithService } from '../lib/testing/services.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { CHROMIUM, signedInPage, startSite, type Site } from '../server/testing/site.js';
import { startFakeGitHub, type FakeGitHub } from '../lib/testing/fake-github.js';

describeWithService('GitHub cards in the dashboard, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  let github: FakeGitHub;

  beforeAll(async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'linkpulse', name: 'pulse', description: 'Privacy-first link analytics', language: 'TypeScript', stars: 1234, forks: 56, topics: ['analytics', 'privacy'], pushedAt: '2026-11-23T08:00:00Z' });
    site = await startSite('cards', ['api', 'ingest', 'scheduler', 'dashboard'], { GITHUB_API_URL: github.url });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
    await github?.close();
  });

  it('shows the card with the repository’s data once the link is added, and its refreshed data after Refresh', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true });
    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);
    await page.goto(`${origin}/dashboard/${profile.id}`);
    await page.getByLabel('Title').fill('Pulse');
    await page.getByLabel('URL').fill('https://github.com/linkpulse/pulse');
    await page.getByRole('button', { name: 'Add link' }).click();

    // The editor's list (the live preview beside it shows the same card).
    const card = page.getByRole('list', { name: 'Your links, in page order' }).getByRole('article', { name: 'linkpulse/pulse on GitHub' });
    // The page polls while the card is pending; Agenda picks up the queued sync at its next poll (5 s).
    await card.getByText('★ 1.2K').waitFor({ timeout: 30_000 });
    const text = await card.textContent();
    expect(text).toContain('Privacy-first link analytics');
    expect(text).toContain('TypeScript');
    expect(text).toContain('Forks 56');
    expect(await card.locator('circle').getAttribute('fill')).toBe('#3178c6');

    // Refresh: the card shows a change made on GitHub after the next sync, within seconds too.
    github.update('linkpulse', 'pulse', { stars: 2000 });
    await card.getByRole('button', { name: 'Refresh' }).click();
    await card.getByText('★ 2K').waitFor({ timeout: 30_000 });
    expect(cspViolations).toEqual([]);
    await close();
  }, 90_000);

  it('says honestly what GitHub gave: the creator’s title always, "not found" without made-up figures, and a GitHub it cannot reach', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true });
    await creator.newLink(profile.id, { title: 'My old experiment', url: 'https://github.com/linkpulse/never-existed' });
    github.add({ owner: 'linkpulse', name: 'flaky', description: 'Sometimes there', language: 'Rust', stars: 42, forks: 3, topics: [], pushedAt: '2026-11-20T08:00:00Z' });
    await creator.newLink(profile.id, { title: 'The flaky one', url: 'https://github.com/linkpulse/flaky' });
    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);

    // Never found: the creator's title, the repository named, no stars or forks GitHub never gave.
    await page.goto(`${origin}/dashboard/${profile.id}`);
    const missing = page.getByRole('list', { name: 'Your links, in page order' }).getByRole('article', { name: 'linkpulse/never-existed on GitHub' });
    await missing.getByText('Repository not found on GitHub').waitFor({ timeout: 30_000 });
    expect(await missing.getByRole('heading').textContent()).toBe('My old experiment');
    expect(await missing.textContent()).not.toMatch(/★|Forks/);

    // GitHub stops answering after a first sync: the figures stay, dated, with since when and why;
    // the creator is told when it is tried again.
    const flaky = page.getByRole('list', { name: 'Your links, in page order' }).getByRole('article', { name: 'linkpulse/flaky on GitHub' });
    await flaky.getByText('★ 42').waitFor({ timeout: 30_000 });
    github.faults.transientRate = 1;
    onTestFinished(() => {
      github.faults.transientRate = 0;
    });
    await flaky.getByRole('button', { name: 'Refresh' }).click();
    await flaky.getByText(/Couldn’t reach GitHub since .* UTC; showing the details from/).waitFor({ timeout: 30_000 });
    expect(await flaky.textContent()).toContain('★ 42');
    const why = (await flaky.getByRole('status').textContent())?.replace(/\s+/g, ' ');
    expect(why).toMatch(/Last sync failed at .* UTC: GitHub answered 50[23]\. Next try at .* UTC, or press Refresh\./);
    github.faults.transientRate = 0;

    const publicPage = await (await fetch(`${origin}/@${profile.handle}`)).text();
    expect(publicPage).toContain('My old experiment');
    expect(publicPage).toContain('Repository not found on GitHub');
    expect(publicPage).not.toContain('Fetching the details from GitHub');
    // Visitors are told since when GitHub is unreachable, never why.
    expect(publicPage).toMatch(/Couldn’t reach GitHub since <time datetime="[^"]+">[^<]+ UTC<\/time>; showing the details from/);
    expect(publicPage).not.toContain('answered');
    expect(cspViolations).toEqual([]);
    await close();
  }, 120_000);

  it('shows every state of a card (fetched, stale, unreachable, not found) designed at 1440 and 390 px, light and dark, in the editor and on the page', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true, displayName: 'Card states' });
    github.add({ owner: 'linkpulse', name: 'steady', description: 'Always answers', language: 'TypeScript', stars: 980, forks: 12, topics: ['cards'], pushedAt: '2026-11-23T08:00:00Z' });
    github.add({ owner: 'linkpulse', name: 'wobbly', description: 'Answered once', language: 'Go', stars: 77, forks: 5, topics: ['flaky', 'network'], pushedAt: '2026-11-22T08:00:00Z' });
    await creator.newLink(profile.id, { title: 'Steady', url: 'https://github.com/linkpulse/steady' });
    const wobbly = await creator.newLink(profile.id, { title: 'Wobbly', url: 'https://github.com/linkpulse/wobbly' });
    await creator.newLink(profile.id, { title: 'Gone', url: 'https://github.com/linkpulse/long-gone' });
    const stateOf = async (title: string) =>
      (await creator.get<{ links: { title: string; github: { status: string } | null }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links.find((link) => link.title === title)?.github?.status;
    await waitFor(async () => ((await stateOf('Wobbly')) === 'ok' && (await stateOf('Gone')) === 'unavailable') || undefined, { what: 'first syncs', timeoutMs: 30_000 });
    // GitHub starts failing: a refresh leaves Wobbly stale, and a new link never gets its data.
    github.faults.transientRate = 1;
    onTestFinished(() => {
      github.faults.transientRate = 0;
    });
    await creator.post(`/api/v1/profiles/${profile.id}/links/${wobbly.id}/refresh`, {});
    await creator.newLink(profile.id, { title: 'Unlucky', url: 'https://github.com/linkpulse/unlucky' });
    await waitFor(async () => ((await stateOf('Wobbly')) === 'stale' && (await stateOf('Unlucky')) === 'unreachable') || undefined, { what: 'failing syncs', timeoutMs: 30_000 });

    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await openScreen(browser, width, scheme);
        const [name, value] = creator.cookie!.split('=') as [string, string];
        await screen.context.addCookies([{ name, value, url: origin }]);
        await screen.page.goto(`${origin}/dashboard/${profile.id}`);
        const list = screen.page.getByRole('list', { name: 'Your links, in page order' });
        await list.getByRole('article', { name: 'linkpulse/unlucky on GitHub' }).getByText(/Couldn’t reach GitHub since/).waitFor();
        expect((await list.getByRole('article', { name: 'linkpulse/wobbly on GitHub' }).getByRole('status').textContent())?.replace(/\s+/g, ' ')).toMatch(/Last sync failed at .* UTC: GitHub answered 50[23]/);
        expect(await seriousAccessibilityViolations(screen.page)).toEqual([]);
        await screenshot(screen.page, 'github-cards-editor', width, scheme);
        await screen.page.goto(`${origin}/@${profile.handle}`);
        await screen.page.getByRole('article', { name: 'linkpulse/wobbly on GitHub' }).getByText(/Couldn’t reach GitHub since/).waitFor();
        expect(await seriousAccessibilityViolations(screen.page)).toEqual([]);
        await screenshot(screen.page, 'github-cards-page', width, scheme);
        expect(screen.problems).toEqual([]);
        await screen.close();
      }
    }
    github.faults.transientRate = 0;
  }, 180_000);
});
