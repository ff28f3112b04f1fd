// The rules of links: at most MAX_LINKS per profile, appended at the end, reordered all at once
// (the request must list every link of the profile exactly once), targets validated by link-url.ts.
// A GitHub repository URL becomes a `github` link tied to the shared github_repos row. A well-formed
// request that the profile's current links do not allow (a stale order, a schedule that ends before
// the stored start, refreshing a plain link) is a 409 CONFLICT, not a 400: the client's data is
// fine, the state changed under it.
//
// A/B tests (lib/links/ab-test.ts): a plain URL link may run one test at a time, 2-4 destinations
// with weights in percent, fixed while it runs. Starting and ending are edits (owners and editors).
// Ending keeps one variant: it becomes the link's URL in the same transaction. While a test runs the
// link's own URL does not change (visitors go to the variants): end the test first.
import { AppError, notFound } from '../../lib/errors.js';
import type { Cache } from '../../lib/cache/cache.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser, type Tx } from '../../lib/postgres/tenant.js';
import { getProfile, type ProfileRow } from '../profiles/profiles.repository.js';
import { requireRole } from '../profiles/profiles.service.js';
import { FIRST_SYNCS_PER_MINUTE } from '../../lib/github/sync-schedule.js';
import { toGitHubCard, toGitHubSyncStatus, type GitHubCard, type GitHubSyncStatus } from '../../lib/github/github-card.js';
import { parseLinkTarget } from '../../lib/links/link-url.js';
import { abVariantProblems, type AbVariant } from '../../lib/links/ab-test.js';
import { assetPath } from '../assets/asset-url.js';
import { getAsset } from '../assets/assets.repository.js';
import {
  countLinks,
  deleteLink,
  endAbTest,
  ensureGithubRepo,
  getLink,
  getRunningAbTest,
  isNeverSynced,
  insertAbTest,
  insertLink,
  listLinks,
  requestGithubSync,
  setLinkOrder,
  tightenGithubSchedule,
  updateLink,
  type LinkRow,
} from './links.repository.js';

export const MAX_LINKS = 100;

export interface Link {
  id: string;
  profileId: string;
  position: number;
  title: string;
  url: string;
  kind: 'url' | 'github';
  github: GitHubCard | null;
  /** The sync's details, for the editor only (the public page never shows them). */
  githubSync: GitHubSyncStatus | null;
  syncIntervalMinutes: number | null;
  enabled: boolean;
  startsAt: string | null;
  endsAt: string | null;
  icon: string | null;
  thumbnailAssetId: string | null;
  /** /assets/<sha256> of the thumbnail, or null. */
  thumbnailUrl: string | null;
  /** The running A/B test: visitors go to its variants (by weight, the same one each time) instead of url. */
  abTest: { id: string; startedAt: string; variants: AbVariant[] } | null;
  createdAt: string;
  updatedAt: string;
}

export interface LinkInput {
  title: string;
  url: string;
  syncIntervalMinutes: number | null;
  enabled: boolean;
  startsAt: Date | null;
  endsAt: Date | null;
  icon: string | null;
  thumbnailAssetId: string | null;
}

