// SQL for links, always inside withUser(). links.user_id must equal the profile's owner (a composite
// foreign key) and the caller (RLS), so a link can never be attached to someone else's profile.
import type { Tx } from '../../lib/postgres/tenant.js';
import { SCHEDULER_JOBS } from '../../lib/scheduler-jobs.js';
import { CARD_COLUMNS, SYNC_STATUS_COLUMNS, type CardColumns, type SyncStatusColumns } from '../../lib/github/github-card.js';
import { windowAfterSync } from '../../lib/github/sync-schedule.js';
import type { AbVariant } from '../../lib/links/ab-test.js';

export interface LinkRow extends CardColumns, SyncStatusColumns {
  id: string;
  profile_id: string;
  position: number;
  title: string;
  url: string;
  kind: 'url' | 'github';
  enabled: boolean;
  starts_at: Date | null;
  ends_at: Date | null;
  created_at: Date;
  updated_at: Date;
  sync_interval_minutes: number | null;
  github_repo_id: string | null;
  icon: string | null;
  thumbnail_asset_id: string | null;
  /** The thumbnail's object key, while it is stored. */
  thumbnail_key: string | null;
  /** The link's running A/B test (link_ab_tests), if any. */
  ab_test_id: string | null;
  ab_test_variants: AbVariant[] | null;
  ab_test_started_at: Date | null;
}

export interface LinkFields {
  title: string;
  url: string;
  githubRepoId: string | null;
  /** Minutes between refreshes of the repository's card; null: the global interval. */
  syncIntervalMinutes: number | null;
  enabled: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  /** A chosen icon id, 'none', or null for the site's own. */
  icon: string | null;
  /** One of the owner's stored images (a composite foreign key makes it the owner's). */
  thumbnailAssetId: string | null;
}

const SELECT_LINKS = `
  SELECT l.id, l.profile_id, l.position, l.title, l.url, l.kind, l.enabled, l.starts_at, l.ends_at, l.created_at, l.updated_at,
         l.sync_interval_minutes, l.github_repo_id, l.icon, l.thumbnail_asset_id, t.object_key AS thumbnail_key, ${CARD_COLUMNS},
         ${SYNC_STATUS_COLUMNS},
         ab.id AS ab_test_id, ab.variants AS ab_test_variants, ab.started_at AS ab_test_started_at
    FROM links l LEFT JOIN github_repos r ON r.id = l.github_repo_id
         LEFT JOIN assets t ON t.id = l.thumbnail_asset_id AND t.status = 'stored'
         LEFT JOIN link_ab_tests ab ON ab.link_id = l.id AND ab.ended_at IS NULL`;

export async function listLinks(tx: Tx, profileId: string): Promise<LinkRow[]> {
  return (await tx.query<LinkRow>(`${SELECT_LINKS} WHERE l.profile_id = $1 ORDER BY l.position`, [profileId])).rows;
}

export async function getLink(tx: Tx, profileId: string, linkId: string): Promise<LinkRow | undefined> {
  return (await tx.query<LinkRow>(`${SELECT_LINKS} WHERE l.profile_id = $1 AND l.id = $2`, [profileId, linkId])).rows[0];
}

export async function countLinks(tx: Tx, profileId: string): Promise<{ count: number; nextPosition: number }> {
  const { rows } = await tx.query<{ count: number; next_position: number }>(
    'SELECT count(*)::int AS count, coalesce(max(position) + 1, 0)::int AS next_position FROM links WHERE profile_id = $1',
    [profileId],
  );
  return { count: rows[0]!.count, nextPosition: rows[0]!.next_position };
}

/** The shared github_repos row of owner/name, created on first use (the scheduler fills it in). */
export async function ensureGithubRepo(tx: Tx, owner: string, name: string): Promise<string> {
  await tx.query('INSERT INTO github_repos (owner, name) VALUES ($1, $2) ON CONFLICT ((lower(owner)), (lower(name))) DO NOTHING', [owner, name]);
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM github_repos WHERE lower(owner) = lower($1) AND lower(name) = lower($2)', [owner, name]);
  return rows[0]!.id;
}

/** Whether GitHub was never asked about the repository (a first sync would be its first request). */
export async function isNeverSynced(tx: Tx, repoId: string): Promise<boolean> {
  const { rows } = await tx.query<{ fresh: boolean }>('SELECT last_synced_at IS NULL AND last_attempt_at IS NULL AND sync_requested_at IS NULL AS fresh FROM github_repos WHERE id = $1', [repoId]);
  return rows[0]?.fresh ?? false;
}

/**
 * Wakes the scheduler's github-sync-now. At most one waits at a time (a unique index, migration 0023):
 * many links added at once, or refresh clicks, make one run, which takes every request made so far;
 * a trigger during a run queues the one that will see it.
 */
async function wakeGithubSync(tx: Tx): Promise<void> {
  await tx.query('INSERT INTO agenda_jobs (name, next_run_at, data) VALUES ($1, now(), $2) ON CONFLICT DO NOTHING', [SCHEDULER_JOBS.githubSyncNow, {}]);
}

/**
 * Asks for a sync of this repository (it alone, not every due one) and wakes the scheduler; with
 * onlyIfNew, only for a repository never attempted yet (a card without data).
 */
export async function requestGithubSync(tx: Tx, repoId: string, options: { onlyIfNew?: boolean } = {}): Promise<void> {
  const { rowCount } = await tx.query(
    `UPDATE github_repos SET sync_requested_at = coalesce(sync_requested_at, now())
      WHERE id = $1${options.onlyIfNew ? ' AND last_synced_at IS NULL AND last_attempt_at IS NULL' : ''}`,
    [repoId],
  );
  if (rowCount) await wakeGithubSync(tx);
}

