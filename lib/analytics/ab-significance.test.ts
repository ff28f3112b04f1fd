// Reference values computed independently (Python's math.erfc, and the textbook example statsmodels'
// proportions_ztest documents: 200/1000 against 250/1000 gives z = 2.6774, p = 0.0074).
import { describe, expect, it } from 'vitest';
import { analyseAbTest, chiSquareSurvival, normalCdf, sampleRatioPValue, twoProportionZTest, wilsonInterval } from './ab-significance.js';

describe('the distributions', () => {
  it('normalCdf matches the standard normal table', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(-1)).toBeCloseTo(0.158655254, 7);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 7);
    expect(normalCdf(3)).toBeCloseTo(0.998650102, 7);
  });

  it('chi-square survival gives 0.05 at the 95% critical values for 1 to 3 degrees of freedom', () => {
    expect(chiSquareSurvival(3.841458821, 1)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(5.991464547, 2)).toBeCloseTo(0.05, 6);
    expect(chiSquareSurvival(7.814727903, 3)).toBeCloseTo(0.05, 6);
  });
});

describe('twoProportionZTest', () => {
  it('matches known values', () => {
    const textbook = twoProportionZTest({ visitors: 1000, clickers: 200 }, { visitors: 1000, clickers: 250 });
    expect(textbook.z).toBeCloseTo(2.677397763, 6);
    expect(textbook.pValue).toBeCloseTo(0.007419649, 6);
    const close = twoProportionZTest({ visitors: 1000, clickers: 120 }, { visitors: 1000, clickers: 135 });
    expect(close.z).toBeCloseTo(1.005630533, 6);
    expect(close.pValue).toBeCloseTo(0.314593331, 6);
    expect(twoProportionZTest({ visitors: 500, clickers: 52 }, { visitors: 500, clickers: 30 }).z).toBeCloseTo(-2.535679818, 6);
  });

  it('finds no difference where there is no variance', () => {
    expect(twoProportionZTest({ visitors: 100, clickers: 0 }, { visitors: 100, clickers: 0 })).toEqual({ z: 0, pValue: 1 });
  });
});

describe('wilsonInterval', () => {
  it('matches the 95% Wilson score interval', () => {
    const [low, high] = wilsonInterval(25, 100)!;
    expect(low).toBeCloseTo(0.175452114, 7);
    expect(high).toBeCloseTo(0.343044635, 7);
    expect(wilsonInterval(0, 0)).toBeNull();
  });
});

describe('analyseAbTest', () => {
  it('waits for the minimum sample before any verdict', () => {
    const analysis = analyseAbTest(
      [
        { visitors: 60, clickers: 30 },
        { visitors: 55, clickers: 2 },
      ],
      [50, 50],
    );
    expect(analysis.verdict).toEqual({ status: 'collecting', visitorsNeeded: 45 });
    expect(analysis.variants.map((variant) => variant.pValueAgainstLeader)).toEqual([null, null]);
  });

  it('names a winner only when it beats every other variant after the correction', () => {
    const clear = analyseAbTest(
      [
        { visitors: 1000, clickers: 200 },
        { visitors: 1000, clickers: 250 },
      ],
      [50, 50],
    );
    expect(clear.verdict).toMatchObject({ status: 'winner', winner: 2 });
    expect(clear.verdict.status === 'winner' && clear.verdict.pValue).toBeCloseTo(0.007419649, 6);
    expect(clear.variants[1]!.liftOverFirst).toBeCloseTo(0.25, 10);
    expect(clear.sampleRatioMismatch).toBe(false);

    // B against A alone would pass (p = 0.0074 ≤ 0.05), but against C it is p = 0.0438, × 2 comparisons = 0.088.
    const three = analyseAbTest(
      [
        { visitors: 1000, clickers: 200 },
        { visitors: 1000, clickers: 250 },
        { visitors: 1000, clickers: 212 },
      ],
      [34, 33, 33],
    );
    expect(three.verdict).toMatchObject({ status: 'no_difference', leader: 2 });
  });

  it('flags a split that the weights cannot explain', () => {
    expect(sampleRatioPValue([500, 500], [50, 50])).toBeCloseTo(1, 10);
    const skewed = analyseAbTest(
      [
        { visitors: 1000, clickers: 100 },
        { visitors: 800, clickers: 80 },
      ],
      [50, 50],
    );
    expect(skewed.sampleRatioMismatch).toBe(true);
  });
});
