// One row of analytics.events (clickhouse/0001_events.sql) as the consumers write it: a tracked event
// after validation, bot classification, geo and device enrichment, with ip_prefix dropped.
// Column names are ClickHouse's; keep this, the DDL and the consumers' writeBatch step in step.
// buildAnalyticsRow makes such rows for synthetic traffic (the demo, the benchmarks, test factories).

export const DEVICE_CLASSES = ['desktop', 'mobile', 'tablet', 'bot', 'other'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export const CHANNELS = [
  'direct',
  'search',
  'social',
  'email',
  'github',
  'npm',
  'hacker_news',
  'dev_to',
  'stack_overflow',
  'reddit',
  'x',
  'linkedin',
  'youtube',
  'referral',
] as const;
export type Channel = (typeof CHANNELS)[number];

/** Why an event counts as bot traffic ('' for humans). Kept, not dropped: the dashboard shows the share. */
export const BOT_KINDS = ['', 'crawler', 'preview', 'head_request', 'automation'] as const;
export type BotKind = (typeof BOT_KINDS)[number];

/** The zero UUID stands for "no link" (views), so link_id can stay non-nullable in sort keys. */
export const NO_LINK = '00000000-0000-0000-0000-000000000000';

/**
 * 'click' is counted from the /r/:linkId redirect, which every real click goes through (with or
 * without JavaScript); the tracker's beacon for the same click becomes a 'click_position' row that
 * feeds the heatmap and time-to-click but is never counted as a second click.
 */
export const ROW_EVENT_TYPES = ['view', 'click', 'click_position'] as const;

// A type alias, not an interface: rows must be assignable to the ClickHouse adapter's Record rows.
export type AnalyticsRow = {
  event_id: string;
  event_type: (typeof ROW_EVENT_TYPES)[number];
  source: 'beacon' | 'redirect';
  /** Unix milliseconds (DateTime64(3, 'UTC')). */
  timestamp: number;
  profile_id: string;
  link_id: string;
  /** The tracker's click id joining a 'click' and its 'click_position' (NO_LINK's zero UUID when none). */
  click_id: string;
  /** Decimal string (UInt64). */
  visitor_id: string;
  is_bot: 0 | 1;
  bot_kind: BotKind;
  is_internal: 0 | 1;
  /** ISO 3166-1 alpha-2, or '' when unknown. */
  country: string;
  region: string;
  city: string;
  device: DeviceClass;
  browser: string;
  os: string;
  /** Host of the referrer without www., or '' for direct traffic. */
  referrer_domain: string;
  channel: Channel;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  /** 'qr' when the visit began with a QR scan, else 'link' (clickhouse/0008). */
  trigger: 'link' | 'qr';
  /** The A/B tests the event belongs to and, by position, the visitor's variant in each (1-based). */
  ab_tests: string[];
  ab_variants: number[];
  /** 'click_position' rows: 0..1 across the content column (0 on other rows). */
  click_x: number;
  /** 'click_position' rows: CSS pixels from the top of the content column (0 on other rows). */
  click_y: number;
  viewport_width: number;
  viewport_height: number;
  /** 0 when unknown. */
  time_to_click_ms: number;
};

/**
 * The columns all rows of one visit share: who came and how they arrived (trigger 'link' unless
 * given). is_bot is not among them: it follows from bot_kind, as the consumers derive it.
 */
export type VisitColumns = Pick<
  AnalyticsRow,
  'profile_id' | 'visitor_id' | 'bot_kind' | 'is_internal' | 'country' | 'region' | 'city' | 'device' | 'browser' | 'os' | 'referrer_domain' | 'channel' | 'utm_source' | 'utm_medium' | 'utm_campaign'
> & { trigger?: AnalyticsRow['trigger'] };

/** What the tracker's beacon reports about a click: only 'click_position' rows carry it. */
export type ClickPosition = Pick<AnalyticsRow, 'click_x' | 'click_y' | 'viewport_width' | 'viewport_height' | 'time_to_click_ms'>;

/**
 * A row for synthetic traffic (the demo's generator, test factories), from a visit's shared columns
 * and one event's own. source follows from event_type: a 'click' comes from the /r/ redirect, views
 * and click positions from the tracker's beacon. (The consumers build theirs from a TrackedEvent:
 * consumers/steps/enrich.step.ts.)
 *
 * Positional parameters and one object literal with every column in one order: the demo generates
 * millions of rows, and they all share one hidden class (spreads made that several times slower).
 */
export function buildAnalyticsRow(
  visit: VisitColumns,
  eventId: string,
  eventType: AnalyticsRow['event_type'],
  timestamp: number,
  linkId: string,
  clickId: string,
  position?: ClickPosition,
): AnalyticsRow {
  return {
    event_id: eventId,
    event_type: eventType,
    source: eventType === 'click' ? 'redirect' : 'beacon',
    timestamp,
    profile_id: visit.profile_id,
    link_id: linkId,
    click_id: clickId,
    visitor_id: visit.visitor_id,
    is_bot: visit.bot_kind === '' ? 0 : 1,
    bot_kind: visit.bot_kind,
    is_internal: visit.is_internal,
    country: visit.country,
    region: visit.region,
    city: visit.city,
    device: visit.device,
    browser: visit.browser,
    os: visit.os,
    referrer_domain: visit.referrer_domain,
    channel: visit.channel,
    utm_source: visit.utm_source,
    utm_medium: visit.utm_medium,
    utm_campaign: visit.utm_campaign,
    trigger: visit.trigger ?? 'link',
    ab_tests: [],
    ab_variants: [],
    click_x: position?.click_x ?? 0,
    click_y: position?.click_y ?? 0,
    viewport_width: position?.viewport_width ?? 0,
    viewport_height: position?.viewport_height ?? 0,
    time_to_click_ms: position?.time_to_click_ms ?? 0,
  };
}
