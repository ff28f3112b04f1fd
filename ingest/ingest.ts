// The ingest hot path, plain node:http: POST /e (the tracker's beacon) and GET|HEAD /r/:linkId (the
// redirect every profile link goes through). No database call here: profiles, links and salts come
// from memory (link-targets.ts, visitor-salts.ts). A beacon gets 202 only after the bus acknowledged
// its event; a redirect never waits for the bus (the visitor must get where they are going), and an
// event it could not publish is counted in linkpulse_pipeline_drops_total{reason="bus_unavailable"}.
// The routes (ingestRoutes) declare their methods; the HTTP server answers any other with 405.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Cache } from '../lib/cache/cache.js';
import { AppError } from '../lib/errors.js';
import { readBody } from '../lib/http/read-body.js';
import { createClientAddressResolver } from '../lib/http/request-context.js';
import type { TrustProxy } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Route } from '../lib/runtime/role.js';
import { referrerOrigin, toTrackedEvent, utmFrom, type Observation } from './events.js';
import type { LinkTargets } from './link-targets.js';
import { BusUnavailableError, type BatchingPublisher } from './publisher.js';
import type { VisitorIds } from './visitor-ids.js';

export const MAX_BEACON_BYTES = 4096;
/** Beacons per client address per minute: far above what one person's browsing sends. */
export const BEACONS_PER_MINUTE = 600;
const UNAVAILABLE_RETRY_SECONDS = 5;

const Uuid = z.uuid();

/** The tracker's beacon, with short keys to keep the script and the requests small. */
const BeaconSchema = z
  .strictObject({
    t: z.enum(['view', 'click']),
    p: Uuid,
    l: Uuid.optional(),
    c: Uuid.optional(),
    x: z.number().min(0).max(1).optional(),
    y: z.number().int().min(0).max(1_000_000).optional(),
    vw: z.number().int().min(0).max(100_000).optional(),
    vh: z.number().int().min(0).max(100_000).optional(),
    ttc: z.number().int().min(0).max(86_400_000).optional(),
    r: z.string().max(2048).optional(),
    u: z.string().max(2048).optional(),
    i: z.literal(1).optional(),
  })
  .superRefine((beacon, ctx) => {
    const clickFields = ['l', 'c', 'x', 'y', 'vw', 'vh', 'ttc'] as const;
    for (const field of clickFields) {
      const present = beacon[field] !== undefined;
      if (beacon.t === 'click' && !present) ctx.addIssue({ code: 'custom', path: [field], message: 'required for a click' });
      if (beacon.t === 'view' && present) ctx.addIssue({ code: 'custom', path: [field], message: 'only for clicks' });
    }
  });

export interface IngestDeps {
  links: LinkTargets;
  visitorIds: VisitorIds;
  publisher: BatchingPublisher;
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  hashSecret: string;
  trustProxy: TrustProxy;
  /** The site's origin: the only one whose pages may send beacons (CORS). */
  origin: string;
  now?: () => number;
}

function invalid(message: string, fields?: { field: string; message: string }[]): AppError {
  return new AppError('INVALID_INPUT', message, fields ? { details: { fields } } : {});
}

