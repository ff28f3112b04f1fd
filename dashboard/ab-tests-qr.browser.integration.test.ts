// A/B tests and QR codes in headless Chromium, against a whole process (api + dashboard on embedded
// defaults): the creator starts a test from a link's "A/B test" section (the form refuses weights that
// do not add up), sees it running, opens the link's and the page's QR dialogs (the preview draws, the
// downloads are real SVG and PNG files), reads the analytics page's A/B panel over events seeded in
// ClickHouse, and ends the test keeping B. Every screen at 1440 and 390 px, light and dark, with
// nothing axe rates serious, no page wider than the screen, no console error or CSP violation.
// Screenshots go to artifacts/ (ignored by git).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';

const NO_LINK = '00000000-0000-0000-0000-000000000000';

/** A ClickHouse events row as the consumers write it, in test `test` with `variant`. */
function eventRow(profileId: string, type: 'view' | 'click', visitor: number, link: string, test: string, variant: number, trigger: 'link' | 'qr' = 'link') {
  return {
    event_id: randomUUID(),
    event_type: type,
    source: type === 'click' ? 'redirect' : 'beacon',
    timestamp: Date.now() - 60_000,
    profile_id: profileId,
    link_id: type === 'click' ? link : NO_LINK,
    click_id: NO_LINK,
    visitor_id: String(visitor),
    is_bot: 0,
    bot_kind: '',
    is_internal: 0,
    country: 'DE',
    region: '',
    city: 'Berlin',
    device: 'mobile',
    browser: 'Firefox',
    os: 'Android',
    referrer_domain: '',
    channel: 'direct',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
    trigger,
    ab_tests: [test],
    ab_variants: [variant],
    click_x: 0,
    click_y: 0,
    viewport_width: 390,
    viewport_height: 844,
    time_to_click_ms: 0,
  };
}

