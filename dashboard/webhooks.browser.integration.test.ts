// The Webhooks tab in Chromium, on a whole process: an owner adds an endpoint (a private address is
// refused next to the field), copies its one-time secret, sends test events, and reads the deliveries
// the worker recorded (written here as the worker would, with its database role): attempts, the
// payload, a resend; rotates the secret behind a confirmation, disables and enables the endpoint, and
// deletes it. An analyst has no Webhooks tab. Both screens are audited by axe at 1440 and 390 px in
// light and dark, with screenshots in artifacts/.
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { SCHEDULER_ROLE } from '../lib/postgres/migrate.js';
import { loadOrCreateSecrets } from '../lib/secrets.js';
import { describeWithService, testLogger } from '../lib/testing/services.js';
import { ApiClient } from '../server/testing/api-harness.js';
import { CHROMIUM, linkIn, startSite, type Site } from '../server/testing/site.js';
import { COLOR_SCHEMES, openScreen, screenshot, SCREEN_WIDTHS, seriousAccessibilityViolations, type ScreenPage } from '../server/testing/screens.js';

describeWithService('the Webhooks tab, in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let site: Site;
  let browser: Browser;
  /** The database as the scheduler's worker reaches it (linkpulse_scheduler): it records attempts. */
  let worker: Database;

  beforeAll(async () => {
    site = await startSite('webhooks', ['api', 'dashboard'], { AUTH_RATE_LIMIT_PER_MINUTE: '1000' });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const app = site.running.platform.db!;
    const [{ port, database }] = (await app.query<{ port: string; database: string }>('SELECT current_setting($1) AS port, current_database() AS database', ['port'])).rows as [
      { port: string; database: string },
    ];
    const { postgresSchedulerPassword } = await loadOrCreateSecrets(site.dataDir);
    worker = createDatabase({ url: `postgres://${SCHEDULER_ROLE}:${encodeURIComponent(postgresSchedulerPassword)}@127.0.0.1:${port}/${database}`, applicationName: 'webhooks-test-worker', logger: testLogger });
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await browser?.close();
    await site?.stop();
  });

  async function signedIn(creator: ApiClient, width = 1440, scheme: 'light' | 'dark' = 'light', expectedStatuses: readonly number[] = []): Promise<ScreenPage> {
    const screen = await openScreen(browser, width, scheme, { expectedStatuses });
    const [name, value] = creator.cookie!.split('=') as [string, string];
    await screen.context.addCookies([{ name, value, url: site.origin }]);
    return screen;
  }

  /** What the worker would record for a test event's delivery: its attempts and outcome. */
  async function recordAttempts(deliveryId: string, outcome: 'delivered' | 'failed', attempts: { status: number | null; latency: number; error?: string; excerpt?: string }[]) {
    for (const attempt of attempts) {
      await worker.query(
        'INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms, error, response_excerpt) SELECT id, profile_id, $2, $3, $4, $5 FROM webhook_deliveries WHERE id = $1',
        [deliveryId, attempt.status, attempt.latency, attempt.error ?? null, attempt.excerpt ?? null],
      );
    }
    await worker.query("UPDATE webhook_deliveries SET status = $2, attempts = $3, delivered_at = CASE WHEN $2 = 'delivered' THEN now() END WHERE id = $1", [deliveryId, outcome, attempts.length]);
  }

  /** An endpoint with three test deliveries: one delivered, one failed twice, one waiting. */
  async function endpointWithHistory(owner: ApiClient, profileId: string): Promise<{ id: string; deliveries: string[] }> {
    const created = await owner.post<{ endpoint: { id: string } }>(`/api/v1/profiles/${profileId}/webhooks`, {
      url: 'https://hooks.example.com/linkpulse',
      description: 'Deploy the docs site',
      eventTypes: ['link.created', 'profile.published'],
    });
    const id = created.body.endpoint.id;
    const deliveries: string[] = [];
    for (let n = 0; n < 3; n++) deliveries.push((await owner.post<{ deliveryId: string }>(`/api/v1/profiles/${profileId}/webhooks/${id}/test`)).body.deliveryId);
    await recordAttempts(deliveries[0]!, 'delivered', [{ status: 200, latency: 84, excerpt: 'ok' }]);
    await recordAttempts(deliveries[1]!, 'failed', [
      { status: 500, latency: 312, excerpt: '{"error":"database is down"}' },
      { status: null, latency: 10_000, error: 'no answer within 10 s' },
    ]);
    return { id, deliveries };
  }

  const confirmIn = async (page: Page, button: string) => {
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: button }).click();
    await dialog.waitFor({ state: 'hidden' });
  };

  it('adds an endpoint, shows its secret once, and works with its deliveries', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Hooked' });
    const screen = await signedIn(owner, 1440, 'light', [422]);
    const { page } = screen;

    // The empty state says what to do.
    await page.goto(`${site.origin}/dashboard/${profile.id}/webhooks`);
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();
    expect(await page.getByRole('link', { name: 'Webhooks', exact: true }).getAttribute('aria-current')).toBe('page');
    await page.getByRole('button', { name: 'Add endpoint' }).click();

    // A private address is refused next to the field, with the reason; no event chosen is caught first.
    await page.getByLabel('Endpoint URL').fill('https://10.0.0.7/hooks');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText('Choose at least one event to send.').waitFor();
    await page.getByText('link.created', { exact: true }).click();
    await page.getByText('profile.published', { exact: true }).click();
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByText(/must not point at 10\.0\.0\.7: it is a private or link-local address/).waitFor();
    expect(await page.getByLabel('Endpoint URL').getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Endpoint URL').fill('https://hooks.example.com/linkpulse');
    await page.getByLabel('Description (optional)').fill('Deploy the docs site');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const secret = page.getByRole('textbox', { name: 'Signing secret' });
    await secret.waitFor();
    expect(await secret.inputValue()).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    await page.getByText('you will not see it again').waitFor();
    await page.getByText('Verify deliveries in Node.js').click();
    await page.getByLabel('Verification code for Node.js').getByText('timingSafeEqual', { exact: false }).first().waitFor();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await secret.waitFor({ state: 'detached' });
    // Listed with its health; the secret is nowhere on the page any more.
    await page.getByText('No deliveries yet', { exact: true }).waitFor();
    expect(await page.content()).not.toContain('whsec_');

    // The endpoint's page: a test event appears as a pending delivery.
    await page.getByRole('link', { name: 'https://hooks.example.com/linkpulse' }).click();
    await page.getByRole('heading', { name: 'https://hooks.example.com/linkpulse' }).waitFor();
    await page.getByText('No deliveries yet. Send a test event').waitFor();
    await page.getByRole('button', { name: 'Send test event' }).click();
    await page.getByRole('status').filter({ hasText: 'Test event sent' }).waitFor();
    const deliveries = page.getByRole('list', { name: 'Deliveries, newest first' });
    await deliveries.getByRole('button', { name: /^webhook\.test/ }).waitFor();
    await deliveries.getByText('Pending').waitFor();

    // The worker tried it twice and gave up: the page follows, and shows each attempt and the payload.
    const [{ id: deliveryId }] = (await worker.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE profile_id = $1', [profile.id])).rows as [{ id: string }];
    await recordAttempts(deliveryId, 'failed', [
      { status: 503, latency: 240, excerpt: 'upstream unavailable' },
      { status: null, latency: 10_000, error: 'no answer within 10 s' },
    ]);
    await deliveries.getByText('Failed').waitFor({ timeout: 15_000 });
    await page.getByRole('heading', { name: 'https://hooks.example.com/linkpulse' }).waitFor();
    await page.getByText('Failing', { exact: true }).waitFor();
    await deliveries.getByRole('button', { name: /^webhook\.test/ }).click();
    await deliveries.getByText('HTTP 503').first().waitFor();
    await deliveries.getByText('upstream unavailable').waitFor();
    await deliveries.getByText('no answer within 10 s').last().waitFor();
    await page.getByLabel('The event’s data').getByText(/A test event from Linkpulse/).waitFor();

    // Resend: queued again, now.
    await deliveries.getByRole('button', { name: 'Resend the webhook.test delivery' }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    expect((await worker.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE id = $1', [deliveryId])).rows[0]!.status).toBe('pending');

    // Rotate, behind a confirmation: a new secret, and until when the previous one works.
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('dialog').getByText('24 hours').waitFor();
    await confirmIn(page, 'Rotate secret');
    await page.getByRole('heading', { name: 'Your new signing secret' }).waitFor();
    await page.getByText('The previous secret keeps working until').waitFor();
    await page.getByRole('button', { name: 'I have copied it' }).click();

    // Off and on again.
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('Nothing is sent to this endpoint.').waitFor();
    expect(await page.getByRole('button', { name: 'Send test event' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('status').filter({ hasText: 'Endpoint enabled' }).waitFor();

    // Deleted, behind a confirmation: back to the empty list.
    await page.getByRole('button', { name: 'Delete' }).click();
    await confirmIn(page, 'Delete endpoint');
    await page.getByRole('heading', { name: 'No endpoints yet' }).waitFor();

    // Every step is in the activity log, in words.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByText('Signing secret of https://hooks.example.com/… rotated').waitFor();
    await page.getByText('Webhook endpoint https://hooks.example.com/… added').waitFor();
    await page.getByText('Webhook endpoint https://hooks.example.com/… disabled').waitFor();
    expect(screen.problems).toEqual([]);
    await screen.close();
  }, 120_000);

  it('is for owners and editors: an analyst has no tab, and the address says why', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Team hooks' });
    const analyst = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const confirm = linkIn(await site.mailTo(analyst.email!, /Confirm your Linkpulse address/), site.origin, '/verify-email');
    expect((await analyst.post('/api/v1/auth/email-verification/confirm', { token: confirm.split('#token=')[1] })).status).toBe(200);
    expect((await analyst.logIn(analyst.email!, analyst.password!)).status).toBe(200);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: analyst.email, role: 'analyst' })).status).toBe(201);
    const invitation = linkIn(await site.mailTo(analyst.email!, /invited you to Team hooks/), site.origin, '/invitations/accept');
    expect((await analyst.post('/api/v1/invitations/accept', { token: invitation.split('#token=')[1] })).status).toBe(200);

    const screen = await signedIn(analyst);
    await screen.page.goto(`${site.origin}/dashboard/${profile.id}/webhooks`);
    await screen.page.getByText('Only the page’s owners and editors manage its webhooks').waitFor();
    expect(await screen.page.getByRole('navigation', { name: 'Profile' }).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);
    expect(screen.problems).toEqual([]);
    await screen.close();
  }, 60_000);

  it('designs the list and the endpoint page at 1440 and 390 px, light and dark, with no serious axe violation', async () => {
    const owner = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
    const profile = await owner.newProfile({ displayName: 'Screens' });
    const endpoint = await endpointWithHistory(owner, profile.id);
    await owner.post(`/api/v1/profiles/${profile.id}/webhooks`, { url: 'https://relay.example.org/slack', eventTypes: ['link.clicked', 'alert.triggered', 'github.card.updated'] });
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await signedIn(owner, width, scheme);
        const { page } = screen;
        await page.goto(`${site.origin}/dashboard/${profile.id}/webhooks`);
        await page.getByRole('heading', { name: /^Endpoints/ }).waitFor();
        await page.getByText('Failing', { exact: true }).waitFor();
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ screen: 'list', width, scheme, violations: await seriousAccessibilityViolations(page) }).toEqual({ screen: 'list', width, scheme, violations: [] });
        await screenshot(page, 'webhooks-list', width, scheme);

        await page.getByRole('button', { name: 'Add endpoint' }).click();
        await page.getByRole('heading', { name: 'Add an endpoint' }).waitFor();
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ screen: 'add', width, scheme, violations: await seriousAccessibilityViolations(page) }).toEqual({ screen: 'add', width, scheme, violations: [] });
        await screenshot(page, 'webhooks-add', width, scheme);

        await page.goto(`${site.origin}/dashboard/${profile.id}/webhooks/${endpoint.id}`);
        const deliveries = page.getByRole('list', { name: 'Deliveries, newest first' });
        await deliveries.getByRole('listitem').nth(2).waitFor();
        // The failed delivery opened: its attempts and payload.
        await deliveries.getByRole('button', { name: /^webhook\.test/ }).nth(1).click();
        await deliveries.getByText('database is down').waitFor();
        expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ screen: 'endpoint', width, scheme, violations: await seriousAccessibilityViolations(page) }).toEqual({ screen: 'endpoint', width, scheme, violations: [] });
        await screenshot(page, 'webhooks-endpoint', width, scheme);

        await page.getByRole('button', { name: 'Delete' }).click();
        await page.getByRole('dialog').waitFor();
        expect({ screen: 'confirm', width, scheme, violations: await seriousAccessibilityViolations(page) }).toEqual({ screen: 'confirm', width, scheme, violations: [] });
        await screenshot(page, 'webhooks-confirm', width, scheme);
        expect(screen.problems).toEqual([]);
        await screen.close();
      }
    }
  }, 240_000);

  it('publishes how to receive webhooks at /docs/webhooks, for anyone', async () => {
    for (const width of SCREEN_WIDTHS) {
      for (const scheme of COLOR_SCHEMES) {
        const screen = await openScreen(browser, width, scheme);
        const response = await screen.page.goto(`${site.origin}/docs/webhooks`);
        expect(response!.status()).toBe(200);
        await screen.page.getByRole('heading', { name: 'Receiving webhooks' }).waitFor();
        await screen.page.getByText('webhook-signature', { exact: true }).waitFor();
        expect(Number(await screen.page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(width);
        expect({ width, scheme, violations: await seriousAccessibilityViolations(screen.page) }).toEqual({ width, scheme, violations: [] });
        await screenshot(screen.page, 'webhooks-docs', width, scheme);
        expect(screen.problems).toEqual([]);
        await screen.close();
      }
    }
  }, 120_000);
});
