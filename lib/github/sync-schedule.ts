// When a repository card is refreshed, shared by the scheduler (which keeps the schedule) and the API
// (which tightens it when a link asks for a shorter interval). The promise: a card is never older
// than its interval (GITHUB_SYNC_INTERVAL_MINUTES, or the most frequent of its links' own).
//
// After each successful sync a repository gets a window, in github_repos:
//   next_sync_at  the earliest a run may take it (so one run batches every repository whose window
//                 is open: up to 100 per GraphQL query);
//   sync_due_at   the latest; the scheduler wakes by then (scheduler/github/sync.ts, nextGitHubSyncAt).
// Both lie before the deadline (last sync + interval) by a lead of a tenth of the interval, at most
// 5 minutes: the lead absorbs Agenda's poll (5 s) and a run's length, so the gap between two
// refreshes stays between interval - 2 × lead and interval - lead (+ the wake-up latency).
import { z } from 'zod';

/** The longest lead: a 6-hour interval refreshes between 5 h 50 and 5 h 55 after the last sync. */
export const MAX_SYNC_LEAD_MS = 5 * 60_000;
/** Backoff after a failure: 1 minute, doubling per consecutive failure… */
export const FIRST_RETRY_MS = 60_000;
/** …up to the interval, and never more than this. */
export const MAX_RETRY_MS = 6 * 3_600_000;

/** Why a repository's last sync failed (github_repos.last_error_kind; the metric linkpulse_github_sync_failures_total{kind}). */
export const SYNC_FAILURE_KINDS = ['network', 'timeout', 'server_error', 'unauthorized', 'bad_response'] as const;
export type SyncFailureKind = (typeof SYNC_FAILURE_KINDS)[number];
export const SyncFailureKind = z
  .enum(SYNC_FAILURE_KINDS)
  .describe('network: GitHub could not be reached (refused, reset, DNS); timeout: no answer in time; server_error: GitHub answered 5xx; unauthorized: the operator’s token was refused; bad_response: an answer that could not be read');

export interface SyncWindow {
  /** The earliest a run may refresh it. */
  nextSyncAt: Date;
  /** The latest: the scheduler wakes by then. */
  syncDueAt: Date;
}

/** How far ahead of its deadline a repository with this interval is due. */
export function syncLeadMs(intervalMinutes: number): number {
  return Math.min(intervalMinutes * 6_000, MAX_SYNC_LEAD_MS);
}

/** The window of the next refresh after a sync at syncedAt (ms since the epoch). */
export function windowAfterSync(syncedAt: number, intervalMinutes: number): SyncWindow {
  const deadline = syncedAt + intervalMinutes * 60_000;
  const lead = syncLeadMs(intervalMinutes);
  return { nextSyncAt: new Date(deadline - 2 * lead), syncDueAt: new Date(deadline - lead) };
}

/**
 * When to try again after the failures-th failure in a row at failedAt: 1, 2, 4… minutes, at most
 * the interval (and 6 hours), with ±20 % jitter so repositories that failed together spread out.
 */
export function retryAfterFailure(failedAt: number, failures: number, intervalMinutes: number, random: () => number = Math.random): Date {
  const cap = Math.min(intervalMinutes * 60_000, MAX_RETRY_MS);
  const base = Math.min(cap, FIRST_RETRY_MS * 2 ** Math.min(Math.max(failures - 1, 0), 20));
  return new Date(failedAt + Math.min(cap, Math.round(base * (0.8 + 0.4 * random()))));
}

/**
 * New repositories per user and minute whose first sync the API asks for at once (an import of a
 * portfolio fits); past it a new repository waits for the next scheduled run (api/links/).
 */
export const FIRST_SYNCS_PER_MINUTE = 30;
