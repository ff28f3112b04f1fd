// Test factories: the three rows one tracked click leaves in analytics.events, as the consumers write
// them — the page view, the click (from the redirect) and its position (from the tracker's beacon) —
// and views or clicks in bulk.
import { randomUUID } from 'node:crypto';
import { buildAnalyticsRow, NO_LINK, type AnalyticsRow, type BotKind, type VisitColumns } from '../events/analytics-row.js';

export interface VisitOptions {
  /** Unix ms; default an hour ago. */
  time?: number;
  linkId?: string;
  visitorId?: string;
  /** An A/B test of the link: the view and the click carry it (variant 1), as ingest records them. */
  abTestId?: string;
}

export function visitRows(profileId: string, options: VisitOptions = {}): AnalyticsRow[] {
  const time = options.time ?? Date.now() - 3_600_000;
  const linkId = options.linkId ?? randomUUID();
  const visit: VisitColumns = {
    profile_id: profileId,
    visitor_id: options.visitorId ?? String(Math.floor(Math.random() * 1e12)),
    bot_kind: '',
    is_internal: 0,
    country: 'DE',
    region: 'Berlin',
    city: 'Berlin',
    device: 'mobile',
    browser: 'Firefox',
    os: 'Android',
    referrer_domain: 'github.com',
    channel: 'github',
    utm_source: '',
    utm_medium: '',
    utm_campaign: '',
  };
  const inTest = (row: AnalyticsRow): AnalyticsRow => (options.abTestId ? { ...row, ab_tests: [options.abTestId], ab_variants: [1] } : row);
  return [
    inTest(buildAnalyticsRow(visit, randomUUID(), 'view', time, NO_LINK, NO_LINK)),
    inTest(buildAnalyticsRow(visit, randomUUID(), 'click', time, linkId, NO_LINK)),
    buildAnalyticsRow(visit, randomUUID(), 'click_position', time, linkId, NO_LINK, { click_x: 0.5, click_y: 120, viewport_width: 390, viewport_height: 844, time_to_click_ms: 900 }),
  ];
}

export interface TrafficOptions {
  type?: 'view' | 'click';
  /** The clicked link (clicks only). */
  linkId?: string;
  bot?: BotKind;
  internal?: boolean;
}

/** `count` views (or clicks) of a page from `count` different visitors, a millisecond apart from `time`: traffic in bulk. */
export function trafficRows(profileId: string, count: number, time: number, options: TrafficOptions = {}): AnalyticsRow[] {
  return Array.from({ length: count }, (_, index) =>
    buildAnalyticsRow(
      {
        profile_id: profileId,
        visitor_id: String(index + 1),
        bot_kind: options.bot ?? '',
        is_internal: options.internal ? 1 : 0,
        country: 'DE',
        region: '',
        city: '',
        device: 'mobile',
        browser: 'Firefox',
        os: 'Android',
        referrer_domain: '',
        channel: 'direct',
        utm_source: '',
        utm_medium: '',
        utm_campaign: '',
      },
      randomUUID(),
      options.type ?? 'view',
      time + index,
      options.type === 'click' ? options.linkId! : NO_LINK,
      NO_LINK,
    ),
  );
}
