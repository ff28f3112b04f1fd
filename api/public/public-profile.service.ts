// The published profile as the page renderer and CDNs see it, cached in Redis (or memory).
//
// Keys are versioned: every edit of a profile or its links bumps a generation counter for the
// handle (after the commit), and entries live under pp:v<shape>:<handle>:<generation>. A rebuild that raced
// with an edit writes under the old generation, which nobody reads any more, so an edit is never
// shadowed by stale data. An entry is fresh for FRESH_SECONDS, or until a shown link's schedule
// ends; after that it is served once more while one rebuild runs (stale-while-revalidate), except
// when a schedule ended. CDNs get the same rules in Cache-Control.
// Concurrent misses for one key share one rebuild (per process). When the cache is down, reads go
// to PostgreSQL and edits cannot bump generations; entries then expire within STORED_SECONDS.
// GitHub card data is written by the scheduler, which cannot bump generations (it may not know
// which profiles show a repository): a page with a card still waiting for its first sync is fresh
// for PENDING_CARD_SECONDS only, so a new card fills within seconds; synced cards (refreshed every
// few hours) follow the normal freshness.
import { assetPath } from '../assets/asset-url.js';
import { createHash } from 'node:crypto';
import type { Cache } from '../../lib/cache/cache.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { asVisitor } from '../../lib/postgres/tenant.js';
import { toGitHubCard } from '../../lib/github/github-card.js';
import { LruMap } from '../../lib/lru-map.js';
import type { PublicProfile, PublicProfilePage, PublicProfiles } from '../../lib/public-profile.js';
import { ogImageContent, ogImagePath } from '../../lib/profiles/og-image.js';
import { pageTheme } from '../../lib/profiles/page-themes.js';
import { linkIconFor } from '../../lib/profiles/social-links.js';
import { findPublishedProfile, listLiveLinks } from './public-profile.repository.js';

/**
 * The shape of a cached entry: bump it when PublicProfile changes, so a process of the new version
 * never reads an entry an older one wrote (during a rolling deploy both write to the same cache).
 */
const ENTRY_VERSION = 3;
const FRESH_SECONDS = 60;
const STORED_SECONDS = 5 * 60;
/** Unknown handles are cached too (briefly), so scanning for handles does not reach PostgreSQL. */
const MISSING_SECONDS = 30;
const PENDING_CARD_SECONDS = 3;
const GENERATION_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
/** Parsed entries kept per process (see `parsed` below), and the characters of their texts together. */
const PARSED_ENTRIES = 5_000;
const PARSED_CHARACTERS = 32 * 1024 * 1024;

interface Entry {
  page: PublicProfilePage;
  freshUntil: number;
  /** False when freshness ends because a shown link's schedule ends: then nothing may serve it stale. */
  staleAllowed: boolean;
}

/** How long a CDN may serve a page stale; short, so unpublishing takes effect within about two minutes. */
export const STALE_SECONDS = 60;

