// /api/v1/profiles/:profileId/shares: the owner's shared dashboards. /api/v1/shared/:token/*: what
// the holder of a share's URL reads (no sign-in): what it is, unlocking it with its password, the
// batched dashboard (the analytics page's, limited to the shared panels) and realtime. Every answer
// there is marked noindex and never cached. (The page at /share/<token> sends no Referer on: its URL
// is the secret.)
import { z } from 'zod';
import { requestIdOf } from '../../lib/http/request-context.js';
import { DashboardLine, DashboardQuery, RealtimeBody, dashboardLines, dashboardTasks, type DashboardPanel } from '../analytics/analytics.routes.js';
import type { AnalyticsService } from '../analytics/analytics.service.js';
import { AppError } from '../../lib/errors.js';
import { MIN_PASSWORD_LENGTH } from '../../lib/passwords/password-strength.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, NOT_BLANK } from '../http/schemas.js';
import { MAX_SHARES_PER_PROFILE, requireSharedFilters, SHAREABLE_PANELS, SHARE_TOKEN_PATTERN, type SharesService } from './shares.service.js';

const Panels = z
  .array(z.enum(SHAREABLE_PANELS))
  .min(1)
  .max(SHAREABLE_PANELS.length * 2)
  .transform((panels) => [...new Set(panels)])
  .describe(`The panels the dashboard shows (repeats count once): ${SHAREABLE_PANELS.join(', ')}. Exports are never shared`);
const Label = z.string().trim().min(1).max(100).meta({ pattern: NOT_BLANK }).describe('A name for you: who or where the link is for');
const SharePassword = z
  .string()
  .min(MIN_PASSWORD_LENGTH)
  .max(200)
  .describe(
    `Asked once per browser (then remembered for 12 hours) before anything is shown. At least ${MIN_PASSWORD_LENGTH} characters and, like an account's, hard to guess (zxcvbn score 3 of 4 or more): a weak one is refused (400, body.password)`,
  );
const SharedDashboard = z
  .object({
    id: z.uuid(),
    label: z.string(),
    url: z.url().describe('The dashboard’s address: anyone who has it can read the shared panels (and needs the password, if there is one)'),
    panels: z.array(z.enum(SHAREABLE_PANELS)),
    passwordProtected: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'SharedDashboard' });
const OpenedShare = z
  .object({
    label: z.string(),
    profile: z.object({ handle: z.string(), displayName: z.string() }),
    panels: z.array(z.enum(SHAREABLE_PANELS)),
    passwordRequired: z.boolean(),
    unlocked: z.boolean().describe('Whether this browser may read it now (no password, or the password given)'),
  })
  .meta({ id: 'OpenedShare' });

const ProfileParams = z.strictObject({ profileId: Id });
const ShareParams = z.strictObject({ profileId: Id, shareId: Id });
const TokenParams = z.strictObject({ token: z.string().regex(SHARE_TOKEN_PATTERN).describe('The secret part of the shared dashboard’s URL') });

