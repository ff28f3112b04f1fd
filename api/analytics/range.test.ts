// The analytics range rules: which ranges are refused and for which field, and that every range
// they let through (and its previous period) has ends that print as RFC 3339 date-times.
import { describe, expect, it } from 'vitest';
import { DAY_MS, EARLIEST_ANALYTICS_INSTANT, MAX_RANGE_MS, previousPeriod, rangeProblems, resolveRange } from './range.js';

const NOW = Date.UTC(2026, 11, 4, 12);
const at = (iso: string) => new Date(iso);
const fields = (query: Parameters<typeof rangeProblems>[0]) => rangeProblems(query, NOW).map((problem) => problem.field);
/** RFC 3339 as the API writes it (toISOString): a four-digit year, never -001987 or +010000. */
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('rangeProblems', () => {
  it('accepts the default range, a range up to a day ahead, and the earliest start', () => {
    expect(fields({})).toEqual([]);
    expect(fields({ compare: 'previous' })).toEqual([]);
    expect(fields({ to: new Date(NOW + DAY_MS) })).toEqual([]);
    expect(fields({ from: EARLIEST_ANALYTICS_INSTANT, to: at('2000-02-01T00:00:00Z') })).toEqual([]);
  });

  it('refuses a start before 2000, given or defaulted, naming from', () => {
    expect(fields({ from: at('1999-12-31T23:59:59Z'), to: at('2000-02-01T00:00:00Z') })).toEqual(['from']);
    // to alone: from is 7 days before it.
    expect(fields({ to: at('2000-01-03T00:00:00Z') })).toEqual(['from']);
  });

  it('refuses an end more than a day ahead, naming to', () => {
    expect(fields({ to: new Date(NOW + DAY_MS + 1) })).toEqual(['to']);
    expect(fields({ from: at('2026-12-01T00:00:00Z'), to: at('2030-01-01T00:00:00Z') })).toEqual(['to']);
  });

  it('refuses from at or after to, also when to is the default now', () => {
    expect(fields({ from: at('2026-12-02T00:00:00Z'), to: at('2026-12-02T00:00:00Z') })).toEqual(['from']);
    expect(fields({ from: at('2026-12-05T00:00:00Z') })).toEqual(['from']);
  });

  it('refuses more than 5 years, also when to is the default now', () => {
    expect(fields({ from: new Date(NOW - MAX_RANGE_MS), to: new Date(NOW) })).toEqual([]);
    expect(fields({ from: new Date(NOW - MAX_RANGE_MS - 1) })).toEqual(['to']);
  });

  it('refuses compare=previous when the previous period would start before 2000, naming compare', () => {
    expect(fields({ from: at('2001-01-01T00:00:00Z'), to: at('2002-01-01T00:00:00Z'), compare: 'previous' })).toEqual([]);
    expect(fields({ from: at('2001-01-01T00:00:00Z'), to: at('2002-01-03T00:00:00Z'), compare: 'previous' })).toEqual(['compare']);
    expect(fields({ from: at('2001-01-01T00:00:00Z'), to: at('2002-01-03T00:00:00Z') })).toEqual([]);
  });

  it('lets through only ranges whose ends, and whose previous period’s, are RFC 3339 date-times', () => {
    // Instants from the earliest the API takes as input (year 2000, any offset) to past its latest (9998).
    const candidates = [-DAY_MS, 0, 1, DAY_MS, 400 * DAY_MS, 9000 * DAY_MS, NOW - EARLIEST_ANALYTICS_INSTANT.getTime(), 10 ** 13, 2.5e14].map(
      (offset) => new Date(EARLIEST_ANALYTICS_INSTANT.getTime() + offset),
    );
    let accepted = 0;
    for (const from of [undefined, ...candidates]) {
      for (const to of [undefined, ...candidates]) {
        const query = { from, to, compare: 'previous' as const };
        if (rangeProblems(query, NOW).length > 0) continue;
        accepted += 1;
        const range = resolveRange(query, NOW);
        for (const instant of [range.from, range.to, previousPeriod(range).from]) expect(instant.toISOString()).toMatch(RFC3339);
      }
    }
    expect(accepted).toBeGreaterThan(3);
  });
});