export function createPublicProfiles(deps: { db: Database; cache: Cache; logger: Logger; now?: () => number }): PublicProfiles {
  const logger = deps.logger.child({ module: 'public-profiles' });
  const now = deps.now ?? Date.now;
  const rebuilding = new Map<string, Promise<Entry>>();
  // The last entry parsed per key, with the text it came from. The cache hands back the same text
  // until the entry changes, so a hit costs a comparison instead of a parse of the whole profile
  // (the public page's hottest line after the socket write). An entry is shared by every request
  // that reads it: callers read it and never change it.
  const parsed = new LruMap<string, { text: string; entry: Entry }>(PARSED_ENTRIES, { maxWeight: PARSED_CHARACTERS, weigh: (memo) => memo.text.length });
  const parseEntry = (key: string, text: string): Entry => {
    const memo = parsed.get(key);
    if (memo?.text === text) return memo.entry;
    const entry = JSON.parse(text) as Entry;
    parsed.set(key, { text, entry });
    return entry;
  };

  const build = async (handle: string): Promise<Entry> => {
    const { body, endsAt } = await asVisitor(deps.db, async (tx) => {
      const profile = await findPublishedProfile(tx, handle);
      if (!profile) return { body: undefined, endsAt: [] };
      const links = await listLiveLinks(tx, profile.id);
      const page: PublicProfile = {
        profile: {
          id: profile.id,
          handle: profile.handle,
          displayName: profile.display_name,
          bio: profile.bio,
          avatarAssetId: profile.avatar_asset_id,
          avatarUrl: profile.avatar_key ? assetPath(profile.avatar_key) : null,
          theme: profile.theme,
          accentColor: profile.accent_color,
          pageTheme: pageTheme(profile.page_theme).id,
          socialLinks: profile.social_links,
          ogImageUrl: '',
          respectGpc: profile.respect_gpc,
          updatedAt: profile.updated_at.toISOString(),
        },
        links: links.map((link) => ({
          id: link.id,
          title: link.title,
          url: link.url,
          kind: link.kind,
          repository: link.kind === 'github' ? toGitHubCard(link) : null,
          icon: linkIconFor(link),
          thumbnailUrl: link.thumbnail_key ? assetPath(link.thumbnail_key) : null,
        })),
      };
      page.profile.ogImageUrl = ogImagePath(ogImageContent(page));
      return { body: page, endsAt: links.flatMap((link) => (link.ends_at ? [link.ends_at.getTime()] : [])) };
    });
    const etag = `"${createHash('sha256')
      .update(JSON.stringify(body ?? null))
      .digest('base64url')
      .slice(0, 27)}"`;
    const pendingCard = body?.links.some((link) => link.repository?.status === 'pending') ?? false;
    const lifetimeEnd = now() + (body ? (pendingCard ? PENDING_CARD_SECONDS : FRESH_SECONDS) : MISSING_SECONDS) * 1000;
    const freshUntil = Math.min(lifetimeEnd, ...endsAt);
    return { page: { body, etag }, freshUntil, staleAllowed: freshUntil === lifetimeEnd };
  };

  /** A cache operation that cannot fail the request: an outage reads as { ok: false }. */
  const tryCache = async <T>(what: string, operation: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> => {
    try {
      return { ok: true, value: await operation() };
    } catch (error) {
      logger.debug({ err: error }, `public profile cache ${what} failed; using PostgreSQL`);
      return { ok: false };
    }
  };

  const generationKey = (handle: string) => `pp:gen:${handle}`;

  const rebuild = (handle: string, key: string | undefined): Promise<Entry> => {
    const flightKey = key ?? `uncached:${handle}`;
    let flight = rebuilding.get(flightKey);
    if (!flight) {
      flight = build(handle)
        .then(async (entry) => {
          if (key) await tryCache('write', () => deps.cache.set(key, JSON.stringify(entry), STORED_SECONDS));
          return entry;
        })
        .finally(() => rebuilding.delete(flightKey));
      rebuilding.set(flightKey, flight);
    }
    return flight;
  };

  return {
    async get(rawHandle) {
      const handle = rawHandle.toLowerCase();
      const generation = await tryCache('read', () => deps.cache.get(generationKey(handle)));
      // Without a readable generation the cache cannot be trusted to be current: go to PostgreSQL.
      const key = generation.ok ? `pp:v${ENTRY_VERSION}:${handle}:${generation.value ?? '0'}` : undefined;
      const cached = key ? await tryCache('read', () => deps.cache.get(key)) : undefined;
      let entry = key && cached?.ok && cached.value !== undefined ? parseEntry(key, cached.value) : undefined;
      if (entry && entry.freshUntil <= now()) {
        if (entry.staleAllowed) {
          rebuild(handle, key).catch((error: unknown) => logger.warn({ err: error }, 'background rebuild of a public profile failed'));
        } else {
          entry = undefined;
        }
      }
      entry ??= await rebuild(handle, key);
      const maxAgeSeconds = Math.max(0, Math.ceil((entry.freshUntil - now()) / 1000));
      return { ...entry.page, freshness: { maxAgeSeconds, staleWhileRevalidateSeconds: entry.staleAllowed ? STALE_SECONDS : 0 } };
    },

    async invalidate(handles) {
      for (const handle of handles) {
        await tryCache('invalidation', () => deps.cache.increment(generationKey(handle.toLowerCase()), GENERATION_WINDOW_MS));
      }
    },
  };
}
