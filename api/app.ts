// The Express application behind /api. Security headers, the HTTPS redirect and the request id are
// applied by the process's HTTP server (lib/runtime/http-server.ts) before a request gets here.
//
// Order matters: authenticate (who is calling) → rate limits (signed-in callers have a per-user
// budget, everyone else a per-IP one; credential routes a stricter per-IP one) → the routes of
// api/*/…routes.ts (access, CSRF, then the body, read under its limit, and input validation) → the
// error envelope.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Request } from 'express';
import express, { type Express } from 'express';
import { ipKeyGenerator, rateLimit, type Options } from 'express-rate-limit';
import type { Cache } from '../lib/cache/cache.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Database } from '../lib/postgres/database.js';
import type { HttpHandler } from '../lib/runtime/role.js';
import type { ObjectStorage } from '../lib/storage/object-storage.js';
import type { PublicProfiles } from '../lib/public-profile.js';
import { VERSION } from '../lib/version.js';
import { createExportTokens, exportTokenKey } from '../lib/account-exports/account-export.js';
import { accountExportRoutes } from './account-exports/account-exports.routes.js';
import { createAccountExportsService, type AccountExportsService } from './account-exports/account-exports.service.js';
import { adminRoutes } from './admin/admin.routes.js';
import { analyticsRoutes } from './analytics/analytics.routes.js';
import { assetRoutes } from './assets/assets.routes.js';
import { createAssetsService, type AssetsService } from './assets/assets.service.js';
import { createAssetHandler } from './assets/serve.js';
import { createOgImageHandler } from './public/og-image.js';
import { createMembersService, type MembersService } from './members/members.service.js';
import { memberRoutes } from './members/members.routes.js';
import { createActivityService, type ActivityService } from './activity/activity.service.js';
import { activityRoutes } from './activity/activity.routes.js';
import { shareRoutes } from './shares/shares.routes.js';
import { alertRoutes } from './alerts/alerts.routes.js';
import { createAlertsService, type AlertsService } from './alerts/alerts.service.js';
import { createSharesService, type SharesService } from './shares/shares.service.js';
import { webhookRoutes } from './webhooks/webhooks.routes.js';
import { createWebhooksService, type WebhooksService } from './webhooks/webhooks.service.js';
import { createAnalyticsService, type AnalyticsService } from './analytics/analytics.service.js';
import { createAuditLog, type AuditLog } from './audit/audit-log.js';
import { authRoutes } from './auth/auth.routes.js';
import { createAuthService, type AuthService } from './auth/auth.service.js';
import { createTwoFactor } from './auth/two-factor.js';
import type { Mailer } from '../lib/mail/mailer.js';
import { createAuthenticator, createRouteGuards, rejectFailedAuthentication } from './auth/authenticate.js';
import { createCredentials } from './auth/credentials.js';
import { createKnownDevices, type KnownDevices } from './auth/known-device.js';
import { createLoginThrottle } from './auth/login-throttle.js';
import { createPasswordHasher, type PasswordHasher } from './auth/password.js';
import { createSessionCookie, type SessionCookie } from './auth/session-cookie.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { buildOpenApiDocument, type OpenApiOptions } from './http/openapi.js';
import { defineRoute, mountRoutes, type RouteSpec } from './http/route.js';
import { linkRoutes } from './links/links.routes.js';
import { qrRoutes } from './qr/qr.routes.js';
import { createQrService, type QrService } from './qr/qr.service.js';
import { createLinksService, type LinksService } from './links/links.service.js';
import { profileRoutes } from './profiles/profiles.routes.js';
import { createProfilesService, type ProfilesService } from './profiles/profiles.service.js';
import { publicProfileRoutes } from './public/public-profile.routes.js';
import { tokenRoutes } from './tokens/tokens.routes.js';
import { createTokensService, type TokensService } from './tokens/tokens.service.js';
import { z } from 'zod';

