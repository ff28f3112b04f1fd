// The analytics API as the data grows. For each size (events of one profile: the worst case for a
// single dashboard), one process is loaded once (support/harness.ts: the demo's realistic traffic,
// amplified in ClickHouse, aggregates merged), then every analytics endpoint the API declares is
// called 20 times over HTTP for the dashboard's 7, 30 and 90 days and all time presets (whole days
// in Europe/Berlin up to now): p50/p95. The process
// and its data are gone before the next size. Last, one table of p95s over sizes and ranges, the
// tables' sizes on disk, and how the cost of a 90-day view grows with the events.
import { z } from 'zod';
import { chooseInterval, resolveRange, type Preset } from '../dashboard/src/lib/analytics/range.js';
import { startSite } from '../server/testing/site.js';
import { describeLoad, loadGeneratedEvents, megabytes, seedCreator, type LoadedEvents } from './support/harness.js';
import { ascending, formatSize, percentile, report, table, type Benchmark } from './support/measure.js';

const SAMPLES = 20;

interface Range {
  label: string;
  from: Date;
  to: Date;
}

/** The zone the ranges are resolved in: a creator in Berlin, whose days start at 22:00 or 23:00 UTC. */
const VIEWER_TIME_ZONE = 'Europe/Berlin';

/**
 * The dashboard's presets at `end` (dashboard/src/lib/analytics/range.ts: whole local days up to now)
 * for 7, 30 and 90 days and all time, so each read is the one a creator's dashboard sends.
 */
function rangesEndingAt(end: number): Range[] {
  const preset = (label: string, choice: Preset): Range => ({ label, ...resolveRange({ preset: choice }, VIEWER_TIME_ZONE, end) });
  return [preset('7 d', '7d'), preset('30 d', '30d'), preset('90 d', '90d'), preset('all', 'all')];
}

/** How the benchmark calls an endpoint: a label in the tables and the query beyond from/to. */
interface Variant {
  label: string;
  query(range: Range): string;
}

/**
 * What each endpoint is called with, beyond its range: what the dashboard asks for. An endpoint not
 * named here is called with its range alone, so one added to the API is measured without a change
 * here, unless it requires more.
 */
const VARIANTS: Record<string, readonly Variant[]> = {
  summary: [
    { label: 'summary (compare)', query: () => '&compare=previous' },
    { label: 'summary (3 filters: raw rows)', query: () => '&country=DE&device=mobile&channel=github' },
  ],
  // The interval the dashboard picks for the range (days up to ~3 months, then weeks or months).
  timeseries: [{ label: 'timeseries', query: (range) => `&interval=${chooseInterval(range)}&tz=Europe%2FBerlin` }],
  heatmap: [{ label: 'heatmap (mobile)', query: () => '&device=mobile' }],
  // The per-day-and-link file. The raw-events file is left out: a download of every row of the
  // range, whose cost grows with the events by design (100 M rows, 20 times, would take hours).
  export: [{ label: 'export (daily)', query: () => '&data=daily' }],
};

interface Endpoint {
  /** The last segment of /api/v1/profiles/{profileId}/analytics/<name>. */
  name: string;
  /** False for one that takes no range (realtime: the last 30 minutes): measured once per size. */
  hasRange: boolean;
  variants: readonly Variant[];
}

const OpenApiDocument = z.object({
  paths: z.record(
    z.string(),
    z.record(z.string(), z.looseObject({ parameters: z.array(z.looseObject({ name: z.string(), in: z.string(), required: z.boolean().optional() })).optional() })),
  ),
});
const ANALYTICS_PATH = /^\/api\/v1\/profiles\/\{profileId\}\/analytics\/([a-z][a-z0-9-]*)$/;

/** Every GET under …/analytics/ in the process's own OpenAPI document: the endpoints as the API declares them. */
async function listAnalyticsEndpoints(baseUrl: string): Promise<Endpoint[]> {
  const response = await fetch(`${baseUrl}/api/v1/openapi.json`);
  if (!response.ok) throw new Error(`GET /api/v1/openapi.json: ${response.status}`);
  const document = OpenApiDocument.parse(await response.json());
  const endpoints: Endpoint[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    const name = ANALYTICS_PATH.exec(path)?.[1];
    const parameters = operations.get?.parameters;
    if (name === undefined || operations.get === undefined) continue;
    const query = (parameters ?? []).filter((parameter) => parameter.in === 'query');
    const variants = VARIANTS[name] ?? [{ label: name, query: () => '' }];
    const given = new Set(variants.flatMap((variant) => [...new URLSearchParams(variant.query(rangesEndingAt(Date.now())[0]!)).keys()]));
    const missing = query.filter((parameter) => parameter.required && !given.has(parameter.name)).map((parameter) => parameter.name);
    if (missing.length > 0) throw new Error(`analytics/${name} requires ${missing.join(', ')}: add it to VARIANTS in bench/analytics.bench.ts`);
    endpoints.push({ name, hasRange: query.some((parameter) => parameter.name === 'from'), variants });
  }
  if (endpoints.length === 0) throw new Error('no analytics endpoint in /api/v1/openapi.json');
  return endpoints.sort((a, b) => a.name.localeCompare(b.name));
}

interface Timing {
  p50: number;
  p95: number;
}

interface SizeResult {
  loaded: LoadedEvents;
  /** Per variant label, per range label (NO_RANGE for an endpoint that takes none). */
  timings: Map<string, Map<string, Timing>>;
}

const NO_RANGE = 'none';

async function timeRequests(url: string, cookie: string): Promise<Timing> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const t = performance.now();
    const response = await fetch(url, { headers: { cookie } });
    if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    samples.push(performance.now() - t);
  }
  const sorted = ascending(samples);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}

