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
  /** One that takes a size (`npm run bench -- analytics 200000`), defaultSize when none is given. */
  | (BenchmarkIdentity & { defaultSize: number; run(size: number): Promise<void> });

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

/** Prints a titled block of aligned `label value` lines to stdout. */
export function report(name: string, lines: Record<string, string>): void {
  process.stdout.write(`\n${name}\n`);
  for (const [label, value] of Object.entries(lines)) process.stdout.write(`  ${label.padEnd(34)} ${value}\n`);
}