describeWithService('A/B tests and QR codes, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('abtests-ui', ['api', 'dashboard'], { AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--lang=en-US'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  async function signedIn(creator: ApiClient, width: number, scheme: 'light' | 'dark') {
    const screen = await openScreen(browser, width, scheme);
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await screen.context.addCookies([{ name, value, url: site.origin }]);
    return screen;
  }

  it('starts a test, draws QR codes, shows the A/B panel and ends the test keeping B, on every screen', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Split Tester', published: true, accentColor: '#fde047' });
    const link = (await owner.newLink(profile.id, { title: 'Pricing', url: 'https://example.com/pricing' })).id;
    await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });

    // Start the test in the editor: weights that do not add up are refused before anything is sent.
    const first = await signedIn(owner, 1440, 'light');
    const { page } = first;
    await page.goto(`${site.origin}/dashboard/${profile.id}`);
    await page.getByRole('button', { name: 'A/B test of Pricing' }).click();
    const section = page.getByRole('region', { name: 'A/B test' });
    await section.getByLabel('Destination URL').nth(1).fill('https://example.com/pricing-b');
    await section.getByLabel('Weight (%)').nth(1).fill('40');
    await section.getByText('Total 90%: make it 100%').waitFor();
    await section.getByRole('button', { name: 'Split evenly' }).click();
    await section.getByText('Total 100%').waitFor();
    await section.getByRole('button', { name: 'Start the test' }).click();
    await section.getByText('Running').waitFor();
    const running = (await owner.get<{ links: { id: string; abTest: { id: string } | null }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links.find((item) => item.id === link)!.abTest!;
    expect(running).toBeTruthy();
    expect(first.problems).toEqual([]);
    await first.close();

    // Figures for the panel: 120 visitors per variant, B clicked by 30, A by 12.
    const rows = [];
    for (let visitor = 1; visitor <= 240; visitor++) {
      const variant = visitor <= 120 ? 1 : 2;
      rows.push(eventRow(profile.id, 'view', visitor, link, running.id, variant, visitor % 10 === 0 ? 'qr' : 'link'));
      if ((variant === 1 && visitor <= 12) || (variant === 2 && visitor <= 150)) rows.push(eventRow(profile.id, 'click', visitor, link, running.id, variant));
    }
    await site.running.platform.clickhouse!.insert('events', rows);

    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await signedIn(owner, width, scheme);
        const where = `${width} ${scheme}`;
        await screen.page.goto(`${site.origin}/dashboard/${profile.id}`);
        await screen.page.getByRole('button', { name: 'A/B test of Pricing' }).click();
        await screen.page.getByRole('button', { name: 'End test, keep B' }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `editor ${where}`).toEqual([]);
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `editor ${where}`).toBeLessThanOrEqual(width);
        await screenshot(screen.page, 'ab-test-editor', width, scheme);

        // The link's QR code: drawn in the accent made dark enough, with real downloads.
        await screen.page.getByRole('button', { name: 'QR code of Pricing' }).click();
        const dialog = screen.page.getByRole('dialog', { name: 'QR code of “Pricing”' });
        const preview = dialog.getByRole('img', { name: /^QR code for / });
        await preview.waitFor();
        await expect.poll(async () => preview.evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
        await dialog.getByText(/^Darkened to #[0-9a-f]{6}/).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `link QR ${where}`).toEqual([]);
        await dialog.screenshot({ path: `artifacts/qr-dialog-link-${width}-${scheme}.png` });
        const pngHref = await dialog.getByRole('link', { name: 'PNG of the QR code of “Pricing”' }).getAttribute('href');
        const png = await screen.context.request.get(`${site.origin}${pngHref}`);
        expect(png.headers()['content-type']).toBe('image/png');
        expect((await png.body()).subarray(1, 4).toString()).toBe('PNG');
        await dialog.getByRole('button', { name: 'Close' }).click();
        await dialog.waitFor({ state: 'hidden' });

        // The page's QR code, from the editor's header.
        await screen.page.getByRole('button', { name: 'QR code', exact: true }).click();
        const pageDialog = screen.page.getByRole('dialog', { name: 'QR code of your page' });
        await pageDialog.getByRole('img', { name: `QR code for ${site.origin}/@${profile.handle}?trigger=qr` }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `page QR ${where}`).toEqual([]);
        await screen.page.keyboard.press('Escape');
        await pageDialog.waitFor({ state: 'hidden' });

        // The analytics page: the test's figures, the verdict, and scans as their own row.
        await screen.page.goto(`${site.origin}/dashboard/${profile.id}/analytics`);
        const panel = screen.page.locator('#ab-tests');
        await panel.waitFor();
        await panel.scrollIntoViewIfNeeded();
        await panel.getByText('B gets more visitors to click, with 95% confidence').waitFor({ timeout: 30_000 });
        const rowB = panel.getByRole('row', { name: /^B / });
        const cells = (await rowB.getByRole('cell').allTextContents()).map((text) => text.replace(/\s+/g, ' ').trim());
        // Visitors, clicks, unique clicks; the rate with its interval and its lift over A.
        expect(cells.slice(0, 3), where).toEqual(['120', '30', '30']);
        expect(cells[3], where).toMatch(/^25% 95% interval \d+(\.\d)?%–\d+(\.\d)?% \+150% vs A$/);
        expect(await rowB.getByRole('rowheader').textContent(), where).toContain('50% of visitors');
        // Panels draw their content once scrolled near.
        await screen.page.locator('#referrers').scrollIntoViewIfNeeded();
        await screen.page.locator('#referrers').getByRole('button', { name: /QR scans/ }).waitFor();
        await screen.page.locator('section.panel[aria-busy="true"]').first().waitFor({ state: 'detached', timeout: 30_000 });
        expect(await seriousAccessibilityViolations(screen.page), `analytics ${where}`).toEqual([]);
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `analytics ${where}`).toBeLessThanOrEqual(width);
        await panel.scrollIntoViewIfNeeded();
        await screenshot(screen.page, 'ab-test-analytics', width, scheme);
        expect(screen.problems, where).toEqual([]);
        await screen.close();
      }
    }

    // End the test keeping B: the link's URL is B's from then on.
    const last = await signedIn(owner, 390, 'light');
    await last.page.goto(`${site.origin}/dashboard/${profile.id}`);
    await last.page.getByRole('button', { name: 'A/B test of Pricing' }).click();
    await last.page.getByRole('button', { name: 'End test, keep B' }).click();
    await last.page.getByRole('button', { name: 'Confirm: keep B' }).click();
    await last.page.getByText('https://example.com/pricing-b', { exact: true }).first().waitFor();
    const links = (await owner.get<{ links: { id: string; url: string; abTest: unknown }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links;
    expect(links.find((item) => item.id === link)).toMatchObject({ url: 'https://example.com/pricing-b', abTest: null });
    expect(last.problems).toEqual([]);
    await last.close();
  });
});
