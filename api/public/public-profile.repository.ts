// Reads for anonymous visitors, inside asVisitor(): as linkpulse_public, RLS shows only published
// profiles and their enabled, in-window links, and column grants only the fields a page shows.
import type { Tx } from '../../lib/postgres/tenant.js';
import { CARD_COLUMNS, type CardColumns } from '../../lib/github/github-card.js';
import type { ProfileRow } from '../profiles/profiles.repository.js';

export type PublicProfileRow = Pick<ProfileRow, 'id' | 'handle' | 'display_name' | 'bio' | 'avatar_asset_id' | 'theme' | 'accent_color' | 'page_theme' | 'social_links' | 'respect_gpc' | 'updated_at'> & {
  /** The avatar's object key, when it has a stored one. */
  avatar_key: string | null;
};

export interface PublicLinkRow extends CardColumns {
  id: string;
  title: string;
  url: string;
  kind: 'url' | 'github';
  ends_at: Date | null;
  icon: string | null;
  thumbnail_key: string | null;
}

export async function findPublishedProfile(tx: Tx, handle: string): Promise<PublicProfileRow | undefined> {
  const { rows } = await tx.query<PublicProfileRow>(
    `SELECT p.id, p.handle, p.display_name, p.bio, p.avatar_asset_id, p.theme, p.accent_color, p.page_theme, p.social_links, p.respect_gpc, p.updated_at, a.object_key AS avatar_key
       FROM profiles p LEFT JOIN assets a ON a.id = p.avatar_asset_id
      WHERE p.handle = $1`,
    [handle],
  );
  return rows[0];
}

export async function listLiveLinks(tx: Tx, profileId: string): Promise<PublicLinkRow[]> {
  const { rows } = await tx.query<PublicLinkRow>(
    `SELECT l.id, l.title, l.url, l.kind, l.ends_at, l.icon, t.object_key AS thumbnail_key, ${CARD_COLUMNS}
       FROM links l LEFT JOIN github_repos r ON r.id = l.github_repo_id
            LEFT JOIN assets t ON t.id = l.thumbnail_asset_id
      WHERE l.profile_id = $1
      ORDER BY l.position`,
    [profileId],
  );
  return rows;
}
