// Shapes the analytics components share (kept in a TS module: types exported from .svelte files are
// invisible to the type-aware linter).
import type { Timeseries } from './analytics-api';

/** One bucket of /timeseries. */
export type Point = Timeseries['points'][number];

/** One row of a ranked dimension table. */
export interface BreakdownItem {
  /** The filter value (country code, browser name, …). */
  value: string;
  label: string;
  /** The figure the bar shows. */
  primary: number;
  secondary?: number;
  /** The primary figure is an estimate (shown with ≈). */
  approximate?: boolean;
  /** The API's one row aggregating everything beyond the top rows: shown last as "Other", never a filter. */
  other?: boolean;
}

/** The key of the "Other" row (no dimension value looks like it). */
export const OTHER_VALUE = '\u0000other';
