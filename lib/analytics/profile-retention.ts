// How long a profile's analytics are kept. The operator's ANALYTICS_RETENTION_DAYS is the maximum
// (and the raw events' TTL, lib/clickhouse/retention.ts); a profile's owner may choose less
// (profiles.analytics_retention_days, migrations/0016), and then the scheduler's analytics-retention
// job deletes the profile's raw events AND every aggregate row before the cutoff. Without a choice
// (null) nothing changes: raw events expire by the TTL and the daily aggregates are kept.
//
// The cutoff of a choice is a UTC day boundary, the same for the raw rows and the hourly and daily
// buckets, so the aggregates of every day still kept equal their raw rows (what the reconciler and
// `linkpulse analytics verify` check): everything before 00:00 UTC of the day `days` days before
// today goes. When the operator later lowers the maximum below a profile's choice, the lower one
// applies (the effective retention is the smaller of the two); the choice is kept and applies again
// if the maximum is raised.
//
// Plain data and functions only: the dashboard bundles this file.
import { DAY_MS } from './analytics-params.js';

/** The bounds of a profile's choice (the column's CHECK says the same). */
export const MIN_PROFILE_RETENTION_DAYS = 30;
export const MAX_PROFILE_RETENTION_DAYS = 1825;

/** What the dashboard offers (any whole number of days in the bounds is accepted by the API). */
export const RETENTION_CHOICES = [
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 180, label: '6 months' },
  { days: 365, label: '1 year' },
  { days: 730, label: '2 years' },
  { days: 1825, label: '5 years' },
] as const;

export interface AnalyticsRetention {
  /** The days in force: the profile's choice capped by the operator's maximum, or the maximum. */
  days: number;
  /** The operator's maximum (ANALYTICS_RETENTION_DAYS). */
  maxDays: number;
  /**
   * What the cutoff applies to: `all` (a profile's choice: raw events and every aggregate before
   * `keptFrom` are deleted) or `raw` (the operator's default: raw events expire after `days`, the
   * daily figures are kept longer).
   */
  scope: 'all' | 'raw';
  /**
   * The earliest instant from which everything is kept (ISO 8601), always a UTC midnight, so a read
   * is the same all day: the cutoff of a choice, or the first whole UTC day the TTL keeps.
   */
  keptFrom: string;
}

/** 00:00 UTC of the day `days` days before `now`'s UTC day: a profile's choice deletes everything before it. */
export function retentionCutoff(days: number, now: Date): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - days * DAY_MS);
}

/** The days in force for a profile's choice (null: none) under the operator's maximum. */
export function effectiveRetentionDays(chosenDays: number | null, maxDays: number): number {
  return chosenDays === null ? maxDays : Math.min(chosenDays, maxDays);
}

/**
 * Whether a profile's choice deletes its aggregates too, as far as it is in force: a choice within the
 * operator's maximum. A choice above it (the operator lowered the maximum after it was made) leaves the raw events to
 * the operator's TTL, and the aggregates to the choice itself: the owner agreed to lose what is older
 * than they chose, not what the operator's new limit would cut.
 */
export const choiceDeletesAggregates = (chosenDays: number | null, maxDays: number): chosenDays is number => chosenDays !== null && chosenDays <= maxDays;

export function analyticsRetentionOf(chosenDays: number | null, maxDays: number, now: Date): AnalyticsRetention {
  const days = effectiveRetentionDays(chosenDays, maxDays);
  const all = choiceDeletesAggregates(chosenDays, maxDays);
  return {
    days,
    maxDays,
    scope: all ? 'all' : 'raw',
    // The TTL removes raw rows older than `days` to the millisecond: of the day it cuts, it keeps a part.
    keptFrom: retentionCutoff(all ? days : days - 1, now).toISOString(),
  };
}

/** "1 year", "90 days", "400 days": a choice's label, or the days. */
export function retentionLabel(days: number): string {
  return RETENTION_CHOICES.find((choice) => choice.days === days)?.label ?? (days === 1 ? '1 day' : `${days} days`);
}
