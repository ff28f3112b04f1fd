// The benchmarks' data loader checked against the generator it amplifies: at each size, the same
// events loaded twice into fresh processes, once all from the JS generator (server/demo/traffic.ts)
// and once as a tenth of it copied ten times inside ClickHouse (support/harness.ts; from 10 M on, a
// base of 1 M, as the other benchmarks load it). Prints both load times and the data's shape per
// UTC day side by side: events, distinct visitors, distinct cities, referrers and campaigns, and how
// far the hour-of-day profiles differ, so a change to either side shows whether the amplified data
// still looks like the real thing.
import { startSite } from '../server/testing/site.js';
import { BASE_EVENTS, loadGeneratedEvents, seedCreator, type LoadedEvents } from './support/harness.js';
import { ascending, formatSize, percentile, table, type Benchmark } from './support/measure.js';

interface DayShape {
  events: number;
  visitors: number;
  cities: number;
  referrers: number;
  campaigns: number;
}

interface Shape {
  loaded: LoadedEvents;
  /** Whole UTC days of the traffic only (the first and last are partial). */
  days: DayShape[];
  /** Share of events per UTC hour of day, 0..1. */
  hours: number[];
}

const DAY_MS = 86_400_000;

async function loadAndDescribe(total: number, end: number, baseEvents: number): Promise<Shape> {
  const site = await startSite('bench-loading', ['api'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  try {
    const creator = await seedCreator(site.running.url, site.origin);
    const loaded = await loadGeneratedEvents(site.running, creator, total, end, baseEvents);
    const clickhouse = site.running.platform.clickhouse!;
    const from = new Date(Math.ceil((end - 90 * DAY_MS) / DAY_MS) * DAY_MS);
    const to = new Date(Math.floor(end / DAY_MS) * DAY_MS);
    const days = await clickhouse.query<Record<keyof DayShape, string>>(
      `SELECT count() AS events, uniqExactIf(visitor_id, is_bot = 0 AND is_internal = 0) AS visitors,
              uniqExact(city) AS cities, uniqExact(referrer_domain) AS referrers, uniqExact(utm_campaign) AS campaigns
         FROM events WHERE profile_id = {profile:UUID} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
        GROUP BY toDate(timestamp) ORDER BY toDate(timestamp)`,
      { profile: creator.profileId, from, to },
    );
    const hours = await clickhouse.query<{ share: number }>(
      `SELECT count() / sum(count()) OVER () AS share FROM events
        WHERE profile_id = {profile:UUID} AND timestamp >= {from:DateTime64(3)} AND timestamp < {to:DateTime64(3)}
        GROUP BY toHour(timestamp) ORDER BY toHour(timestamp)`,
      { profile: creator.profileId, from, to },
    );
    return {
      loaded,
      days: days.map((day) => ({ events: Number(day.events), visitors: Number(day.visitors), cities: Number(day.cities), referrers: Number(day.referrers), campaigns: Number(day.campaigns) })),
      hours: hours.map((hour) => Number(hour.share)),
    };
  } finally {
    await site.stop();
  }
}

function compareShapes(total: number, generated: Shape, amplified: Shape): void {
  const summary = (shape: Shape, measure: keyof DayShape) => {
    const values = ascending(shape.days.map((day) => day[measure]));
    return { median: percentile(values, 50), max: values[values.length - 1] ?? Number.NaN };
  };
  const rows: string[][] = [];
  for (const measure of ['events', 'visitors', 'cities', 'referrers', 'campaigns'] as const) {
    for (const statistic of ['median', 'max'] as const) {
      const a = summary(generated, measure)[statistic];
      const b = summary(amplified, measure)[statistic];
      rows.push([`${measure} per day, ${statistic}`, a.toLocaleString('en-US'), b.toLocaleString('en-US'), (b / a).toFixed(2)]);
    }
  }
  // Day by day: how closely the amplified days follow the generated ones (same trend, weekdays, spikes).
  const dayRatios = ascending(generated.days.map((day, index) => (amplified.days[index]?.events ?? 0) / day.events));
  rows.push(['events per day, amplified / generated', '', '', `${percentile(dayRatios, 0).toFixed(2)}–${dayRatios[dayRatios.length - 1]!.toFixed(2)}`]);
  const hourGap = Math.max(...generated.hours.map((share, hour) => Math.abs(share - (amplified.hours[hour] ?? 0))));
  rows.push(['hour of day: largest gap in share', '', '', `${(hourGap * 100).toFixed(2)} pp`]);
  const seconds = (loaded: LoadedEvents) => ((loaded.generateMs + loaded.amplifyMs) / 1000).toFixed(1);
  rows.push(['load (s), views included', seconds(generated.loaded), seconds(amplified.loaded), '']);
  table(
    `${formatSize(total)} events, whole UTC days (${generated.days.length}): all from the JS generator vs ${formatSize(amplified.loaded.baseEvents)} × ${amplified.loaded.copies} copies in ClickHouse (visitors: people, not bots or the creator)`,
    ['', 'generator', 'amplified', 'ratio'],
    rows,
  );
}

export const loadingBenchmark: Benchmark = {
  name: 'loading',
  description: "the benchmarks' loader: events all from the JS generator vs amplified in ClickHouse, load time and shape per day",
  defaultSizes: [1_000_000],
  async run(sizes) {
    for (const total of sizes) {
      const end = Date.now();
      const generated = await loadAndDescribe(total, end, total);
      const amplified = await loadAndDescribe(total, end, Math.min(BASE_EVENTS, Math.ceil(total / 10)));
      compareShapes(total, generated, amplified);
    }
  },
};
