import { describe, expect, it } from 'vitest';
import { partitionForKey } from './postgres-bus.js';

describe('partitioning', () => {
  it('maps a key to the same partition every time, within range', () => {
    for (const key of ['profile-1:42', 'ü', 'x'.repeat(500)]) {
      const partition = partitionForKey(key, 12);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(12);
      expect(partitionForKey(key, 12)).toBe(partition);
    }
  });

  it('spreads keys across partitions', () => {
    const counts = new Array<number>(12).fill(0);
    for (let i = 0; i < 12_000; i += 1) counts[partitionForKey(`profile-${i % 97}:${i}`, 12)]! += 1;
    for (const count of counts) expect(count).toBeGreaterThan(700);
  });
});
