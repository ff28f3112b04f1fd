// An analytics page's state: the view (range, time zone, comparison, interval, heatmap device,
// filters) read from the URL's query string, so a view can be shared and reloaded; every panel's
// data, from one streamed read per view (DashboardBatch: each panel fills as its line arrives, a new
// view aborts the read in flight); and the labels of filter values. The page's components read it,
// and change the view only through setView. The same state serves a profile's analytics (signed in)
// and a shared dashboard (by its token): the subject says which.
import { untrack } from 'svelte';
import { goto } from '$app/navigation';
import { page } from '$app/state';
import { exportHref, type BreakdownRow } from '$lib/analytics/analytics-api';
import { DashboardBatch } from '$lib/analytics/dashboard-batch.svelte';
import { channelLabel, countryFlag, countryName, deviceLabel, triggerLabel, valueOrUnknown } from '$lib/analytics/format';
import { allowedIntervals, browserTimeZone, effectiveInterval, resolveRange } from '$lib/analytics/range';
import { OTHER_VALUE, type BreakdownItem } from '$lib/analytics/types';
import { activeFilters, apiQuery, viewFromQuery, viewToQuery, withFilter, withoutFilter, type FilterKey, type View } from '$lib/analytics/view';
import type { AnalyticsSource } from '$lib/analytics/source';
import type { AnalyticsRetention } from '../../../../../lib/analytics/profile-retention.js';

/** Whose analytics the page shows, and whether the viewer may download them. */
export interface AnalyticsSubject {
  source: AnalyticsSource;
  handle: string;
  /** The profile's id when the downloads are open to the viewer (owner, editor, analyst), else null. */
  exportProfileId: string | null;
  /** How far back the profile's data goes, for members (a shared dashboard does not say). */
  retention: AnalyticsRetention | null;
}

