// The rules of profiles: a creator may own several (up to MAX_PROFILES); handles are unique across
// everyone, lower-case, URL-safe and not one of the reserved words that name our own routes.
// Every change drops the cached public page of the old and new handle, after the commit.
import type pg from 'pg';
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
  createdAt: string;
  updatedAt: string;
}

export const toProfile = (row: ProfileRow): Profile => ({
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
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

const ACTION_WORDS: Record<ProfileAction, string> = {
  read: 'see this page',
  edit: 'change this page',
  export: 'download this page’s analytics',
  manage: 'manage this page’s team or delete it',
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

export function createProfilesService(deps: { db: Database; invalidateProfiles(handles: string[]): Promise<void> }) {
  const { db } = deps;
  return {
    list: (userId: string) => withUser(db, userId, async (tx) => (await listProfiles(tx)).map(toProfile)),

    async get(userId: string, profileId: string): Promise<Profile> {
      const row = await withUser(db, userId, (tx) => getProfile(tx, profileId));
      if (!row) throw notFound('No such profile');
      return toProfile(row);
    },

    async create(userId: string, fields: ProfileFields): Promise<Profile> {
      const row = await withUser(db, userId, async (tx) => {
        await lockCurrentUser(tx);
        if ((await countOwnedProfiles(tx)) >= MAX_PROFILES) throw new AppError('CONFLICT', `An account can have at most ${MAX_PROFILES} profiles`);
        return insertProfile(tx, userId, fields);
      }).catch(handleTaken);
      await deps.invalidateProfiles([row.handle]);
      return toProfile(row);
    },

    async update(userId: string, profileId: string, changes: Partial<ProfileFields>): Promise<Profile> {
      const { before, after } = await withUser(db, userId, async (tx) => {
        const visible = await getProfile(tx, profileId);
        if (!visible) throw notFound('No such profile');
        requireRole(visible, 'edit');
        const current = (await getProfile(tx, profileId, { lock: true }))!;
        if (changes.avatarAssetId && (await getAsset(tx, changes.avatarAssetId))?.status !== 'stored') {
          // The request is well formed; the image is gone (deleted, perhaps in another tab) or not the caller's.
          throw new AppError('CONFLICT', 'avatarAssetId must be one of your stored images', { details: { fields: [{ field: 'body.avatarAssetId', message: 'not one of your stored images' }] } });
        }
        return { before: current, after: (await updateProfile(tx, profileId, changes))! };
      }).catch(handleTaken);
      await deps.invalidateProfiles([...new Set([before.handle, after.handle])]);
      return toProfile(after);
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
