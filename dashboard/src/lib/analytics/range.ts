// Date ranges of the analytics page, in the viewer's time zone: presets (today, 7 d, …, all) and
// custom ranges of whole local days, resolved to the half-open UTC instants [from, to) the API
// takes. Days start at local midnight, so a 7-day range across a DST change is 167 or 169 hours.
// The previous period is the same length just before (what the API's compare=previous reads).
import { DAY_MS, EARLIEST_ANALYTICS_INSTANT, INTERVALS, MAX_RANGE_MS, type Interval } from '../../../../lib/analytics/analytics-params.js';

export const PRESETS = ['today', '7d', '30d', '90d', '12m', 'all'] as const;
export type Preset = (typeof PRESETS)[number];

export const PRESET_LABELS: Record<Preset, string> = {
  today: 'Today',
  '7d': '7 days',
  '30d': '30 days',
  '90d': '90 days',
  '12m': '12 months',
  all: 'All time',
};

// The API's intervals: its timeseries takes exactly these.
export { INTERVALS, type Interval };

/** A preset, or whole local days from `from` to `to` (both included, YYYY-MM-DD). */
export type RangeChoice = { preset: Preset } | { preset: 'custom'; from: string; to: string };

export interface Range {
  from: Date;
  to: Date;
}

const HOUR_MS = 3_600_000;
/** The API accepts at most 5 × 366 days; "all" reaches back 5 calendar years, which always fits. */
const ALL_YEARS = 5;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

export interface LocalDate {
  year: number;
  /** 1 to 12. */
  month: number;
  day: number;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();
function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormats.set(timeZone, format);
  }
  return format;
}

/** The wall-clock reading of an instant in a time zone, as if that reading were UTC (ms). */
function wallClock(time: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of partsFormat(timeZone).formatToParts(time)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0) + (time % 1000);
}

/** The zone's offset from UTC at an instant, in ms (+01:00 → 3 600 000). */
export function zoneOffset(time: number, timeZone: string): number {
  return wallClock(time, timeZone) - time;
}

/**
 * The instant a local wall-clock time happens in a zone. A time that occurs twice (a fall-back
 * night) maps to its first occurrence; one skipped by a spring-forward change maps to the same
 * reading on the old offset (02:30 → 03:30), as Temporal's "compatible" disambiguation does.
 */
export function zonedInstant(date: LocalDate, timeZone: string, hour = 0): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour);
  // Offsets change at most once within a day either side of any wall-clock time.
  const before = wall - zoneOffset(wall - DAY_MS, timeZone);
  const after = wall - zoneOffset(wall + DAY_MS, timeZone);
  const matching = [before, after].filter((candidate) => wallClock(candidate, timeZone) === wall).sort((a, b) => a - b);
  return matching[0] ?? before;
}

