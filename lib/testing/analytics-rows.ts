// Test factory: the three rows one tracked click leaves in analytics.events, as the consumers write
// them — the page view, the click (from the redirect) and its position (from the tracker's beacon).
import { randomUUID } from 'node:crypto';
import { NO_LINK, type AnalyticsRow } from '../events/analytics-row.js';

export interface VisitOptions {
  /** Unix ms; default an hour ago. */
  time?: number;
  linkId?: string;
  visitorId?: string;
}

export function visitRows(profileId: string, options: VisitOptions = {}): AnalyticsRow[] {
  const linkId = options.linkId ?? randomUUID();
  return (['view', 'click', 'click_position'] as const).map((eventType) => ({
    event_id: randomUUID(),
    event_type: eventType,
    source: eventType === 'click' ? 'redirect' : 'beacon',
    timestamp: options.time ?? Date.now() - 3_600_000,
    profile_id: profileId,
    link_id: eventType === 'view' ? NO_LINK : linkId,
    click_id: NO_LINK,
    visitor_id: options.visitorId ?? String(Math.floor(Math.random() * 1e12)),
    is_bot: 0,
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
    click_x: eventType === 'click_position' ? 0.5 : 0,
    click_y: eventType === 'click_position' ? 120 : 0,
    viewport_width: 390,
    viewport_height: 844,
    time_to_click_ms: eventType === 'click_position' ? 900 : 0,
  }));
}
