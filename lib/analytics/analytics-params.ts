// What a read of a profile's analytics may ask for, as values both sides need at run time: the API
// builds its request schemas from them (api/analytics/analytics.routes.ts), and the dashboard checks
// the view it keeps in the page's URL against them (dashboard/src/lib/analytics/view.ts), so that a
// shared or edited URL never turns into a 400. Plain data and functions only: the dashboard bundles
// this file.
import { DEVICE_CLASSES, type DeviceClass } from '../events/analytics-row.js';
import { TRIGGERS, type Trigger } from '../events/tracked-event.js';

export { DEVICE_CLASSES, TRIGGERS, type DeviceClass, type Trigger };

export const DAY_MS = 86_400_000;
/** Nothing Linkpulse counts is older; before it, a range (or its previous period) measures nothing. */
export const EARLIEST_ANALYTICS_INSTANT = new Date('2000-01-01T00:00:00Z');
/** The longest range a read may span. */
export const MAX_RANGE_MS = 5 * 366 * DAY_MS;

/**
 * Distinct visitors: a set of at most this many ids is kept beside each sketch (clickhouse/0007). A
 * merged set that is not full holds every id, so its size is exact; a full one means the count is at
 * least this, and the sketch (uniqCombined64 with 2^SKETCH_PRECISION registers) estimates it. Each UTC
 * day is counted on its own (query-plan.ts, dailyTotals), so the limit applies to a day's visitors, not a range's.
 */
export const VISITOR_SET_LIMIT = 256;
export const SKETCH_PRECISION = 12;
/** The sketch's relative standard error, 1.04 / sqrt(2^SKETCH_PRECISION): about 1.6%. */
export const SKETCH_STANDARD_ERROR = 1.04 / Math.sqrt(2 ** SKETCH_PRECISION);

/** Buckets of a time series. */
export const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
export type Interval = (typeof INTERVALS)[number];

/** The dimensions a read may be filtered by. Filters combine: country AND device AND … */
export const ANALYTICS_FILTERS = ['country', 'device', 'browser', 'os', 'channel', 'referrer', 'trigger', 'link'] as const;
export type AnalyticsFilter = (typeof ANALYTICS_FILTERS)[number];

/** An ISO 3166-1 alpha-2 code, as the consumers store it. */
export const COUNTRY_PATTERN = /^[A-Z]{2}$/;
/** A channel name (lib/events/analytics-row.ts CHANNELS, and any added later). */
export const CHANNEL_PATTERN = /^[a-z_]{1,32}$/;
/**
 * A referring domain as the consumers store it (classify-referrer.step.ts): the host, lower case,
 * IDNs in punycode. Underscores occur in real host names and URL parsing keeps them. '' (no
 * referrer) is not a domain: that traffic is channel=direct (or a UTM-tagged channel).
 */
export const REFERRER_PATTERN = /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/;
export const REFERRER_MAX_LENGTH = 253;
/** Browser and OS names. */
export const NAME_MAX_LENGTH = 64;

export function isDeviceClass(value: string): value is DeviceClass {
  return (DEVICE_CLASSES as readonly string[]).includes(value);
}

/** Time zone names are IANA's; no real one is longer. */
export const TIME_ZONE_MAX_LENGTH = 64;

/**
 * The canonical name of an IANA time zone given in any letter case or as an alias (US/Pacific), or
 * undefined. ClickHouse knows zones only by their exact names: europe/berlin, which Intl accepts,
 * would fail the query.
 */
export function canonicalTimeZone(value: string): string | undefined {
  if (!value || value.length > TIME_ZONE_MAX_LENGTH) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