/** One process, loaded with `total` events, measured over every range, then stopped and its data removed. */
async function measureSize(total: number): Promise<SizeResult> {
  const site = await startSite('bench-analytics', ['api'], { API_USER_RATE_LIMIT_PER_MINUTE: '1000000' });
  const { running } = site;
  try {
    const creator = await seedCreator(running.url, site.origin);
    const end = Date.now();
    const loaded = await loadGeneratedEvents(running, creator, total, end);
    const endpoints = await listAnalyticsEndpoints(running.url);
    const base = `${running.url}/api/v1/profiles/${creator.profileId}/analytics`;
    const timings = new Map<string, Map<string, Timing>>();
    const record = (label: string, range: string, timing: Timing) => {
      const byRange = timings.get(label) ?? new Map<string, Timing>();
      timings.set(label, byRange.set(range, timing));
    };
    for (const endpoint of endpoints.filter((candidate) => !candidate.hasRange)) {
      for (const variant of endpoint.variants) record(variant.label, NO_RANGE, await timeRequests(`${base}/${endpoint.name}`, creator.cookie));
    }
    const ranges = rangesEndingAt(end);
    for (const range of ranges) {
      for (const endpoint of endpoints.filter((candidate) => candidate.hasRange)) {
        for (const variant of endpoint.variants) {
          const url = `${base}/${endpoint.name}?from=${range.from.toISOString()}&to=${range.to.toISOString()}${variant.query(range)}`;
          record(variant.label, range.label, await timeRequests(url, creator.cookie));
        }
      }
    }
    const lines = describeLoad(loaded);
    for (const [label, byRange] of timings) {
      lines[label] = [...byRange].map(([range, timing]) => `${range === NO_RANGE ? '' : `${range} `}${timing.p50.toFixed(0)}/${timing.p95.toFixed(0)}`).join(', ');
    }
    report(
      `analytics API, ${formatSize(loaded.events)} events of one profile (embedded chDB, aggregates merged), ${SAMPLES} calls each: p50/p95 ms per range (all = from ${ranges[3]!.from.toISOString().slice(0, 10)})`,
      lines,
    );
    return { loaded, timings };
  } finally {
    await site.stop();
  }
}

/** The slowest endpoint over the last 90 days at one size: the figure that must grow sub-linearly. */
function worst90Days(result: SizeResult): { label: string; p95: number } {
  let worst = { label: '', p95: 0 };
  for (const [label, byRange] of result.timings) {
    const p95 = byRange.get('90 d')?.p95;
    if (p95 !== undefined && p95 > worst.p95) worst = { label, p95 };
  }
  return worst;
}

function compareSizes(sizes: readonly SizeResult[]): void {
  const rangeLabels = [...new Set(sizes.flatMap((size) => [...size.timings.values()].flatMap((byRange) => [...byRange.keys()])))].filter((range) => range !== NO_RANGE);
  const columns = sizes.flatMap((size) => rangeLabels.map((range) => ({ size, range })));
  const labels = [...new Set(sizes.flatMap((size) => [...size.timings.keys()]))];
  const cell = (size: SizeResult, label: string, range: string) => {
    const byRange = size.timings.get(label);
    const timing = byRange?.get(range) ?? (range === rangeLabels[0] ? byRange?.get(NO_RANGE) : undefined);
    return timing === undefined ? '·' : timing.p95.toFixed(0);
  };
  table(
    'analytics API p95 (ms) by size and range (a row without range, realtime, under the first range)',
    ['endpoint', ...columns.map(({ size, range }) => `${formatSize(size.loaded.events)} ${range}`)],
    labels.map((label) => [label, ...columns.map(({ size, range }) => cell(size, label, range))]),
  );
  const tables = [...new Set(sizes.flatMap((size) => [...size.loaded.tableBytes.keys()]))];
  table(
    'on disk (MB, active parts) and loading',
    ['', ...sizes.map((size) => formatSize(size.loaded.events))],
    [
      ...tables.map((name) => [name, ...sizes.map((size) => megabytes(size.loaded.tableBytes.get(name) ?? 0))]),
      ['load (s)', ...sizes.map((size) => ((size.loaded.generateMs + size.loaded.amplifyMs) / 1000).toFixed(0))],
      ['OPTIMIZE FINAL (s)', ...sizes.map((size) => (size.loaded.mergeMs / 1000).toFixed(1))],
      ['background merges (s)', ...sizes.map((size) => (size.loaded.settleMs / 1000).toFixed(1))],
    ],
  );
  const growth: Record<string, string> = {};
  for (const [index, size] of sizes.entries()) {
    const worst = worst90Days(size);
    growth[`${formatSize(size.loaded.events)}: slowest p95`] = `${worst.p95.toFixed(0)} ms (${worst.label})`;
    const previous = sizes[index - 1];
    if (previous === undefined) continue;
    const before = worst90Days(previous);
    const events = size.loaded.events / previous.loaded.events;
    const cost = worst.p95 / before.p95;
    growth[`${formatSize(size.loaded.events)} / ${formatSize(previous.loaded.events)}`] =
      `events ×${events.toFixed(1)}, slowest 90-day p95 ×${cost.toFixed(2)}: ${cost < events ? 'sub-linear' : 'linear or worse'}`;
  }
  report('growth of a 90-day view (the slowest endpoint at each size)', growth);
}

export const analyticsBenchmark: Benchmark = {
  name: 'analytics',
  description: 'every analytics endpoint over generated events of one profile, 7/30/90 days and all time, at each size',
  defaultSizes: [1_000_000, 10_000_000],
  async run(sizes) {
    const results: SizeResult[] = [];
    for (const size of sizes) results.push(await measureSize(size));
    compareSizes(results);
  },
};
