// The verdict of an A/B test of a link's destinations: which variant's click-through rate is ahead,
// and whether the difference is more than chance.
//
// The rate of a variant is its unique clickers over the visitors assigned to it (lib/links/ab-test.ts):
// page visitors and direct visitors of the link during the test, each assigned by the function the
// redirect uses. Units are visitor-days: a visitor id lives one UTC day (salted per day), so a person is
// a new, independently assigned unit each day, which is what the test needs.
//
// Method: two-sided two-proportion z-test (pooled standard error) of the leading variant against each
// other one, with a Bonferroni correction for the k-1 comparisons. "Significant" means every corrected
// p-value is below SIGNIFICANCE_LEVEL (0.05): the leader beats each other variant with 95% confidence.
// No verdict before every variant has MIN_VISITORS_PER_VARIANT assigned visitors and at least
// MIN_EXPECTED_COUNT clickers and non-clickers (the normal approximation's usual condition). Each
// rate also gets a 95% Wilson score interval. A chi-square goodness-of-fit test of the visitors' split
// against the weights flags a sample ratio mismatch (p < 0.001): a split that far off means the
// figures cannot be trusted (bots, a broken redirect), whatever the rates say.

export const SIGNIFICANCE_LEVEL = 0.05;
export const MIN_VISITORS_PER_VARIANT = 100;
export const MIN_EXPECTED_COUNT = 5;
/** Below this p-value the split of visitors is not what the weights promise. */
export const SAMPLE_RATIO_ALARM = 0.001;
const Z_95 = 1.959963984540054;

export interface VariantCounts {
  /** Assigned visitors (visitor-days). */
  visitors: number;
  /** Unique clickers (visitor-days), at most visitors. */
  clickers: number;
}

/** erfc(x), Numerical Recipes' Chebyshev fit (fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** The standard normal distribution function Φ(z). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Two-sided two-proportion z-test with a pooled standard error: z is positive when b's rate is higher. */
export function twoProportionZTest(a: VariantCounts, b: VariantCounts): { z: number; pValue: number } {
  const pooled = (a.clickers + b.clickers) / (a.visitors + b.visitors);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.visitors + 1 / b.visitors));
  if (!(standardError > 0)) return { z: 0, pValue: 1 };
  const z = (b.clickers / b.visitors - a.clickers / a.visitors) / standardError;
  return { z, pValue: erfc(Math.abs(z) / Math.SQRT2) };
}

/** The 95% Wilson score interval of a rate (null without visitors). */
export function wilsonInterval(clickers: number, visitors: number): [number, number] | null {
  if (visitors <= 0) return null;
  const p = clickers / visitors;
  const z2 = Z_95 * Z_95;
  const denominator = 1 + z2 / visitors;
  const centre = (p + z2 / (2 * visitors)) / denominator;
  const half = (Z_95 * Math.sqrt((p * (1 - p)) / visitors + z2 / (4 * visitors * visitors))) / denominator;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** P(X ≥ x) for a chi-square variable with 1 to 3 degrees of freedom (the closed forms). */
export function chiSquareSurvival(x: number, degrees: 1 | 2 | 3): number {
  if (x <= 0) return 1;
  if (degrees === 1) return erfc(Math.sqrt(x / 2));
  if (degrees === 2) return Math.exp(-x / 2);
  return erfc(Math.sqrt(x / 2)) + Math.sqrt((2 * x) / Math.PI) * Math.exp(-x / 2);
}

/** The chi-square goodness-of-fit p-value of the visitors' split against the weights (percent). */
export function sampleRatioPValue(visitors: readonly number[], weights: readonly number[]): number | null {
  const total = visitors.reduce((sum, count) => sum + count, 0);
  if (total === 0 || visitors.length < 2 || visitors.length > 4) return null;
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  const statistic = visitors.reduce((sum, count, index) => {
    const expected = (total * weights[index]!) / weightTotal;
    return sum + (count - expected) ** 2 / expected;
  }, 0);
  return chiSquareSurvival(statistic, (visitors.length - 1) as 1 | 2 | 3);
}

export type AbVerdict =
  /** Too little data for any verdict: `visitorsNeeded` more assigned visitors at least (for the smallest variant). */
  | { status: 'collecting'; visitorsNeeded: number }
  /** Enough data, and no variant is ahead with 95% confidence; `leader` has the highest rate (1-based). */
  | { status: 'no_difference'; leader: number; pValue: number }
  /** `winner` (1-based) beats every other variant with 95% confidence (Bonferroni-corrected p-value). */
  | { status: 'winner'; winner: number; pValue: number };

export interface VariantAnalysis {
  rate: number | null;
  interval: [number, number] | null;
  /** Relative difference of the rate against variant A's (the first), null for A or without rates. */
  liftOverFirst: number | null;
  /** Corrected p-value of the leader against this variant (null for the leader, or before a verdict). */
  pValueAgainstLeader: number | null;
}

export interface AbAnalysis {
  variants: VariantAnalysis[];
  verdict: AbVerdict;
  /** Chi-square p-value of the split against the weights; below SAMPLE_RATIO_ALARM the split is suspect. */
  sampleRatioPValue: number | null;
  sampleRatioMismatch: boolean;
}

/** Rates, intervals, lifts and the verdict of a test's variants (in their order; weights in percent). */
export function analyseAbTest(counts: readonly VariantCounts[], weights: readonly number[]): AbAnalysis {
  const rates = counts.map((count) => (count.visitors > 0 ? count.clickers / count.visitors : null));
  const first = rates[0] ?? null;
  const srm = sampleRatioPValue(
    counts.map((count) => count.visitors),
    weights,
  );
  const enough = counts.every(
    (count) => count.visitors >= MIN_VISITORS_PER_VARIANT && count.clickers >= MIN_EXPECTED_COUNT && count.visitors - count.clickers >= MIN_EXPECTED_COUNT,
  );
  const leader = rates.reduce<number>((best, rate, index) => ((rate ?? -1) > (rates[best] ?? -1) ? index : best), 0);
  const comparisons = counts.length - 1;
  const corrected = counts.map((count, index) => (index === leader || !enough ? null : Math.min(1, twoProportionZTest(count, counts[leader]!).pValue * comparisons)));

  let verdict: AbVerdict;
  if (!enough) {
    verdict = { status: 'collecting', visitorsNeeded: Math.max(0, ...counts.map((count) => MIN_VISITORS_PER_VARIANT - count.visitors)) };
  } else {
    const worst = Math.max(...corrected.filter((value): value is number => value !== null));
    verdict = worst < SIGNIFICANCE_LEVEL ? { status: 'winner', winner: leader + 1, pValue: worst } : { status: 'no_difference', leader: leader + 1, pValue: worst };
  }
  return {
    variants: counts.map((count, index) => ({
      rate: rates[index] ?? null,
      interval: wilsonInterval(count.clickers, count.visitors),
      liftOverFirst: index === 0 || first === null || first === 0 || rates[index] === null ? null : rates[index]! / first - 1,
      pValueAgainstLeader: corrected[index] ?? null,
    })),
    verdict,
    sampleRatioPValue: srm,
    sampleRatioMismatch: srm !== null && srm < SAMPLE_RATIO_ALARM,
  };
}