export interface ApiDeps {
  db: Database;
  /** The analytics store (ClickHouse or chDB). */
  clickhouse: ClickHouse;
  cache: Cache;
  /** Uploaded images (S3, or a local directory in embedded mode). */
  storage: ObjectStorage;
  logger: Logger;
  metrics: Metrics;
  /** Published profiles, cached; the process builds one and shares it with the dashboard role. */
  publicProfiles: PublicProfiles;
  /** scrypt with the documented parameters unless a test passes a cheaper one. */
  passwordHasher?: PasswordHasher;
  /** Waits out a login slow-down: a timer unless a test records the delays instead. */
  loginDelay?: (ms: number) => Promise<void>;
  /** Mail to account holders (password reset links). */
  mailer: Mailer;
}

export type ApiConfig = Pick<Config, 'trustProxy' | 'publicUrl' | 'sessionSecret' | 'hashSecret' | 'rateLimits' | 'assets' | 'teams' | 'analyticsRetentionDays' | 'webhooks'>;

export interface ApiApp {
  app: Express;
  /** GET|HEAD /assets/<sha256>: the stored images (mounted beside /api). */
  assetHandler: HttpHandler;
  /** GET|HEAD /og/<handle>/<key>.png: published profiles' Open Graph images. */
  ogImageHandler: HttpHandler;
  routes: readonly RouteSpec[];
}

const RATE_WINDOW_MS = 60_000;
/**
 * Signed-in requests are counted per user, so that colleagues behind one NAT do not share a budget;
 * every request is also counted per address against this multiple of the anonymous budget.
 */
export const ADDRESS_CEILING_FACTOR = 20;

function rateLimiter(options: Partial<Options> & Pick<Options, 'limit' | 'keyGenerator' | 'store'>, audit: AuditLog, name: string) {
  return rateLimit({
    windowMs: RATE_WINDOW_MS,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: name,
    ...options,
    handler: (request, _response, next) => {
      const info = (request as Request & { rateLimit?: { used: number; limit: number; resetTime?: Date } }).rateLimit;
      // One audit entry per client and window, at the first refused request, not one per request of a flood.
      const firstRefusal = info !== undefined && info.used === info.limit + 1;
      const retryAfterSeconds = info?.resetTime ? Math.max(1, (info.resetTime.getTime() - Date.now()) / 1000) : RATE_WINDOW_MS / 1000;
      const refuse = () => next(new AppError('RATE_LIMIT', 'Too many requests; slow down and retry after the time in Retry-After', { retryAfterSeconds }));
      if (!firstRefusal) return refuse();
      // A shared dashboard's path holds its secret: the record names the route, not the token.
      const path = request.path.replace(/\/shared\/[^/]+/, '/shared/{token}');
      audit.record(request, { action: 'rate_limit.block', outcome: 'denied', target: `${request.method} ${path}`.slice(0, 200), details: { limiter: name } }).then(refuse, refuse);
    },
  });
}

/** What the routes of /api/v1 call. */
export interface ApiServices {
  auth: AuthService;
  cookie: SessionCookie;
  knownDevices: KnownDevices;
  tokens: TokensService;
  profiles: ProfilesService;
  links: LinksService;
  members: MembersService;
  activity: ActivityService;
  publicProfiles: PublicProfiles;
  analytics: AnalyticsService;
  shares: SharesService;
  webhooks: WebhooksService;
  alerts: AlertsService;
  assets: AssetsService;
  accountExports: AccountExportsService;
  qr: QrService;
  /** The admin routes read the database directly. */
  db: Database;
}

export interface ApiRouteOptions {
  maxUploadBytes: number;
  /** What GET /openapi.json says about where and how the API is served. */
  document: OpenApiOptions;
}

/**
 * Every route of /api/v1, these two about the API itself included: the one list the router mounts
 * and the OpenAPI document describes.
 */
