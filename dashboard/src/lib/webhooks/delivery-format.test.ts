import { describe, expect, it } from 'vitest';
import { attemptOutcome, formatLatency, formatRelative, isSuccess } from './delivery-format';

describe('delivery wording', () => {
  it('says what an attempt got back', () => {
    expect(attemptOutcome({ statusCode: 204, error: null })).toBe('HTTP 204');
    expect(attemptOutcome({ statusCode: 503, error: 'Service Unavailable' })).toBe('HTTP 503');
    expect(attemptOutcome({ statusCode: null, error: 'no answer within 10 s' })).toBe('No answer within 10 s');
    expect(attemptOutcome({ statusCode: null, error: null })).toBe('No answer');
    expect([199, 200, 299, 300, null].map(isSuccess)).toEqual([false, true, true, false, false]);
  });

  it('writes latencies and times relative to now', () => {
    expect([12, 999, 4_210, 12_400, null].map(formatLatency)).toEqual(['12 ms', '999 ms', '4.2 s', '12 s', '—']);
    const now = Date.parse('2026-05-01T12:00:00Z');
    const at = (seconds: number) => new Date(now + seconds * 1000).toISOString();
    expect([at(-3), at(-42), at(-600), at(-7200), at(30), at(5400), at(3)].map((iso) => formatRelative(iso, now))).toEqual([
      'just now',
      '42 s ago',
      '10 min ago',
      '2 h ago',
      'in 30 s',
      'in 2 h',
      'in a moment',
    ]);
    // Past a day: the date (in the browser's language).
    expect(formatRelative(at(-2 * 86_400), now)).toMatch(/2026/);
  });
});
