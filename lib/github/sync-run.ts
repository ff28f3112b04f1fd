// A GitHub sync run as recorded in github_sync_runs (migrations/0007): written by the scheduler
// (scheduler/github/sync.ts), read by operators (GET /api/v1/admin/sync-runs). One shape and one row
// mapping, so what a run records and what operators are shown cannot drift apart.

/** What started a run: Agenda's schedule, or the API asking for one at once (a new link, a refresh). */
export const SYNC_TRIGGERS = ['schedule', 'now'] as const;
export type SyncTrigger = (typeof SYNC_TRIGGERS)[number];

/** A repository that failed in a run; at most a short message (never a token or a header dump). */
export interface SyncRunError {
  repository: string;
  error: string;
}

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
  /** Answered 304: nothing changed, nothing spent of the rate limit. */
  unchanged: number;
  /** Deleted or private on GitHub. */
  unavailable: number;
  failed: number;
  /** Requests sent to GitHub. */
  requests: number;
  /** The rate limit left at the end; 0 until rateLimitReset when the run stopped for a limit, so that every process waits. */
  rateLimitRemaining: number | null;
  rateLimitReset: Date | null;
  errors: SyncRunError[];
}

/** The columns of github_sync_runs as SyncRunRow names them (append to a SELECT … FROM github_sync_runs). */
export const SYNC_RUN_COLUMNS = `id::text, trigger, started_at, finished_at, due, updated, unchanged, unavailable, failed, requests,
  rate_limit_remaining, rate_limit_reset, errors`;

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
    rateLimitRemaining: row.rate_limit_remaining,
    rateLimitReset: row.rate_limit_reset,
    errors: row.errors,
  };
}
