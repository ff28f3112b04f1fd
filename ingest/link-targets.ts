// Published profiles and their live links, in memory, so ingest validates every event and answers
// every redirect without a database call on the request path. Loaded as the anonymous visitor role
// (so exactly what a visitor may see), reloaded when PostgreSQL announces a change to profiles or
// links (LISTEN link_targets_changed) and every RELOAD_MS anyway, because a link's schedule window
// opens and closes with time, not with a write. Running A/B tests come along (link_ab_tests, as a
// visitor sees them: the running tests of live links), so the redirect picks a variant from memory.
import { toAbAssignment, type AbAssignment, type AbVariant } from '../lib/links/ab-test.js';
import type { Logger } from '../lib/logger.js';
import type { Database, DbClient } from '../lib/postgres/database.js';
import { asVisitor } from '../lib/postgres/tenant.js';

const RELOAD_MS = 30_000;
/** Changes arrive in bursts (a reorder touches many rows): one reload per burst. */
const DEBOUNCE_MS = 200;
/**
 * A beacon or redirect for an id not in memory may have raced its own change (a visitor opening a page
 * the moment it was published). Such a miss reloads at once, but at most once a second, so requests
 * with made-up ids cannot turn into a reload each.
 */
const MISS_RELOAD_INTERVAL_MS = 1_000;

/** A running A/B test of a link: how to assign a visitor, and each variant's destination (by variant - 1). */
export interface AbTestTarget extends AbAssignment {
  urls: string[];
}

export interface LinkTarget {
  profileId: string;
  url: string;
  /** The link's running A/B test: the redirect sends each visitor to their variant's URL instead of url. */
  abTest?: AbTestTarget;
}

export interface ProfileTarget {
  respectGpc: boolean;
  /** The running tests of the profile's live links: a page view assigns its visitor in each. */
  abTests: AbTestTarget[];
}

export interface LinkTargets {
  link(linkId: string): LinkTarget | undefined;
  profile(profileId: string): ProfileTarget | undefined;
  /** Loads now (also used by tests after a change). */
  reload(): Promise<void>;
  /** After a lookup missed: reloads (or waits for a load under way) unless one started within the last second; true if the data is fresher. */
  reloadAfterMiss(): Promise<boolean>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLinkTargets(deps: { db: Database; logger: Logger }): LinkTargets {
  const logger = deps.logger.child({ module: 'link-targets' });
  let links = new Map<string, LinkTarget>();
  let profiles = new Map<string, ProfileTarget>();
  let listener: DbClient | undefined;
  let timer: NodeJS.Timeout | undefined;
  let debounce: NodeJS.Timeout | undefined;
  /** The load under way, and how many announced changes it includes (those announced before it began). */
  let loading: { promise: Promise<void>; covers: number } | undefined;
  let stopped = false;
  let lastLoadStartedAt = 0;
  /** Changes PostgreSQL has announced, and how many of them the data in memory includes. */
  let announced = 0;
  let covered = 0;

  const load = async (covers: number) => {
    lastLoadStartedAt = Date.now();
    const { profileRows, linkRows, testRows } = await asVisitor(deps.db, async (tx) => ({
      profileRows: (await tx.query<{ id: string; respect_gpc: boolean }>('SELECT id, respect_gpc FROM profiles')).rows,
      linkRows: (await tx.query<{ id: string; profile_id: string; url: string }>('SELECT id, profile_id, url FROM links')).rows,
      testRows: (await tx.query<{ id: string; link_id: string; variants: AbVariant[] }>('SELECT id, link_id, variants FROM link_ab_tests')).rows,
    }));
    const nextProfiles = new Map<string, ProfileTarget>(profileRows.map((row) => [row.id, { respectGpc: row.respect_gpc, abTests: [] }]));
    const nextLinks = new Map<string, LinkTarget>(linkRows.map((row) => [row.id, { profileId: row.profile_id, url: row.url }]));
    for (const row of testRows) {
      const link = nextLinks.get(row.link_id);
      if (!link) continue;
      link.abTest = { ...toAbAssignment(row.id, row.variants.map((variant) => variant.weight)), urls: row.variants.map((variant) => variant.url) };
      nextProfiles.get(link.profileId)?.abTests.push(link.abTest);
    }
    profiles = nextProfiles;
    links = nextLinks;
    covered = Math.max(covered, covers);
  };
  const reload = () => {
    if (!loading) {
      const promise = load(announced).finally(() => (loading = undefined));
      loading = { promise, covers: announced };
    }
    return loading.promise;
  };
  const reloadQuietly = () => reload().catch((error: unknown) => logger.warn({ err: error }, 'could not reload link targets; keeping the last ones'));
  /** A load that includes every change announced so far: one begun before the last announcement does not. */
  const reloadFresh = async () => {
    const target = announced;
    if (loading && loading.covers < target) await loading.promise.catch(() => undefined);
    if (covered < target) await reloadQuietly();
  };

  return {
    link: (linkId) => links.get(linkId),
    profile: (profileId) => profiles.get(profileId),
    reload,
    async reloadAfterMiss() {
      if (stopped) return false;
      if (covered < announced) {
        // The missing id is most likely an announced change: load it now rather than after the debounce.
        clearTimeout(debounce);
        await reloadFresh();
        return true;
      }
      if (loading) {
        await loading.promise.catch(() => undefined);
        return true;
      }
      if (Date.now() - lastLoadStartedAt < MISS_RELOAD_INTERVAL_MS) return false;
      await reloadQuietly();
      return true;
    },
    async start() {
      await reload();
      listener = await deps.db.connect();
      listener.on('notification', () => {
        announced++;
        clearTimeout(debounce);
        debounce = setTimeout(() => {
          if (!stopped) void reloadFresh();
        }, DEBOUNCE_MS);
      });
      // A dropped LISTEN connection is replaced on the next periodic reload.
      listener.on('error', (error) => logger.warn({ err: error }, 'link target notifications lost; relying on periodic reloads'));
      await listener.query('LISTEN link_targets_changed');
      const tick = () => {
        if (stopped) return;
        timer = setTimeout(() => void reloadQuietly().finally(tick), RELOAD_MS);
      };
      tick();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(debounce);
      if (listener) {
        await listener.query('UNLISTEN *').catch(() => undefined);
        listener.release();
      }
      await loading?.promise.catch(() => undefined);
    },
  };
}
