// What the analytics page shows, as one value kept in the URL's query string (so a view can be
// shared and reloaded): the range, time zone, comparison, chart interval, heatmap device, and the
// filters. Filters combine (country AND device AND …); each is one key, and the keys are the API's
// own (lib/analytics/analytics-params.ts), checked with its rules. Defaults stay out of the URL.
import type { GetQuery } from '$lib/api/client';
import {
  ANALYTICS_FILTERS,
  CHANNEL_PATTERN,
  COUNTRY_PATTERN,
  NAME_MAX_LENGTH,
  REFERRER_MAX_LENGTH,
  REFERRER_PATTERN,
  canonicalTimeZone,
  isDeviceClass,
  TRIGGERS,
  type AnalyticsFilter,
  type DeviceClass,
} from '../../../../lib/analytics/analytics-params.js';
import { INTERVALS, PRESETS, parseDate, type Interval, type Range, type RangeChoice } from './range';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isName = (value: string) => value.length >= 1 && value.length <= NAME_MAX_LENGTH;

/** Every filter the API takes, with its label and the values the API accepts. */
export const FILTERS = {
  country: { label: 'Country', valid: (value: string) => COUNTRY_PATTERN.test(value) },
  device: { label: 'Device', valid: isDeviceClass },
  browser: { label: 'Browser', valid: isName },
  os: { label: 'OS', valid: isName },
  channel: { label: 'Channel', valid: (value: string) => CHANNEL_PATTERN.test(value) },
  referrer: { label: 'Referrer', valid: (value: string) => value.length <= REFERRER_MAX_LENGTH && REFERRER_PATTERN.test(value) },
  trigger: { label: 'Arrived by', valid: (value: string) => (TRIGGERS as readonly string[]).includes(value) },
  link: { label: 'Link', valid: (value: string) => UUID.test(value) },
} as const satisfies Record<AnalyticsFilter, { label: string; valid: (value: string) => boolean }>;

export type FilterKey = AnalyticsFilter;
export const FILTER_KEYS: readonly FilterKey[] = ANALYTICS_FILTERS;
export type Filters = Partial<Record<FilterKey, string>>;

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

/** The device classes whose page layouts differ, so each has a heatmap of its own. */
export const HEATMAP_DEVICES = ['mobile', 'tablet', 'desktop'] as const satisfies readonly DeviceClass[];
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
  if (tz && canonicalTimeZone(tz) !== undefined) view.timeZone = tz;
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

/** The query of an analytics read over a range (summary, links, breakdowns, bots, heatmap). */
export type RangeQuery = GetQuery<'/api/v1/profiles/{profileId}/analytics/summary'>;

/** The API query of a view's resolved range and filters. */
export function apiQuery(range: Range, filters: Filters, options: { compare?: boolean } = {}): RangeQuery {
  // Every filter's value was checked when it entered the view (withFilter); the device's type says so.
  const { device, trigger, ...others } = filters;
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...(options.compare ? { compare: 'previous' } : {}),
    ...others,
    ...(device !== undefined && isDeviceClass(device) ? { device } : {}),
    ...(trigger === 'qr' || trigger === 'link' ? { trigger } : {}),
  };
}
