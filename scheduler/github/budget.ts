// GitHub's rate limits as one budget for every request this client sends, in every scheduler process:
// PostgreSQL holds it (github_rate_limits, migrations/0023), since every process has it.
//
// - Each request takes its cost from its resource's budget before it is sent (a lease), and gives the
//   lease back with what GitHub's answer says is left (x-ratelimit-* or GraphQL's rateLimit). Nothing
//   is assumed: before GitHub has said, and once a window's reset has passed, one request at a time
//   goes out and its answer tells the rest.
// - A spent budget sends nothing before its reset. Scheduled syncs leave RESERVE_SHARE of each
//   window for creators (a new link, a refresh click), which may spend it down to 0.
// - A secondary limit pauses every worker of every process for retry-after (at least a minute when
//   GitHub gives none): recorded here at once for this process, and in PostgreSQL for the others.
import type { Database } from '../../lib/postgres/database.js';

export type RateLimitResource = 'core' | 'graphql';
/** A creator's refresh may spend the reserve; a scheduled sync may not. */
export type RequestPurpose = 'schedule' | 'refresh';

/** Kept from scheduled syncs in every window, for creators' refreshes: a tenth of the limit (at least 1). */
export const RESERVE_SHARE = 0.1;

/** What a request of this purpose must leave (github_rate_limit_acquire does the same arithmetic). */
export function reserveFor(quota: number | null, remaining: number, purpose: RequestPurpose): number {
  return purpose === 'schedule' ? Math.max(1, Math.ceil((quota ?? remaining) * RESERVE_SHARE)) : 0;
}

export interface RateLimitObservation {
  resource: RateLimitResource;
  /** x-ratelimit-limit (GraphQL: rateLimit.limit); null when not said. */
  quota: number | null;
  remaining: number;
  resetAt: Date;
}

export type WaitReason = 'rate_limited' | 'secondary_rate_limited' | 'probing' | 'in_flight';

export type BudgetDecision = { granted: true; lease: string } | { granted: false; until: Date; reason: WaitReason };

export interface BudgetSnapshot {
  resource: RateLimitResource;
  quota: number | null;
  /** Null while unknown (never told, or the window has reset since). */
  remaining: number | null;
  resetAt: Date | null;
  pausedUntil: Date | null;
}

export interface GitHubBudget {
  /**
   * Whether a request would have to wait, as far as what is known says (no lease taken: acquire
   * decides). A run asks before it claims repositories it could not fetch.
   */
  blocked(resource: RateLimitResource, cost: number, purpose: RequestPurpose): Promise<{ until: Date; reason: 'rate_limited' | 'secondary_rate_limited' } | null>;
  /** Takes `cost` for one request of `resource`, or says until when to wait. */
  acquire(resource: RateLimitResource, cost: number, purpose: RequestPurpose): Promise<BudgetDecision>;
  /** Gives a lease back with what the answer said (nothing when there was no answer). */
  settle(lease: string, resource: RateLimitResource, observed?: RateLimitObservation): Promise<void>;
  /** A secondary limit: no request from any process before `until`. */
  pause(until: Date): Promise<void>;
  snapshot(resource: RateLimitResource): Promise<BudgetSnapshot>;
}

export interface PostgresBudgetOptions {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  now?: () => number;
  /** How long a lease holds its cost when its answer never comes back (the process died): longer than a request can take. */
  leaseMs?: number;
  /** Told each observation (the rate-limit gauge). */
  onObservation?: (observed: RateLimitObservation) => void;
}

export function createPostgresBudget(options: PostgresBudgetOptions): GitHubBudget {
  const { db } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 60_000;
  // This process's copy of a pause, set before the database hears of it, so that no worker of this
  // process sends in the milliseconds between a 403 and the write.
  let localPause = 0;

  const snapshot = async (resource: RateLimitResource): Promise<BudgetSnapshot> => {
    const { rows } = await db.query<{ quota: number | null; remaining: number | null; reset_at: Date | null; paused_until: Date | null }>(
      'SELECT quota, remaining, reset_at, paused_until FROM github_rate_limits WHERE resource = $1',
      [resource],
    );
    const row = rows[0];
    const known = row?.reset_at && row.reset_at.getTime() + 1_000 > now();
    return {
      resource,
      quota: row?.quota ?? null,
      remaining: known ? (row.remaining ?? null) : null,
      resetAt: known ? row.reset_at : null,
      pausedUntil: row?.paused_until && row.paused_until.getTime() > now() ? row.paused_until : null,
    };
  };

  return {
    async blocked(resource, cost, purpose) {
      if (localPause > now()) return { until: new Date(localPause), reason: 'secondary_rate_limited' };
      const known = await snapshot(resource);
      if (known.pausedUntil) return { until: known.pausedUntil, reason: 'secondary_rate_limited' };
      if (known.remaining !== null && known.resetAt && known.remaining - reserveFor(known.quota, known.remaining, purpose) < cost) {
        return { until: new Date(known.resetAt.getTime() + 1_000), reason: 'rate_limited' };
      }
      return null;
    },
    async acquire(resource, cost, purpose) {
      if (localPause > now()) return { granted: false, until: new Date(localPause), reason: 'secondary_rate_limited' };
      const at = now();
      const { rows } = await db.query<{ lease_id: string | null; wait_until: Date | null; reason: WaitReason | null }>(
        'SELECT lease_id::text, wait_until, reason FROM github_rate_limit_acquire($1, $2, $3, $4, $5)',
        [resource, cost, purpose === 'schedule' ? RESERVE_SHARE : 0, new Date(at), new Date(at + leaseMs)],
      );
      const row = rows[0]!;
      if (row.lease_id !== null) return { granted: true, lease: row.lease_id };
      if (row.reason === 'secondary_rate_limited') localPause = Math.max(localPause, row.wait_until!.getTime());
      return { granted: false, until: row.wait_until!, reason: row.reason! };
    },
    async settle(lease, resource, observed) {
      if (observed) options.onObservation?.(observed);
      await db.query('SELECT github_rate_limit_settle($1, $2, $3, $4, $5, $6)', [
        lease,
        resource,
        observed?.quota ?? null,
        observed?.remaining ?? null,
        observed?.resetAt ?? null,
        new Date(now()),
      ]);
    },
    async pause(until) {
      localPause = Math.max(localPause, until.getTime());
      await db.query('UPDATE github_rate_limits SET paused_until = greatest(paused_until, $1)', [until]);
    },
    snapshot,
  };
}
