// The rules of profiles: a creator may own several (up to MAX_PROFILES); handles are unique across
// everyone, lower-case, URL-safe and not one of the reserved words that name our own routes.
// Every change drops the cached public page of the old and new handle, after the commit.
// Only the owner chooses how long the profile's analytics are kept, within the operator's maximum
// (lib/analytics/profile-retention.ts); a profile reads as its choice and what is in force.
import type pg from 'pg';
import { analyticsRetentionOf, type AnalyticsRetention } from '../../lib/analytics/profile-retention.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { getAsset } from '../assets/assets.repository.js';
import { can, type ProfileAction } from '../../lib/profiles/roles.js';
import { lockCurrentUser } from '../auth/auth.repository.js';
import {
  countOwnedProfiles,
  deleteProfile,
  getProfile,
  insertProfile,
  isHandleAvailable,
  listProfiles,
  updateProfile,
  type ProfileFields,
  type ProfileRow,
} from './profiles.repository.js';

export const MAX_PROFILES = 10;

export interface Profile {
  id: string;
  /** The caller's role on it. */
  role: ProfileRow['role'];
  handle: string;
  displayName: string;
  bio: string;
  avatarAssetId: string | null;
  theme: ProfileRow['theme'];
  accentColor: string;
  pageTheme: string;
  socialLinks: ProfileRow['social_links'];
  published: boolean;
  respectGpc: boolean;
  /** The owner's choice in days, or null for the operator's default. */
  analyticsRetentionDays: number | null;
  /** What is in force: the days, the operator's maximum, what it applies to and the earliest instant kept. */
  analyticsRetention: AnalyticsRetention;
  createdAt: string;
  updatedAt: string;
}

/** ANALYTICS_RETENTION_DAYS, the longest a profile may keep its analytics, and the clock. */
export interface RetentionPolicy {
  maxDays: number;
  now(): Date;
}

export const toProfile = (row: ProfileRow, retention: RetentionPolicy): Profile => ({
  id: row.id,
  role: row.role,
  handle: row.handle,
  displayName: row.display_name,
  bio: row.bio,
  avatarAssetId: row.avatar_asset_id,
  theme: row.theme,
  accentColor: row.accent_color,
  pageTheme: row.page_theme,
  socialLinks: row.social_links,
  published: row.published,
  respectGpc: row.respect_gpc,
  analyticsRetentionDays: row.analytics_retention_days,
  analyticsRetention: analyticsRetentionOf(row.analytics_retention_days, retention.maxDays, retention.now()),
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const ACTION_WORDS: Record<ProfileAction, string> = {
  read: 'see this page',
  edit: 'change this page',
  export: 'download this page’s analytics',
  manage: 'manage this page’s team or delete it',
  retention: 'change how long this page’s analytics are kept (only its owner may)',
  webhooks: 'manage this page’s webhooks (owners and editors may)',
};

/** A clear 403 before RLS would silently show or change nothing. */
export function requireRole(profile: Pick<ProfileRow, 'role'>, action: ProfileAction): void {
  if (!can(profile.role, action)) {
    throw new AppError('FORBIDDEN', `Your role on this page (${profile.role}) does not let you ${ACTION_WORDS[action]}; ask its owner`);
  }
}

function handleTaken(error: unknown): never {
  if ((error as pg.DatabaseError).code === '23505' && (error as pg.DatabaseError).constraint === 'profiles_handle_key') {
    throw new AppError('CONFLICT', 'This handle is taken', { details: { fields: [{ field: 'body.handle', message: 'already taken' }] } });
  }
  throw error;
}

/** A 409 naming the field and the maximum: the value is well formed, this server keeps analytics for less. */
function retentionAboveMaximum(maxDays: number): AppError {
  return new AppError('CONFLICT', `analyticsRetentionDays may be at most ${maxDays} days: this server keeps analytics for at most that long (ANALYTICS_RETENTION_DAYS)`, {
    details: { fields: [{ field: 'body.analyticsRetentionDays', message: `at most ${maxDays} days (the operator's maximum)` }], maxDays },
  });
}

export interface ProfilesServiceDeps {
  db: Database;
  invalidateProfiles(handles: string[]): Promise<void>;
  /** ANALYTICS_RETENTION_DAYS: the longest retention a profile may choose. */
  analyticsRetentionDays: number;
  /** The clock the earliest kept instant is computed from (tests). */
  now?: () => Date;
}

export function createProfilesService(deps: ProfilesServiceDeps) {
  const { db } = deps;
  const retention: RetentionPolicy = { maxDays: deps.analyticsRetentionDays, now: deps.now ?? (() => new Date()) };
  const presentProfile = (row: ProfileRow) => toProfile(row, retention);
  return {
    list: (userId: string) => withUser(db, userId, async (tx) => (await listProfiles(tx)).map(presentProfile)),

    async get(userId: string, profileId: string): Promise<Profile> {
      const row = await withUser(db, userId, (tx) => getProfile(tx, profileId));
      if (!row) throw notFound('No such profile');
      return presentProfile(row);
    },

    async create(userId: string, fields: ProfileFields): Promise<Profile> {
      const row = await withUser(db, userId, async (tx) => {
        await lockCurrentUser(tx);
        if ((await countOwnedProfiles(tx)) >= MAX_PROFILES) throw new AppError('CONFLICT', `An account can have at most ${MAX_PROFILES} profiles`);
        return insertProfile(tx, userId, fields);
      }).catch(handleTaken);
      await deps.invalidateProfiles([row.handle]);
      return presentProfile(row);
    },

    async update(userId: string, profileId: string, changes: Partial<ProfileFields>): Promise<Profile> {
      const { before, after } = await withUser(db, userId, async (tx) => {
        const visible = await getProfile(tx, profileId);
        if (!visible) throw notFound('No such profile');
        requireRole(visible, 'edit');
        if (changes.analyticsRetentionDays !== undefined) {
          requireRole(visible, 'retention');
          if (changes.analyticsRetentionDays !== null && changes.analyticsRetentionDays > retention.maxDays) throw retentionAboveMaximum(retention.maxDays);
        }
        const current = (await getProfile(tx, profileId, { lock: true }))!;
        if (changes.avatarAssetId && (await getAsset(tx, changes.avatarAssetId))?.status !== 'stored') {
          // The request is well formed; the image is gone (deleted, perhaps in another tab) or not the caller's.
          throw new AppError('CONFLICT', 'avatarAssetId must be one of your stored images', { details: { fields: [{ field: 'body.avatarAssetId', message: 'not one of your stored images' }] } });
        }
        return { before: current, after: (await updateProfile(tx, profileId, changes))! };
      }).catch(handleTaken);
      await deps.invalidateProfiles([...new Set([before.handle, after.handle])]);
      return presentProfile(after);
    },

    async remove(userId: string, profileId: string): Promise<void> {
      const handle = await withUser(db, userId, async (tx) => {
        const profile = await getProfile(tx, profileId);
        if (!profile) throw notFound('No such profile');
        requireRole(profile, 'manage');
        return deleteProfile(tx, profileId);
      });
      if (handle === undefined) throw notFound('No such profile');
      await deps.invalidateProfiles([handle]);
    },

    isHandleAvailable: (userId: string, handle: string) => withUser(db, userId, (tx) => isHandleAvailable(tx, handle)),
  };
}

export type ProfilesService = ReturnType<typeof createProfilesService>;