/** The local calendar date of an instant in a zone. */
export function localDate(time: number, timeZone: string): LocalDate {
  const wall = new Date(wallClock(time, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** A date moved by whole calendar days and months (normalised: Jan 31 + 1 month = Mar 3 or 2). */
export function addToDate(date: LocalDate, change: { days?: number; months?: number }): LocalDate {
  const moved = new Date(Date.UTC(date.year, date.month - 1 + (change.months ?? 0), date.day + (change.days ?? 0)));
  return { year: moved.getUTCFullYear(), month: moved.getUTCMonth() + 1, day: moved.getUTCDate() };
}

export function formatDate(date: LocalDate): string {
  return `${String(date.year).padStart(4, '0')}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
}

/** A YYYY-MM-DD string as a date, or null if it is not a real calendar date. */
export function parseDate(value: string): LocalDate | null {
  const match = DATE_PATTERN.exec(value);
  if (!match) return null;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return formatDate(addToDate(date, {})) === value ? date : null;
}

/** Local midnight starting the day that contains `time`. */
export function startOfLocalDay(time: number, timeZone: string): number {
  return zonedInstant(localDate(time, timeZone), timeZone);
}

/**
 * The instants a choice covers at `now`. Presets end now (so the previous period compares like with
 * like: today so far with yesterday up to the same hour); "7 days" is today and the 6 days before;
 * "12 months" starts on the first day of the month 11 months ago (twelve calendar months).
 */
export function resolveRange(choice: RangeChoice, timeZone: string, now: number): Range {
  const today = localDate(now, timeZone);
  const startOf = (date: LocalDate) => zonedInstant(date, timeZone);
  if (choice.preset === 'custom') {
    const first = parseDate(choice.from) ?? today;
    const last = parseDate(choice.to) ?? today;
    const [start, end] = formatDate(first) <= formatDate(last) ? [first, last] : [last, first];
    const from = startOf(start);
    const endOfLast = startOf(addToDate(end, { days: 1 }));
    // A range that runs into the future stops now, unless it lies wholly in the future.
    const to = endOfLast > now && now > from ? now : endOfLast;
    return { from: new Date(from), to: new Date(to) };
  }
  const starts: Record<Preset, () => LocalDate> = {
    today: () => today,
    '7d': () => addToDate(today, { days: -6 }),
    '30d': () => addToDate(today, { days: -29 }),
    '90d': () => addToDate(today, { days: -89 }),
    '12m': () => addToDate({ ...today, day: 1 }, { months: -11 }),
    all: () => addToDate(today, { months: -12 * ALL_YEARS, days: 1 }),
  };
  const from = startOf(starts[choice.preset]());
  // Just after midnight "today" is a few milliseconds long at worst, never empty.
  return { from: new Date(from), to: new Date(Math.max(now, from + 1)) };
}

/** The period of the same length just before (as the API computes compare=previous). */
export function previousPeriod(range: Range): Range {
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: new Date(range.from.getTime()) };
}

/**
 * Why a custom range of local dates (both included) cannot be read, in words that say what to do, or
 * undefined when it can: the API's range rules (lib/analytics/analytics-params.ts), checked before
 * anything is sent, so a reversed or impossible range is never just ignored.
 */
export function customRangeProblem(from: string, to: string, timeZone: string, now: number): string | undefined {
  const start = parseDate(from);
  const end = parseDate(to);
  if (!start || !end) return 'Choose both a start and an end date.';
  if (formatDate(start) > formatDate(end)) return 'The start date is after the end date: swap them, or pick another end.';
  const today = localDate(now, timeZone);
  if (formatDate(start) > formatDate(today)) return 'The range starts in the future: choose a start on or before today.';
  if (zonedInstant(start, timeZone) < EARLIEST_ANALYTICS_INSTANT.getTime()) return 'Analytics start on 1 January 2000: choose a later start date.';
  if (zonedInstant(addToDate(end, { days: 1 }), timeZone) - zonedInstant(start, timeZone) > MAX_RANGE_MS) return 'A range can span 5 years at most: choose a later start or an earlier end.';
  return undefined;
}

/** Where a bucket that starts at `start` ends (exclusive), in the time zone's calendar. */
export function bucketEnd(start: number, interval: Interval, timeZone: string): number {
  if (interval === 'hour') return start + HOUR_MS;
  const change = interval === 'day' ? { days: 1 } : interval === 'week' ? { days: 7 } : { months: 1 };
  return zonedInstant(addToDate(localDate(start, timeZone), change), timeZone);
}

/** Local dates (YYYY-MM-DD) a range covers, both included: what the custom range inputs show. */
export function rangeDates(range: Range, timeZone: string): { from: string; to: string } {
  return { from: formatDate(localDate(range.from.getTime(), timeZone)), to: formatDate(localDate(range.to.getTime() - 1, timeZone)) };
}

/** Buckets an interval would cut a range into (about; months and weeks counted as 30 and 7 days). */
function bucketCount(range: Range, interval: Interval): number {
  const span = range.to.getTime() - range.from.getTime();
  const size = { hour: HOUR_MS, day: DAY_MS, week: 7 * DAY_MS, month: 30 * DAY_MS }[interval];
  return Math.ceil(span / size);
}

/** Intervals that give a readable chart: at least 2 buckets unless none does, at most 800. */
export function allowedIntervals(range: Range): Interval[] {
  const allowed = INTERVALS.filter((interval) => bucketCount(range, interval) <= 800 && (interval === 'hour' || bucketCount(range, interval) >= 2));
  return allowed.length > 0 ? allowed : ['hour'];
}

/** The interval for a range: hours up to 2 days, days up to ~3 months, weeks up to ~13 months, then months. */
export function chooseInterval(range: Range): Interval {
  const days = (range.to.getTime() - range.from.getTime()) / DAY_MS;
  if (days <= 2) return 'hour';
  if (days <= 92) return 'day';
  if (days <= 400) return 'week';
  return 'month';
}

/** The chosen interval if it suits the range, else the automatic one. */
export function effectiveInterval(range: Range, chosen: Interval | null): Interval {
  return chosen && allowedIntervals(range).includes(chosen) ? chosen : chooseInterval(range);
}

/**
 * A bucket's start as people read it, in the zone and the browser's language (as the date inputs beside
 * them are): "14:00", "Mon 3 Mar", "Week of 3 Mar", "Mar 2026" in British English. `locale`: tests fix it.
 */
export function formatBucket(start: Date, interval: Interval, timeZone: string, options: { withDate?: boolean; locale?: string } = {}): string {
  const format = (spec: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(options.locale, { timeZone, ...spec }).format(start);
  switch (interval) {
    case 'hour':
      return options.withDate ? format({ weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' }) : format({ hour: '2-digit', minute: '2-digit' });
    case 'day':
      return format({ weekday: 'short', day: 'numeric', month: 'short' });
    case 'week':
      return `Week of ${format({ day: 'numeric', month: 'short', year: 'numeric' })}`;
    case 'month':
      return format({ month: 'short', year: 'numeric' });
  }
}

/** "3 Mar 2026 – 9 Mar 2026" in British English (the last day shown is the one holding the range's last instant), in the browser's language. */
export function formatRange(range: Range, timeZone: string, locale?: string): string {
  const format = new Intl.DateTimeFormat(locale, { timeZone, day: 'numeric', month: 'short', year: 'numeric' });
  const first = format.format(range.from);
  const last = format.format(new Date(range.to.getTime() - 1));
  return first === last ? first : `${first} – ${last}`;
}

/** The browser's zone, or UTC when it has none to tell. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}
