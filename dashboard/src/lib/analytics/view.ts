// What the analytics page shows, as one value kept in the URL's query string (so a view can be
// shared and reloaded): the range, time zone, comparison, chart interval, heatmap device, and the
// filters. Filters combine (country AND device AND …); each is one key, so a new dimension is one
// entry in FILTERS. Defaults stay out of the URL.
import { INTERVALS, PRESETS, isTimeZone, parseDate, type Interval, type Range, type RangeChoice } from './range';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every filter the page knows, with the values the API accepts (api/analytics/analytics.routes.ts). */
export const FILTERS = {
  country: { label: 'Country', valid: (value: string) => /^[A-Z]{2}$/.test(value) },
  device: { label: 'Device', valid: (value: string) => ['desktop', 'mobile', 'tablet', 'bot', 'other'].includes(value) },
  browser: { label: 'Browser', valid: (value: string) => value.length >= 1 && value.length <= 64 },
  os: { label: 'OS', valid: (value: string) => value.length >= 1 && value.length <= 64 },
  channel: { label: 'Channel', valid: (value: string) => /^[a-z_]{1,32}$/.test(value) },
  referrer: { label: 'Referrer', valid: (value: string) => value.length <= 253 && /^[a-z0-9_-]{1,63}(?:\.[a-z0-9_-]{1,63})*$/.test(value) },
  link: { label: 'Link', valid: (value: string) => UUID.test(value) },
} as const satisfies Record<string, { label: string; valid: (value: string) => boolean }>;

export type FilterKey = keyof typeof FILTERS;
export const FILTER_KEYS = Object.keys(FILTERS) as FilterKey[];
export type Filters = Partial<Record<FilterKey, string>>;

/** The filters the API accepts (all of them; a new one is listed here once the API takes it). */
export const API_FILTERS: readonly FilterKey[] = ['country', 'device', 'browser', 'os', 'channel', 'referrer', 'link'];

export function isFilterKey(key: string): key is FilterKey {
  return Object.hasOwn(FILTERS, key);
}

/** The filters plus one (replacing that key's value); an invalid value leaves them as they are. */
export function withFilter(filters: Filters, key: FilterKey, value: string): Filters {
  if (!FILTERS[key].valid(value)) return filters;
  return { ...filters, [key]: value };
}

export function withoutFilter(filters: Filters, key: FilterKey): Filters {
  const { [key]: _removed, ...rest } = filters;
  return rest;
}

/** Active filters in a stable order (the order of FILTERS), for chips and queries. */
export function activeFilters(filters: Filters): { key: FilterKey; value: string }[] {
  return FILTER_KEYS.flatMap((key) => (filters[key] === undefined ? [] : [{ key, value: filters[key] }]));
}

export const HEATMAP_DEVICES = ['mobile', 'tablet', 'desktop'] as const;
export type HeatmapDevice = (typeof HEATMAP_DEVICES)[number];

export interface View {
  range: RangeChoice;
  timeZone: string;
  compare: boolean;
  /** A chosen chart interval; null: chosen from the range. */
  interval: Interval | null;
  heatmapDevice: HeatmapDevice;
  filters: Filters;
}

export const DEFAULT_PRESET = '7d';

export function defaultView(timeZone: string): View {
  return { range: { preset: DEFAULT_PRESET }, timeZone, compare: true, interval: null, heatmapDevice: 'mobile', filters: {} };
}

/** The view a query string describes; anything missing or invalid takes its default. */
export function viewFromQuery(query: URLSearchParams, defaultTimeZone: string): View {
  const view = defaultView(defaultTimeZone);
  const range = query.get('range');
  const from = query.get('from');
  const to = query.get('to');
  if (range === 'custom' && from && to && parseDate(from) && parseDate(to)) view.range = from <= to ? { preset: 'custom', from, to } : { preset: 'custom', from: to, to: from };
  else if (range && (PRESETS as readonly string[]).includes(range)) view.range = { preset: range as (typeof PRESETS)[number] };
  const tz = query.get('tz');
  if (tz && isTimeZone(tz)) view.timeZone = tz;
  if (query.get('compare') === 'off') view.compare = false;
  const interval = query.get('interval');
  if (interval && (INTERVALS as readonly string[]).includes(interval)) view.interval = interval as Interval;
  const heatmap = query.get('heatmap');
  if (heatmap && (HEATMAP_DEVICES as readonly string[]).includes(heatmap)) view.heatmapDevice = heatmap as HeatmapDevice;
  for (const key of FILTER_KEYS) {
    const value = query.get(key);
    if (value !== null) view.filters = withFilter(view.filters, key, value);
  }
  return view;
}

/** The query string of a view, defaults left out ('' for the default view). */
export function viewToQuery(view: View, defaultTimeZone: string): string {
  const query = new URLSearchParams();
  if (view.range.preset === 'custom') {
    query.set('range', 'custom');
    query.set('from', view.range.from);
    query.set('to', view.range.to);
  } else if (view.range.preset !== DEFAULT_PRESET) query.set('range', view.range.preset);
  if (view.timeZone !== defaultTimeZone) query.set('tz', view.timeZone);
  if (!view.compare) query.set('compare', 'off');
  if (view.interval) query.set('interval', view.interval);
  if (view.heatmapDevice !== 'mobile') query.set('heatmap', view.heatmapDevice);
  for (const { key, value } of activeFilters(view.filters)) query.set(key, value);
  return query.toString();
}

/**
 * The API query of a view's resolved range and filters (filters the API does not take yet are left
 * out, so a shared URL never turns into a 400).
 */
export function apiQuery(range: Range, filters: Filters, options: { compare?: boolean; supported?: readonly FilterKey[]; extra?: Record<string, string> } = {}): string {
  const query = new URLSearchParams({ from: range.from.toISOString(), to: range.to.toISOString() });
  if (options.compare) query.set('compare', 'previous');
  const supported = options.supported ?? API_FILTERS;
  for (const { key, value } of activeFilters(filters)) if (supported.includes(key)) query.set(key, value);
  for (const [key, value] of Object.entries(options.extra ?? {})) query.set(key, value);
  return query.toString();
}

/** Filters the view holds that the API cannot apply yet (shown as such, not silently dropped). */
export function unsupportedFilters(filters: Filters, supported: readonly FilterKey[] = API_FILTERS): FilterKey[] {
  return activeFilters(filters)
    .map(({ key }) => key)
    .filter((key) => !supported.includes(key));
}
