import { describe, expect, it } from 'vitest';
import { mapInSlices } from './slices.js';

describe('mapInSlices', () => {
  it('maps every item in order, across slices', async () => {
    const items = Array.from({ length: 1234 }, (_, index) => index);
    expect(await mapInSlices(items, (item) => item * 2, 100)).toEqual(items.map((item) => item * 2));
    expect(await mapInSlices([], (item: number) => item)).toEqual([]);
  });

  it('lets waiting callbacks run between slices', async () => {
    const order: string[] = [];
    setImmediate(() => order.push('other work'));
    await mapInSlices([1, 2, 3, 4], (item) => order.push(`item ${item}`), 2);
    expect(order).toEqual(['item 1', 'item 2', 'other work', 'item 3', 'item 4']);
  });
});
