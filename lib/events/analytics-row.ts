// One row of analytics.events (clickhouse/0001_events.sql) as the consumers write it: a tracked event
// after validation, bot classification, geo and device enrichment, with ip_prefix dropped.
// Column names are ClickHouse's; keep this, the DDL and the consumers' writeBatch step in step.

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
  /** 'click_position' rows: 0..1 across the content column (0 on other rows). */
  click_x: number;
  /** 'click_position' rows: CSS pixels from the top of the content column (0 on other rows). */
  click_y: number;
  viewport_width: number;
  viewport_height: number;
  /** 0 when unknown. */
  time_to_click_ms: number;
};
