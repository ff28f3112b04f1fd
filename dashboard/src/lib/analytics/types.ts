// Shapes the analytics components share (kept in a TS module: types exported from .svelte files are
// invisible to the type-aware linter).
import type { Card } from '$lib/github/card';

/** One bucket of /timeseries. */
export interface Point {
  /** Bucket start, ISO 8601 in UTC. */
  start: string;
  views: number;
  visitors: number;
  clicks: number;
}

/** One row of a ranked dimension table. */
export interface BreakdownItem {
  /** The filter value (country code, browser name, …). */
  value: string;
  label: string;
  /** The figure the bar shows. */
  primary: number;
  secondary?: number;
}

/** What ProfileView renders (its props), as the heatmap builds them. */
export interface PreviewProfile {
  displayName: string;
  handle: string;
  bio: string;
  avatarUrl: string | null;
  theme: 'auto' | 'light' | 'dark';
}
export interface PreviewLink {
  id: string;
  title: string;
  repository: Card | null;
}
