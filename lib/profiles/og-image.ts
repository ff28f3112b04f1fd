// A profile's Open Graph image (the picture a shared link shows) is content-addressed: its URL
// carries a hash of everything drawn on it, so a changed profile gets a new URL (chat apps and
// social sites cache images by URL for days) and an unchanged one is rendered once, stored and
// served as immutable. The api role renders and serves it (api/public/og-image.ts) and keeps one
// stored picture per profile (og/<profile id>/<key>.png); the public page names it in og:image; the
// scheduler's asset sweep drops stored pictures after OG_IMAGE_MAX_AGE_MS (a stored picture is a
// cache: the next request draws it again).
import { createHash } from 'node:crypto';

/** Bump when the drawing changes, so every profile gets a new URL and social caches refetch. */
const RENDERER_VERSION = 1;
export const OG_IMAGE_PREFIX = 'og/';
export const OG_IMAGE_MAX_AGE_MS = 30 * 24 * 60 * 60_000;
export const OG_IMAGE_WIDTH = 1200;
export const OG_IMAGE_HEIGHT = 630;
/** Link titles drawn under the bio. */
export const OG_IMAGE_LINKS = 3;

/** What the image shows: the key is the hash of exactly this. */
export interface OgImageContent {
  handle: string;
  displayName: string;
  bio: string;
  /** /assets/<sha256> of the avatar, or null. */
  avatarUrl: string | null;
  pageTheme: string;
  accentColor: string;
  linkTitles: string[];
  linkCount: number;
}

export function ogImageKey(content: OgImageContent): string {
  return createHash('sha256')
    .update(JSON.stringify([RENDERER_VERSION, content.handle, content.displayName, content.bio, content.avatarUrl, content.pageTheme, content.accentColor, content.linkTitles, content.linkCount]))
    .digest('hex')
    .slice(0, 32);
}

/** The image's path: /og/<handle>/<key>.png. */
export const ogImagePath = (content: OgImageContent) => `/og/${content.handle}/${ogImageKey(content)}.png`;

/** The content of a published profile's image, from what its page shows. */
export function ogImageContent(page: {
  profile: { handle: string; displayName: string; bio: string; avatarUrl: string | null; pageTheme: string; accentColor: string };
  links: { title: string }[];
}): OgImageContent {
  const { handle, displayName, bio, avatarUrl, pageTheme, accentColor } = page.profile;
  return { handle, displayName, bio, avatarUrl, pageTheme, accentColor, linkTitles: page.links.slice(0, OG_IMAGE_LINKS).map((link) => link.title), linkCount: page.links.length };
}
