import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../seeded-random.js';
import { abTestSeed, abVariantProblems, assignVariant, evenWeights, mix64, toAbAssignment, variantLetter } from './ab-test.js';

/** Visitor ids as ingest makes them: uniformly distributed UInt64s, in decimal. */
function visitorIds(count: number, seed = 7): string[] {
  const random = seededRandom(seed);
  const word = () => BigInt(Math.floor(random() * 2 ** 32));
  return Array.from({ length: count }, () => ((word() << 32n) | word()).toString());
}

describe('assignVariant', () => {
  const test = toAbAssignment('0190c3a1-5b7e-7cc1-9a6f-3f1b2a4c5d6e', [50, 50]);

  it('gives the same visitor id the same variant every time', () => {
    for (const id of visitorIds(1_000)) expect(assignVariant(id, test)).toBe(assignVariant(id, toAbAssignment(test.testId, [50, 50])));
  });

  it('follows the weights within a few standard errors over many visitors', () => {
    const ids = visitorIds(60_000);
    for (const weights of [[50, 50], [90, 10], [25, 25, 25, 25], [70, 20, 7, 3]]) {
      const assignment = toAbAssignment(randomUUID(), weights);
      const counts = new Array<number>(weights.length).fill(0);
      for (const id of ids) counts[assignVariant(id, assignment) - 1]!++;
      weights.forEach((weight, index) => {
        const p = weight / 100;
        const standardError = Math.sqrt((p * (1 - p)) / ids.length);
        // 5 standard errors: a false alarm once in ~1.7 million runs, while a bias of half a point fails.
        expect(Math.abs(counts[index]! / ids.length - p)).toBeLessThan(5 * standardError);
      });
    }
  });

  it('reshuffles visitors for a new test: the two splits are independent', () => {
    const ids = visitorIds(40_000, 11);
    const first = toAbAssignment(randomUUID(), [50, 50]);
    const second = toAbAssignment(randomUUID(), [50, 50]);
    let same = 0;
    for (const id of ids) if (assignVariant(id, first) === assignVariant(id, second)) same++;
    // Independent 50/50 splits agree for half the visitors (±5 standard errors of 0.0025).
    expect(Math.abs(same / ids.length - 0.5)).toBeLessThan(0.0125);
  });

  it('reshuffles even for tests whose ids share their first bits (UUIDv7 ids started a moment apart)', () => {
    const ids = visitorIds(40_000, 13);
    const first = toAbAssignment('0190c3a1-5b7e-7000-8000-000000000000', [50, 50]);
    const second = toAbAssignment('0190c3a1-5b7e-7001-8000-000000000000', [50, 50]);
    let same = 0;
    for (const id of ids) if (assignVariant(id, first) === assignVariant(id, second)) same++;
    expect(Math.abs(same / ids.length - 0.5)).toBeLessThan(0.0125);
  });

  it('handles the extremes of the visitor id range', () => {
    for (const id of ['0', '1', '18446744073709551615']) expect([1, 2]).toContain(assignVariant(id, test));
  });

  it('mixes with MurmurHash3 fmix64 (reference values)', () => {
    // fmix64 from the reference implementation (smhasher's MurmurHash3.cpp).
    expect(mix64(0n)).toBe(0n);
    expect(mix64(1n)).toBe(0xb456bcfc34c2cb2cn);
    expect(mix64(0xffffffffffffffffn)).toBe(0x64b5720b4b825f21n);
    expect(abTestSeed('0190c3a1-5b7e-7cc1-9a6f-3f1b2a4c5d6e')).toBe(0x0190c3a15b7e7cc1n);
  });
});

describe('abVariantProblems', () => {
  it('accepts 2 to 4 distinct destinations whose whole percentages add up to 100', () => {
    expect(abVariantProblems([{ url: 'https://a.example', weight: 50 }, { url: 'https://b.example', weight: 50 }])).toEqual([]);
    expect(abVariantProblems(evenWeights(3).map((weight, index) => ({ url: `https://${index}.example`, weight })))).toEqual([]);
  });

  it('names each problem', () => {
    expect(abVariantProblems([{ url: 'https://a.example', weight: 100 }])).toContainEqual({ field: 'variants', message: 'a test has 2 to 4 destinations' });
    expect(abVariantProblems([{ url: 'https://a.example', weight: 60 }, { url: 'https://b.example', weight: 60 }])).toEqual([{ field: 'variants', message: 'the weights add up to 120%, not 100%' }]);
    expect(abVariantProblems([{ url: 'https://a.example/', weight: 50 }, { url: 'https://A.example', weight: 50 }])).toEqual([
      { field: 'variants.1.url', message: 'the same destination as variant A' },
    ]);
    expect(abVariantProblems([{ url: 'javascript:alert(1)', weight: 50 }, { url: 'https://b.example', weight: 50.5 }]).map((problem) => problem.field)).toEqual([
      'variants.0.url',
      'variants.1.weight',
    ]);
  });

  it('splits evenly and names variants with letters', () => {
    expect(evenWeights(2)).toEqual([50, 50]);
    expect(evenWeights(3)).toEqual([34, 33, 33]);
    expect(evenWeights(4)).toEqual([25, 25, 25, 25]);
    expect([1, 2, 3, 4].map(variantLetter).join('')).toBe('ABCD');
  });
});