const toLink = (row: LinkRow): Link => ({
  id: row.id,
  profileId: row.profile_id,
  position: row.position,
  title: row.title,
  url: row.url,
  kind: row.kind,
  github: toGitHubCard(row),
  githubSync: toGitHubSyncStatus(row),
  syncIntervalMinutes: row.sync_interval_minutes,
  enabled: row.enabled,
  startsAt: row.starts_at?.toISOString() ?? null,
  endsAt: row.ends_at?.toISOString() ?? null,
  icon: row.icon,
  thumbnailAssetId: row.thumbnail_asset_id,
  thumbnailUrl: row.thumbnail_key ? assetPath(row.thumbnail_key) : null,
  abTest:
    row.ab_test_id && row.ab_test_variants && row.ab_test_started_at
      ? { id: row.ab_test_id, startedAt: row.ab_test_started_at.toISOString(), variants: row.ab_test_variants }
      : null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const fieldError = (code: 'INVALID_INPUT' | 'CONFLICT', field: string, message: string) =>
  new AppError(code, `${code === 'CONFLICT' ? 'Conflict' : 'Invalid'}: ${field}: ${message}`, { details: { fields: [{ field, message }] } });

/** A thumbnail being set must be one of the caller's stored images (RLS hides everyone else's). */
async function checkThumbnail(tx: Tx, assetId: string | null | undefined): Promise<void> {
  if (assetId && (await getAsset(tx, assetId))?.status !== 'stored') {
    // Well formed, but the image is gone (deleted in another tab) or not the caller's.
    throw fieldError('CONFLICT', 'body.thumbnailAssetId', 'not one of your stored images');
  }
}

/** Asks for a repository's first sync now, if the caller still has refreshes this minute (see createLinksService). */
type FirstSyncRequest = (tx: Tx, repoId: string) => Promise<void>;

async function resolveFields(tx: Tx, input: LinkInput, requestFirstSync: FirstSyncRequest) {
  const target = parseLinkTarget(input.url);
  if (!target.ok) throw fieldError('INVALID_INPUT', 'body.url', target.reason);
  // A request with both bounds was checked when parsed; here one of them is the link's stored one.
  if (input.startsAt && input.endsAt && input.startsAt >= input.endsAt) throw fieldError('CONFLICT', 'body.endsAt', 'must be after startsAt (the link’s stored start included)');
  const githubRepoId = target.github ? await ensureGithubRepo(tx, target.github.owner, target.github.name) : null;
  // A repository new to us gets its card data within seconds, not at the next scheduled run; one the
  // link wants refreshed more often than it is gets its next refresh pulled in.
  if (githubRepoId) await requestFirstSync(tx, githubRepoId);
  if (githubRepoId && input.syncIntervalMinutes !== null) await tightenGithubSchedule(tx, githubRepoId, input.syncIntervalMinutes);
  return { ...input, url: target.url, githubRepoId };
}

/** "Refresh" presses per user and minute: each one costs a GitHub request. */
export const REFRESHES_PER_MINUTE = 10;

export function createLinksService(deps: { db: Database; cache: Cache; invalidateProfiles(handles: string[]): Promise<void> }) {
  const { db } = deps;

  /** One of the user's `limit` requests a minute of a kind (`key`): each costs a GitHub request on the budget every creator shares. */
  const take = async (key: string, limit: number): Promise<{ allowed: boolean; resetMs: number }> => {
    const { count, resetMs } = await deps.cache.increment(key, 60_000);
    return { allowed: count <= limit, resetMs };
  };
  /**
   * A new repository's first sync at once, FIRST_SYNCS_PER_MINUTE per user: past it (links to new
   * repositories added and deleted over and over) the link is saved all the same and the repository
   * waits for the next scheduled run, minutes later, on the scheduled budget.
   */
  const firstSyncFor =
    (userId: string): FirstSyncRequest =>
    async (tx, repoId) => {
      if (!(await isNeverSynced(tx, repoId))) return;
      if ((await take(`github-first-sync:${userId}`, FIRST_SYNCS_PER_MINUTE)).allowed) await requestGithubSync(tx, repoId, { onlyIfNew: true });
    };

  /** Runs a change to a profile's links with the profile locked; drops its cached page after commit. */
  const changeLinks = async <T>(userId: string, profileId: string, change: (tx: Tx, profile: ProfileRow) => Promise<T>): Promise<T> => {
    const { handle, result } = await withUser(db, userId, async (tx) => {
      const visible = await getProfile(tx, profileId);
      if (!visible) throw notFound('No such profile');
      requireRole(visible, 'edit');
      const profile = (await getProfile(tx, profileId, { lock: true }))!;
      return { handle: profile.handle, result: await change(tx, profile) };
    });
    await deps.invalidateProfiles([handle]);
    return result;
  };

  return {
    list: (userId: string, profileId: string) =>
      withUser(db, userId, async (tx) => {
        if (!(await getProfile(tx, profileId))) throw notFound('No such profile');
        return (await listLinks(tx, profileId)).map(toLink);
      }),

    create: (userId: string, profileId: string, input: LinkInput) =>
      changeLinks(userId, profileId, async (tx, profile) => {
        const { count, nextPosition } = await countLinks(tx, profileId);
        if (count >= MAX_LINKS) throw new AppError('CONFLICT', `A profile can have at most ${MAX_LINKS} links`);
        await checkThumbnail(tx, input.thumbnailAssetId);
        // A link belongs to the profile's owner (a composite foreign key), whoever on the team adds it.
        const id = await insertLink(tx, { ...(await resolveFields(tx, input, firstSyncFor(userId))), profileId, userId: profile.user_id, position: nextPosition });
        return toLink((await getLink(tx, profileId, id))!);
      }),

    update: (userId: string, profileId: string, linkId: string, changes: Partial<LinkInput>) =>
      changeLinks(userId, profileId, async (tx) => {
        const current = await getLink(tx, profileId, linkId);
        if (!current) throw notFound('No such link');
        // Only a thumbnail this request sets: an edit of the title never fails on the stored one.
        await checkThumbnail(tx, changes.thumbnailAssetId);
        if (changes.url !== undefined && changes.url !== current.url && current.ab_test_id) {
          throw fieldError('CONFLICT', 'body.url', 'the link is running an A/B test: end it (keeping one destination) before changing its URL');
        }
        const merged: LinkInput = {
          title: changes.title ?? current.title,
          url: changes.url ?? current.url,
          syncIntervalMinutes: changes.syncIntervalMinutes === undefined ? current.sync_interval_minutes : changes.syncIntervalMinutes,
          enabled: changes.enabled ?? current.enabled,
          startsAt: changes.startsAt === undefined ? current.starts_at : changes.startsAt,
          endsAt: changes.endsAt === undefined ? current.ends_at : changes.endsAt,
          icon: changes.icon === undefined ? current.icon : changes.icon,
          thumbnailAssetId: changes.thumbnailAssetId === undefined ? current.thumbnail_asset_id : changes.thumbnailAssetId,
        };
        await updateLink(tx, linkId, await resolveFields(tx, merged, firstSyncFor(userId)));
        return toLink((await getLink(tx, profileId, linkId))!);
      }),

    /** Queues a fresh sync of a GitHub link's repository (the card updates within seconds). */
    async refresh(userId: string, profileId: string, linkId: string): Promise<void> {
      const { allowed, resetMs } = await take(`github-refresh:${userId}`, REFRESHES_PER_MINUTE);
      if (!allowed) {
        throw new AppError('RATE_LIMIT', `At most ${REFRESHES_PER_MINUTE} refreshes a minute`, { retryAfterSeconds: Math.max(1, Math.ceil(resetMs / 1000)) });
      }
      await withUser(db, userId, async (tx) => {
        const profile = await getProfile(tx, profileId);
        if (!profile) throw notFound('No such profile');
        requireRole(profile, 'edit');
        const link = await getLink(tx, profileId, linkId);
        if (!link) throw notFound('No such link');
        if (!link.github_repo_id) throw fieldError('CONFLICT', 'params.linkId', 'only GitHub repository links have a card to refresh');
        await requestGithubSync(tx, link.github_repo_id);
      });
    },

    /** Starts an A/B test of the link's destination (409 while one runs, or for a GitHub card). */
    startAbTest: (userId: string, profileId: string, linkId: string, variants: AbVariant[]) =>
      changeLinks(userId, profileId, async (tx) => {
        const problems = abVariantProblems(variants);
        if (problems.length > 0) {
          throw new AppError('INVALID_INPUT', `Invalid: ${problems[0]!.message}`, { details: { fields: problems.map((problem) => ({ field: `body.${problem.field}`, message: problem.message })) } });
        }
        const link = await getLink(tx, profileId, linkId);
        if (!link) throw notFound('No such link');
        if (link.kind === 'github') throw fieldError('CONFLICT', 'params.linkId', 'a GitHub repository card cannot be A/B tested: its card shows that repository');
        if (await getRunningAbTest(tx, linkId, { lock: true })) throw fieldError('CONFLICT', 'params.linkId', 'the link already runs an A/B test: end it first');
        // Stored normalised, as a link's URL is.
        const normalised = variants.map((variant) => ({ url: (parseLinkTarget(variant.url) as { url: string }).url, weight: variant.weight }));
        await insertAbTest(tx, { profileId, linkId, variants: normalised });
        return toLink((await getLink(tx, profileId, linkId))!);
      }),

    /** Ends the link's running test, making variant `keep` (1-based) the link's URL. */
    endAbTest: (userId: string, profileId: string, linkId: string, keep: number) =>
      changeLinks(userId, profileId, async (tx) => {
        const link = await getLink(tx, profileId, linkId);
        if (!link) throw notFound('No such link');
        const test = await getRunningAbTest(tx, linkId, { lock: true });
        if (!test) throw fieldError('CONFLICT', 'params.linkId', 'the link runs no A/B test');
        const kept = test.variants[keep - 1];
        if (!kept) throw fieldError('CONFLICT', 'body.keep', `the test has ${test.variants.length} destinations`);
        await endAbTest(tx, test.id, keep);
        await updateLink(
          tx,
          linkId,
          await resolveFields(tx, {
            title: link.title,
            url: kept.url,
            syncIntervalMinutes: link.sync_interval_minutes,
            enabled: link.enabled,
            startsAt: link.starts_at,
            endsAt: link.ends_at,
            icon: link.icon,
            thumbnailAssetId: link.thumbnail_asset_id,
          }, firstSyncFor(userId)),
        );
        return toLink((await getLink(tx, profileId, linkId))!);
      }),

    remove: (userId: string, profileId: string, linkId: string) =>
      changeLinks(userId, profileId, async (tx) => {
        if (!(await deleteLink(tx, profileId, linkId))) throw notFound('No such link');
      }),

    reorder: (userId: string, profileId: string, linkIds: string[]) =>
      changeLinks(userId, profileId, async (tx) => {
        const current = (await listLinks(tx, profileId)).map((link) => link.id);
        const requested = new Set(linkIds);
        if (requested.size !== linkIds.length || requested.size !== current.length || current.some((id) => !requested.has(id))) {
          throw fieldError('CONFLICT', 'body.linkIds', `must list each of the profile's ${current.length} links exactly once`);
        }
        await setLinkOrder(tx, profileId, linkIds);
        return (await listLinks(tx, profileId)).map(toLink);
      }),
  };
}

export type LinksService = ReturnType<typeof createLinksService>;
