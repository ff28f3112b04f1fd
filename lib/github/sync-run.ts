// A GitHub sync run as recorded in github_sync_runs (migrations/0007, 0023): written by the scheduler
// (scheduler/github/sync.ts), read by operators (GET /api/v1/admin/sync-runs). One shape and one row
// mapping, so what a run records and what operators are shown cannot drift apart. A run that had
// nothing to do (nothing due, or a trigger whose repositories another run took) records nothing.
import type { SyncFailureKind } from './sync-schedule.js';

/** What started a run: Agenda's schedule, or the API asking for one at once (a new link, a refresh). */
export const SYNC_TRIGGERS = ['schedule', 'now'] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

/** A repository that failed in a run; at most a short message (never a token or a header dump). */
export interface SyncRunError {
  repository: string;
  /** Absent in runs recorded before migration 0023. */
  kind?: SyncFailureKind;
  error: string;
}

/** Why a run stopped before the end of what was due (the rest stays due). */
export const SYNC_STOPS = ['rate_limited', 'secondary_rate_limited', 'unreachable', 'deadline'] as const;
export type SyncStop = (typeof SYNC_STOPS)[number];

export interface SyncRun {
  /** A bigint identity, as text. */
  id: string;
  trigger: SyncTrigger;
  startedAt: Date;
  /** Null while the run is going (or when its process died). */
  finishedAt: Date | null;
  /** Repositories due when the run started. */
  due: number;
  updated: number;
  /** Nothing changed: a 304 (free of the REST limit), or GraphQL data equal to what was stored. */
  unchanged: number;
  /** Deleted or private on GitHub. */
  unavailable: number;
  failed: number;
  /** Requests sent to GitHub (a GraphQL query of up to 100 repositories is one). */
  requests: number;
  /** GraphQL points spent. */
  points: number;
  /** Why the run stopped early, or null. */
  stopped: SyncStop | null;
  /** What was left of the budget the run used (REST's or GraphQL's) at its end, as GitHub last said. */
  rateLimitRemaining: number | null;
  rateLimitReset: Date | null;
  errors: SyncRunError[];
}

/** The columns of github_sync_runs as SyncRunRow names them (append to a SELECT … FROM github_sync_runs). */
export const SYNC_RUN_COLUMNS = `id::text, trigger, started_at, finished_at, due, updated, unchanged, unavailable, failed, requests,
  points, stopped, rate_limit_remaining, rate_limit_reset, errors`;

/** One row of github_sync_runs as node-postgres returns SYNC_RUN_COLUMNS. */
export interface SyncRunRow {
  id: string;
  trigger: SyncTrigger;
  started_at: Date;
  finished_at: Date | null;
  due: number;
  updated: number;
  unchanged: number;
  unavailable: number;
  failed: number;
  requests: number;
  points: number;
  stopped: SyncStop | null;
  rate_limit_remaining: number | null;
  rate_limit_reset: Date | null;
  errors: SyncRunError[];
}

export function syncRunFromRow(row: SyncRunRow): SyncRun {
  return {
    id: row.id,
    trigger: row.trigger,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    due: row.due,
    updated: row.updated,
    unchanged: row.unchanged,
    unavailable: row.unavailable,
    failed: row.failed,
    requests: row.requests,
    points: row.points,
    stopped: row.stopped,
    rateLimitRemaining: row.rate_limit_remaining,
    rateLimitReset: row.rate_limit_reset,
    errors: row.errors,
  };
}
