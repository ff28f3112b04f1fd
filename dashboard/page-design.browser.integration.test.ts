// Pages worth sharing, in Chromium on a whole process: the creator picks a theme and a colour scheme,
// adds social icons (a wrong address is refused next to its row, and what was typed stays), gives a
// link an icon, publishes, and the public page wears it all, with its Open Graph image served. Every
// theme is rendered in both schemes and audited by axe (colour contrast included); the editor is
// audited and photographed at both widths in light and dark (artifacts/), and so are the settings.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';
import { PAGE_THEMES } from '../lib/profiles/page-themes.js';

describeWithService('themes, social icons and link icons, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  let creator: ApiClient;

  beforeAll(async () => {
    site = await startSite('page-design', ['ingest', 'api', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    creator = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  const signIn = async (page: Page) => {
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await page.context().addCookies([{ name, value, url: site.origin }]);
  };

  it('picks a theme and social icons in the editor, and the published page wears them with its Open Graph image', async () => {
    const { origin } = site;
    const profile = await creator.newProfile({ displayName: 'Grace Themed', bio: 'Compilers and COBOL' });
    await creator.newLink(profile.id, { title: 'Talk video', url: 'https://www.youtube.com/watch?v=1' });
    await creator.newLink(profile.id, { title: 'Slides', url: 'https://example.com/slides' });

    const screen = await openScreen(browser, 1440, 'light', { expectedStatuses: [400] });
    const { page } = screen;
    await signIn(page);
    await page.goto(`${origin}/dashboard/${profile.id}`);
    await page.getByRole('heading', { name: `Edit @${profile.handle}` }).waitFor();

    await page.getByText('Terminal', { exact: true }).click();
    await page.getByText('Dark', { exact: true }).click();
    await page.getByRole('button', { name: 'Add a social icon' }).click();
    // The first row offers GitHub; a YouTube address there is refused next to it, and stays typed.
    await page.getByLabel('Address 1').fill('https://www.youtube.com/@grace');
    await page.getByRole('button', { name: 'Add a social icon' }).click();
    await page.getByLabel('Network 2').selectOption('email');
    await page.getByLabel('Email address 2').fill('grace@example.com');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('alert').filter({ hasText: 'must be a github.com address' }).waitFor();
    expect(await page.getByLabel('Address 1').inputValue()).toBe('https://www.youtube.com/@grace');
    expect(await page.getByLabel('Address 1').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Address 1').fill('https://github.com/grace');
    expect(await page.getByRole('alert').filter({ hasText: 'must be a github.com address' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    const preview = page.getByRole('complementary', { name: 'Live preview' });
    await preview.getByLabel('GitHub').waitFor();

    // The slides get a book; the video keeps YouTube's mark, found from its address.
    await page.getByRole('button', { name: 'Edit Slides' }).click();
    await page.getByLabel('Icon', { exact: true }).selectOption('book');
    await page.getByRole('button', { name: 'Save link' }).click();
    await page.getByRole('button', { name: 'Edit Slides' }).waitFor();
    await screen.close();

    const saved = (await creator.get<{ pageTheme: string; theme: string; socialLinks: unknown[] }>(`/api/v1/profiles/${profile.id}`)).body;
    expect(saved).toMatchObject({
      pageTheme: 'terminal',
      theme: 'dark',
      socialLinks: [
        { network: 'github', url: 'https://github.com/grace' },
        { network: 'email', url: 'grace@example.com' },
      ],
    });
    expect((await creator.patch(`/api/v1/profiles/${profile.id}`, { published: true })).status).toBe(200);

    const visitor = await openScreen(browser, 390, 'light');
    await visitor.page.goto(`${origin}/@${profile.handle}`);
    // Strings evaluated in the page: the tests are compiled without the DOM's types.
    const style = (property: string) => visitor.page.evaluate(`getComputedStyle(document.querySelector('.page')).${property}`);
    expect(await style('fontFamily')).toMatch(/monospace/);
    // Dark whatever the visitor's system says: the creator chose it.
    expect(await style('colorScheme')).toBe('dark');
    expect(await visitor.page.getByRole('link', { name: 'GitHub' }).getAttribute('href')).toBe('https://github.com/grace');
    expect(await visitor.page.getByRole('link', { name: 'Email' }).getAttribute('href')).toBe('mailto:grace@example.com');
    expect(await visitor.page.locator('a.link .icon svg').count()).toBe(2);
    const image = await visitor.page.locator('meta[property="og:image"]').getAttribute('content');
    const png = await fetch(image!);
    expect(png.status).toBe(200);
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(await seriousAccessibilityViolations(visitor.page)).toEqual([]);
    expect(visitor.problems).toEqual([]);
    await visitor.close();
  });

  it('renders every theme in light and dark with nothing axe rates serious (contrast included)', async () => {
    const profile = await creator.newProfile({ published: true, displayName: 'Every Theme', bio: 'One page, every look', accentColor: '#7c3aed', socialLinks: [{ network: 'github', url: 'https://github.com/every' }] });
    await creator.newLink(profile.id, { title: 'A plain link', url: 'https://example.com/' });
    await creator.newLink(profile.id, { title: 'With an icon', url: 'https://example.com/talk', icon: 'mic' });
    for (const theme of PAGE_THEMES) {
      expect((await creator.patch(`/api/v1/profiles/${profile.id}`, { pageTheme: theme.id })).status).toBe(200);
      for (const scheme of COLOR_SCHEMES) {
        const screen = await openScreen(browser, 390, scheme);
        await screen.page.goto(`${site.origin}/@${profile.handle}`);
        expect(await seriousAccessibilityViolations(screen.page), `${theme.id} ${scheme}`).toEqual([]);
        expect(screen.problems, `${theme.id} ${scheme}`).toEqual([]);
        await screenshot(screen.page, `public-page-${theme.id}`, 390, scheme);
        await screen.close();
      }
    }
  });

  it('lays the editor out at both widths in light and dark, with nothing axe rates serious', async () => {
    const profile = await creator.newProfile({ displayName: 'Editor Screens', socialLinks: [{ network: 'mastodon', url: 'https://hachyderm.io/@screens' }] });
    await creator.newLink(profile.id, { title: 'My site', url: 'https://example.com/' });
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await openScreen(browser, width, scheme);
        await signIn(screen.page);
        await screen.page.goto(`${site.origin}/dashboard/${profile.id}`);
        await screen.page.getByRole('heading', { name: `Edit @${profile.handle}` }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `${width} ${scheme}`).toEqual([]);
        // Nothing wider than the screen: no sideways scrolling on a phone.
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `${width} ${scheme}`).toBeLessThanOrEqual(width);
        expect(screen.problems).toEqual([]);
        await screenshot(screen.page, 'editor', width, scheme);
        await screen.close();
      }
    }
  });

  it('lays the account settings out at both widths in light and dark, with nothing axe rates serious', async () => {
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await openScreen(browser, width, scheme);
        await signIn(screen.page);
        await screen.page.goto(`${site.origin}/dashboard/settings`);
        await screen.page.getByRole('heading', { name: 'API tokens' }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `${width} ${scheme}`).toEqual([]);
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `${width} ${scheme}`).toBeLessThanOrEqual(width);
        expect(screen.problems).toEqual([]);
        await screenshot(screen.page, 'settings', width, scheme);
        await screen.close();
      }
    }
  });
});
