// Shared dashboards: the owner publishes a read-only view of a profile's analytics at an unguessable
// URL (/share/<token>), optionally behind a password and limited to some panels, and renames,
// narrows, rotates (a new URL, the old one dead at once) or revokes it. Anyone with the URL reads the
// aggregates the chosen panels show; never an export, never a visitor's row. A password is checked
// once per browser and remembered by a signed cookie (credentials.shareUnlock) that a new password
// ends. Row-Level Security keeps the shares to their profile's owner; visitors reach one only by its
// token (migrations/0015).
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { AppError, notFound } from '../../lib/errors.js';
import { isLocalPlainHttp } from '../../lib/http/session-cookie-name.js';
import type { Database } from '../../lib/postgres/database.js';
import { asVisitor, withUser } from '../../lib/postgres/tenant.js';
import { DASHBOARD_PANELS, type DashboardPanel } from '../analytics/analytics.routes.js';
import type { Credentials } from '../auth/credentials.js';
import type { PasswordHasher } from '../auth/password.js';
import { readCookie } from '../auth/session-cookie.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Cache } from '../../lib/cache/cache.js';
import { loadPasswordEstimator } from '../../lib/passwords/password-strength.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { requireRole } from '../profiles/profiles.service.js';
import { countShares, deleteShare, findSharedDashboard, insertShare, listShares, sharedLinkTitles, updateShare, type ShareRow } from './shares.repository.js';

/**
 * What a shared dashboard may show: the analytics page's panels and realtime (never the exports).
 * Not the A/B tests: they name every destination a link tests, which a page's visitors never see
 * (and migrations/0015 lists the panels a share may hold).
 */
export const SHAREABLE_PANELS = [...DASHBOARD_PANELS.filter((panel): panel is Exclude<DashboardPanel, 'abTests'> => panel !== 'abTests'), 'realtime'] as const;
export type ShareablePanel = (typeof SHAREABLE_PANELS)[number];
export const MAX_SHARES_PER_PROFILE = 10;
/**
 * The panel each filter of the analytics batch belongs to. A filter narrows every panel, so one on a
 * dimension whose panel is not shared would rebuild that panel value by value (the summary for each
 * country is the countries panel): a shared dashboard takes only the filters of its shared panels.
 */
export const FILTER_PANELS = {
  country: 'geo',
  device: 'devices',
  browser: 'devices',
  os: 'devices',
  channel: 'referrers',
  referrer: 'referrers',
  trigger: 'referrers',
  link: 'links',
} as const satisfies Record<string, ShareablePanel>;
// (heatmapDevice is not one: it narrows the heatmap alone, which is read only when it is shared.)

/** Refuses (403) a filter whose panel the share does not show. */
export function requireSharedFilters(panels: readonly ShareablePanel[], query: Partial<Record<keyof typeof FILTER_PANELS, unknown>>): void {
  const refused = (Object.keys(FILTER_PANELS) as (keyof typeof FILTER_PANELS)[]).filter((filter) => query[filter] !== undefined && !panels.includes(FILTER_PANELS[filter]));
  if (refused.length > 0) {
    throw new AppError('FORBIDDEN', `This dashboard cannot be filtered by ${refused.join(', ')}: its owner did not share ${[...new Set(refused.map((filter) => FILTER_PANELS[filter]))].join(', ')}`);
  }
}
/**
 * Wrong passwords a share takes, from all addresses together, before it refuses every try for the
 * rest of the window: on top of the per-address credential limit, so that many addresses cannot
 * guess at one share either. The owner's readers give the password once per browser.
 */
export const SHARE_UNLOCK_FAILURES = 20;
export const SHARE_UNLOCK_WINDOW_MS = 15 * 60 * 1000;
/** How long a browser that gave the password may read without giving it again. */
export const SHARE_UNLOCK_TTL_MS = 12 * 60 * 60 * 1000;
/** 24 random bytes: 32 base64url characters in the URL. */
const newToken = () => randomBytes(24).toString('base64url');
export const SHARE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

export interface SharedDashboard {
  id: string;
  label: string;
  url: string;
  panels: ShareablePanel[];
  passwordProtected: boolean;
  createdAt: string;
  updatedAt: string;
}

