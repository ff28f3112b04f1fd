// Time to an interactive analytics dashboard as the data grows, one process per size (loaded once,
// as bench/analytics.bench.ts does, and removed before the next): Chromium (playwright-core,
// signed in with the creator's session cookie) opens /dashboard/<profile>/analytics; ready is when
// at least one `section.panel` exists and none is `aria-busy="true"` (every panel has its data).
// Measured in the page with performance.now(), i.e. from navigation start. The first load is cold
// (a fresh browser context: nothing cached, and the first queries of this process on those ranges);
// then 5 warm loads in the same context, p50. For the default view (7 days), 30 days and 90 days.
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM, startSite } from '../server/testing/site.js';
import { describeLoad, loadGeneratedEvents, seedCreator, type LoadedEvents } from './support/harness.js';
import { ascending, formatSize, percentile, report, table, type Benchmark } from './support/measure.js';

/** Sets window.__linkpulseReady to performance.now() once a panel exists and none is busy. */
const READY_OBSERVER = `(() => {
  const check = () => {
    if (window.__linkpulseReady === undefined && document.querySelector('section.panel') && !document.querySelector('section.panel[aria-busy="true"]')) {
      window.__linkpulseReady = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['aria-busy'] });
})();`;

interface SizeResult {
  loaded: LoadedEvents;
  /** Per range label: the cold load and the warm ones (ms to ready). */
  loads: Map<string, { cold: number; warm: number[] }>;
}

const RANGES = [
  ['7 d (default view)', ''],
  ['30 d', '?range=30d'],
  ['90 d', '?range=90d'],
] as const;

/** One process with `total` events; each range opened cold, then 5 times warm; then the process and its data are gone. */
async function measureSize(browser: Browser, total: number): Promise<SizeResult> {
  const site = await startSite('bench-dashboard', ['api', 'dashboard'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  const { origin, running } = site;
  try {
    const creator = await seedCreator(origin, origin);
    const loaded = await loadGeneratedEvents(running, creator, total, Date.now());
    const lines = describeLoad(loaded);
    const loads = new Map<string, { cold: number; warm: number[] }>();
    for (const [label, query] of RANGES) {
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
      loads.set(label, { cold, warm });
      lines[`${label}: first load (cold)`] = `${cold.toFixed(0)} ms to ${panels} panels ready`;
      lines[`${label}: warm loads, p50 of 5`] = `${percentile(ascending(warm), 50).toFixed(0)} ms (${warm.map((ms) => ms.toFixed(0)).join(', ')})`;
    }
    report(`analytics dashboard in Chromium (headless, 1440 × 900), ${formatSize(loaded.events)} events of one profile, embedded chDB: navigation start → every panel loaded`, lines);
    return { loaded, loads };
  } finally {
    await site.stop();
  }
}

const warmP50 = (load: { warm: number[] }) => percentile(ascending(load.warm), 50);

function compareSizes(sizes: readonly SizeResult[]): void {
  table(
    'analytics dashboard: ms from navigation start to every panel loaded, by size',
    ['range', ...sizes.map((size) => formatSize(size.loaded.events))],
    [
      ...RANGES.flatMap(([label]) => [
        [`${label} cold`, ...sizes.map((size) => size.loads.get(label)?.cold.toFixed(0) ?? '·')],
        [`${label} warm (p50 of 5)`, ...sizes.map((size) => (size.loads.has(label) ? warmP50(size.loads.get(label)!).toFixed(0) : '·'))],
      ]),
      ['load (s)', ...sizes.map((size) => ((size.loaded.generateMs + size.loaded.amplifyMs) / 1000).toFixed(0))],
    ],
  );
  const growth: Record<string, string> = {};
  for (const [index, size] of sizes.entries()) {
    const previous = sizes[index - 1];
    const now = size.loads.get('90 d');
    const before = previous?.loads.get('90 d');
    if (previous === undefined || now === undefined || before === undefined) continue;
    const events = size.loaded.events / previous.loaded.events;
    const cost = warmP50(now) / warmP50(before);
    growth[`${formatSize(size.loaded.events)} / ${formatSize(previous.loaded.events)}`] =
      `events ×${events.toFixed(1)}, 90-day warm load ×${cost.toFixed(2)}: ${cost < events ? 'sub-linear' : 'linear or worse'}`;
  }
  if (Object.keys(growth).length > 0) report('growth of a 90-day dashboard (warm, p50)', growth);
}

export const dashboardBenchmark: Benchmark = {
  name: 'dashboard',
  description: 'time to a ready analytics dashboard in Chromium over generated events, cold and warm, 7/30/90 days, at each size',
  defaultSizes: [1_000_000, 10_000_000],
  async run(sizes) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    try {
      const results: SizeResult[] = [];
      for (const size of sizes) results.push(await measureSize(browser, size));
      compareSizes(results);
    } finally {
      await browser.close();
    }
  },
};