export function createIngestHandlers(deps: IngestDeps) {
  const now = deps.now ?? Date.now;
  const clientAddress = createClientAddressResolver(deps.trustProxy);
  const logger = deps.logger.child({ module: 'ingest' });
  const floodKey = (ip: string) => `ingest:flood:${createHmac('sha256', deps.hashSecret).update(ip).digest('base64url').slice(0, 24)}`;

  const visitorIdFor = async (profileId: string, ip: string, userAgent: string, time: number) => {
    const id = await deps.visitorIds.idFor(profileId, ip, userAgent.slice(0, 512), time);
    if (!id) throw new AppError('UNAVAILABLE', 'Ingest is starting; retry shortly', { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS });
    return id;
  };

  const allowCors = (request: IncomingMessage, response: ServerResponse) => {
    if (request.headers.origin === deps.origin) {
      response.setHeader('Access-Control-Allow-Origin', deps.origin);
      response.setHeader('Vary', 'Origin');
    }
  };

  const limitFlood = async (ip: string) => {
    try {
      const { count, resetMs } = await deps.cache.increment(floodKey(ip), 60_000);
      if (count > BEACONS_PER_MINUTE) throw new AppError('RATE_LIMIT', 'Too many events from this address', { retryAfterSeconds: resetMs / 1000 });
    } catch (error) {
      if (error instanceof AppError) throw error;
      logger.debug({ err: error }, 'flood control unavailable');
    }
  };

  return {
    /** POST /e (and the CORS preflight OPTIONS /e). */
    beacon: async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      allowCors(request, response);
      if (request.method === 'OPTIONS') {
        response.writeHead(204, {
          'Access-Control-Allow-Methods': 'POST',
          'Access-Control-Allow-Headers': 'Content-Type',
          'Access-Control-Max-Age': '86400',
          'Cache-Control': 'no-store',
        });
        response.end();
        return;
      }
      const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json' && type !== 'text/plain') {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Beacons are application/json or text/plain');
      }
      const ip = clientAddress(request);
      await limitFlood(ip);
      const text = (await readBody(request, MAX_BEACON_BYTES)).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw invalid('The beacon is not valid JSON');
      }
      const parsed = BeaconSchema.safeParse(json);
      if (!parsed.success) {
        throw invalid(
          'Invalid beacon',
          parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'body', message: issue.message })),
        );
      }
      const beacon = parsed.data;
      const known = () => deps.links.profile(beacon.p) !== undefined && (beacon.l === undefined || deps.links.link(beacon.l)?.profileId === beacon.p);
      // A page published (or a link added) a moment ago may not be in memory yet.
      if (!known()) await deps.links.reloadAfterMiss();
      const profile = deps.links.profile(beacon.p);
      if (!profile) throw invalid('Unknown or unpublished profile', [{ field: 'p', message: 'no published profile has this id' }]);
      if (beacon.l !== undefined && deps.links.link(beacon.l)?.profileId !== beacon.p) {
        throw invalid('Unknown link', [{ field: 'l', message: 'no live link of this profile has this id' }]);
      }
      if (profile.respectGpc && request.headers['sec-gpc'] === '1') {
        // The visitor asked not to be tracked and the creator honours it: nothing is recorded.
        response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
        return;
      }
      const time = now();
      const pageQuery = beacon.u ? safeSearchParams(beacon.u) : undefined;
      const observation: Observation = {
        type: beacon.t,
        source: 'beacon',
        method: 'POST',
        profileId: beacon.p,
        linkId: beacon.l ?? null,
        clickId: beacon.c ?? null,
        ip,
        userAgent: request.headers['user-agent'] ?? '',
        referrer: referrerOrigin(beacon.r),
        utm: utmFrom(pageQuery),
        click:
          beacon.t === 'click'
            ? { x: beacon.x!, y: beacon.y!, viewportWidth: beacon.vw!, viewportHeight: beacon.vh!, timeToClickMs: beacon.ttc! }
            : null,
        internal: beacon.i === 1,
        visitorId: await visitorIdFor(beacon.p, ip, request.headers['user-agent'] ?? '', time),
        now: time,
      };
      const event = toTrackedEvent(observation);
      try {
        await deps.publisher.publish({ key: `${event.profileId}:${event.visitorId}`, value: JSON.stringify(event) });
      } catch (error) {
        // While the bus is known to be down the breaker logged it once; each refusal is only counted.
        if (!(error instanceof BusUnavailableError)) logger.warn({ err: error }, 'the bus did not take a beacon; answering 503');
        throw new AppError('UNAVAILABLE', 'Events cannot be recorded right now; retry later', { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS });
      }
      response.writeHead(202, { 'Cache-Control': 'no-store', 'Content-Length': '0' }).end();
    },

    /** GET|HEAD /r/:linkId: 302 to the link's stored URL, never to anything taken from the request. */
    redirect: async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      const url = new URL(request.url ?? '/', 'http://ingest.invalid');
      const linkId = /^\/r\/([^/]+)$/.exec(url.pathname)?.[1];
      // Mounted for GET (and so HEAD) only: ingest/main.ts.
      const method = request.method === 'HEAD' ? 'HEAD' : 'GET';
      const validId = linkId !== undefined && Uuid.safeParse(linkId).success;
      if (validId && !deps.links.link(linkId)) await deps.links.reloadAfterMiss();
      const target = validId ? deps.links.link(linkId) : undefined;
      if (!linkId || !target) {
        response.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        response.end('<!doctype html><title>Link not found</title><h1>This link is not available</h1><p>It may have been removed or disabled.</p>');
        return;
      }
      response.writeHead(302, { Location: target.url, 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' }).end();

      const profile = deps.links.profile(target.profileId);
      if (profile?.respectGpc && request.headers['sec-gpc'] === '1') return;
      const time = now();
      const ip = clientAddress(request);
      const userAgent = request.headers['user-agent'] ?? '';
      const visitor = await deps.visitorIds.idFor(target.profileId, ip, userAgent.slice(0, 512), time).catch(() => undefined);
      const clickId = url.searchParams.get('c');
      const ownPage = request.headers.referer !== undefined && referrerOrigin(request.headers.referer) === deps.origin;
      if (!visitor) {
        deps.metrics.countDrop('no_salt');
        return;
      }
      const event = toTrackedEvent({
        type: 'click',
        source: 'redirect',
        method,
        profileId: target.profileId,
        linkId,
        clickId: clickId && Uuid.safeParse(clickId).success ? clickId : null,
        ip,
        userAgent,
        // The tracker passes the page's own referrer in ?ref=; a Referer from elsewhere is a direct link.
        referrer: referrerOrigin(url.searchParams.get('ref')) ?? (ownPage ? null : referrerOrigin(request.headers.referer)),
        utm: utmFrom(url.searchParams),
        click: null,
        internal: url.searchParams.get('i') === '1',
        visitorId: visitor,
        now: time,
      });
      deps.publisher.publish({ key: `${event.profileId}:${event.visitorId}`, value: JSON.stringify(event) }).catch((error: unknown) => {
        deps.metrics.countDrop('bus_unavailable');
        if (!(error instanceof BusUnavailableError)) logger.warn({ err: error }, 'the bus did not take a redirect click; it is not counted');
      });
    },
  };
}

/** The beacon and the redirect as the process's HTTP server mounts them. */
export function ingestRoutes(handlers: IngestHandlers): Route[] {
  return [
    // OPTIONS: the CORS preflight of a beacon sent with a JSON content type.
    { name: '/e', prefix: '/e', methods: ['POST', 'OPTIONS'], handler: handlers.beacon },
    { name: '/r/:linkId', prefix: '/r', methods: ['GET'], handler: handlers.redirect },
  ];
}

export type IngestHandlers = ReturnType<typeof createIngestHandlers>;

function safeSearchParams(pageUrl: string): URLSearchParams | undefined {
  try {
    return new URL(pageUrl).searchParams;
  } catch {
    return undefined;
  }
}
