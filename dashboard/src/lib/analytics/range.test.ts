import { describe, expect, it } from 'vitest';
import {
  addToDate,
  allowedIntervals,
  chooseInterval,
  bucketEnd,
  customRangeProblem,
  effectiveInterval,
  formatBucket,
  formatRange,
  parseDate,
  previousPeriod,
  rangeDates,
  resolveRange,
  startOfLocalDay,
  zonedInstant,
} from './range';

const at = (iso: string) => new Date(iso).getTime();
const iso = (range: { from: Date; to: Date }) => ({ from: range.from.toISOString(), to: range.to.toISOString() });
const HOUR = 3_600_000;

describe('local days in a time zone', () => {
  it('finds local midnight on either side of UTC', () => {
    expect(new Date(zonedInstant({ year: 2026, month: 3, day: 10 }, 'Europe/Berlin')).toISOString()).toBe('2026-03-09T23:00:00.000Z');
    expect(new Date(zonedInstant({ year: 2026, month: 3, day: 10 }, 'America/New_York')).toISOString()).toBe('2026-03-10T04:00:00.000Z');
    expect(new Date(zonedInstant({ year: 2026, month: 3, day: 10 }, 'Asia/Kolkata')).toISOString()).toBe('2026-03-09T18:30:00.000Z');
    expect(new Date(startOfLocalDay(at('2026-03-10T02:00:00Z'), 'America/Los_Angeles')).toISOString()).toBe('2026-03-09T07:00:00.000Z');
  });

  it('maps a time skipped by DST past the gap, and a repeated time to its first occurrence', () => {
    // Berlin springs forward at 02:00 on 29 March 2026 and falls back at 03:00 on 25 October 2026.
    expect(new Date(zonedInstant({ year: 2026, month: 3, day: 29 }, 'Europe/Berlin', 2)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(new Date(zonedInstant({ year: 2026, month: 10, day: 25 }, 'Europe/Berlin', 2)).toISOString()).toBe('2026-10-25T00:00:00.000Z');
    // Santiago's clocks change at midnight: 6 September 2026 starts at 01:00 local.
    expect(new Date(zonedInstant({ year: 2026, month: 9, day: 6 }, 'America/Santiago')).toISOString()).toBe('2026-09-06T04:00:00.000Z');
  });

  it('adds calendar days and months, and parses only real dates', () => {
    expect(addToDate({ year: 2026, month: 1, day: 1 }, { days: -1 })).toEqual({ year: 2025, month: 12, day: 31 });
    expect(addToDate({ year: 2026, month: 3, day: 1 }, { months: -11 })).toEqual({ year: 2025, month: 4, day: 1 });
    expect(parseDate('2026-02-28')).toEqual({ year: 2026, month: 2, day: 28 });
    expect(parseDate('2026-02-30')).toBeNull();
    expect(parseDate('26-2-3')).toBeNull();
  });
});

describe('range presets', () => {
  const now = at('2026-03-10T15:30:00Z');

  it('starts each preset at local midnight and ends now', () => {
    expect(iso(resolveRange({ preset: 'today' }, 'UTC', now))).toEqual({ from: '2026-03-10T00:00:00.000Z', to: '2026-03-10T15:30:00.000Z' });
    expect(iso(resolveRange({ preset: '7d' }, 'UTC', now)).from).toBe('2026-03-04T00:00:00.000Z');
    expect(iso(resolveRange({ preset: '30d' }, 'UTC', now)).from).toBe('2026-02-09T00:00:00.000Z');
    expect(iso(resolveRange({ preset: '90d' }, 'UTC', now)).from).toBe('2025-12-11T00:00:00.000Z');
    expect(iso(resolveRange({ preset: '12m' }, 'UTC', now)).from).toBe('2025-04-01T00:00:00.000Z');
    const all = resolveRange({ preset: 'all' }, 'UTC', now);
    expect(all.from.toISOString()).toBe('2021-03-11T00:00:00.000Z');
    // The API's limit is 5 × 366 days.
    expect(all.to.getTime() - all.from.getTime()).toBeLessThanOrEqual(5 * 366 * 86_400_000);
  });

  it('is DST-safe: 7 days across the spring change are 167 hours, and start at local midnight', () => {
    const range = resolveRange({ preset: '7d' }, 'Europe/Berlin', at('2026-04-01T22:00:00Z')); // 2 April 00:00 in Berlin
    expect(range.from.toISOString()).toBe('2026-03-26T23:00:00.000Z'); // 27 March 00:00 CET
    const afterMidnight = resolveRange({ preset: 'today' }, 'Europe/Berlin', at('2026-03-29T22:30:00Z'));
    expect(afterMidnight.from.toISOString()).toBe('2026-03-29T22:00:00.000Z'); // 30 March 00:00 CEST
    const day = resolveRange({ preset: 'custom', from: '2026-03-29', to: '2026-03-29' }, 'Europe/Berlin', at('2026-06-01T00:00:00Z'));
    expect(day.to.getTime() - day.from.getTime()).toBe(23 * HOUR);
    const fallDay = resolveRange({ preset: 'custom', from: '2026-10-25', to: '2026-10-25' }, 'Europe/Berlin', at('2026-12-01T00:00:00Z'));
    expect(fallDay.to.getTime() - fallDay.from.getTime()).toBe(25 * HOUR);
  });

  it('covers whole local days of a custom range, in either order, stopping now if it runs into the future', () => {
    expect(iso(resolveRange({ preset: 'custom', from: '2026-03-01', to: '2026-03-03' }, 'America/New_York', now))).toEqual({
      from: '2026-03-01T05:00:00.000Z',
      to: '2026-03-04T05:00:00.000Z',
    });
    expect(iso(resolveRange({ preset: 'custom', from: '2026-03-03', to: '2026-03-01' }, 'UTC', now)).from).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(resolveRange({ preset: 'custom', from: '2026-03-09', to: '2026-03-12' }, 'UTC', now)).to).toBe('2026-03-10T15:30:00.000Z');
    expect(iso(resolveRange({ preset: 'custom', from: '2026-04-01', to: '2026-04-01' }, 'UTC', now)).to).toBe('2026-04-02T00:00:00.000Z');
  });

  it('gives the previous period of the same length, and the local dates a range covers', () => {
    const range = resolveRange({ preset: '7d' }, 'UTC', now);
    expect(iso(previousPeriod(range))).toEqual({ from: '2026-02-25T08:30:00.000Z', to: '2026-03-04T00:00:00.000Z' });
    expect(rangeDates(range, 'UTC')).toEqual({ from: '2026-03-04', to: '2026-03-10' });
    expect(rangeDates(resolveRange({ preset: 'custom', from: '2026-03-01', to: '2026-03-03' }, 'Asia/Tokyo', now), 'Asia/Tokyo')).toEqual({ from: '2026-03-01', to: '2026-03-03' });
  });
});

describe('chart intervals', () => {
  const now = at('2026-03-10T15:30:00Z');
  const preset = (name: 'today' | '7d' | '30d' | '90d' | '12m' | 'all') => resolveRange({ preset: name }, 'UTC', now);

  it('chooses hours for a day or two, days up to ~3 months, weeks up to a year, then months', () => {
    expect(chooseInterval(preset('today'))).toBe('hour');
    expect(chooseInterval(preset('7d'))).toBe('day');
    expect(chooseInterval(preset('90d'))).toBe('day');
    expect(chooseInterval(preset('12m'))).toBe('week');
    expect(chooseInterval(preset('all'))).toBe('month');
  });

  it('allows only intervals that give between 2 and 800 buckets, and falls back to the automatic one', () => {
    expect(allowedIntervals(preset('today'))).toEqual(['hour']);
    expect(allowedIntervals(preset('30d'))).toEqual(['hour', 'day', 'week']);
    expect(allowedIntervals(preset('all'))).toEqual(['week', 'month']);
    expect(effectiveInterval(preset('30d'), 'week')).toBe('week');
    expect(effectiveInterval(preset('all'), 'hour')).toBe('month');
    expect(effectiveInterval(preset('7d'), null)).toBe('day');
  });

  it('labels buckets and ranges in the time zone', () => {
    const start = new Date('2026-03-09T23:00:00Z');
    const locale = 'en-GB';
    expect(formatBucket(start, 'hour', 'Europe/Berlin', { locale })).toBe('00:00');
    expect(formatBucket(start, 'day', 'Europe/Berlin', { locale })).toBe('Tue 10 Mar');
    expect(formatBucket(start, 'week', 'UTC', { locale })).toBe('Week of 9 Mar 2026');
    expect(formatBucket(start, 'month', 'Europe/Berlin', { locale })).toBe('Mar 2026');
    expect(formatRange(preset('7d'), 'UTC', locale)).toBe('4 Mar 2026 – 10 Mar 2026');
    expect(formatRange(preset('today'), 'UTC', locale)).toBe('10 Mar 2026');
    // In the browser's language otherwise, as the date inputs beside the headings are.
    expect(formatRange(preset('today'), 'UTC', 'en-US')).toBe('Mar 10, 2026');
    expect(formatRange(preset('today'), 'UTC', 'de-DE')).toBe('10. März 2026');
  });
});

describe('a custom range before it is sent', () => {
  const now = Date.parse('2026-12-05T10:00:00Z');
  it('says what to do with a reversed, future, too early or too long range, and passes a good one', () => {
    expect(customRangeProblem('2026-11-01', '2026-11-30', 'Europe/Berlin', now)).toBeUndefined();
    expect(customRangeProblem('2026-11-30', '2026-11-01', 'Europe/Berlin', now)).toMatch(/start date is after the end date/);
    expect(customRangeProblem('2026-12-24', '2026-12-31', 'Europe/Berlin', now)).toMatch(/starts in the future/);
    expect(customRangeProblem('1999-12-01', '2000-01-31', 'UTC', now)).toMatch(/1 January 2000/);
    expect(customRangeProblem('2019-01-01', '2026-12-01', 'UTC', now)).toMatch(/5 years at most/);
    expect(customRangeProblem('', '2026-12-01', 'UTC', now)).toMatch(/both a start and an end/);
    expect(customRangeProblem('2026-02-30', '2026-03-01', 'UTC', now)).toMatch(/both a start and an end/);
  });
});

describe('where a bucket ends', () => {
  it('follows the calendar of the time zone: a day across a DST change, a month, an hour', () => {
    // Berlin leaves summer time on 2026-10-25: that day has 25 hours.
    const day = Date.parse('2026-10-24T22:00:00Z');
    expect(bucketEnd(day, 'day', 'Europe/Berlin') - day).toBe(25 * 3_600_000);
    expect(new Date(bucketEnd(Date.parse('2026-02-01T00:00:00Z'), 'month', 'UTC')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(bucketEnd(Date.parse('2026-12-05T10:00:00Z'), 'hour', 'UTC')).toBe(Date.parse('2026-12-05T11:00:00Z'));
    expect(bucketEnd(Date.parse('2026-11-30T00:00:00Z'), 'week', 'UTC')).toBe(Date.parse('2026-12-07T00:00:00Z'));
  });
});
