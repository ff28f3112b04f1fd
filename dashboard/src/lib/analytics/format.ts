// How the analytics page writes figures: counts, shares, durations, changes against the previous
// period, and the labels of dimension values (countries, devices, channels).
import { SKETCH_STANDARD_ERROR, VISITOR_SET_LIMIT } from '../../../../lib/analytics/analytics-params.js';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** 1,234 (exact below 100 000), then 123.4K, 1.2M. */
export function formatCount(value: number): string {
  return Math.abs(value) < 100_000 ? integer.format(value) : compact.format(value);
}

/** A share (0..1) as a percentage: 12.3%, 0.4%, 100%; "—" when there is nothing to divide. */
export function formatPercent(fraction: number | null | undefined, digits = 1): string {
  if (fraction === null || fraction === undefined || !Number.isFinite(fraction)) return '—';
  const percent = fraction * 100;
  // Whole numbers stay whole (100%, not 100.0%); small shares keep their decimals.
  const shown = Number.isInteger(Number(percent.toFixed(digits))) ? percent.toFixed(0) : percent.toFixed(digits);
  return `${shown}%`;
}

/** A duration in ms: 850 ms, 4.2 s, 1 min 5 s, 2 h 3 min; "—" for none. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    const seconds = totalSeconds % 60;
    return seconds === 0 ? `${Math.floor(totalSeconds / 60)} min` : `${Math.floor(totalSeconds / 60)} min ${seconds} s`;
  }
  const totalMinutes = Math.round(ms / 60_000);
  const minutes = totalMinutes % 60;
  return minutes === 0 ? `${Math.floor(totalMinutes / 60)} h` : `${Math.floor(totalMinutes / 60)} h ${minutes} min`;
}

export interface Delta {
  /** up/down: changed; flat: the same; new: nothing before; few: too few before to compare; none: nothing to compare. */
  direction: 'up' | 'down' | 'flat' | 'new' | 'few' | 'none';
  /** "+12%", "−3.5 pp", "±0%", "new". */
  label: string;
  /** For screen readers: "up 12% from 50". */
  description: string;
}

const sign = (value: number) => (value > 0 ? '+' : value < 0 ? '−' : '±');

/**
 * Below this many in the previous period a percentage says more about chance than about change
 * ("+68,569%" from 1): the change is shown as "—", with the previous figure in words.
 */
export const MIN_COMPARABLE_COUNT = 10;

/** The relative change of a count against the previous period. */
export function countDelta(current: number, previous: number | null | undefined, minimumBase = MIN_COMPARABLE_COUNT): Delta {
  if (previous === null || previous === undefined) return { direction: 'none', label: '', description: '' };
  if (previous === 0) {
    return current === 0
      ? { direction: 'flat', label: '±0%', description: 'no change from 0' }
      : { direction: 'new', label: 'new', description: 'none in the previous period' };
  }
  if (previous < minimumBase) return { direction: 'few', label: '—', description: `only ${formatCount(previous)} in the previous period, too few to compare` };
  const change = (current - previous) / previous;
  const rounded = Math.abs(change) < 0.1 ? Math.round(change * 1000) / 10 : Math.round(change * 100);
  const direction = rounded === 0 ? 'flat' : change > 0 ? 'up' : 'down';
  const label = `${sign(rounded)}${Math.abs(rounded)}%`;
  return { direction, label, description: `${direction === 'flat' ? 'no change' : `${direction} ${Math.abs(rounded)}%`} from ${formatCount(previous)}` };
}

/** The change of a rate (0..1) in percentage points: CTR 12% → 15% is +3 pp. */
export function rateDelta(current: number | null, previous: number | null | undefined): Delta {
  if (previous === undefined) return { direction: 'none', label: '', description: '' };
  if (current === null || previous === null) return { direction: 'none', label: '', description: previous === null ? 'nothing to compare with' : '' };
  const points = Math.round((current - previous) * 1000) / 10;
  const direction = points === 0 ? 'flat' : points > 0 ? 'up' : 'down';
  return {
    direction,
    label: `${sign(points)}${Math.abs(points)} pp`,
    description: `${direction === 'flat' ? 'no change' : `${direction} ${Math.abs(points)} percentage points`} from ${formatPercent(previous)}`,
  };
}

