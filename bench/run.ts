// Benchmarks: measure and report, never fail on a timing. `npm run bench` runs every benchmark on
// the embedded backends (and on Kafka too when KAFKA_BROKERS is set); `npm run bench -- bus` runs one,
// `npm run bench -- analytics 1m,10m,100m` one at several sizes. Each benchmark is a <name>.bench.ts beside this
// file; this one lists them, picks from the arguments, and prints the machine and Node version first,
// since figures only mean something next to them.
import { cpus, totalmem } from 'node:os';
import { abtestBenchmark } from './abtest.bench.js';
import { analyticsBenchmark } from './analytics.bench.js';
import { assetsBenchmark } from './assets.bench.js';
import { busBenchmark } from './bus.bench.js';
import { clickhouseBenchmark } from './clickhouse.bench.js';
import { dashboardBenchmark } from './dashboard.bench.js';
import { githubBenchmark } from './github.bench.js';
import { httpBenchmark } from './http.bench.js';
import { ingestScaleOutBenchmark } from './ingest-scale-out.bench.js';
import { lighthouseBenchmark } from './lighthouse.bench.js';
import { loadingBenchmark } from './loading.bench.js';
import { passwordsBenchmark } from './passwords.bench.js';
import { pipelineBenchmark } from './pipeline.bench.js';
import { retentionBenchmark } from './retention.bench.js';
import { scaleOutBenchmark } from './scale-out.bench.js';
import { visitorsBenchmark } from './visitors.bench.js';
import { webhooksBenchmark } from './webhooks.bench.js';
import { formatSize, parseSizes, type Benchmark } from './support/measure.js';

/** In the order `npm run bench` runs them, whatever the order of the arguments. */
const BENCHMARKS: readonly Benchmark[] = [
  busBenchmark,
  clickhouseBenchmark,
  httpBenchmark,
  visitorsBenchmark,
  abtestBenchmark,
  pipelineBenchmark,
  scaleOutBenchmark,
  ingestScaleOutBenchmark,
  loadingBenchmark,
  analyticsBenchmark,
  retentionBenchmark,
  passwordsBenchmark,
  webhooksBenchmark,
  assetsBenchmark,
  lighthouseBenchmark,
  dashboardBenchmark,
  githubBenchmark,
];

/**
 * The benchmarks the arguments name, each with the sizes that follow its name (`analytics 1m,10m
 * dashboard 300000`); all of them for none. Throws on a word that names no benchmark, and on sizes
 * for one that takes none.
 */
function selectBenchmarks(args: readonly string[]): Map<Benchmark, readonly number[] | undefined> {
  if (args.length === 0) return new Map(BENCHMARKS.map((benchmark) => [benchmark, undefined]));
  const sizes = new Map<Benchmark, readonly number[] | undefined>();
  let previous: Benchmark | undefined;
  for (const arg of args) {
    const given = parseSizes(arg);
    if (given !== undefined) {
      if (previous === undefined || !('defaultSizes' in previous)) throw new Error(`${arg}: only ${BENCHMARKS.filter((benchmark) => 'defaultSizes' in benchmark).map((benchmark) => benchmark.name).join(', ')} take sizes, after their name`);
      sizes.set(previous, given);
      continue;
    }
    previous = BENCHMARKS.find((benchmark) => benchmark.name === arg);
    if (previous === undefined) throw new Error(`${arg}: no such benchmark`);
    sizes.set(previous, undefined);
  }
  return new Map(BENCHMARKS.filter((benchmark) => sizes.has(benchmark)).map((benchmark) => [benchmark, sizes.get(benchmark)]));
}

function usage(): string {
  const lines = BENCHMARKS.map((benchmark) => `  ${benchmark.name.padEnd(11)} ${benchmark.description}${'defaultSizes' in benchmark ? ` (sizes: the events; default ${benchmark.defaultSizes.map(formatSize).join(', ')})` : ''}`);
  return `usage: npm run bench [-- <name> [sizes] ...]   sizes: events, comma-separated, k/m allowed (1m,10m,100m); bench/README.md\n${lines.join('\n')}\n`;
}

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(usage());
  process.exit(0);
}
let selected: Map<Benchmark, readonly number[] | undefined>;
try {
  selected = selectBenchmarks(args);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage()}`);
  process.exit(2);
}
process.stdout.write(`Linkpulse benchmarks: Node ${process.version}, ${cpus().length} CPU (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 1024 ** 3)} GiB\n`);
for (const [benchmark, sizes] of selected) {
  if ('defaultSizes' in benchmark) await benchmark.run(sizes ?? benchmark.defaultSizes);
  else await benchmark.run();
}
