// A GitHub link's repository card: the github_repos columns both the owner's link list and the
// public profile read, how they become the API's shape, and its schema. One definition, so the
// editor's preview and the public page always show the same card.
import { z } from 'zod';

/** Columns of github_repos r, as repo_* (append to a SELECT that joins github_repos r). */
export const CARD_COLUMNS = `r.owner AS repo_owner, r.name AS repo_name, r.description AS repo_description,
  r.primary_language AS repo_language, r.language_color AS repo_language_color,
  r.stars AS repo_stars, r.forks AS repo_forks, r.topics AS repo_topics,
  r.pushed_at AS repo_pushed_at, r.status AS repo_status, r.last_synced_at AS repo_synced_at, r.sync_failures AS repo_sync_failures`;

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
  repo_status: 'pending' | 'ok' | 'unavailable' | null;
  repo_synced_at: Date | null;
  repo_sync_failures: number | null;
}

export const GitHubCard = z
  .object({
    owner: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    language: z.string().nullable(),
    languageColor: z.string().nullable(),
    stars: z.number().int().nullable(),
    forks: z.number().int().nullable(),
    topics: z.array(z.string()),
    pushedAt: z.iso.datetime().nullable(),
    status: z.enum(['pending', 'ok', 'unavailable']).describe('pending: not synced yet; unavailable: deleted or private on GitHub (the last data is kept)'),
    lastSyncedAt: z.iso.datetime().nullable(),
    syncFailing: z.boolean().describe('The last attempt to reach GitHub for it failed (it is retried): the data shown is from lastSyncedAt, or there is none yet'),
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
    status: row.repo_status ?? 'pending',
    lastSyncedAt: row.repo_synced_at?.toISOString() ?? null,
    syncFailing: (row.repo_sync_failures ?? 0) > 0,
  };
}