/** The relative change of a duration (a shorter time to click is neither good nor bad by itself). */
export function durationDelta(current: number | null, previous: number | null | undefined): Delta {
  if (previous === undefined) return { direction: 'none', label: '', description: '' };
  if (current === null || previous === null) return { direction: 'none', label: '', description: previous === null ? 'nothing to compare with' : '' };
  const delta = countDelta(current, previous, 0);
  return { ...delta, description: delta.description.replace(/from .*$/, `from ${formatDuration(previous)}`) };
}

// ---------------------------------------------------------------------------------------------
// Labels of dimension values

/** The kinds of bot the consumers tell apart (lib/events/analytics-row.ts BOT_KINDS), as people name them. */
const BOT_KIND_LABELS: Record<string, string> = {
  crawler: 'Crawlers (search engines and others)',
  preview: 'Link previews (chat and social apps)',
  head_request: 'Link checkers (HEAD requests)',
  automation: 'Automation (scripts, headless browsers)',
};

export const botKindLabel = (kind: string) => BOT_KIND_LABELS[kind] ?? kind;

/** The channels the consumers assign (lib/events/analytics-row.ts CHANNELS), as people name them. */
const CHANNEL_LABELS: Record<string, string> = {
  direct: 'Direct',
  search: 'Search engines',
  social: 'Social networks',
  email: 'Email',
  github: 'GitHub',
  npm: 'npm',
  hacker_news: 'Hacker News',
  dev_to: 'DEV Community',
  stack_overflow: 'Stack Overflow',
  reddit: 'Reddit',
  x: 'X (Twitter)',
  linkedin: 'LinkedIn',
  youtube: 'YouTube',
  referral: 'Other websites',
};

/** "hacker_news" → "Hacker News"; unknown values are title-cased from their snake_case. */
/** How a visit began: a QR code's scan, or a link (or a typed address). */
export function triggerLabel(trigger: string): string {
  return trigger === 'qr' ? 'QR scans' : trigger === 'link' ? 'Not scanned' : valueOrUnknown(trigger);
}

export function channelLabel(value: string): string {
  if (!value) return 'Unknown';
  return CHANNEL_LABELS[value] ?? value.split('_').map((word) => (word ? word[0]!.toUpperCase() + word.slice(1) : word)).join(' ');
}

const DEVICE_LABELS: Record<string, string> = { desktop: 'Desktop', mobile: 'Mobile', tablet: 'Tablet', bot: 'Bot', other: 'Other' };
export function deviceLabel(value: string): string {
  return DEVICE_LABELS[value] ?? (value || 'Unknown');
}

let regionNames: Intl.DisplayNames | undefined;
/** "DE" → "Germany"; empty or unknown codes stay readable. */
export function countryName(code: string): string {
  if (!code) return 'Unknown';
  try {
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
    return regionNames.of(code) ?? code;
  } catch {
    return code;
  }
}

/** The flag emoji of an alpha-2 code (regional indicator symbols), or '' for anything else. */
export function countryFlag(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return '';
  return String.fromCodePoint(...[...code].map((letter) => 0x1f1e6 + letter.charCodeAt(0) - 65));
}

/** An empty dimension value, as a table shows it. */
export function valueOrUnknown(value: string | undefined, unknown = 'Unknown'): string {
  return value ? value : unknown;
}

/** The mark before an estimated count, and what it means (a tooltip, and for screen readers). */
export const APPROXIMATE_MARK = '≈';
export const APPROXIMATE_TITLE = `Estimated: a day with ${VISITOR_SET_LIMIT} or more distinct visitors is counted within about ±${(SKETCH_STANDARD_ERROR * 100).toFixed(1)}% (one standard error); quieter days are exact`;

/** A count as shown, marked when it is an estimate: "≈12,345". */
export function formatApproximateCount(value: number, approximate: boolean): string {
  return `${approximate ? APPROXIMATE_MARK : ''}${formatCount(value)}`;
}
