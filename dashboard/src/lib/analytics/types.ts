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
}
