// Lighthouse 12 (its default config: the mobile preset, simulated slow 4G and a 4x CPU slowdown),
// performance, accessibility, best practices and SEO, on four pages of a whole process on embedded
// defaults: the demo's public page (bio, six links, two GitHub cards), the landing page and the log-in
// page (signed out), and a creator's editor and analytics page, signed in (the session cookie
// put in the browser's cookie jar over DevTools first: Lighthouse keeps cookies when it resets storage,
// and a Cookie header of its extraHeaders reaches the document but not the page's fetches), over 20,000 generated events so that every panel has data.
// Three runs per page, the median of each figure. The last run's JSON report of each page is saved
// in artifacts/ (ignored by git) for profiling: its diagnostics name what blocks the main thread.
import { mkdir, writeFile } from 'node:fs/promises';
import lighthouse from 'lighthouse';
import { chromium as playwright } from 'playwright-core';
import { seedDemo } from '../server/demo/seed-demo.js';
import { startSite } from '../server/testing/site.js';
import { launchChromium, loadGeneratedEvents, seedCreator } from './support/harness.js';
import { ascending, percentile, report, type Benchmark } from './support/measure.js';

/** The categories measured, and each one's score line. */
const CATEGORIES = { performance: 'performance score', accessibility: 'accessibility score', 'best-practices': 'best practices score', seo: 'SEO score' } as const;

const AUDITS = {
  'First Contentful Paint': 'first-contentful-paint',
  'Largest Contentful Paint': 'largest-contentful-paint',
  'Total Blocking Time': 'total-blocking-time',
  'Cumulative Layout Shift': 'cumulative-layout-shift',
  'Speed Index': 'speed-index',
} as const;

/** Events generated for the analytics page's profile: enough for every panel to have rows. */
const ANALYTICS_EVENTS = 20_000;

async function measure(port: number, url: string, artifact: string): Promise<{ version: string; lines: Record<string, string> }> {
  const samples = new Map<string, number[]>();
  let version = '';
  let last = '';
  for (let run = 0; run < 3; run++) {
    // Lighthouse sometimes loses a run's trace (NO_NAVSTART) on a busy machine: that run is taken again, once.
    const options = { port, output: 'json' as const, logLevel: 'error' as const, onlyCategories: Object.keys(CATEGORIES) };
    let result = await lighthouse(url, options);
    if (result?.lhr.runtimeError?.code === 'NO_NAVSTART') result = await lighthouse(url, options);
    if (!result) throw new Error('Lighthouse returned no result');
    const { lhr } = result;
    if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
    version = lhr.lighthouseVersion;
    last = typeof result.report === 'string' ? result.report : JSON.stringify(lhr);
    for (const [category, label] of Object.entries(CATEGORIES)) samples.set(label, [...(samples.get(label) ?? []), (lhr.categories[category]?.score ?? Number.NaN) * 100]);
    for (const [label, audit] of Object.entries(AUDITS)) samples.set(label, [...(samples.get(label) ?? []), lhr.audits[audit]?.numericValue ?? Number.NaN]);
  }
  await mkdir('artifacts', { recursive: true });
  await writeFile(`artifacts/${artifact}`, last);
  const lines: Record<string, string> = {};
  for (const [label, values] of samples) {
    const median = percentile(ascending(values), 50);
    const unit = label.endsWith('score') || label === 'Cumulative Layout Shift' ? '' : ' ms';
    const shown = (value: number) => (label === 'Cumulative Layout Shift' ? value.toFixed(3) : value.toFixed(0));
    lines[label] = `${shown(median)}${unit} (runs: ${values.map(shown).join(', ')})`;
  }
  return { version, lines };
}

export const lighthouseBenchmark: Benchmark = {
  name: 'lighthouse',
  description: 'Lighthouse 12, mobile preset, performance, accessibility, best practices and SEO, on the demo public page, the landing and log-in pages and a signed-in editor and analytics page; median of 3 runs each',
  async run() {
    const site = await startSite('bench-lighthouse', ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], { API_USER_RATE_LIMIT_PER_MINUTE: '100000' });
    const { origin, running } = site;
    const chromium = await launchChromium();
    try {
      const seeded = await seedDemo({ baseUrl: origin, origin, clickhouse: running.platform.clickhouse!, events: 0 });
      const publicUrl = `${origin}/@${seeded.handle}`;
      const creator = await seedCreator(origin, origin);
      await loadGeneratedEvents(running, creator, ANALYTICS_EVENTS, Date.now());
      const analyticsUrl = `${origin}/dashboard/${creator.profileId}/analytics`;
      const browser = await chromium.version();

      for (const [url, artifact] of [
        [publicUrl, 'lighthouse-public.json'],
        [`${origin}/`, 'lighthouse-landing.json'],
        [`${origin}/login`, 'lighthouse-login.json'],
      ] as const) {
        const measured = await measure(chromium.port, url, artifact);
        report(`Lighthouse ${measured.version}, mobile preset: ${new URL(url).pathname} (Chromium ${browser}; median of 3)`, measured.lines);
      }
      const devtools = await playwright.connectOverCDP(`http://127.0.0.1:${chromium.port}`);
      const [name, value] = creator.cookie.split('=') as [string, string];
      await devtools.contexts()[0]!.addCookies([{ name, value, url: origin }]);
      const editor = await measure(chromium.port, `${origin}/dashboard/${creator.profileId}`, 'lighthouse-editor.json');
      report(`Lighthouse ${editor.version}, mobile preset, signed in: /dashboard/<profile> (the editor; Chromium ${browser}; median of 3)`, editor.lines);
      const analytics = await measure(chromium.port, analyticsUrl, 'lighthouse-analytics.json');
      await devtools.close();
      report(
        `Lighthouse ${analytics.version}, mobile preset, signed in: /dashboard/<profile>/analytics over ${ANALYTICS_EVENTS.toLocaleString('en-US')} events (Chromium ${browser}; median of 3)`,
        analytics.lines,
      );
    } finally {
      await chromium.stop();
      await site.stop();
    }
  },
};
