// /api/v1/profiles: a creator's profiles (CRUD) and the handle availability check.
import { z } from 'zod';
import { MAX_PROFILE_RETENTION_DAYS, MIN_PROFILE_RETENTION_DAYS } from '../../lib/analytics/profile-retention.js';
import { HANDLE_PATTERN } from '../../lib/profiles/handle.js';
import { PROFILE_ROLES } from '../../lib/profiles/roles.js';
import { COLOR_SCHEMES, DEFAULT_PAGE_THEME, PAGE_THEME_IDS, PAGE_THEMES } from '../../lib/profiles/page-themes.js';
import { checkSocialLink, documentedSocialUrlPattern, MAX_SOCIAL_LINKS, MAX_SOCIAL_URL_LENGTH, SOCIAL_NETWORK_IDS, type SocialNetworkId } from '../../lib/profiles/social-links.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, NOT_BLANK } from '../http/schemas.js';
import type { ProfilesService } from './profiles.service.js';

/** Handles that would shadow a route of ours or impersonate the service. */
export const RESERVED_HANDLES = new Set([
  'about', 'admin', 'api', 'app', 'assets', 'auth', 'dashboard', 'docs', 'help', 'healthz', 'linkpulse', 'login', 'logout',
  'invitations', 'metrics', 'new', 'og', 'public', 'readyz', 'root', 'security', 'settings', 'share', 'shared', 'signup', 'static', 'status',
  'support', 'www',
]);

export const Handle = z
  .string()
  .trim()
  .toLowerCase()
  .regex(HANDLE_PATTERN, '3-30 characters: letters, digits, - and _, starting and ending with a letter or digit')
  .refine((handle) => !RESERVED_HANDLES.has(handle), 'this handle is reserved')
  .meta({ description: '3-30 characters, lower case; not one of the reserved names', not: { enum: [...RESERVED_HANDLES] } });

const DisplayName = z.string().trim().min(1).max(80).meta({ pattern: NOT_BLANK });
const Bio = z.string().trim().max(300);
const Theme = z.enum(COLOR_SCHEMES).describe('The colour scheme: auto follows the visitor’s system');
const PageTheme = z.enum(PAGE_THEME_IDS).describe(`The page's designed theme: ${PAGE_THEMES.map((theme) => `${theme.id} (${theme.name}: ${theme.description})`).join(', ')}`);
// One object schema per network, so the documentation says which addresses each takes; the check
// itself (checkSocialLink) runs on every one and names what is wrong.
const SocialLinkSchema = z
  .discriminatedUnion(
    'network',
    SOCIAL_NETWORK_IDS.map((network) =>
      z.strictObject({
        network: z.literal(network),
        url: z
          .string()
          .max(MAX_SOCIAL_URL_LENGTH)
          .meta({ description: network === 'email' ? 'An email address' : 'An https address on the network', pattern: documentedSocialUrlPattern(network) }),
      }),
    ) as [z.ZodObject<{ network: z.ZodLiteral<SocialNetworkId>; url: z.ZodString }>, ...z.ZodObject<{ network: z.ZodLiteral<SocialNetworkId>; url: z.ZodString }>[]],
  )
  .transform((link, ctx) => {
    const checked = checkSocialLink(link.network, link.url);
    if (checked.ok) return { network: link.network, url: checked.url };
    ctx.addIssue({ code: 'custom', path: ['url'], input: link.url, message: checked.reason });
    return z.NEVER;
  });
