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

  it('refuses a limit below one', () => {
    expect(() => new LruMap(0)).toThrow(/at least one/);
  });
});