/**
 * A link asks for this interval: pulls the repository's refresh window in if it is later than the
 * interval allows (lib/github/sync-schedule.ts), and wakes the scheduler to re-aim its next run.
 */
export async function tightenGithubSchedule(tx: Tx, repoId: string, intervalMinutes: number): Promise<void> {
  const { rows } = await tx.query<{ last_synced_at: Date | null }>('SELECT last_synced_at FROM github_repos WHERE id = $1', [repoId]);
  const lastSyncedAt = rows[0]?.last_synced_at;
  if (!lastSyncedAt) return;
  const window = windowAfterSync(lastSyncedAt.getTime(), intervalMinutes);
  const { rowCount } = await tx.query(
    'UPDATE github_repos SET next_sync_at = least(next_sync_at, $2), sync_due_at = least(sync_due_at, $3) WHERE id = $1 AND sync_due_at > $3',
    [repoId, window.nextSyncAt, window.syncDueAt],
  );
  if (rowCount) await wakeGithubSync(tx);
}

export async function insertLink(tx: Tx, link: LinkFields & { profileId: string; userId: string; position: number }): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO links (profile_id, user_id, position, title, url, kind, github_repo_id, enabled, starts_at, ends_at, sync_interval_minutes, icon, thumbnail_asset_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
    [
      link.profileId,
      link.userId,
      link.position,
      link.title,
      link.url,
      link.githubRepoId ? 'github' : 'url',
      link.githubRepoId,
      link.enabled,
      link.startsAt,
      link.endsAt,
      link.syncIntervalMinutes,
      link.icon,
      link.thumbnailAssetId,
    ],
  );
  return rows[0]!.id;
}

export async function updateLink(tx: Tx, linkId: string, link: LinkFields): Promise<void> {
  await tx.query(
    `UPDATE links SET title = $2, url = $3, kind = $4, github_repo_id = $5, enabled = $6, starts_at = $7, ends_at = $8, sync_interval_minutes = $9,
                      icon = $10, thumbnail_asset_id = $11
      WHERE id = $1`,
    [
      linkId,
      link.title,
      link.url,
      link.githubRepoId ? 'github' : 'url',
      link.githubRepoId,
      link.enabled,
      link.startsAt,
      link.endsAt,
      link.syncIntervalMinutes,
      link.icon,
      link.thumbnailAssetId,
    ],
  );
}

export async function deleteLink(tx: Tx, profileId: string, linkId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM links WHERE profile_id = $1 AND id = $2', [profileId, linkId])).rowCount === 1;
}

/** Positions 0..n-1 in the given order; the unique (profile, position) check runs at commit. */
export async function setLinkOrder(tx: Tx, profileId: string, linkIds: readonly string[]): Promise<void> {
  await tx.query(
    `UPDATE links SET position = ordered.position - 1
       FROM unnest($2::uuid[]) WITH ORDINALITY AS ordered(id, position)
      WHERE links.id = ordered.id AND links.profile_id = $1`,
    [profileId, linkIds],
  );
}

// ---------------------------------------------------------------------------------------------
// A/B tests (migrations/0021_link_variants.sql): one running test per link at most, kept when ended.

export interface AbTestRow {
  id: string;
  link_id: string;
  variants: AbVariant[];
  started_at: Date;
  ended_at: Date | null;
  kept_variant: number | null;
}

const AB_TEST_COLUMNS = 'id, link_id, variants, started_at, ended_at, kept_variant';

export async function insertAbTest(tx: Tx, test: { profileId: string; linkId: string; variants: readonly AbVariant[] }): Promise<AbTestRow> {
  const { rows } = await tx.query<AbTestRow>(`INSERT INTO link_ab_tests (profile_id, link_id, variants) VALUES ($1, $2, $3) RETURNING ${AB_TEST_COLUMNS}`, [
    test.profileId,
    test.linkId,
    JSON.stringify(test.variants),
  ]);
  return rows[0]!;
}

/** The link's running test, locked (ending it and changing the link happen in one transaction). */
export async function getRunningAbTest(tx: Tx, linkId: string, options: { lock?: boolean } = {}): Promise<AbTestRow | undefined> {
  return (await tx.query<AbTestRow>(`SELECT ${AB_TEST_COLUMNS} FROM link_ab_tests WHERE link_id = $1 AND ended_at IS NULL${options.lock ? ' FOR UPDATE' : ''}`, [linkId])).rows[0];
}

export async function endAbTest(tx: Tx, testId: string, keptVariant: number): Promise<void> {
  await tx.query('UPDATE link_ab_tests SET ended_at = now(), kept_variant = $2 WHERE id = $1', [testId, keptVariant]);
}

/** The profile's tests that ran at some time in [from, to), the latest first, with their link's title. */
export async function listAbTestsDuring(tx: Tx, profileId: string, range: { from: Date; to: Date }, limit: number): Promise<(AbTestRow & { link_title: string })[]> {
  const { rows } = await tx.query<AbTestRow & { link_title: string }>(
    `SELECT ab.id, ab.link_id, ab.variants, ab.started_at, ab.ended_at, ab.kept_variant, l.title AS link_title
       FROM link_ab_tests ab JOIN links l ON l.id = ab.link_id
      WHERE ab.profile_id = $1 AND ab.started_at < $3 AND (ab.ended_at IS NULL OR ab.ended_at >= $2)
      ORDER BY ab.started_at DESC, ab.id LIMIT $4`,
    [profileId, range.from, range.to, limit],
  );
  return rows;
}
