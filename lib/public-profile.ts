// A published profile as its visitors see it: the contract between the api role, which builds and
// caches it (api/public/public-profile.service.ts) and serves it as JSON, and the dashboard role,
// which renders the page from the same service in-process. The API's schema for it
// (api/public/public-profile.routes.ts) must accept this type, which the compiler checks.
import type { GitHubCard } from './github/github-card.js';
import type { ColorScheme, PageThemeId } from './profiles/page-themes.js';
import type { LinkIconId, SocialLink } from './profiles/social-links.js';

export interface PublicProfile {
  profile: {
    id: string;
    handle: string;
    displayName: string;
    bio: string;
    avatarAssetId: string | null;
    /** /assets/<sha256> of the avatar, or null. */
    avatarUrl: string | null;
    /** The colour scheme. */
    theme: ColorScheme;
    accentColor: string;
    /** The designed theme (lib/profiles/page-themes.ts). */
    pageTheme: PageThemeId;
    socialLinks: SocialLink[];
    /** /og/<handle>/<key>.png: the page's Open Graph image (lib/profiles/og-image.ts). */
    ogImageUrl: string;
    /** Whether the page's tracker honours Global Privacy Control. */
    respectGpc: boolean;
    updatedAt: string;
  };
  links: {
    id: string;
    title: string;
    url: string;
    kind: 'url' | 'github';
    repository: GitHubCard | null;
    /** The icon shown beside the title (chosen, or the site's network), or null. */
    icon: LinkIconId | null;
    /** /assets/<sha256> of the link's thumbnail, shown instead of the icon; or null. */
    thumbnailUrl: string | null;
  }[];
}

export interface PublicProfilePage {
  /** Undefined when no published profile has this handle. */
  body: PublicProfile | undefined;
  etag: string;
}

/** What a CDN may do with the response: cache it this long, then serve it stale while revalidating. */
export interface Freshness {
  maxAgeSeconds: number;
  staleWhileRevalidateSeconds: number;
}

/** The Cache-Control of a public page (and of its JSON), from its freshness. */
export const publicPageCacheControl = (freshness: Freshness) =>
  `public, max-age=0, s-maxage=${freshness.maxAgeSeconds}, stale-while-revalidate=${freshness.staleWhileRevalidateSeconds}`;

export interface PublicProfiles {
  get(handle: string): Promise<PublicProfilePage & { freshness: Freshness }>;
  /** Call after the commit of any change to these handles' profiles or links. */
  invalidate(handles: readonly string[]): Promise<void>;
}