export class AnalyticsPage {
  readonly #subject: () => AnalyticsSubject;
  readonly subject: AnalyticsSubject = $derived.by(() => this.#subject());
  readonly defaultTimeZone = browserTimeZone();
  readonly view: View = $derived(viewFromQuery(page.url.searchParams, this.defaultTimeZone));
  // Presets end "now": resolved again when the range or the zone changes, and only then, so that
  // another control (a filter, the interval, the heatmap's device) leaves the other panels' queries alone.
  readonly #rangeKey = $derived(`${JSON.stringify(this.view.range)}|${this.view.timeZone}`);
  readonly range = $derived.by(() => {
    void this.#rangeKey;
    return untrack(() => resolveRange(this.view.range, this.view.timeZone, Date.now()));
  });
  readonly interval = $derived(effectiveInterval(this.range, this.view.interval));
  readonly intervals = $derived(allowedIntervals(this.range));
  /** The active filters, in a stable order. */
  readonly filters = $derived(activeFilters(this.view.filters));
  /** A shared dashboard's reader, not a member: the empty states do not ask them to share the page. */
  readonly shared = $derived('shareToken' in this.subject.source);
  /** The public page, for the empty states' "share your page". */
  readonly pageUrl = $derived(`${page.url.origin}/@${this.subject.handle}`);
  readonly #batch = new DashboardBatch();
  readonly summary = this.#batch.panels.summary;
  readonly timeseries = this.#batch.panels.timeseries;
  readonly links = this.#batch.panels.links;
  readonly geo = this.#batch.panels.geo;
  readonly devices = this.#batch.panels.devices;
  readonly referrers = this.#batch.panels.referrers;
  readonly utm = this.#batch.panels.utm;
  readonly bots = this.#batch.panels.bots;
  readonly heatmap = this.#batch.panels.heatmap;
  readonly abTests = this.#batch.panels.abTests;

  /** Every panel's query in one: the heatmap's own device selector sets its device (heatmapDevice). */
  readonly #request = $derived({
    source: this.subject.source,
    query: { ...apiQuery(this.range, this.view.filters, { compare: this.view.compare }), interval: this.interval, tz: this.view.timeZone, heatmapDevice: this.view.heatmapDevice },
  });

  /** Titles of the page's links by id, for the link filter's chip. */
  readonly #linkTitles: Record<string, string> = $derived(Object.fromEntries((this.links.data?.links ?? []).map((link) => [link.linkId, link.title ?? 'A deleted link'])));

  /** Made while the page's component initialises: the read is an effect of that component. */
  constructor(subject: () => AnalyticsSubject) {
    this.#subject = subject;
    // One read per view: any change of range, zone, comparison, interval, filter or heatmap device
    // aborts the read in flight and starts one new one (the batch skips a request it just made).
    $effect(() => this.#batch.load(this.#request));
    $effect(() => () => this.#batch.abort());
  }

  setView(next: View): void {
    const search = viewToQuery(next, this.defaultTimeZone);
    // The same page with another query string: no new history entry, focus and scroll kept.
    // eslint-disable-next-line svelte/no-navigation-without-resolve -- page.url.pathname is this resolved page
    void goto(`${page.url.pathname}${search ? `?${search}` : ''}`, { replaceState: true, keepFocus: true, noScroll: true });
  }

  /** Filters by a value of a dimension, or removes that filter when it is the value already chosen. */
  filterBy = (key: FilterKey) => (value: string) =>
    this.setView({ ...this.view, filters: this.view.filters[key] === value ? withoutFilter(this.view.filters, key) : withFilter(this.view.filters, key, value) });

  /** A filter value as people read it, for chips. */
  filterLabel(key: FilterKey, value: string): string {
    switch (key) {
      case 'country':
        return `${countryFlag(value)} ${countryName(value)}`.trim();
      case 'device':
        return deviceLabel(value);
      case 'channel':
        return channelLabel(value);
      case 'trigger':
        return triggerLabel(value);
      case 'link':
        return this.#linkTitles[value] ?? `Link ${value.slice(0, 8)}`;
      default:
        return value;
    }
  }

  /** The export of the current view: per-day figures or raw events, as CSV; null when the viewer may not download. */
  download(data: 'daily' | 'events'): string | null {
    const profileId = this.subject.exportProfileId;
    return profileId === null ? null : exportHref(profileId, { ...apiQuery(this.range, this.view.filters), format: 'csv', data, tz: this.view.timeZone });
  }
}

/** One table of a BreakdownsPanel. */
export interface BreakdownTableSpec {
  caption: string;
  /** The name column's heading. */
  name: string;
  rows: BreakdownRow[] | undefined;
  /** The grouping column that holds a row's value. */
  column: string;
  label?: (value: string) => string;
  /** The filter a row adds when chosen; none: the rows are plain text. */
  filter?: FilterKey;
}

/**
 * A breakdown table's rows as BreakdownTable shows them: visitors as the bar (marked when estimated),
 * clicks beside; the API's "other" row (everything beyond the top rows) last, as "Other".
 */
export function breakdownItems(
  rows: BreakdownRow[] | undefined,
  column: string | ((row: BreakdownRow) => { value: string; label: string }),
  label: (value: string) => string = (value) => valueOrUnknown(value),
): BreakdownItem[] {
  const named = (row: BreakdownRow) => (typeof column === 'function' ? column(row) : { value: row.values[column] ?? '', label: label(row.values[column] ?? '') });
  const items = (rows ?? []).map((row): BreakdownItem => {
    const { other } = row;
    return {
      ...(other ? { value: OTHER_VALUE, label: 'Other' } : named(row)),
      primary: row.visitors,
      secondary: row.clicks,
      approximate: row.visitorsApproximate,
      other,
    };
  });
  return [...items.filter((item) => !item.other), ...items.filter((item) => item.other)];
}

/** A panel has answered, with nothing to show. */
export const isEmpty = (resource: { data?: unknown }, rows: number) => resource.data !== undefined && rows === 0;
