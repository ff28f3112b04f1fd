import { describe, expect, it } from 'vitest';
import { LruMap } from './lru-map.js';

describe('LruMap', () => {
  it('drops the least recently used entry beyond its limit', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1).set('b', 2);
    expect(map.get('a')).toBe(1); // a is now the most recent
    map.set('c', 3); // b goes
    expect([map.get('a'), map.get('b'), map.get('c'), map.size]).toEqual([1, undefined, 3, 2]);
    map.set('a', 10); // replacing keeps the size
    expect([map.get('a'), map.size]).toEqual([10, 2]);
  });

  it('keeps its entries within a total weight, and refuses one that alone weighs more', () => {
    const map = new LruMap<string, string>(100, { maxWeight: 10, weigh: (value) => value.length });
    map.set('a', 'xxxx').set('b', 'yyyy');
    expect(map.weight).toBe(8);
    map.set('c', 'zzzz'); // 12 > 10: a goes
    expect([map.get('a'), map.get('b'), map.get('c'), map.weight]).toEqual([undefined, 'yyyy', 'zzzz', 8]);
    map.set('b', 'y'); // replacing adjusts the weight
    expect(map.weight).toBe(5);
    map.set('huge', 'h'.repeat(11));
    expect([map.get('huge'), map.weight, map.size]).toEqual([undefined, 5, 2]);
    expect(map.delete('c')).toBe(true);
    expect([map.weight, map.size]).toEqual([1, 1]);
  });

  it('refuses a limit below one', () => {
    expect(() => new LruMap(0)).toThrow(/at least one/);
  });
});
