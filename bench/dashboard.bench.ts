// Time to an interactive analytics dashboard over 10 million events: Chromium (playwright-core,
// signed in with the creator's session cookie) opens /dashboard/<profile>/analytics; ready is when
// at least one `section.panel` exists and none is `aria-busy="true"` (every panel has its data).
// Measured in the page with performance.now(), i.e. from navigation start. The first load is cold
// (a fresh browser context: nothing cached, and the first queries of this process on those ranges);
// then 5 warm loads in the same context, p50. For the default view (7 days), 30 days and 90 days.
import { chromium } from 'playwright-core';
import { CHROMIUM, startSite } from '../server/testing/site.js';
import { loadGeneratedEvents, seedCreator } from './support/harness.js';
import { ascending, percentile, report, type Benchmark } from './support/measure.js';

/** Sets window.__linkpulseReady to performance.now() once a panel exists and none is busy. */
const READY_OBSERVER = `(() => {
  const check = () => {
    if (window.__linkpulseReady === undefined && document.querySelector('section.panel') && !document.querySelector('section.panel[aria-busy="true"]')) {
      window.__linkpulseReady = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy'] });
})();`;

export const dashboardBenchmark: Benchmark = {
  name: 'dashboard',
  description: 'time to a ready analytics dashboard in Chromium over 10 million generated events, cold and warm, 7/30/90 days (size: the events)',
  defaultSize: 10_000_000,
  async run(total: number) {
    const site = await startSite('bench-dashboard', ['api', 'dashboard'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
    const { origin, running } = site;
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    try {
      const creator = await seedCreator(origin, origin);
      const lines = await loadGeneratedEvents(running, creator, total, Date.now());
      for (const [label, query] of [
        ['7 days (the default view)', ''],
        ['30 days', '?range=30d'],
        ['90 days', '?range=90d'],
      ] as const) {
        const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
        const [name, value] = creator.cookie.split('=') as [string, string];
        await context.addCookies([{ name, value, url: origin }]);
        const page = await context.newPage();
        const failures: string[] = [];
        page.on('response', (response) => {
          if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`);
        });
        // The page's CSP (rightly) refuses the eval that waitForFunction needs, so an init script
        // (injected by DevTools, outside the CSP) records the moment the panels are ready.
        await page.addInitScript(READY_OBSERVER);
        const timeToReady = async () => {
          await page.goto(`${origin}/dashboard/${creator.profileId}/analytics${query}`, { waitUntil: 'commit' });
          const deadline = performance.now() + 180_000;
          for (;;) {
            const ready = Number(await page.evaluate('window.__linkpulseReady ?? 0'));
            if (ready > 0) return ready;
            if (performance.now() > deadline) throw new Error(`dashboard ${label}: panels not ready after 180 s`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        };
        const cold = await timeToReady();
        const warm: number[] = [];
        for (let i = 0; i < 5; i++) warm.push(await timeToReady());
        const panels = await page.locator('section.panel').count();
        await context.close();
        if (failures.length > 0) throw new Error(`dashboard ${label}: failed requests ${failures.join(', ')}`);
        lines[`${label}: first load (cold)`] = `${cold.toFixed(0)} ms to ${panels} panels ready`;
        lines[`${label}: warm loads, p50 of 5`] = `${percentile(ascending(warm), 50).toFixed(0)} ms (${warm.map((ms) => ms.toFixed(0)).join(', ')})`;
      }
      report(`analytics dashboard in Chromium (headless, 1440 × 900), ${total.toLocaleString('en-US')} events of one profile, embedded chDB: navigation start → every panel loaded`, lines);
    } finally {
      await browser.close();
      await site.stop();
    }
  },
};
