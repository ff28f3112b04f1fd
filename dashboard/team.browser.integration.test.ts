// A page's team in Chromium, on a whole process: the owner invites an editor and an analyst from the
// Team tab, each takes the mailed link (one signed in already, one logging in after opening it), the
// editor changes a link (and the activity log says so), the analyst reads but has no editor, and the
// Team and Activity screens are audited by axe at both widths in light and dark.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ApiClient } from '../server/testing/api-harness.js';
import { describeWithService } from '../lib/testing/services.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations } from '../server/testing/screens.js';

describeWithService('a page’s team, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;

  beforeAll(async () => {
    // Several sign-ups and log-ins from one address within a minute.
    site = await startSite('team', ['api', 'dashboard'], { AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.stop();
  });

  /** A creator with a confirmed address (an invitation is taken by a confirmed address only). */
  async function confirmedCreator(): Promise<ApiClient> {
    const creator = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const link = linkIn(await site.mailTo(creator.email!, /Confirm your Linkpulse address/), site.origin, '/verify-email');
    expect((await creator.post('/api/v1/auth/email-verification/confirm', { token: link.split('#token=')[1] })).status).toBe(200);
    expect((await creator.logIn(creator.email!, creator.password!)).status).toBe(200);
    return creator;
  }

  async function signedIn(creator: ApiClient, width = 1440, scheme: 'light' | 'dark' = 'light') {
    const screen = await openScreen(browser, width, scheme);
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await screen.context.addCookies([{ name, value, url: site.origin }]);
    return screen;
  }

  const invite = async (page: Page, email: string, role: string) => {
    await page.getByLabel('Email address').fill(email);
    await page.getByText(role, { exact: true }).click();
    await page.getByRole('button', { name: 'Send the invitation' }).click();
    await page.getByRole('status').filter({ hasText: `Invitation sent to ${email}` }).waitFor();
  };

  it('invites by mail, and each member gets what their role allows', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Team Journey' });
    const link = await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
    const [editor, analyst] = await Promise.all([confirmedCreator(), confirmedCreator()]);

    const ownerScreen = await signedIn(owner);
    await ownerScreen.page.goto(`${site.origin}/dashboard/${profile.id}/team`);
    await ownerScreen.page.getByRole('heading', { name: 'Invite someone' }).waitFor();
    await invite(ownerScreen.page, editor.email!, 'editor');
    await invite(ownerScreen.page, analyst.email!, 'analyst');
    await expect.poll(() => ownerScreen.page.getByRole('region', { name: 'Pending invitations' }).getByRole('listitem').count()).toBe(2);

    // The editor is signed in: the mailed link opens the page's editor at once.
    const editorScreen = await signedIn(editor);
    await editorScreen.page.goto(linkIn(await site.mailTo(editor.email!, /invited you to Team Journey/), site.origin, '/invitations/accept'));
    await editorScreen.page.getByRole('heading', { name: `Edit @${profile.handle}` }).waitFor();
    await editorScreen.page.getByRole('button', { name: 'Edit Docs' }).click();
    await editorScreen.page.getByLabel('Title', { exact: true }).last().fill('Docs, edited by the team');
    await editorScreen.page.getByRole('button', { name: 'Save link' }).click();
    await editorScreen.page.getByRole('button', { name: 'Edit Docs, edited by the team' }).waitFor();
    // The list shows a change at once (optimistically): the server has it once the request is answered.
    await expect
      .poll(async () => (await owner.get<{ links: { id: string; title: string }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links.find((candidate) => candidate.id === link.id)?.title)
      .toBe('Docs, edited by the team');
    expect(editorScreen.problems).toEqual([]);
    await editorScreen.close();

    // The analyst opens the link signed out, logs in, and lands on the page's analytics: no editor.
    const analystScreen = await openScreen(browser, 1440, 'light', { expectedStatuses: [401] });
    await analystScreen.page.goto(linkIn(await site.mailTo(analyst.email!, /invited you to Team Journey/), site.origin, '/invitations/accept'));
    await analystScreen.page.getByText('the invitation is waiting in this browser').waitFor();
    await analystScreen.page.getByRole('main').getByRole('link', { name: 'Log in' }).click();
    await analystScreen.page.getByLabel('Email').fill(analyst.email!);
    await analystScreen.page.getByLabel('Password').fill(analyst.password!);
    await analystScreen.page.getByRole('button', { name: 'Log in' }).click();
    await analystScreen.page.waitForURL(`${site.origin}/dashboard/${profile.id}/analytics`);
    expect(await analystScreen.page.getByRole('navigation', { name: 'Profile' }).getByRole('link', { name: 'Edit' }).count()).toBe(0);
    await analystScreen.close();

    // The activity log names the editor's change, before and after.
    await ownerScreen.page.goto(`${site.origin}/dashboard/${profile.id}/activity`);
    const change = ownerScreen.page.getByRole('list', { name: 'Changes, newest first' }).getByRole('listitem').filter({ hasText: `By ${editor.email}` }).filter({ hasText: 'Link “Docs, edited by the team” updated' });
    await change.waitFor();
    expect(await change.textContent()).toContain('Docs → Docs, edited by the team');
    await ownerScreen.page.getByLabel('Person').selectOption({ label: editor.email! });
    await ownerScreen.page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(async () => new Set(await ownerScreen.page.getByRole('list', { name: 'Changes, newest first' }).getByText(/^By /).allTextContents())).toEqual(new Set([`By ${editor.email}`]));

    await ownerScreen.page.goto(`${site.origin}/dashboard/${profile.id}/team`);
    const members = ownerScreen.page.getByRole('region', { name: /Members/ });
    await expect.poll(() => members.getByRole('listitem').count()).toBe(3);
    expect(await members.textContent()).toContain(analyst.email);
    expect(ownerScreen.problems).toEqual([]);
    await ownerScreen.close();
  });

  it('lays the Team and Activity screens out at both widths in light and dark, with nothing axe rates serious', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Team Screens' });
    await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: 'pending@example.com', role: 'viewer' });
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await signedIn(owner, width, scheme);
        await screen.page.goto(`${site.origin}/dashboard/${profile.id}/team`);
        await screen.page.getByText('pending@example.com', { exact: true }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `${width} ${scheme}`).toEqual([]);
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `${width} ${scheme}`).toBeLessThanOrEqual(width);
        expect(screen.problems).toEqual([]);
        await screenshot(screen.page, 'team', width, scheme);
        await screen.page.goto(`${site.origin}/dashboard/${profile.id}/activity`);
        await screen.page.getByRole('list', { name: 'Changes, newest first' }).waitFor();
        expect(await seriousAccessibilityViolations(screen.page), `activity ${width} ${scheme}`).toEqual([]);
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth')), `activity ${width} ${scheme}`).toBeLessThanOrEqual(width);
        await screenshot(screen.page, 'activity', width, scheme);
        expect(screen.problems).toEqual([]);
        await screen.close();
      }
    }
  });
});
