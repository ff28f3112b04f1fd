// Adding a GitHub link in the dashboard shows its repository card without a reload (headless Chromium,
// a whole process with the api, scheduler and dashboard roles on embedded defaults, GITHUB_API_URL
// pointing at the fake GitHub).
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, signedInPage, startSite, type Site } from '../server/testing/site.js';
import { startFakeGitHub, type FakeGitHub } from '../lib/testing/fake-github.js';

describeWithService('GitHub cards in the dashboard, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  let github: FakeGitHub;

  beforeAll(async () => {
    github = await startFakeGitHub();
    github.add({ owner: 'linkpulse', name: 'pulse', description: 'Privacy-first link analytics', language: 'TypeScript', stars: 1234, forks: 56, topics: ['analytics', 'privacy'], pushedAt: '2026-11-23T08:00:00Z' });
    site = await startSite('cards', ['api', 'scheduler', 'dashboard'], { GITHUB_API_URL: github.url });
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
    await flaky.getByRole('button', { name: 'Refresh' }).click();
    await flaky.getByText(/Couldn’t reach GitHub since .* UTC; showing the details from/).waitFor({ timeout: 30_000 });
    expect(await flaky.textContent()).toContain('★ 42');
    const why = await flaky.getByRole('status').textContent();
    expect(why).toMatch(/GitHub had an error at .* UTC \(GitHub answered 50[23]\)\. Tried again automatically at .* UTC, or press Refresh\./);
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
});