export function apiRoutes(services: ApiServices, options: ApiRouteOptions): RouteSpec[] {
  const routes: RouteSpec[] = [
    ...authRoutes(services.auth, services.cookie, services.knownDevices),
    ...tokenRoutes(services.tokens),
    ...profileRoutes(services.profiles),
    ...linkRoutes(services.links),
    ...qrRoutes(services.qr),
    ...memberRoutes(services.members),
    ...activityRoutes(services.activity),
    ...publicProfileRoutes(services.publicProfiles),
    ...analyticsRoutes(services.analytics),
    ...shareRoutes(services.shares, services.analytics),
    ...webhookRoutes(services.webhooks),
    ...alertRoutes(services.alerts),
    ...assetRoutes(services.assets, { maxUploadBytes: options.maxUploadBytes }),
    ...accountExportRoutes(services.accountExports),
    ...adminRoutes(services.db),
  ];
  // Built on first request, from the complete route list (these two routes included).
  let openApiDocument: unknown;
  routes.push(
    defineRoute({
      method: 'get',
      path: '/',
      operationId: 'getApiInfo',
      summary: 'Name and version of the API',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'About this API', schema: z.object({ name: z.string(), version: z.string(), openapi: z.string() }) } },
      handler: async () => ({ status: 200, body: { name: 'Linkpulse API', version: VERSION, openapi: '/api/v1/openapi.json' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tag: 'meta',
      access: 'public',
      responses: { 200: { description: 'OpenAPI 3.1 document', schema: z.record(z.string(), z.unknown()) } },
      handler: async () => {
        openApiDocument ??= buildOpenApiDocument(routes, options.document);
        return { status: 200, body: openApiDocument, headers: { 'Cache-Control': 'public, max-age=300' } };
      },
    }),
  );
  return routes;
}

/**
 * A service that is not there. The route declarations only hold on to their services for their
 * handlers, so describing the routes needs none; a handler that runs anyway fails loudly.
 */
function absent<T extends object>(name: string): T {
  // The cast is the point: an empty object standing in for a service it never calls.
  return new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`${name}.${String(property)} was called, but these routes were built only to be described (describeApiRoutes)`);
    },
  });
}

/**
 * The routes as declarations only, with no database, cache or storage behind them: what
 * scripts/generate-api-types.ts builds the OpenAPI document from at build time, to type the
 * dashboard's API client.
 */
export function describeApiRoutes(options: ApiRouteOptions): RouteSpec[] {
  const services: ApiServices = {
    auth: absent('auth'),
    cookie: absent('cookie'),
    knownDevices: absent('knownDevices'),
    tokens: absent('tokens'),
    profiles: absent('profiles'),
    links: absent('links'),
    members: absent('members'),
    activity: absent('activity'),
    publicProfiles: absent('publicProfiles'),
    analytics: absent('analytics'),
    shares: absent('shares'),
    webhooks: absent('webhooks'),
    alerts: absent('alerts'),
    assets: absent('assets'),
    accountExports: absent('accountExports'),
    qr: absent('qr'),
    db: absent('db'),
  };
  return apiRoutes(services, options);
}

