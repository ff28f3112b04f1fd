import { describe, expect, it } from 'vitest';
import { fitWithin } from './compress.js';

describe('fitWithin', () => {
  it('scales the longest side down to the limit, keeping the aspect ratio', () => {
    expect(fitWithin(3000, 2000, 1024)).toEqual({ width: 1024, height: 683 });
    expect(fitWithin(2000, 3000, 1024)).toEqual({ width: 683, height: 1024 });
    expect(fitWithin(5000, 10, 1024)).toEqual({ width: 1024, height: 2 });
  });

  it('never enlarges, and never rounds a side to zero', () => {
    expect(fitWithin(640, 480, 1024)).toEqual({ width: 640, height: 480 });
    expect(fitWithin(100_000, 1, 1024)).toEqual({ width: 1024, height: 1 });
  });
});
