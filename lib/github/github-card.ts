// A GitHub link's repository card: the github_repos columns both the owner's link list and the
// public profile read, how they become the API's shape, and its schema. One definition, so the
// editor's preview and the public page always show the same card. The editor also gets the sync's
// details (GitHubSyncStatus: the error, the next attempt), which visitors are never shown.
import { z } from 'zod';
import { SyncFailureKind } from './sync-schedule.js';

export const CARD_STATES = ['pending', 'ok', 'stale', 'unreachable', 'unavailable'] as const;
export type CardState = (typeof CARD_STATES)[number];

/** Columns of github_repos r, as repo_* (append to a SELECT that joins github_repos r). */
export const CARD_COLUMNS = `r.owner AS repo_owner, r.name AS repo_name, r.description AS repo_description,
  r.primary_language AS repo_language, r.language_color AS repo_language_color,
  r.stars AS repo_stars, r.forks AS repo_forks, r.topics AS repo_topics,
  r.pushed_at AS repo_pushed_at, r.sync_state AS repo_state, r.last_synced_at AS repo_synced_at, r.failing_since AS repo_failing_since`;

export interface CardColumns {
  repo_owner: string | null;
  repo_name: string | null;
  repo_description: string | null;
  repo_language: string | null;
  repo_language_color: string | null;
  repo_stars: number | null;
  repo_forks: number | null;
  repo_topics: string[] | null;
  repo_pushed_at: Date | null;
  /** github_repos.sync_state (migration 0023). */
  repo_state: CardState | null;
  repo_synced_at: Date | null;
  repo_failing_since: Date | null;
}

export const GitHubCard = z
  .object({
    owner: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    language: z.string().nullable(),
    languageColor: z.string().nullable(),
    stars: z.number().int().nullable().describe('Null until GitHub gave a figure: never shown as 0'),
    forks: z.number().int().nullable(),
    topics: z.array(z.string()),
    pushedAt: z.iso.datetime().nullable(),
    status: z
      .enum(CARD_STATES)
      .describe(
        'pending: not tried yet; ok: as GitHub last said; stale: GitHub unreachable since unreachableSince, the data shown is from lastSyncedAt; unreachable: no data yet, GitHub unreachable since unreachableSince; unavailable: deleted, private or blocked on GitHub (the last data, if any, is kept)',
      ),
    lastSyncedAt: z.iso.datetime().nullable().describe('When GitHub last gave this data; null when it never did'),
    unreachableSince: z.iso.datetime().nullable().describe('Since when every attempt to reach GitHub for it has failed (it is retried); null while syncs succeed'),
    syncFailing: z.boolean().describe('unreachableSince is set'),
  })
  .meta({ id: 'GitHubCard' });
export type GitHubCard = z.infer<typeof GitHubCard>;

/** The card of a row that joined github_repos, or null for a plain link. */
export function toGitHubCard(row: CardColumns): GitHubCard | null {
  if (!row.repo_owner || !row.repo_name) return null;
  return {
    owner: row.repo_owner,
    name: row.repo_name,
    description: row.repo_description,
    language: row.repo_language,
    languageColor: row.repo_language_color,
    stars: row.repo_stars,
    forks: row.repo_forks,
    topics: row.repo_topics ?? [],
    pushedAt: row.repo_pushed_at?.toISOString() ?? null,
    status: row.repo_state ?? 'pending',
    lastSyncedAt: row.repo_synced_at?.toISOString() ?? null,
    unreachableSince: row.repo_failing_since?.toISOString() ?? null,
    syncFailing: row.repo_failing_since !== null,
  };
}

/** The sync's own columns of github_repos r, for the editor only (append after CARD_COLUMNS). */
export const SYNC_STATUS_COLUMNS = `r.last_attempt_at AS repo_attempted_at, r.sync_due_at AS repo_due_at, r.sync_requested_at AS repo_requested_at,
  r.sync_failures AS repo_failures, r.last_error_kind AS repo_error_kind, r.last_error AS repo_error`;

export interface SyncStatusColumns {
  repo_attempted_at: Date | null;
  repo_due_at: Date | null;
  repo_requested_at: Date | null;
  repo_failures: number | null;
  repo_error_kind: SyncFailureKind | null;
  repo_error: string | null;
}

export const GitHubSyncStatus = z
  .object({
    lastAttemptAt: z.iso.datetime().nullable(),
    nextAttemptAt: z.iso.datetime().nullable().describe('When the scheduler tries next (a refresh asked for: now; after failures: the backoff’s end)'),
    failures: z.number().int().describe('Failed attempts in a row'),
    error: z
      .object({ kind: SyncFailureKind, message: z.string() })
      .nullable()
      .describe('Why the last attempt failed; null after a success'),
  })
  .meta({ id: 'GitHubSyncStatus' });
export type GitHubSyncStatus = z.infer<typeof GitHubSyncStatus>;

/** The editor's view of a repository's syncs, or null for a plain link. */
export function toGitHubSyncStatus(row: CardColumns & SyncStatusColumns): GitHubSyncStatus | null {
  if (!row.repo_owner || !row.repo_name) return null;
  const next = row.repo_requested_at ?? row.repo_due_at;
  return {
    lastAttemptAt: row.repo_attempted_at?.toISOString() ?? null,
    nextAttemptAt: next?.toISOString() ?? null,
    failures: row.repo_failures ?? 0,
    error: row.repo_error_kind && row.repo_failing_since ? { kind: row.repo_error_kind, message: row.repo_error ?? '' } : null,
  };
}
