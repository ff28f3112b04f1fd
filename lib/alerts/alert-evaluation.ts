// The verdicts of the scheduler's alerts job, as pure functions of the figures it read (from the
// ClickHouse aggregates and github_repos), so the rules can be tested without an engine and read in
// one place. The thresholds and windows are in alert-rules.ts.
import { CTR_DROP, SPIKE, starMilestoneOf } from './alert-rules.js';

/** The median of `values` (0 for none): the middle value, or the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface SpikeVerdict {
  fires: boolean;
  /** The usual views of that hour: the median of the baseline days, days without a view counting as 0. */
  usualViews: number;
  /** views / usualViews (one decimal), or null when the hour usually has none. */
  ratio: number | null;
}

/**
 * An hour's views against the same hour of the day on each of the SPIKE.baselineDays days before:
 * `baseline` holds the days that had views (missing days are 0). It fires when the views reach the
 * rule's floor and exceed factor × the usual.
 */
export function judgeSpike(views: number, baseline: readonly number[], rule: { factor: number; minViews: number }): SpikeVerdict {
  const days = [...baseline.slice(0, SPIKE.baselineDays), ...Array<number>(Math.max(0, SPIKE.baselineDays - baseline.length)).fill(0)];
  const usualViews = median(days);
  return {
    fires: views >= rule.minViews && views > rule.factor * usualViews,
    usualViews,
    ratio: usualViews > 0 ? Math.round((views / usualViews) * 10) / 10 : null,
  };
}

export interface WindowCounts {
  /** The page's views (bots and internal visits left out). */
  views: number;
  /** The link's clicks. */
  clicks: number;
}

export interface CtrDropVerdict {
  fires: boolean;
  recentRate: number;
  baselineRate: number;
  /** How much lower the recent rate is, in per cent (negative: it rose); 0 without a baseline rate. */
  dropPercent: number;
  /** The drop's z score (one-sided test of two Poisson rates); 0 when there is nothing to compare. */
  z: number;
}

/**
 * A link's clicks per page view in the recent window against the baseline window. Clicks per view is
 * a rate (a visitor may click more than once), so the two windows are compared as Poisson rates:
 * z = (r_base − r_recent) / √(r_pooled · (1/n_base + 1/n_recent)).
 */
export function judgeCtrDrop(recent: WindowCounts, baseline: WindowCounts, rule: { dropPercent: number; minViews: number }): CtrDropVerdict {
  const recentRate = recent.views > 0 ? recent.clicks / recent.views : 0;
  const baselineRate = baseline.views > 0 ? baseline.clicks / baseline.views : 0;
  const dropPercent = baselineRate > 0 ? (1 - recentRate / baselineRate) * 100 : 0;
  const pooled = recent.views + baseline.views > 0 ? (recent.clicks + baseline.clicks) / (recent.views + baseline.views) : 0;
  const spread = recent.views > 0 && baseline.views > 0 ? Math.sqrt(pooled * (1 / baseline.views + 1 / recent.views)) : 0;
  const z = spread > 0 ? (baselineRate - recentRate) / spread : 0;
  return {
    fires: recent.views >= rule.minViews && baseline.views >= rule.minViews && baselineRate > 0 && dropPercent >= rule.dropPercent && z >= CTR_DROP.minZ,
    recentRate,
    baselineRate,
    dropPercent,
    z,
  };
}

export type StarVerdict =
  /** The first look at this repository for this rule: remember its milestone, fire nothing. */
  | { action: 'mark'; milestone: number }
  /** A milestone above the mark: fire once for it (the highest, if several were passed at once). */
  | { action: 'fire'; milestone: number }
  | { action: 'none' };

/** Stars against the rule's mark for the repository (undefined: never looked at). A drop below a mark never lowers it. */
export function judgeStars(stars: number, mark: number | undefined): StarVerdict {
  const milestone = starMilestoneOf(stars);
  if (mark === undefined) return { action: 'mark', milestone };
  return milestone > mark ? { action: 'fire', milestone } : { action: 'none' };
}
