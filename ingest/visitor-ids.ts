// Visitor ids, with visits that cross midnight kept whole. Each UTC day has its own salt, so the
// same person gets a new id at midnight, which would split a visit in progress in two. In the last
// MARK_WINDOW of a day, ingest marks each active visitor id in the cache; in the first
// CARRY_WINDOW of the next day, a visitor whose previous-day id is still marked (the mark is renewed
// with each event and expires after MARK_TTL of silence) keeps that id until the visit ends.
// The marks hold hashed ids only, live at most MARK_TTL, and the previous salt is deleted after 48 h
// anyway (lib/visitors/salts.ts). Best effort: if the cache is down, ids simply change at midnight.
import type { Cache } from '../lib/cache/cache.js';
import { visitorId } from '../lib/visitors/identity.js';
import { DAY_MS } from '../lib/visitors/salts.js';
import type { VisitorSalts } from './visitor-salts.js';

const MINUTE_MS = 60_000;
const MARK_WINDOW_MS = 30 * MINUTE_MS;
const MARK_TTL_SECONDS = 30 * 60;
const CARRY_WINDOW_MS = 120 * MINUTE_MS;

export interface VisitorIds {
  /** The visitor's id for an event at `now`; undefined when no salt is loaded yet. */
  idFor(profileId: string, ip: string, userAgent: string, now: number): Promise<string | undefined>;
}

export function createVisitorIds(deps: { salts: VisitorSalts; cache: Cache }): VisitorIds {
  const markKey = (profileId: string, id: string) => `visit:${profileId}:${id}`;
  return {
    async idFor(profileId, ip, userAgent, now) {
      const salt = deps.salts.saltFor(now);
      if (!salt) return undefined;
      const today = visitorId(salt, ip, userAgent, profileId);
      const sinceMidnight = now % DAY_MS;
      try {
        if (DAY_MS - sinceMidnight <= MARK_WINDOW_MS) {
          await deps.cache.set(markKey(profileId, today), '1', MARK_TTL_SECONDS);
        } else if (sinceMidnight < CARRY_WINDOW_MS) {
          const previousSalt = deps.salts.saltFor(now - DAY_MS);
          const previous = previousSalt && visitorId(previousSalt, ip, userAgent, profileId);
          if (previous && (await deps.cache.get(markKey(profileId, previous)))) {
            await deps.cache.set(markKey(profileId, previous), '1', MARK_TTL_SECONDS);
            return previous;
          }
        }
      } catch {
        // Continuity is a nicety; the event still counts under today's id.
      }
      return today;
    },
  };
}
