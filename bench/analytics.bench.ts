// The analytics API over 10 million generated events (one creator's profile: the worst case for a
// single dashboard), each endpoint called 20 times over HTTP with a 30-day range, p50/p95.
import { startSite } from '../server/testing/site.js';
import { loadGeneratedEvents, seedCreator } from './support/harness.js';
import { ascending, percentile, report, type Benchmark } from './support/measure.js';

export const analyticsBenchmark: Benchmark = {
  name: 'analytics',
  description: 'every analytics endpoint over 10 million generated events of one profile, 30-day range (size: the events)',
  defaultSize: 10_000_000,
  async run(total: number) {
    const site = await startSite('bench-analytics', ['api'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
    const { running } = site;
    try {
      const creator = await seedCreator(running.url, site.origin);
      const end = Date.now();
      const lines = await loadGeneratedEvents(running, creator, total, end);
      const from = new Date(end - 30 * 86_400_000).toISOString();
      const to = new Date(end).toISOString();
      for (const [endpoint, extra] of [
        ['summary', '&compare=previous'],
        ['timeseries', '&interval=day&tz=Europe%2FBerlin'],
        ['links', ''],
        ['geo', ''],
        ['devices', ''],
        ['referrers', ''],
        ['utm', ''],
        ['heatmap', '&device=mobile'],
        ['bots', ''],
        ['realtime', ''],
        ['summary', '&country=DE&device=mobile&channel=github'],
      ] as const) {
        const samples: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t = performance.now();
          // Realtime has a fixed window (the last 30 minutes) and takes no range.
          const range = endpoint === 'realtime' ? '' : `?from=${from}&to=${to}${extra}`;
          const response = await fetch(`${running.url}/api/v1/profiles/${creator.profileId}/analytics/${endpoint}${range}`, { headers: { cookie: creator.cookie } });
          if (!response.ok) throw new Error(`${endpoint}: ${response.status} ${await response.text()}`);
          await response.arrayBuffer();
          samples.push(performance.now() - t);
        }
        const sorted = ascending(samples);
        lines[`${endpoint}${extra.includes('country') ? ' (3 filters)' : ''}`] = `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms`;
      }
      report('analytics API (one profile, 30-day range, embedded chDB; aggregates for whole hours and days, raw rows for the rest)', lines);
    } finally {
      await site.stop();
    }
  },
};
