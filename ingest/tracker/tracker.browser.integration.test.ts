// The tracker in a real browser (headless Chromium via playwright-core): a page with the tracker and
// one link, served with a hash-based CSP like profile pages will be; a view is sent on load; a click
// sends a positioned beacon and follows the tagged /r/ link, and ingest sees one click id twice (the
// beacon and the redirect), which the pipeline counts once.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TrackedEventSchema, type TrackedEvent } from '../../lib/events/tracked-event.js';
import type { EventBus, OutgoingMessage } from '../../lib/bus/event-bus.js';
import { createMemoryCache } from '../../lib/cache/memory-cache.js';
import { createMetrics } from '../../lib/metrics.js';
import type { RunningHttpServer } from '../../lib/runtime/http-server.js';
import { describeWithService, testLogger } from '../../lib/testing/services.js';
import { waitFor } from '../../lib/testing/wait-for.js';
import { createIngestHandlers, ingestRoutes } from '../ingest.js';
import type { LinkTargets } from '../link-targets.js';
import { createBatchingPublisher } from '../publisher.js';
import type { VisitorSalts } from '../visitor-salts.js';
import { createVisitorIds } from '../visitor-ids.js';
import { trackerScript } from './tracker-script.js';
import { startTestHttpServer } from '../../lib/testing/http-server.js';

const CHROMIUM = '/usr/bin/chromium';
const profileId = randomUUID();
const linkId = randomUUID();

describeWithService('the tracker in Chromium', { configured: existsSync(CHROMIUM), variable: 'chromium (apt-get install chromium)' }, () => {
  let browser: Browser;
  let server: RunningHttpServer;
  const published: OutgoingMessage[] = [];
  const events = (): TrackedEvent[] => published.map((message) => TrackedEventSchema.parse(JSON.parse(String(message.value))));

  beforeAll(async () => {
    const bus = { publish: async (_topic: string, messages: readonly OutgoingMessage[]) => void published.push(...messages) } as unknown as EventBus;
    let origin = '';
    const links: LinkTargets = {
      link: (id) => (id === linkId ? { profileId, url: `${origin}/landed` } : undefined),
      profile: (id) => (id === profileId ? { respectGpc: true, abTests: [] } : undefined),
      reload: async () => undefined,
      reloadAfterMiss: async () => false,
      start: async () => undefined,
      stop: async () => undefined,
    };
    const salt = Buffer.alloc(32, 7);
    const salts: VisitorSalts = { saltFor: () => salt, refresh: async () => undefined, start: async () => undefined, stop: () => undefined };
    const handlers = createIngestHandlers({
      links,
      visitorIds: createVisitorIds({ salts, cache: createMemoryCache() }),
      publisher: createBatchingPublisher(bus, 'events_v1'),
      cache: createMemoryCache(),
      metrics: createMetrics(),
      logger: testLogger,
      hashSecret: 'x'.repeat(32),
      trustProxy: false,
      origin: 'http://127.0.0.1',
    });
    const tracker = trackerScript();
    const page = (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        // As profile pages will: the tracker allowed by its hash, beacons to our own origin only.
        // (Inline styles only so this test page has a layout; real pages bring their own styles.)
        'Content-Security-Policy': `default-src 'none'; script-src ${tracker.cspHash}; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'`,
      });
      response.end(`<!doctype html><html><body><main data-lp-content style="width:400px;margin:0">
        <a data-lp-link="${linkId}" href="/r/${linkId}" style="display:block;height:40px">My link</a></main>
        <script data-profile="${profileId}" data-gpc="1">${tracker.source}</script></body></html>`);
    };
    server = await startTestHttpServer([
      ...ingestRoutes(handlers),
      { name: '/landed', prefix: '/landed', handler: (_request, response) => void response.writeHead(200, { 'Content-Type': 'text/plain' }).end('landed') },
      { name: '/page', prefix: '/page', handler: page },
    ]);
    origin = server.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close(1_000);
  });

  it('sends a view, then one click seen by the beacon and the redirect under one click id', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') violations.push(message.text());
    });
    await page.goto(`${server.url}/page?utm_campaign=launch`);
    await waitFor(() => events().some((event) => event.type === 'view'), { what: 'the view beacon' });
    await page.click('a[data-lp-link]', { position: { x: 100, y: 20 } });
    await page.waitForURL(/\/landed$/);
    const clicks = await waitFor(() => {
      const found = events().filter((event) => event.type === 'click');
      return found.length === 2 ? found : undefined;
    }, { what: 'the beacon and the redirect click' });
    const beacon = clicks.find((event) => event.source === 'beacon')!;
    const redirect = clicks.find((event) => event.source === 'redirect')!;
    expect(beacon.clickId).toBe(redirect.clickId);
    expect(beacon.clickId).toMatch(/^[0-9a-f-]{36}$/);
    expect(beacon.click).toMatchObject({ x: 0.25, y: 20, viewportWidth: 390, viewportHeight: 844 });
    expect(redirect.utm.campaign).toBe('launch');
    expect(events().find((event) => event.type === 'view')!.utm.campaign).toBe('launch');
    expect(violations).toEqual([]);
    await page.close();
  });

  it('records a QR scan on the view and the visit’s click, and takes ?trigger=qr out of the address bar', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    published.length = 0;
    await page.goto(`${server.url}/page?trigger=qr#top`);
    const view = await waitFor(() => events().find((event) => event.type === 'view'), { what: 'the view beacon' });
    expect(view.trigger).toBe('qr');
    // A reload or a copied address is not another scan.
    await waitFor(async () => new URL(page.url()).search === '', { what: 'the address bar to lose ?trigger=qr' });
    expect(new URL(page.url()).hash).toBe('#top');
    await page.click('a[data-lp-link]', { position: { x: 100, y: 20 } });
    await page.waitForURL(/\/landed$/);
    const redirect = await waitFor(() => events().find((event) => event.type === 'click' && event.source === 'redirect'), { what: 'the redirect click' });
    expect(redirect.trigger).toBe('qr');
    await page.close();
  });

  it('sends nothing from a browser with Global Privacy Control when the creator honours it', async () => {
    const context = await browser.newContext();
    await context.addInitScript("Object.defineProperty(navigator, 'globalPrivacyControl', { value: true })");
    const page = await context.newPage();
    const before = published.length;
    await page.goto(`${server.url}/page`);
    await page.waitForLoadState('networkidle');
    expect(published.length).toBe(before);
    await context.close();
  });
});
