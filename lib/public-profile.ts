// A published profile as its visitors see it: the contract between the api role, which builds and
// caches it (api/public/public-profile.service.ts) and serves it as JSON, and the dashboard role,
// which renders the page from the same service in-process. The API's schema for it
// (api/public/public-profile.routes.ts) must accept this type, which the compiler checks.
import type { GitHubCard } from './github/github-card.js';

export interface PublicProfile {
  profile: {
    id: string;
    handle: string;
    displayName: string;
    bio: string;
    avatarAssetId: string | null;
    /** /assets/<sha256> of the avatar, or null. */
    avatarUrl: string | null;
    theme: 'auto' | 'light' | 'dark';
    accentColor: string;
    /** Whether the page's tracker honours Global Privacy Control. */
    respectGpc: boolean;
    updatedAt: string;
  };
  links: { id: string; title: string; url: string; kind: 'url' | 'github'; repository: GitHubCard | null }[];
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
