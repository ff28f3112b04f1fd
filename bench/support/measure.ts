// What every benchmark shares for its figures: the Benchmark that bench/run.ts dispatches on, and
// percentiles, rates and the report as every benchmark prints them.

interface BenchmarkIdentity {
  /** What `npm run bench -- <name>` selects. */
  name: string;
  /** One line: what it measures (bench/README.md says it in full). */
  description: string;
}

/** One benchmark: run() measures and prints its report, and throws only when what it measures fails, never over a timing. */
export type Benchmark =
  | (BenchmarkIdentity & { run(): Promise<void> })
  /**
   * One that takes sizes, the events it loads (`npm run bench -- analytics 1m,10m`), defaultSizes
   * when none are given; run() measures each in turn and compares them.
   */
  | (BenchmarkIdentity & { defaultSizes: readonly number[]; run(sizes: readonly number[]): Promise<void> });

/** The p-th percentile (0-100) of samples sorted ascending; NaN for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** A sorted copy: the samples stay in the order they were taken. */
export function ascending(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}

/** Latencies in milliseconds: p50, p99 and the maximum. */
export function latencies(samples: readonly number[]): string {
  const sorted = ascending(samples);
  return `p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms, max ${sorted[sorted.length - 1]!.toFixed(2)} ms`;
}

/** `count` operations in `ms` milliseconds, per second. */
export const rate = (count: number, ms: number) => `${Math.round((count / ms) * 1000).toLocaleString('en-US')}/s`;

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1_000, m: 1_000_000 };

/**
 * A benchmark's size list as the command line gives it: comma-separated whole numbers, each with an
 * optional k or m (1m = 1,000,000). Undefined when the word is not one (then it names a benchmark).
 */
export function parseSizes(word: string): number[] | undefined {
  const sizes: number[] = [];
  for (const part of word.split(',')) {
    const match = /^(\d+)([km]?)$/i.exec(part);
    if (!match) return undefined;
    const size = Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!;
    if (!Number.isSafeInteger(size) || size < 1) return undefined;
    sizes.push(size);
  }
  return sizes;
}

/** A size for a table's heading: 1 M, 10 M, 250 k. */
export function formatSize(events: number): string {
  if (events >= 1_000_000 && events % 100_000 === 0) return `${events / 1_000_000} M`;
  if (events >= 1_000 && events % 100 === 0) return `${events / 1_000} k`;
  return events.toLocaleString('en-US');
}

/** Prints rows as a table: a heading row, then aligned columns (the first left-aligned, the rest right). */
export function table(title: string, heading: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = heading.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) => `  ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ')}`.trimEnd();
  process.stdout.write(`\n${title}\n${line(heading)}\n${rows.map(line).join('\n')}\n`);
}

/** Prints a titled block of aligned `label value` lines to stdout. */
export function report(name: string, lines: Record<string, string>): void {
  process.stdout.write(`\n${name}\n`);
  for (const [label, value] of Object.entries(lines)) process.stdout.write(`  ${label.padEnd(34)} ${value}\n`);
}
