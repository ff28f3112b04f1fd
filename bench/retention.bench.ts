// What the analytics-retention job costs (scheduler/analytics-retention.ts). For each size, one
// process (api and scheduler roles, embedded chDB) is loaded with that many generated events of one
// profile over 90 days (support/harness.ts, aggregates merged), the profile's owner chooses 30 days,
// and the job is run three times: the first run (about two thirds of the rows go: the backlog a new
// choice leaves), the same run again (nothing to delete: the cost of a run between two UTC midnights)
// and the run a day later (one day goes: the steady state). Rows per table before and after.
import { runAnalyticsRetention, type RetentionDeps, type RetentionReport } from '../scheduler/analytics-retention.js';
import { startSite } from '../server/testing/site.js';
import { benchLogger, describeLoad, loadGeneratedEvents, seedCreator } from './support/harness.js';
import { formatSize, report, table, type Benchmark } from './support/measure.js';

const DAY_MS = 86_400_000;
const RETENTION_DAYS = 30;
const TABLES = ['events', 'traffic_hourly', 'traffic_daily', 'geo_daily', 'dimension_daily', 'utm_daily', 'heatmap_daily'];

/** One run, timed; retried while another job holds the maintenance lock (the scheduler role runs too). */
async function timedRun(deps: RetentionDeps, now: Date): Promise<{ ms: number; report: RetentionReport }> {
  for (;;) {
    const started = performance.now();
    const result = await runAnalyticsRetention(deps, now);
    if (result) return { ms: performance.now() - started, report: result };
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

async function measureSize(total: number): Promise<void> {
  const site = await startSite('bench-retention', ['api', 'scheduler']);
  const { running } = site;
  try {
    const clickhouse = running.platform.clickhouse!;
    const db = running.platform.schedulerDb!;
    const creator = await seedCreator(running.url, site.origin);
    const now = new Date();
    const loaded = await loadGeneratedEvents(running, creator, total, now.getTime());
    const rows = async () => {
      const counts: number[] = [];
      for (const name of TABLES) {
        const [row] = await clickhouse.query<{ n: string }>(`SELECT count() AS n FROM ${name} WHERE profile_id = {profile:UUID}`, { profile: creator.profileId });
        counts.push(Number(row?.n));
      }
      return counts;
    };
    const before = await rows();
    const chosen = await creator.client.patch(`/api/v1/profiles/${creator.profileId}`, { analyticsRetentionDays: RETENTION_DAYS });
    if (chosen.status !== 200) throw new Error(`choosing the retention: ${chosen.status} ${JSON.stringify(chosen.body)}`);
    const deps: RetentionDeps = { db, clickhouse, logger: benchLogger };
    const first = await timedRun(deps, now);
    const after = await rows();
    const again = await timedRun(deps, now);
    const nextDay = await timedRun(deps, new Date(now.getTime() + DAY_MS));
    const afterNextDay = await rows();
    report(`analytics retention, ${formatSize(loaded.events)} events of one profile over 90 days, ${RETENTION_DAYS} days chosen (embedded chDB)`, {
      ...describeLoad(loaded),
      'first run (the backlog)': `${(first.ms / 1000).toFixed(1)} s, ${Object.keys(first.report.deleted).length} tables with a DELETE`,
      'the same run again (nothing to do)': `${(again.ms / 1000).toFixed(2)} s, ${Object.keys(again.report.deleted).length} tables with a DELETE`,
      'a day later (one day goes)': `${(nextDay.ms / 1000).toFixed(1)} s, ${Object.keys(nextDay.report.deleted).length} tables with a DELETE`,
    });
    table(
      'rows of the profile per table',
      ['table', 'before', 'after the first run', 'a day later'],
      TABLES.map((name, index) => [name, before[index]!.toLocaleString('en-US'), after[index]!.toLocaleString('en-US'), afterNextDay[index]!.toLocaleString('en-US')]),
    );
  } finally {
    await site.stop();
  }
}

export const retentionBenchmark: Benchmark = {
  name: 'retention',
  description: 'the analytics-retention job over generated events of one profile (90 days, 30 kept): first run, a run with nothing to do, the next day',
  defaultSizes: [1_000_000],
  async run(sizes) {
    for (const size of sizes) await measureSize(size);
  },
};