/** Every answer under /shared: for whoever holds the link only. */
const PRIVATE_HEADERS = { 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex, nofollow' } as const;

export function shareRoutes(service: SharesService, analytics: AnalyticsService): RouteSpec[] {
  const owner = { tag: 'shares', access: 'session' } as const;
  const visitor = { tag: 'shares', access: 'public', params: TokenParams, errors: ['NOT_FOUND'] } as const;
  return [
    defineRoute({
      ...owner,
      method: 'get',
      path: '/profiles/:profileId/shares',
      operationId: 'listSharedDashboards',
      summary: 'The profile’s shared dashboards, with their URLs (owner only)',
      params: ProfileParams,
      responses: { 200: { description: 'Shared dashboards, oldest first', schema: z.object({ shares: z.array(SharedDashboard), maxShares: z.number().int() }) } },
      async handler({ auth, params }) {
        return { status: 200, body: { shares: await service.list(auth.userId, params.profileId), maxShares: MAX_SHARES_PER_PROFILE } };
      },
    }),
    defineRoute({
      ...owner,
      method: 'post',
      path: '/profiles/:profileId/shares',
      operationId: 'createSharedDashboard',
      summary: `Publish a read-only view of the profile’s analytics at a new unguessable URL (owner only; at most ${MAX_SHARES_PER_PROFILE} per profile)`,
      params: ProfileParams,
      body: z.strictObject({ label: Label, password: SharePassword.optional(), panels: Panels.optional().describe('Default: every panel') }),
      responses: { 201: { description: 'Shared', schema: SharedDashboard } },
      async handler({ auth, params, body }) {
        return { status: 201, body: await service.create(auth.userId, params.profileId, body) };
      },
    }),
    defineRoute({
      ...owner,
      method: 'patch',
      path: '/profiles/:profileId/shares/:shareId',
      operationId: 'updateSharedDashboard',
      summary: 'Rename it, change its panels, set or remove (null) its password, or rotate its URL (the old one stops working at once)',
      params: ShareParams,
      body: z
        .strictObject({
          label: Label.optional(),
          password: SharePassword.nullable().optional().describe('A new password (browsers that gave the old one must give it), or null for none'),
          panels: Panels.optional(),
          rotate: z.literal(true).optional().describe('Give the dashboard a new URL'),
        })
        .refine((changes) => Object.keys(changes).length > 0, 'send at least one field to change')
        .meta({ description: 'The changes: at least one', minProperties: 1 }),
      responses: { 200: { description: 'Changed', schema: SharedDashboard } },
      async handler({ auth, params, body }) {
        return { status: 200, body: await service.update(auth.userId, params.profileId, params.shareId, body) };
      },
    }),
    defineRoute({
      ...owner,
      method: 'delete',
      path: '/profiles/:profileId/shares/:shareId',
      operationId: 'revokeSharedDashboard',
      summary: 'Revoke a shared dashboard: its URL stops working at once',
      params: ShareParams,
      responses: { 204: { description: 'Revoked' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.profileId, params.shareId);
        return { status: 204 };
      },
    }),
    defineRoute({
      ...visitor,
      method: 'get',
      path: '/shared/:token',
      operationId: 'openSharedDashboard',
      summary: 'What a shared dashboard is (its profile, its panels), and whether it needs a password this browser has not given yet',
      responses: { 200: { description: 'The shared dashboard', schema: OpenedShare } },
      async handler({ params, request }) {
        return { status: 200, headers: PRIVATE_HEADERS, body: await service.open(params.token, service.unlockCookie.read(request)) };
      },
    }),
    defineRoute({
      ...visitor,
      method: 'post',
      path: '/shared/:token/unlock',
      operationId: 'unlockSharedDashboard',
      summary: 'Give a shared dashboard’s password: this browser may then read it for 12 hours (a cookie)',
      credentialRoute: true,
      body: z.strictObject({ password: z.string().min(1).max(200) }),
      responses: { 204: { description: 'Unlocked (or there was no password)' } },
      // Too many wrong passwords for this share, from anywhere (429 with Retry-After).
      errors: ['NOT_FOUND', 'RATE_LIMIT'],
      async handler({ params, body, request, response }) {
        const unlock = await service.unlock(request, params.token, body.password);
        if (unlock.value) service.unlockCookie.set(response, params.token, unlock.value);
        return { status: 204, headers: PRIVATE_HEADERS };
      },
    }),
    defineRoute({
      ...visitor,
      method: 'get',
      path: '/shared/:token/dashboard',
      operationId: 'getSharedDashboard',
      summary:
        'The shared panels, streamed as NDJSON exactly as GET /profiles/{profileId}/analytics/dashboard answers them (the same query), limited to the panels the owner shared ' +
        '(only the done line when none of them is), and filtered only by the dimensions of shared panels (country: geo; device, browser, os: devices; channel, referrer: referrers; ' +
        'link: links), else 403. 401 until the password is given',
      query: DashboardQuery,
      errors: ['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
      responses: { 200: { description: 'NDJSON, as the analytics dashboard', schema: DashboardLine, contentTypes: ['application/x-ndjson'] } },
      async handler({ params, query, request }) {
        const shared = await service.access(params.token, service.unlockCookie.read(request), SHAREABLE_PANELS.filter((panel) => panel !== 'realtime'));
        requireSharedFilters(shared.panels, query);
        const panels = shared.panels as DashboardPanel[];
        const outcomes = analytics.sharedDashboard(shared.profileId, shared.titles, (reads) => dashboardTasks(reads, query, panels));
        return { status: 200, headers: { ...PRIVATE_HEADERS, 'Content-Type': 'application/x-ndjson; charset=utf-8' }, stream: dashboardLines(outcomes, requestIdOf(request)) };
      },
    }),
    defineRoute({
      ...visitor,
      method: 'get',
      path: '/shared/:token/realtime',
      operationId: 'getSharedRealtime',
      summary: 'The last 30 minutes per minute and the visitors active now, when the owner shared realtime (401 until the password is given, 403 when not shared)',
      errors: ['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN'],
      responses: { 200: { description: 'Realtime', schema: RealtimeBody } },
      async handler({ params, request }) {
        const shared = await service.access(params.token, service.unlockCookie.read(request), ['realtime']);
        if (shared.panels.length === 0) throw new AppError('FORBIDDEN', 'Realtime is not shared on this dashboard');
        return { status: 200, headers: PRIVATE_HEADERS, body: await analytics.sharedRealtime(shared.profileId) };
      },
    }),
  ];
}
