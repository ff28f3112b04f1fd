import { describe, expect, it } from 'vitest';
import { colourStep, legendSteps, niceTicks, stepThresholds } from './scale';

describe('colour steps', () => {
  it('puts nothing at -1, the maximum on the darkest step, and small values on visible steps', () => {
    expect(colourStep(0, 100, 5)).toBe(-1);
    expect(colourStep(100, 100, 5)).toBe(4);
    expect(colourStep(1, 100, 5)).toBe(0);
    expect(colourStep(10, 100, 5)).toBe(1);
    expect(colourStep(50, 100, 5)).toBe(3);
  });

  it('gives the legend each step’s lower bound, consistent with colourStep', () => {
    const thresholds = stepThresholds(100, 5);
    expect(thresholds).toEqual([1, 5, 17, 37, 65]);
    thresholds.forEach((threshold, step) => expect(colourStep(threshold, 100, 5)).toBe(step));
  });

  it('shows each bound once in the legend, with the colour a value at that bound gets', () => {
    const colours = ['a', 'b', 'c', 'd', 'e'];
    expect(legendSteps(1, colours)).toEqual([{ from: 1, colour: 'e', last: true }]);
    expect(legendSteps(7, colours).map((step) => [step.from, step.colour])).toEqual([
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
      [5, 'e'],
    ]);
  });
});

describe('axis ticks', () => {
  it('rounds the top up to a readable step and never ticks between whole counts', () => {
    expect(niceTicks(87)).toEqual({ top: 100, ticks: [0, 25, 50, 75, 100] });
    expect(niceTicks(3)).toEqual({ top: 3, ticks: [0, 1, 2, 3] });
    expect(niceTicks(0)).toEqual({ top: 1, ticks: [0, 1] });
    expect(niceTicks(1234).top).toBe(1500);
  });
});
