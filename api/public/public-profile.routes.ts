// /api/v1/public/profiles/:handle: a published profile with its live links, for the page renderer
// and anyone else. Cacheable by CDNs (s-maxage + stale-while-revalidate) and revalidated by ETag.
import { z } from 'zod';
import { GitHubCard } from '../../lib/github/github-card.js';
import { notFound } from '../../lib/errors.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { HANDLE_PATTERN } from '../../lib/profiles/handle.js';
import { Profile } from '../profiles/profiles.routes.js';
import { publicPageCacheControl, type PublicProfiles } from '../../lib/public-profile.js';
import { matchesEtag } from '../../lib/http/negotiation.js';
import { LINK_ICON_IDS } from '../../lib/profiles/social-links.js';

const PublicProfile = z
  .object({
    profile: Profile.pick({
      id: true,
      handle: true,
      displayName: true,
      bio: true,
      avatarAssetId: true,
      theme: true,
      accentColor: true,
      pageTheme: true,
      socialLinks: true,
      respectGpc: true,
      updatedAt: true,
    }).extend({
      avatarUrl: z.string().nullable().describe('/assets/<sha256> of the avatar image'),
      ogImageUrl: z.string().describe('/og/<handle>/<key>.png: the Open Graph image, a new URL whenever what it shows changes'),
    }),
    links: z.array(
      z.object({
        id: z.uuid(),
        title: z.string(),
        url: z.string(),
        kind: z.enum(['url', 'github']),
        repository: GitHubCard.nullable(),
        icon: z.enum(LINK_ICON_IDS).nullable().describe('The icon beside the title: the chosen one, or the site’s network'),
        thumbnailUrl: z.string().nullable().describe('/assets/<sha256> of the thumbnail, shown instead of the icon'),
      }),
    ),
  })
  .meta({ id: 'PublicProfile' });

/** Does an If-None-Match header list this ETag (or *)? Weak validators compare equal (RFC 9110). */
export function publicProfileRoutes(profiles: PublicProfiles): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/public/profiles/:handle',
      operationId: 'getPublicProfile',
      summary: 'A published profile and its enabled, in-schedule links (send If-None-Match to revalidate)',
      tag: 'public',
      access: 'public',
      params: z.strictObject({ handle: z.string().min(1).max(64) }),
      responses: {
        200: { description: 'The profile', schema: PublicProfile },
        304: { description: 'Not modified since the ETag sent in If-None-Match' },
      },
      async handler({ params, request }) {
        // Something that cannot be a handle is answered without a lookup.
        if (!HANDLE_PATTERN.test(params.handle.toLowerCase())) throw notFound('No published profile has this handle');
        const page = await profiles.get(params.handle);
        if (!page.body) throw notFound('No published profile has this handle');
        // Browsers always revalidate (cheap with the ETag); shared caches follow the server's freshness.
        const headers = { ETag: page.etag, 'Cache-Control': publicPageCacheControl(page.freshness) };
        if (matchesEtag(request.headers['if-none-match'], page.etag)) return { status: 304, headers };
        // The service's type (lib/public-profile.ts) must match the documented schema.
        return { status: 200, body: page.body satisfies z.output<typeof PublicProfile>, headers };
      },
    }),
  ];
}
