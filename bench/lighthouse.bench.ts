// Lighthouse 12 (its default config: the mobile preset, simulated slow 4G and a 4x CPU slowdown),
// performance only, on a public profile page served by a whole process on embedded defaults: the
// demo page (bio, six links, two GitHub cards). Three runs, the median of each figure.
import lighthouse from 'lighthouse';
import { seedDemo } from '../server/demo/seed-demo.js';
import { startSite } from '../server/testing/site.js';
import { launchChromium } from './support/harness.js';
import { ascending, percentile, report, type Benchmark } from './support/measure.js';

export const lighthouseBenchmark: Benchmark = {
  name: 'lighthouse',
  description: 'Lighthouse 12, mobile preset, performance only, on the demo public page; median of 3 runs',
  async run() {
    const site = await startSite('bench-lighthouse', ['ingest', 'api', 'consumers', 'scheduler', 'dashboard']);
    const { origin, running } = site;
    const chromium = await launchChromium();
    try {
      const seeded = await seedDemo({ baseUrl: origin, origin, clickhouse: running.platform.clickhouse!, events: 0 });
      const url = `${origin}/@${seeded.handle}`;
      const audits = {
        'performance score': ['score', 1],
        'First Contentful Paint': ['first-contentful-paint', 0],
        'Largest Contentful Paint': ['largest-contentful-paint', 0],
        'Total Blocking Time': ['total-blocking-time', 0],
        'Cumulative Layout Shift': ['cumulative-layout-shift', 0],
        'Speed Index': ['speed-index', 0],
      } as const;
      const samples = new Map<string, number[]>();
      let version = '';
      for (let run = 0; run < 3; run++) {
        const result = await lighthouse(url, { port: chromium.port, output: 'json', logLevel: 'error', onlyCategories: ['performance'] });
        if (!result) throw new Error('Lighthouse returned no result');
        const { lhr } = result;
        if (lhr.runtimeError) throw new Error(`Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
        version = lhr.lighthouseVersion;
        for (const [label, [audit]] of Object.entries(audits)) {
          const value = audit === 'score' ? (lhr.categories.performance?.score ?? Number.NaN) * 100 : (lhr.audits[audit]?.numericValue ?? Number.NaN);
          samples.set(label, [...(samples.get(label) ?? []), value]);
        }
      }
      const lines: Record<string, string> = {};
      for (const [label, values] of samples) {
        const median = percentile(ascending(values), 50);
        const unit = label === 'performance score' ? '' : label === 'Cumulative Layout Shift' ? '' : ' ms';
        const shown = (value: number) => (label === 'Cumulative Layout Shift' ? value.toFixed(3) : value.toFixed(0));
        lines[label] = `${shown(median)}${unit} (runs: ${values.map(shown).join(', ')})`;
      }
      report(`Lighthouse ${version}, mobile preset, performance only: ${new URL(url).pathname} (Chromium ${await chromium.version()}; median of 3)`, lines);
    } finally {
      await chromium.stop();
      await site.stop();
    }
  },
};
