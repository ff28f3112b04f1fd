// /api/v1/profiles/:profileId/links: a profile's links (CRUD) and their order.
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, Instant, NOT_BLANK, whenFieldsParsed } from '../http/schemas.js';
import { GitHubCard, GitHubSyncStatus } from '../../lib/github/github-card.js';
import { DOCUMENTED_URL_MAX_LENGTH, DOCUMENTED_URL_PATTERN, MAX_URL_LENGTH, parseLinkTarget } from '../../lib/links/link-url.js';
import { GENERAL_LINK_ICONS, LINK_ICON_IDS, LINK_ICON_NONE, SOCIAL_NETWORK_IDS } from '../../lib/profiles/social-links.js';
import { MAX_LINKS, type LinksService } from './links.service.js';
import { MAX_VARIANTS, MAX_WEIGHT, MIN_VARIANTS, MIN_WEIGHT, WEIGHT_TOTAL } from '../../lib/links/ab-test.js';

const Bound = Instant.nullable();
const Title = z.string().trim().min(1).max(100).meta({ pattern: NOT_BLANK });
const SyncInterval = z.number().int().min(5).max(10_080).nullable().describe('Minutes between refreshes of a GitHub card (5 to 10080); null: the global interval');
const Url = z
  .string()
  .max(MAX_URL_LENGTH + 64)
  .superRefine((url, ctx) => {
    const target = parseLinkTarget(url);
    if (!target.ok) ctx.addIssue({ code: 'custom', input: url, message: target.reason });
  })
  .meta({
    description: `An absolute http(s) URL, at most ${MAX_URL_LENGTH} characters once normalised; no user name or password, no spaces or control characters. The pattern shows a form that is always accepted`,
    format: 'uri',
    pattern: DOCUMENTED_URL_PATTERN,
    maxLength: DOCUMENTED_URL_MAX_LENGTH,
  });
const Icon = z
  .enum([...LINK_ICON_IDS, LINK_ICON_NONE])
  .nullable()
  .describe(`An icon beside the title: a network (${SOCIAL_NETWORK_IDS.join(', ')}) or ${GENERAL_LINK_ICONS.join(', ')}; "none" for no icon; null: the icon of the link's site when it is one of the networks`);
const Thumbnail = z.uuid().nullable().describe('One of your stored images (POST /assets) shown instead of the icon, or null');
const SCHEDULE_RULE = 'endsAt must be after startsAt';
const isOrderedSchedule = (link: { startsAt?: Date | null | undefined; endsAt?: Date | null | undefined }) => !link.startsAt || !link.endsAt || link.startsAt < link.endsAt;

const AbVariant = z.strictObject({
  url: Url,
  weight: z.number().int().min(MIN_WEIGHT).max(MAX_WEIGHT).describe(`Percent of visitors sent here; a test's weights add up to ${WEIGHT_TOTAL}`),
});
const AB_TEST_RULES =
  `${MIN_VARIANTS} to ${MAX_VARIANTS} different destinations whose weights (whole percentages) add up to ${WEIGHT_TOTAL}. ` +
  'Each visitor is assigned one by a hash of their daily visitor id and the test, so they get the same one every time that day; ' +
  'the weights are fixed while the test runs (end it and start another to change them: visitors are then reshuffled)';
const AbTest = z
  .object({
    id: z.uuid(),
    startedAt: z.iso.datetime(),
    variants: z.array(z.object({ url: z.string(), weight: z.number().int() })).describe('Variant A first; events and analytics number them 1, 2, …'),
  })
  .nullable()
  .describe('The running A/B test: while it runs, visitors go to its variants instead of url');

