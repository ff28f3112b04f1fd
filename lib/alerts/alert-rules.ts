// What a profile's alerts watch and when they fire: one definition for the API (which validates rules
// against these bounds), the scheduler's `alerts` job (which evaluates them, alert-evaluation.ts) and
// the dashboard (which offers and explains them). migrations/0022_alerts.sql checks the same bounds.
//
// | kind | watches | window (at most one firing each) | quiet after a firing |
// | traffic_spike | the page's views in an hour (bots and the creator's own visits left out) | the UTC hour | 6 hours |
// | ctr_drop | a link's clicks per page view, last 24 h against the 7 days before | the 24 hours up to the last whole hour | 24 hours, per link |
// | star_milestone | a GitHub card's stars crossing 100, 1,000, 10,000, … | the milestone, per repository | never again for that milestone |

import type { WebhookEventType } from '../webhooks/event-types.js';

export const ALERT_KINDS = ['traffic_spike', 'ctr_drop', 'star_milestone'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const ALERT_CHANNELS = ['mail', 'webhook'] as const;
export type AlertChannel = (typeof ALERT_CHANNELS)[number];

/** The webhook event type an alert is delivered as. */
export const ALERT_WEBHOOK_EVENT = 'alert.triggered' satisfies WebhookEventType;

export const ALERT_KIND_NAMES: Record<AlertKind, string> = {
  traffic_spike: 'Traffic spike',
  ctr_drop: 'Click-through drop',
  star_milestone: 'GitHub star milestone',
};

export const ALERT_KIND_DESCRIPTIONS: Record<AlertKind, string> = {
  traffic_spike: 'The page’s views in an hour rise far above what that hour usually brings.',
  ctr_drop: 'A link is clicked by a much smaller share of the page’s visitors than in the week before.',
  star_milestone: 'A GitHub repository on the page passes 100, 1,000, 10,000, … stars.',
};

const HOUR_MS = 3_600_000;

/**
 * Traffic spike: the views of an hour against the median of the same hour of the day over the previous
 * SPIKE_BASELINE_DAYS days (days without a view count as 0). Both the current hour so far and the last
 * whole hour are judged on every run, so a spike is reported while it happens, and one that built up at
 * the very end of an hour between two runs still is.
 */
export const SPIKE = {
  baselineDays: 28,
  factor: { min: 2, max: 10, step: 0.5, default: 3 },
  /** The floor: fewer views than this never alert, whatever the median (3 views against a median of 1 is not news). */
  minViews: { min: 5, max: 1_000_000, default: 20 },
  /** A spike that goes on alerts once: the next hour may fire only this long after the last firing. */
  quietMs: 6 * HOUR_MS,
} as const;

/**
 * Click-through drop: a link's clicks per view of the page over the last RECENT_HOURS whole hours,
 * against the BASELINE_HOURS before them. It fires when the rate fell by at least the rule's
 * percentage, the page had at least minViews views in each window, and the drop is significant
 * (a one-sided test of two Poisson rates, z ≥ 1.645: 95 %), so a handful of clicks never alerts.
 */
export const CTR_DROP = {
  recentHours: 24,
  baselineHours: 7 * 24,
  dropPercent: { min: 10, max: 95, default: 50 },
  minViews: { min: 5, max: 1_000_000, default: 200 },
  /** One-sided 95 %. */
  minZ: 1.645,
  quietMs: 24 * HOUR_MS,
  /** At most this many click-through rules per profile (one per link, and one for every link). */
  maxRulesPerProfile: 50,
} as const;

/** GitHub star milestones: 100, 1,000, 10,000, … (a repository past one on the first look sets its mark without firing). */
export const FIRST_STAR_MILESTONE = 100;

/** The highest milestone `stars` has reached, or 0 below the first. */
export function starMilestoneOf(stars: number): number {
  if (!Number.isFinite(stars) || stars < FIRST_STAR_MILESTONE) return 0;
  let milestone = FIRST_STAR_MILESTONE;
  while (milestone * 10 <= stars) milestone *= 10;
  return milestone;
}

/** Who of a team receives a page's alert mail: the owner unless they opted out, anyone else once they opted in (migrations/0022 alert_mail_recipients says the same in SQL). */
export const receivesAlertMail = (role: string, preference: boolean | undefined): boolean => preference ?? role === 'owner';

/** A rule's settings as the API returns them and the job reads them. */
export type AlertRuleSettings =
  | { kind: 'traffic_spike'; factor: number; minViews: number }
  | { kind: 'ctr_drop'; linkId: string | null; dropPercent: number; minViews: number }
  | { kind: 'star_milestone' };

/** Where a profile's alerts are set, and its analytics: the links mails and webhook events carry. */
export function alertPageUrls(publicUrl: string, profileId: string): { analytics: string; settings: string } {
  return { analytics: `${publicUrl}/dashboard/${profileId}/analytics`, settings: `${publicUrl}/dashboard/${profileId}/alerts` };
}
