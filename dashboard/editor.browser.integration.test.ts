// The profile editor in headless Chromium, on a whole process with embedded defaults: optimistic
// changes undone when the server refuses them (a toggle, a reorder), reordering by drag and drop,
// scheduling, deleting with the focus kept in the list, the live preview, and switching profiles.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, signedInPage, startSite, type Site } from '../server/testing/site.js';
import { waitFor } from '../lib/testing/wait-for.js';

describeWithService('the profile editor, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    site = await startSite('editor', ['api', 'dashboard']);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  /** The links' titles in the order the editor's list shows them. */
  const shownOrder = async (page: Page) =>
    (await page.getByRole('list', { name: 'Your links, in page order' }).getByRole('button', { name: /^Move / }).all()).length === 0
      ? []
      : await Promise.all(
          (await page.getByRole('list', { name: 'Your links, in page order' }).locator('.summary strong').all()).map(async (title) => (await title.textContent()) ?? ''),
        );

  it('undoes refused changes, reorders by dragging, schedules, deletes, previews and switches profiles', async () => {
    const { origin } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile({ published: true, displayName: 'First Page' });
    const other = await creator.newProfile({ displayName: 'Second Page' });
    const ids: Record<string, string> = {};
    for (const title of ['One', 'Two', 'Three']) ids[title] = (await creator.newLink(profile.id, { title, url: `https://example.com/${title.toLowerCase()}` })).id;
    const serverOrder = async () => (await creator.get<{ links: { title: string; enabled: boolean; startsAt: string | null }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links;

    const { page, cspViolations, close } = await signedInPage(browser, origin, creator);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${origin}/dashboard/${profile.id}`);
    await page.getByRole('heading', { name: `Edit @${profile.handle}` }).waitFor();
    const preview = page.getByRole('complementary', { name: 'Live preview' });
    expect(await shownOrder(page)).toEqual(['One', 'Two', 'Three']);

    // A refused toggle: shown at once, undone when the server says no, with its words.
    await page.route(`**/api/v1/profiles/${profile.id}/links/${ids.Two}`, (route) =>
      route.request().method() === 'PATCH'
        ? route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: { code: 'CONFLICT', message: 'Someone else changed this link' } }) })
        : route.fallback(),
    );
    const shownTwo = page.getByRole('checkbox', { name: 'Shown: Two' });
    // click(), not uncheck(): the undo may come back before Playwright looks at the box.
    await shownTwo.click();
    await page.getByRole('alert').getByText('Two: Someone else changed this link').waitFor();
    expect(await shownTwo.isChecked()).toBe(true);
    expect((await serverOrder()).every((link) => link.enabled)).toBe(true);
    await page.unroute(`**/api/v1/profiles/${profile.id}/links/${ids.Two}`);

    // A refused reorder (keyboard): the list goes back to the server's order.
    await page.route(`**/api/v1/profiles/${profile.id}/links/order`, (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'Try again in a moment' } }) }));
    await page.getByRole('button', { name: /^Move Three/ }).focus();
    await page.keyboard.press('Home');
    await page.getByRole('alert').getByText('The new order was not saved: Try again in a moment').waitFor();
    expect(await shownOrder(page)).toEqual(['One', 'Two', 'Three']);
    await page.unroute(`**/api/v1/profiles/${profile.id}/links/order`);
    // The message is about that attempt: typing again in a form takes it away, nothing piles up.
    await page.getByLabel('Title', { exact: true }).fill('Next link');
    expect(await page.getByText('The new order was not saved').count()).toBe(0);
    await page.getByLabel('Title', { exact: true }).fill('');

    // Drag and drop: Three onto One's place; saved, and the preview follows.
    await page.getByRole('button', { name: /^Move Three/ }).dragTo(page.getByRole('button', { name: /^Move One/ }));
    await waitFor(async () => (await serverOrder()).map((link) => link.title).join() === 'Three,One,Two', { what: 'the dragged order to be saved', intervalMs: 200 });
    expect(await shownOrder(page)).toEqual(['Three', 'One', 'Two']);
    expect(await preview.getByRole('link').allTextContents()).toEqual(['Three', 'One', 'Two', 'Linkpulse']);

    // A schedule in the future takes the link off the page (and the preview) until then.
    await page.getByRole('button', { name: 'Edit One' }).click();
    await page.getByLabel('Show from').fill('2099-01-01T09:00');
    await page.getByRole('button', { name: 'Save link' }).click();
    await page.getByText('Shown from Jan 1, 2099').waitFor();
    // Shown at once (optimistic); once saved, the form closes and the focus is back on Edit.
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe(`edit-${ids.One}`);
    expect((await serverOrder()).find((link) => link.title === 'One')?.startsAt).toMatch(/^2099-01-01T/);
    expect(await preview.getByRole('link').allTextContents()).toEqual(['Three', 'Two', 'Linkpulse']);

    // Delete asks once more, then takes the link away and leaves the focus on the next one's handle.
    await page.getByRole('button', { name: 'Delete Three' }).click();
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe(`confirm-delete-${ids.Three}`);
    await page.getByRole('button', { name: 'Confirm delete Three' }).click();
    await waitFor(async () => (await serverOrder()).length === 2, { what: 'the link to be deleted', intervalMs: 200 });
    await expect.poll(() => page.evaluate("document.activeElement?.getAttribute('aria-label')")).toBe('Move One (position 1 of 2)');

    // The live preview shows unsaved profile edits.
    await page.getByLabel('Display name').fill('Renamed Page');
    await preview.getByRole('heading', { name: 'Renamed Page' }).waitFor();

    // Switching profiles opens the other one's editor, nothing of the first one left.
    await page.getByRole('combobox', { name: 'Profile', exact: true }).selectOption(other.id);
    await page.getByRole('button', { name: 'Switch' }).click();
    await page.getByRole('heading', { name: `Edit @${other.handle}` }).waitFor();
    expect(await page.getByLabel('Display name').inputValue()).toBe('Second Page');
    expect(await shownOrder(page)).toEqual([]);

    expect(cspViolations).toEqual([]);
    expect(problems).toEqual([]);
    await close();
  }, 120_000);
});
