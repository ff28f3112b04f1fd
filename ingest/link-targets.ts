// Published profiles and their live links, in memory, so ingest validates every event and answers
// every redirect without a database call on the request path. Loaded as the anonymous visitor role
// (so exactly what a visitor may see), reloaded when PostgreSQL announces a change to profiles or
// links (LISTEN link_targets_changed) and every RELOAD_MS anyway, because a link's schedule window
// opens and closes with time, not with a write.
import type { Logger } from '../lib/logger.js';
import type { Database, DbClient } from '../lib/postgres/database.js';
import { asVisitor } from '../lib/postgres/tenant.js';

const RELOAD_MS = 30_000;
/** Changes arrive in bursts (a reorder touches many rows): one reload per burst. */
const DEBOUNCE_MS = 200;

export interface LinkTarget {
  profileId: string;
  url: string;
}

export interface ProfileTarget {
  respectGpc: boolean;
}

export interface LinkTargets {
  link(linkId: string): LinkTarget | undefined;
  profile(profileId: string): ProfileTarget | undefined;
  /** Loads now (also used by tests after a change). */
  reload(): Promise<void>;
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
  let loading: Promise<void> | undefined;
  let stopped = false;

  const load = async () => {
    const { profileRows, linkRows } = await asVisitor(deps.db, async (tx) => ({
      profileRows: (await tx.query<{ id: string; respect_gpc: boolean }>('SELECT id, respect_gpc FROM profiles')).rows,
      linkRows: (await tx.query<{ id: string; profile_id: string; url: string }>('SELECT id, profile_id, url FROM links')).rows,
    }));
    profiles = new Map(profileRows.map((row) => [row.id, { respectGpc: row.respect_gpc }]));
    links = new Map(linkRows.map((row) => [row.id, { profileId: row.profile_id, url: row.url }]));
  };
  const reload = () => {
    loading ??= load().finally(() => (loading = undefined));
    return loading;
  };
  const reloadQuietly = () => reload().catch((error: unknown) => logger.warn({ err: error }, 'could not reload link targets; keeping the last ones'));

  return {
    link: (linkId) => links.get(linkId),
    profile: (profileId) => profiles.get(profileId),
    reload,
    async start() {
      await reload();
      listener = await deps.db.connect();
      listener.on('notification', () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void reloadQuietly(), DEBOUNCE_MS);
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
      await loading?.catch(() => undefined);
    },
  };
}