export function createApiApp(config: ApiConfig, deps: ApiDeps): ApiApp {
  if (!config.sessionSecret || !config.hashSecret) throw new Error('the API needs SESSION_SECRET and HASH_SECRET (generated in embedded mode)');
  const logger = deps.logger.child({ module: 'api' });
  const { db, cache, publicProfiles } = deps;
  const origin = new URL(config.publicUrl).origin;

  const credentials = createCredentials(config.sessionSecret);
  const cookie = createSessionCookie(config.publicUrl);
  const knownDevices = createKnownDevices({ sessionSecret: config.sessionSecret, publicUrl: config.publicUrl });
  const audit = createAuditLog({ db, hashSecret: config.hashSecret, logger });
  const invalidateProfiles = (handles: string[]) => publicProfiles.invalidate(handles);
  const hasher = deps.passwordHasher ?? createPasswordHasher();
  const authService = createAuthService({
    db,
    hasher,
    credentials,
    audit,
    throttle: createLoginThrottle({
      cache,
      hashSecret: config.hashSecret,
      logger,
      delay: deps.loginDelay ?? ((ms) => sleep(ms)),
      onSlowdown: (ms) => deps.metrics.loginSlowdowns.observe(ms / 1000),
    }),
    knownDevices,
    twoFactor: createTwoFactor({ db, credentials, issuer: 'Linkpulse' }),
    mailer: deps.mailer,
    logger: deps.logger.child({ module: 'auth' }),
    cache,
    publicUrl: config.publicUrl,
    invalidateProfiles,
  });

  const routes = apiRoutes(
    {
      auth: authService,
      cookie,
      knownDevices,
      tokens: createTokensService({ db, credentials, audit }),
      profiles: createProfilesService({ db, invalidateProfiles, analyticsRetentionDays: config.analyticsRetentionDays }),
      links: createLinksService({ db, cache, invalidateProfiles }),
      activity: createActivityService({ db }),
      members: createMembersService({ db, credentials, mailer: deps.mailer, publicUrl: config.publicUrl, maxMembers: config.teams.maxMembers }),
      publicProfiles,
      analytics: createAnalyticsService({ db, clickhouse: deps.clickhouse, logger: deps.logger.child({ module: 'analytics' }) }),
      shares: createSharesService({ db, credentials, hasher, cache, audit, publicUrl: config.publicUrl }),
      webhooks: createWebhooksService({ db, cache, sessionSecret: config.sessionSecret, addresses: config.webhooks }),
      alerts: createAlertsService({ db }),
      assets: createAssetsService({ db, storage: deps.storage, audit, config: config.assets, logger: deps.logger, invalidateProfiles }),
      accountExports: createAccountExportsService({ db, storage: deps.storage, tokens: createExportTokens(exportTokenKey(config.sessionSecret)), audit, logger: deps.logger }),
      qr: createQrService({ db, storage: deps.storage, publicUrl: config.publicUrl }),
      db,
    },
    { maxUploadBytes: config.assets.maxUploadBytes, document: { version: VERSION, serverUrl: origin, sessionCookieName: cookie.name } },
  );

  const clientAddress = (request: Request) => `ip:${ipKeyGenerator(request.ip ?? 'unknown')}`;
  // Before authentication, so that even requests with made-up credentials cannot make unlimited
  // lookups, and one address with many (free) accounts cannot multiply its budget without bound.
  const addressCeiling = rateLimiter(
    { limit: config.rateLimits.ipPerMinute * ADDRESS_CEILING_FACTOR, keyGenerator: clientAddress, store: cache.rateLimitStore('rl:ip:') },
    audit,
    'address',
  );
  const requestLimiter = rateLimiter(
    {
      limit: (request) => (request.auth ? config.rateLimits.userPerMinute : config.rateLimits.ipPerMinute),
      keyGenerator: (request) => (request.auth ? `user:${request.auth.userId}` : clientAddress(request)),
      store: cache.rateLimitStore('rl:api:'),
    },
    audit,
    'api',
  );
  const credentialLimiter = rateLimiter(
    { limit: config.rateLimits.authPerMinute, keyGenerator: clientAddress, store: cache.rateLimitStore('rl:auth:') },
    audit,
    'credentials',
  );
  // Uploads cost CPU (decoding, encoding) and storage: a budget of their own, per user and per address.
  const uploadLimiters = [
    rateLimiter(
      { limit: config.assets.uploadsPerMinute, keyGenerator: (request) => `user:${request.auth?.userId ?? 'none'}`, store: cache.rateLimitStore('rl:upload-user:') },
      audit,
      'uploads',
    ),
    rateLimiter(
      { limit: config.assets.uploadsPerMinute * 3, keyGenerator: clientAddress, store: cache.rateLimitStore('rl:upload-ip:') },
      audit,
      'upload-address',
    ),
  ];

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(addressCeiling);
  app.use(createAuthenticator({ db, credentials, cookie }));
  app.use(requestLimiter);
  app.use(rejectFailedAuthentication);
  // Exact paths only: /auth/LOGIN or /auth/login/ must not reach a route around its limits.
  const v1 = express.Router({ caseSensitive: true, strict: true });
  mountRoutes(v1, routes, { guards: createRouteGuards({ credentials, audit, origin }), credentialLimiter, uploadLimiters });
  app.use('/api/v1', v1);
  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return {
    app,
    routes,
    assetHandler: createAssetHandler({ storage: deps.storage, logger: deps.logger }),
    ogImageHandler: createOgImageHandler({ publicProfiles, storage: deps.storage, logger: deps.logger }),
  };
}