const SocialLinks = z.array(SocialLinkSchema).max(MAX_SOCIAL_LINKS).describe(`The icons row under the bio, in order: at most ${MAX_SOCIAL_LINKS}`);
const SocialLinkOut = z.object({ network: z.enum(SOCIAL_NETWORK_IDS), url: z.string() });
const AccentColor = z
  .string()
  .toLowerCase()
  .regex(/^#[0-9a-f]{6}$/, 'a colour such as #2563eb');

const RetentionDays = z
  .number()
  .int()
  .min(MIN_PROFILE_RETENTION_DAYS)
  .max(MAX_PROFILE_RETENTION_DAYS)
  .nullable()
  .describe(
    `How many days of this page's analytics to keep (${MIN_PROFILE_RETENTION_DAYS}-${MAX_PROFILE_RETENTION_DAYS}), or null for the server's default. Only the page's owner may change it (403 for anyone else). ` +
      "A value above the server's maximum (analyticsRetention.maxDays) is refused with 409. Raw events and every aggregate older than the cutoff (00:00 UTC, that many days ago) are deleted within hours.",
  );

const AnalyticsRetention = z
  .object({
    days: z.int().describe("The days in force: the owner's choice capped by the server's maximum, or the maximum"),
    maxDays: z.int().describe("The server's maximum (ANALYTICS_RETENTION_DAYS)"),
    scope: z.enum(['all', 'raw']).describe("all: raw events and every aggregate before keptFrom are deleted; raw: the server's default, raw events expire after `days` and daily figures are kept longer"),
    keptFrom: z.iso.datetime().describe('The earliest instant from which everything is kept: a UTC midnight (the cutoff, or the first whole day the raw events keep)'),
  })
  .meta({ id: 'AnalyticsRetention' });

const NewProfile = z.strictObject({
  handle: Handle,
  displayName: DisplayName,
  bio: Bio.default(''),
  theme: Theme.default('auto'),
  accentColor: AccentColor.default('#2563eb'),
  pageTheme: PageTheme.default(DEFAULT_PAGE_THEME),
  socialLinks: SocialLinks.default([]),
  published: z.boolean().default(false),
  respectGpc: z.boolean().default(true).describe('Track nothing from visitors whose browser sends Global Privacy Control'),
});

// Not NewProfile.partial(): that would apply the defaults and reset fields the request left out.
const ProfileChanges = z
  .strictObject({
    handle: Handle.optional(),
    displayName: DisplayName.optional(),
    bio: Bio.optional(),
    theme: Theme.optional(),
    accentColor: AccentColor.optional(),
    pageTheme: PageTheme.optional(),
    socialLinks: SocialLinks.optional(),
    published: z.boolean().optional(),
    respectGpc: z.boolean().optional(),
    avatarAssetId: z.uuid().nullable().optional().describe('One of your stored images (POST /assets), or null for none'),
    analyticsRetentionDays: RetentionDays.optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, 'send at least one field to change')
  .meta({ description: 'The fields to change: at least one', minProperties: 1 });

export const Profile = z
  .object({
    id: z.uuid(),
    role: z.enum(PROFILE_ROLES).describe('Your role on this profile: owner, editor, analyst or viewer'),
    handle: z.string(),
    displayName: z.string(),
    bio: z.string(),
    avatarAssetId: z.uuid().nullable(),
    theme: Theme,
    accentColor: z.string(),
    pageTheme: PageTheme,
    socialLinks: z.array(SocialLinkOut),
    published: z.boolean(),
    respectGpc: z.boolean(),
    analyticsRetentionDays: z.int().nullable().describe("The owner's choice of days to keep the analytics, or null for the server's default"),
    analyticsRetention: AnalyticsRetention,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Profile' });

const ProfileParams = z.strictObject({ profileId: Id });

export function profileRoutes(service: ProfilesService): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/profiles',
      operationId: 'listProfiles',
      summary: "The caller's profiles",
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:read',
      responses: { 200: { description: 'Profiles, oldest first', schema: z.object({ profiles: z.array(Profile) }) } },
      async handler({ auth }) {
        return { status: 200, body: { profiles: await service.list(auth.userId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles',
      operationId: 'createProfile',
      summary: 'Create a profile',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:write',
      body: NewProfile,
      responses: { 201: { description: 'Created', schema: Profile } },
      async handler({ auth, body }) {
        return { status: 201, body: await service.create(auth.userId, body) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/profiles/:profileId',
      operationId: 'getProfile',
      summary: 'One of the caller’s profiles (404 for anyone else’s)',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:read',
      params: ProfileParams,
      responses: { 200: { description: 'The profile', schema: Profile } },
      async handler({ auth, params }) {
        return { status: 200, body: await service.get(auth.userId, params.profileId) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/profiles/:profileId',
      operationId: 'updateProfile',
      summary: 'Change some fields of a profile',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:write',
      params: ProfileParams,
      body: ProfileChanges,
      responses: { 200: { description: 'The updated profile', schema: Profile } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.update(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/profiles/:profileId',
      operationId: 'deleteProfile',
      summary: 'Delete a profile and its links; its analytics rows are queued for erasure',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:write',
      params: ProfileParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/handles/:handle',
      operationId: 'checkHandle',
      summary: 'Whether a handle is valid and free',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:read',
      params: z.strictObject({ handle: Handle }),
      responses: { 200: { description: 'Availability', schema: z.object({ handle: z.string(), available: z.boolean() }) } },
      async handler({ auth, params }) {
        return { status: 200, body: { handle: params.handle, available: await service.isHandleAvailable(auth.userId, params.handle) } };
      },
    }),
  ];
}
