// The time range of an analytics read: the query's optional from/to resolved against the clock (by
// default the 7 days up to now) and checked once, when the request is parsed, so that every handler
// and query gets a range that can be read and every instant the API sends back (the range, the
// previous period, bucket starts) is an RFC 3339 date-time with a four-digit year.

import { DAY_MS, EARLIEST_ANALYTICS_INSTANT, MAX_RANGE_MS } from '../../lib/analytics/analytics-params.js';

export { DAY_MS, EARLIEST_ANALYTICS_INSTANT, MAX_RANGE_MS };
export const DEFAULT_RANGE_DAYS = 7;
/** A range may reach this far past now: a client's clock, or the end of its day in its time zone. */
export const MAX_FUTURE_MS = DAY_MS;

export interface TimeRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
}

export interface RangeQuery {
  from?: Date | undefined;
  to?: Date | undefined;
  compare?: 'previous' | undefined;
}

export interface RangeProblem {
  field: 'from' | 'to' | 'compare';
  message: string;
}

export function resolveRange(query: RangeQuery, now: number): TimeRange {
  const to = query.to ?? new Date(now);
  const from = query.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  return { from, to };
}

/** The period of the same length just before [from, to). */
export function previousPeriod(range: TimeRange): TimeRange {
  const length = range.to.getTime() - range.from.getTime();
  return { from: new Date(range.from.getTime() - length), to: range.from };
}

const EARLIEST = EARLIEST_ANALYTICS_INSTANT.toISOString();

/**
 * Why a query's range cannot be read, per field (none: it can). Checked on the resolved range, so
 * that a default bound obeys the same rules as one the client sent.
 */
export function rangeProblems(query: RangeQuery, now: number): RangeProblem[] {
  const range = resolveRange(query, now);
  const problems: RangeProblem[] = [];
  if (range.to.getTime() > now + MAX_FUTURE_MS) problems.push({ field: 'to', message: 'must be at most a day in the future' });
  if (range.from < EARLIEST_ANALYTICS_INSTANT) {
    problems.push({ field: 'from', message: query.from ? `must be ${EARLIEST} or later` : `the range would start before ${EARLIEST} (from defaults to ${DEFAULT_RANGE_DAYS} days before to)` });
  }
  if (range.from >= range.to) problems.push({ field: 'from', message: query.to ? 'from must be before to' : 'from must be in the past (to defaults to now)' });
  else if (range.to.getTime() - range.from.getTime() > MAX_RANGE_MS) problems.push({ field: 'to', message: 'the range may span at most 5 years' });
  else if (query.compare === 'previous' && problems.length === 0 && previousPeriod(range).from < EARLIEST_ANALYTICS_INSTANT) {
    problems.push({ field: 'compare', message: `the previous period would start before ${EARLIEST}: choose a later from or a shorter range` });
  }
  return problems;
}
