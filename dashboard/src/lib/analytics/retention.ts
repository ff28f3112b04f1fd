// How far back a profile's analytics go, in words: the analytics page's note beside the range
// controls, and the editor's retention setting (its choices and what a change would delete). The
// rules themselves are lib/analytics/profile-retention.ts, shared with the API and the scheduler.
import { effectiveRetentionDays, RETENTION_CHOICES, retentionCutoff, retentionLabel, type AnalyticsRetention } from '../../../../lib/analytics/profile-retention.js';
import type { Range } from './range';

/** A UTC midnight as its UTC date: 5 Dec 2025 (the day data is kept from, wherever the reader is). */
function utcDate(time: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(time);
}

/** "Data is kept for 1 year: from 5 Dec 2025." or, on the server's default, what expires and what stays. */
export function retentionSentence(retention: AnalyticsRetention, locale?: string): string {
  const from = utcDate(Date.parse(retention.keptFrom), locale);
  return retention.scope === 'all'
    ? `Data is kept for ${retentionLabel(retention.days)}: from ${from}.`
    : `Raw events are kept for ${retentionLabel(retention.days)} (from ${from}); daily totals are kept longer.`;
}

/** What a range that starts before the data kept should say (nothing is clamped), or undefined. */
export function rangeRetentionNote(range: Range, retention: AnalyticsRetention, locale?: string): string | undefined {
  const keptFrom = Date.parse(retention.keptFrom);
  if (range.from.getTime() >= keptFrom) return undefined;
  const from = utcDate(keptFrom, locale);
  return retention.scope === 'all'
    ? `This range starts before ${from}: nothing older is kept, so it shows only what came after.`
    : `This range starts before ${from}: only daily totals are kept from before then, so raw-event downloads and views with two or more filters show nothing for that time.`;
}

export interface RetentionOption {
  /** '' for the server's default, else the days. */
  value: string;
  label: string;
}

/**
 * The editor's choices: the server's default, each choice within its maximum, and the page's own
 * value when it is not one of them (set through the API, or above a maximum lowered since).
 */
export function retentionOptions(chosenDays: number | null, maxDays: number): RetentionOption[] {
  const options: RetentionOption[] = [{ value: '', label: `Operator default (${maxDays} days)` }];
  for (const choice of RETENTION_CHOICES) if (choice.days <= maxDays) options.push({ value: String(choice.days), label: choice.label });
  if (chosenDays !== null && !options.some((option) => option.value === String(chosenDays))) {
    options.push({ value: String(chosenDays), label: `${retentionLabel(chosenDays)} (current${chosenDays > maxDays ? `; ${maxDays} days apply` : ''})` });
  }
  return options;
}

/**
 * What choosing `chosenDays` would delete, in words, or undefined when it deletes nothing: a choice
 * deletes every row before its cutoff, the daily totals the default keeps included.
 */
export function retentionChangeWarning(chosenDays: number | null, current: AnalyticsRetention, now: Date, locale?: string): string | undefined {
  if (chosenDays === null) return undefined;
  const cutoff = retentionCutoff(effectiveRetentionDays(chosenDays, current.maxDays), now).getTime();
  if (current.scope === 'all' && cutoff <= Date.parse(current.keptFrom)) return undefined;
  return `Analytics from before ${utcDate(cutoff, locale)} (raw events and totals alike) will be deleted within a few hours. This cannot be undone.`;
}
