// A whole process on embedded defaults under concurrent clients: the probes, a server-rendered
// page, the cached public profile and a signed-in read through a row-level-secured transaction.
import { startSite } from '../server/testing/site.js';
import { seedCreator } from './support/harness.js';
import { latencies, rate, report, type Benchmark } from './support/measure.js';

export const httpBenchmark: Benchmark = {
  name: 'http',
  description: 'a whole process under 16 concurrent clients: probes, the SSR page, the cached public profile, a signed-in API read',
  async run() {
    // The benchmark is one client address and one user: lift the limits it would otherwise measure.
    const site = await startSite('bench-http', ['ingest', 'api', 'consumers', 'scheduler', 'dashboard'], { API_RATE_LIMIT_PER_MINUTE: '1000000', API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
    const { url } = site.running;
    try {
      const creator = await seedCreator(url, site.origin);
      for (const [pathname, label, headers] of [
        ['/healthz', 'GET /healthz', {}],
        ['/readyz', 'GET /readyz (checks 5 backends)', {}],
        ['/', 'GET / (SvelteKit SSR status page)', {}],
        [`/api/v1/public/profiles/${creator.handle}`, 'GET public profile (cached, 5 links)', {}],
        [`/api/v1/profiles/${creator.profileId}/links`, 'GET links (session lookup + RLS transaction)', { cookie: creator.cookie }],
      ] as const) {
        const concurrency = 16;
        const perWorker = 150;
        const samples: number[] = [];
        const started = performance.now();
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let i = 0; i < perWorker; i += 1) {
              const t = performance.now();
              const response = await fetch(`${url}${pathname}`, { headers });
              if (!response.ok) throw new Error(`${label}: ${response.status}`);
              await response.arrayBuffer();
              samples.push(performance.now() - t);
            }
          }),
        );
        report(`HTTP: ${label}, ${concurrency} concurrent clients x ${perWorker}`, {
          throughput: rate(concurrency * perWorker, performance.now() - started),
          latency: latencies(samples),
        });
      }
    } finally {
      await site.stop();
    }
  },
};
