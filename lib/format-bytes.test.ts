import { describe, expect, it } from 'vitest';
import { formatBytes } from './format-bytes.js';

describe('formatBytes', () => {
  it('writes sizes as people read them', () => {
    expect(formatBytes(5 * 1024 * 1024)).toBe('5 MB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(1024)).toBe('1 KB');
    expect(formatBytes(1000)).toBe('1000 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(3 * 1024 ** 3 + 200 * 1024 ** 2)).toBe('3.2 GB');
  });
});
