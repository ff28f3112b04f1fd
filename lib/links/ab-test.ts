// A/B tests of a link's destination: the rules every side shares (the API validates with them, the
// editor checks as the creator types, ingest assigns with them).
//
// A test holds 2 to 4 variants, each an absolute URL (link-url.ts rules) and an integer weight in
// percent; the weights sum to 100. Weights are fixed while a test runs: changing them means ending the
// test and starting a new one, which reshuffles every visitor (the test's id is the seed), so one
// test's figures always describe one split.
//
// Assignment is a pure function of the visitor id and the test: ingest's visitor id is a keyed hash,
// uniformly distributed over UInt64, and is the same for a person's page view and their click on one
// UTC day (it is salted per day, so a person may get another variant on another day: a new id).
// The id is XORed with a 64-bit seed taken from the test's id and mixed (MurmurHash3's 64-bit
// finaliser, a bijection with full avalanche, so two tests' splits are unrelated); its value modulo
// 100 picks the variant by the cumulative weights. No state, no database: the redirect computes it
// from memory, and the same visitor id always gets the same variant for the test's life.
import { parseLinkTarget } from './link-url.js';

export const MIN_VARIANTS = 2;
export const MAX_VARIANTS = 4;
/** Weights are percentages: integers of at least MIN_WEIGHT that sum to WEIGHT_TOTAL. */
export const WEIGHT_TOTAL = 100;
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = WEIGHT_TOTAL - MIN_WEIGHT;

export interface AbVariant {
  url: string;
  /** Percent of visitors, MIN_WEIGHT..MAX_WEIGHT; a test's weights sum to WEIGHT_TOTAL. */
  weight: number;
}

/** A, B, C, D: how the dashboard and the activity log name variants (1-based in events). */
export function variantLetter(variant: number): string {
  return String.fromCharCode(64 + variant);
}

/** Why a list of variants cannot be a test (each with the field it concerns), or an empty list. */
export function abVariantProblems(variants: readonly AbVariant[]): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (variants.length < MIN_VARIANTS || variants.length > MAX_VARIANTS) {
    problems.push({ field: 'variants', message: `a test has ${MIN_VARIANTS} to ${MAX_VARIANTS} destinations` });
  }
  const seen = new Map<string, number>();
  variants.forEach((variant, index) => {
    const target = parseLinkTarget(variant.url);
    if (!target.ok) problems.push({ field: `variants.${index}.url`, message: target.reason });
    else if (seen.has(target.url)) problems.push({ field: `variants.${index}.url`, message: `the same destination as variant ${variantLetter(seen.get(target.url)! + 1)}` });
    else seen.set(target.url, index);
    if (!Number.isInteger(variant.weight) || variant.weight < MIN_WEIGHT || variant.weight > MAX_WEIGHT) {
      problems.push({ field: `variants.${index}.weight`, message: `a whole percentage from ${MIN_WEIGHT} to ${MAX_WEIGHT}` });
    }
  });
  const total = variants.reduce((sum, variant) => sum + variant.weight, 0);
  if (problems.length === 0 && total !== WEIGHT_TOTAL) problems.push({ field: 'variants', message: `the weights add up to ${total}%, not ${WEIGHT_TOTAL}%` });
  return problems;
}

/** Weights split as evenly as whole percentages allow (the editor's default): 50/50, 34/33/33, 25×4. */
export function evenWeights(count: number): number[] {
  const base = Math.floor(WEIGHT_TOTAL / count);
  return Array.from({ length: count }, (_, index) => base + (index < WEIGHT_TOTAL - base * count ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Assignment

const MASK_64 = (1n << 64n) - 1n;

/** MurmurHash3's fmix64: a bijection of UInt64 in which every input bit affects every output bit. */
export function mix64(value: bigint): bigint {
  let x = value & MASK_64;
  x ^= x >> 33n;
  x = (x * 0xff51afd7ed558ccdn) & MASK_64;
  x ^= x >> 33n;
  x = (x * 0xc4ceb9fe1a85ec53n) & MASK_64;
  x ^= x >> 33n;
  return x;
}

/** A test's seed: the first 64 bits of its id (a random UUID, so ~60 random bits). */
export function abTestSeed(testId: string): bigint {
  return BigInt(`0x${testId.replaceAll('-', '').slice(0, 16)}`);
}

/** What ingest keeps in memory per running test: its id, seed and cumulative weights. */
export interface AbAssignment {
  testId: string;
  seed: bigint;
  /** Running totals of the weights: [50, 100] for 50/50. */
  cumulative: number[];
}

export function toAbAssignment(testId: string, weights: readonly number[]): AbAssignment {
  let total = 0;
  return { testId, seed: abTestSeed(testId), cumulative: weights.map((weight) => (total += weight)) };
}

/** The visitor's bucket in a test, 0..WEIGHT_TOTAL-1. */
export function assignmentBucket(visitorId: string, seed: bigint): number {
  return Number(mix64(BigInt(visitorId) ^ seed) % BigInt(WEIGHT_TOTAL));
}

/** The visitor's variant in a test, 1-based (as events record it). */
export function assignVariant(visitorId: string, test: Pick<AbAssignment, 'seed' | 'cumulative'>): number {
  const bucket = assignmentBucket(visitorId, test.seed);
  const index = test.cumulative.findIndex((total) => bucket < total);
  return (index < 0 ? test.cumulative.length - 1 : index) + 1;
}