/** What the holder of a share's URL is told before (and after) giving its password. */
export interface OpenedShare {
  label: string;
  profile: { handle: string; displayName: string };
  panels: ShareablePanel[];
  passwordRequired: boolean;
  unlocked: boolean;
}

/** The cookie that remembers a given password: this share's paths only, this site only, script cannot read it. */
export function unlockCookie(publicUrl: string) {
  const secure = !isLocalPlainHttp(publicUrl);
  const name = secure ? '__Secure-lp_share' : 'lp_share';
  const options = (token: string) => ({ httpOnly: true, secure, sameSite: 'strict', path: `/api/v1/shared/${token}` }) as const;
  return {
    read: (request: Request) => readCookie(request, name),
    set: (response: Response, token: string, value: string) => response.cookie(name, value, { ...options(token), maxAge: SHARE_UNLOCK_TTL_MS }),
  };
}

export function createSharesService(deps: {
  db: Database;
  credentials: Credentials;
  hasher: PasswordHasher;
  cache: Cache;
  audit: AuditLog;
  publicUrl: string;
  now?: () => number;
}) {
  const { db, credentials, hasher, cache, audit } = deps;
  const now = deps.now ?? Date.now;
  const toShare = (row: ShareRow): SharedDashboard => ({
    id: row.id,
    label: row.label,
    url: `${deps.publicUrl}/share/${row.token}`,
    panels: SHAREABLE_PANELS.filter((panel) => row.panels.includes(panel)),
    passwordProtected: row.password_hash !== null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  });
  /** The profile, which its owner alone may share: 404 for a stranger, 403 for another member. */
  const asOwner = <T>(userId: string, profileId: string, fn: (tx: Parameters<Parameters<typeof withUser>[2]>[0]) => Promise<T>) =>
    withUser(db, userId, async (tx) => {
      const profile = await getProfile(tx, profileId);
      if (!profile) throw notFound('No such profile');
      requireRole(profile, 'manage');
      return fn(tx);
    });
  const noShare = () => notFound('No such shared dashboard');
  /**
   * A new share password's hash, once the caller is known to own the profile (scrypt is costly: a
   * stranger's request must not reach it) and the password is strong enough to stand guessing from
   * anyone who has the link (the account rule: zxcvbn, never the page's handle).
   */
  const newPasswordHash = async (userId: string, profileId: string, password: string) => {
    const handle = await asOwner(userId, profileId, async (tx) => (await getProfile(tx, profileId))!.handle);
    const strength = (await loadPasswordEstimator())(password, `${handle}@linkpulse.invalid`);
    if (!strength.isAcceptable) {
      throw new AppError('INVALID_INPUT', `Choose a stronger password: ${strength.feedback}`, {
        details: { reason: 'weak_password', fields: [{ field: 'body.password', message: strength.feedback }] },
      });
    }
    return hasher.hash(password);
  };

  /** The share a token opens; the same 404 for a token that never was, was rotated or revoked. */
  const find = async (token: string) => {
    const share = SHARE_TOKEN_PATTERN.test(token) ? await asVisitor(db, (tx) => findSharedDashboard(tx, token)) : undefined;
    if (!share) throw notFound('This shared dashboard does not exist: the link may have been revoked or replaced. Ask whoever shared it for the current one.');
    return share;
  };
  const isUnlocked = (share: { id: string; password_hash: string | null }, unlock: string | undefined) =>
    share.password_hash === null || (unlock !== undefined && credentials.isValidShareUnlock(share.id, share.password_hash, unlock, now()));

  return {
    unlockCookie: unlockCookie(deps.publicUrl),

    list: (userId: string, profileId: string) => asOwner(userId, profileId, async (tx) => (await listShares(tx, profileId)).map(toShare)),

    async create(userId: string, profileId: string, input: { label: string; password?: string | undefined; panels?: ShareablePanel[] | undefined }): Promise<SharedDashboard> {
      const passwordHash = input.password === undefined ? null : await newPasswordHash(userId, profileId, input.password);
      return asOwner(userId, profileId, async (tx) => {
        if ((await countShares(tx, profileId)) >= MAX_SHARES_PER_PROFILE) {
          throw new AppError('CONFLICT', `A page has at most ${MAX_SHARES_PER_PROFILE} shared dashboards: revoke one you no longer use first`);
        }
        return toShare(await insertShare(tx, { profileId, label: input.label, token: newToken(), passwordHash, panels: input.panels ?? [...SHAREABLE_PANELS], createdBy: userId }));
      });
    },

    /** Renames, narrows or widens, sets or removes the password (null), or with `rotate` gives it a new URL. */
    async update(
      userId: string,
      profileId: string,
      shareId: string,
      input: { label?: string | undefined; password?: string | null | undefined; panels?: ShareablePanel[] | undefined; rotate?: boolean | undefined },
    ): Promise<SharedDashboard> {
      const passwordHash = input.password === undefined ? undefined : input.password === null ? null : await newPasswordHash(userId, profileId, input.password);
      return asOwner(userId, profileId, async (tx) => {
        const row = await updateShare(tx, profileId, shareId, { label: input.label, panels: input.panels, passwordHash, token: input.rotate ? newToken() : undefined });
        if (!row) throw noShare();
        return toShare(row);
      });
    },

    remove: (userId: string, profileId: string, shareId: string) =>
      asOwner(userId, profileId, async (tx) => {
        if (!(await deleteShare(tx, profileId, shareId))) throw noShare();
      }),

    /** What the URL opens, and whether this browser may read it (`unlock`: its cookie). */
    async open(token: string, unlock: string | undefined): Promise<OpenedShare> {
      const share = await find(token);
      return {
        label: share.label,
        profile: { handle: share.handle, displayName: share.display_name },
        panels: SHAREABLE_PANELS.filter((panel) => share.panels.includes(panel)),
        passwordRequired: share.password_hash !== null,
        unlocked: isUnlocked(share, unlock),
      };
    },

    /**
     * Checks the password; the cookie value that unlocks the share in this browser, and until when.
     * Wrong passwords are counted per share across addresses (SHARE_UNLOCK_FAILURES a window, then a
     * 429 until it ends) and recorded in the security audit log.
     */
    async unlock(request: Request, token: string, password: string): Promise<{ value: string; expiresAt: number }> {
      const share = await find(token);
      if (share.password_hash === null) return { value: '', expiresAt: 0 };
      const blocked = `share-unlock-blocked:${share.id}`;
      const waitMs = Number(await cache.get(blocked));
      if (waitMs > now()) {
        throw new AppError('RATE_LIMIT', 'Too many wrong passwords for this dashboard: try again later, or ask whoever shared it', { retryAfterSeconds: (waitMs - now()) / 1000 });
      }
      if (!(await hasher.verify(password, share.password_hash))) {
        await audit.record(request, { action: 'share.unlock', outcome: 'failure', target: share.id });
        const failures = await cache.increment(`share-unlock-failures:${share.id}`, SHARE_UNLOCK_WINDOW_MS);
        if (failures.count >= SHARE_UNLOCK_FAILURES) await cache.set(blocked, String(now() + failures.resetMs), Math.max(1, Math.ceil(failures.resetMs / 1000)));
        throw new AppError('INVALID_INPUT', 'That is not the password of this dashboard', { details: { fields: [{ field: 'body.password', message: 'is not the password of this dashboard' }] } });
      }
      const expiresAt = now() + SHARE_UNLOCK_TTL_MS;
      return { value: credentials.shareUnlock(share.id, share.password_hash, expiresAt), expiresAt };
    },

    /**
     * What a read of `panels` through the share may see: the profile, which of those panels are shared
     * (possibly none), and the link titles when the links panel is one. 404 for an unknown token, 401
     * while locked.
     */
    async access(token: string, unlock: string | undefined, panels: readonly ShareablePanel[]): Promise<{ profileId: string; titles: Map<string, string>; panels: ShareablePanel[] }> {
      const share = await find(token);
      if (!isUnlocked(share, unlock)) throw new AppError('UNAUTHORIZED', 'This dashboard is protected by a password: enter it first');
      const allowed = panels.filter((panel) => share.panels.includes(panel));
      const titles = allowed.includes('links') ? await asVisitor(db, (tx) => sharedLinkTitles(tx, token)) : new Map<string, string>();
      return { profileId: share.profile_id, titles, panels: allowed };
    },
  };
}

export type SharesService = ReturnType<typeof createSharesService>;