const Link = z
  .object({
    id: z.uuid(),
    profileId: z.uuid(),
    position: z.number().int(),
    title: z.string(),
    url: z.string(),
    kind: z.enum(['url', 'github']),
    github: GitHubCard.nullable().describe('The repository card of a GitHub link, as last synced'),
    githubSync: GitHubSyncStatus.nullable().describe('How the card’s syncs go: the last error and the next attempt (GitHub links only; never on the public page)'),
    syncIntervalMinutes: z.number().int().nullable(),
    enabled: z.boolean(),
    startsAt: z.iso.datetime().nullable(),
    endsAt: z.iso.datetime().nullable(),
    icon: Icon,
    thumbnailAssetId: z.uuid().nullable(),
    thumbnailUrl: z.string().nullable().describe('/assets/<sha256> of the thumbnail while it is stored'),
    abTest: AbTest,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Link' });
const LinkList = z.object({ links: z.array(Link) });

const ProfileParams = z.strictObject({ profileId: Id });
const LinkParams = z.strictObject({ profileId: Id, linkId: Id });

export function linkRoutes(service: LinksService): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/profiles/:profileId/links',
      operationId: 'listLinks',
      summary: 'The links of one of the caller’s profiles, in order',
      tag: 'links',
      access: 'user',
      scope: 'profiles:read',
      params: ProfileParams,
      responses: { 200: { description: 'Links', schema: LinkList } },
      async handler({ auth, params }) {
        return { status: 200, body: { links: await service.list(auth.userId, params.profileId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/links',
      operationId: 'createLink',
      summary: 'Add a link at the end (a GitHub repository URL becomes a repository card)',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: ProfileParams,
      body: z.strictObject({
        title: Title,
        url: Url,
        syncIntervalMinutes: SyncInterval.default(null),
        enabled: z.boolean().default(true),
        startsAt: Bound.default(null),
        endsAt: Bound.default(null),
        icon: Icon.default(null),
        thumbnailAssetId: Thumbnail.default(null),
      })
        .refine(isOrderedSchedule, { path: ['endsAt'], message: 'must be after startsAt', ...whenFieldsParsed })
        .meta({ description: `A new link; ${SCHEDULE_RULE}` }),
      responses: { 201: { description: 'Created', schema: Link } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.create(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/profiles/:profileId/links/:linkId',
      operationId: 'updateLink',
      summary: 'Change some fields of a link (null clears a schedule bound)',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: LinkParams,
      body: z
        .strictObject({
          title: Title.optional(),
          url: Url.optional(),
          syncIntervalMinutes: SyncInterval.optional(),
          enabled: z.boolean().optional(),
          startsAt: Bound.optional(),
          endsAt: Bound.optional(),
          icon: Icon.optional(),
          thumbnailAssetId: Thumbnail.optional(),
        })
        .refine((changes) => Object.keys(changes).length > 0, 'send at least one field to change')
        .refine(isOrderedSchedule, { path: ['endsAt'], message: 'must be after startsAt', ...whenFieldsParsed })
        .meta({
          description: `The fields to change: at least one. ${SCHEDULE_RULE}, in the request and against the link's stored bound (409 CONFLICT when only the stored one conflicts)`,
          minProperties: 1,
        }),
      responses: { 200: { description: 'The updated link', schema: Link } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.update(auth.userId, params.profileId, params.linkId, body) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/links/:linkId/refresh',
      operationId: 'refreshLink',
      summary: 'Refresh a GitHub link’s card now (stars, description, language…); at most 10 a minute per user',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: LinkParams,
      responses: { 202: { description: 'Queued: the card updates within seconds' } },
      async handler({ auth, params }) {
        await service.refresh(auth.userId, params.profileId, params.linkId);
        return { status: 202 };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/links/:linkId/ab-test',
      operationId: 'startLinkAbTest',
      summary: 'Start an A/B test of the link’s destination (409 while one runs, or for a GitHub card link)',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: LinkParams,
      body: z
        .strictObject({
          variants: z
            .array(AbVariant)
            .min(MIN_VARIANTS)
            .max(MAX_VARIANTS)
            .describe(`The destinations: ${AB_TEST_RULES}`),
        })
        .meta({ description: `A new test: ${AB_TEST_RULES}` }),
      responses: { 201: { description: 'The link, with its running test', schema: Link } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.startAbTest(auth.userId, params.profileId, params.linkId, body.variants) };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/profiles/:profileId/links/:linkId/ab-test/end',
      operationId: 'endLinkAbTest',
      summary: 'End the link’s A/B test, keeping one destination as the link’s URL (its figures stay in analytics)',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: LinkParams,
      body: z.strictObject({
        keep: z
          .number()
          .int()
          .min(1)
          .max(MAX_VARIANTS)
          .describe('The variant to keep, 1 for A, 2 for B…; 409 CONFLICT beyond the test’s number of destinations, or when no test runs'),
      }),
      responses: { 200: { description: 'The link, its URL the kept destination', schema: Link } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.endAbTest(auth.userId, params.profileId, params.linkId, body.keep) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/profiles/:profileId/links/:linkId',
      operationId: 'deleteLink',
      summary: 'Delete a link',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: LinkParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId, params.linkId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/profiles/:profileId/links/order',
      operationId: 'reorderLinks',
      summary: 'Set the order of all links in one transactional request',
      tag: 'links',
      access: 'user',
      scope: 'profiles:write',
      params: ProfileParams,
      body: z.strictObject({
        linkIds: z
          .array(Id)
          .max(MAX_LINKS)
          .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id')
          .meta({ description: 'Every link id of the profile, once, in the new order (409 CONFLICT when the profile has other links)', uniqueItems: true }),
      }),
      responses: { 200: { description: 'The links in their new order', schema: LinkList } },
      async handler({ auth, params, body }) {
        return { status: 200, body: { links: await service.reorder(auth.userId, params.profileId, body.linkIds) } };
      },
    }),
  ];
}
