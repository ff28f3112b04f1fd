// The ingest hot path, plain node:http: POST /e (the tracker's beacon) and GET|HEAD /r/:linkId (the
// redirect every profile link goes through). Each is the same short pipeline:
//
//   parse (beacon.ts; the redirect's link id) → check against the live targets → identify the visitor
//   (visitor-ids.ts) → build the event (events.ts) → publish (keyed by toEventMessage)
//
// No database call here: profiles, links and salts come from memory (link-targets.ts,
// visitor-salts.ts). A beacon gets 202 only after the bus acknowledged its event; a redirect never
// waits for the bus (the visitor must get where they are going), and an event it could not publish is
// counted in linkpulse_pipeline_dropped_events_total{reason="bus_unavailable"}.
// The routes (ingestRoutes) declare their methods; the HTTP server answers any other with 405.
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Cache } from '../lib/cache/cache.js';
import type { TrustProxy } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { toEventMessage, type TrackedEvent } from '../lib/events/tracked-event.js';
import { readBody } from '../lib/http/read-body.js';
import { createClientAddressResolver } from '../lib/http/request-context.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Route } from '../lib/runtime/role.js';
import { assertBeaconContentType, invalidBeacon, MAX_BEACON_BYTES, observeBeacon, parseBeacon, type Beacon } from './beacon.js';
import { referrerOrigin, toTrackedEvent, triggerFrom, utmFrom } from './events.js';
import { assignVariant } from '../lib/links/ab-test.js';
import type { LinkTargets, ProfileTarget } from './link-targets.js';
import { BusUnavailableError, type BatchingPublisher } from './publisher.js';
import type { VisitorIds } from './visitor-ids.js';

/** Beacons per client address per minute: far above what one person's browsing sends. */
export const BEACONS_PER_MINUTE = 600;
const UNAVAILABLE_RETRY_SECONDS = 5;

const Uuid = z.uuid();

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

export function createIngestHandlers(deps: IngestDeps) {
  const now = deps.now ?? Date.now;
  const clientAddress = createClientAddressResolver(deps.trustProxy);
  const logger = deps.logger.child({ module: 'ingest' });
  const floodKey = (ip: string) => `ingest:flood:${createHmac('sha256', deps.hashSecret).update(ip).digest('base64url').slice(0, 24)}`;

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

  /** The beacon's published profile (and its link's, for a click), or a 400 naming the unknown id. */
  const liveProfileOf = async (beacon: Beacon): Promise<ProfileTarget> => {
    const known = () => deps.links.profile(beacon.p) !== undefined && (beacon.l === undefined || deps.links.link(beacon.l)?.profileId === beacon.p);
    // A page published (or a link added) a moment ago may not be in memory yet.
    if (!known()) await deps.links.reloadAfterMiss();
    const profile = deps.links.profile(beacon.p);
    if (!profile) throw invalidBeacon('Unknown or unpublished profile', [{ field: 'p', message: 'no published profile has this id' }]);
    if (beacon.l !== undefined && deps.links.link(beacon.l)?.profileId !== beacon.p) {
      throw invalidBeacon('Unknown link', [{ field: 'l', message: 'no live link of this profile has this id' }]);
    }
    return profile;
  };

  /** The visitor asked not to be tracked (Global Privacy Control) and the creator honours it. */
  const optsOut = (profile: ProfileTarget | undefined, request: IncomingMessage) => profile?.respectGpc === true && request.headers['sec-gpc'] === '1';

  /** The visitor's keyed-hash id (visitor-ids.ts); undefined until the day's salt is loaded. */
  const identifyVisitor = (profileId: string, ip: string, userAgent: string, time: number) => deps.visitorIds.idFor(profileId, ip, userAgent.slice(0, 512), time);

  /** A beacon's event: resolves once the bus acknowledged it, or throws 503 so the tracker may retry. */
  const publishAcknowledged = async (event: TrackedEvent) => {
    try {
      await deps.publisher.publish(toEventMessage(event));
    } catch (error) {
      // While the bus is known to be down the breaker logged it once; each refusal is only counted.
      if (!(error instanceof BusUnavailableError)) logger.warn({ err: error }, 'the bus did not take a beacon; answering 503');
      throw new AppError('UNAVAILABLE', 'Events cannot be recorded right now; retry later', { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS });
    }
  };

  /** A redirect's click, published without waiting: the visitor already has the 302, so a failure is a counted drop. */
  const publishInBackground = (event: TrackedEvent) => {
    deps.publisher.publish(toEventMessage(event)).catch((error: unknown) => {
      deps.metrics.countDrop('bus_unavailable');
      if (!(error instanceof BusUnavailableError)) logger.warn({ err: error }, 'the bus did not take a redirect click; it is not counted');
    });
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
      assertBeaconContentType(request);
      const ip = clientAddress(request);
      // Before the body is read: a flood costs a counter, not a parse.
      await limitFlood(ip);
      const beacon = parseBeacon(await readBody(request, MAX_BEACON_BYTES));
      const profile = await liveProfileOf(beacon);
      if (optsOut(profile, request)) {
        // Nothing is recorded.
        response.writeHead(204, { 'Cache-Control': 'no-store' }).end();
        return;
      }
      const time = now();
      const userAgent = request.headers['user-agent'] ?? '';
      const visitorId = await identifyVisitor(beacon.p, ip, userAgent, time);
      if (!visitorId) throw new AppError('UNAVAILABLE', 'Ingest is starting; retry shortly', { retryAfterSeconds: UNAVAILABLE_RETRY_SECONDS });
      // A page view assigns its visitor in every test running on the page's links (the denominator of
      // each variant's click-through rate); a click position belongs to none.
      const abTests = beacon.t === 'view' ? profile.abTests.map((test) => ({ testId: test.testId, variant: assignVariant(visitorId, test) })) : [];
      await publishAcknowledged(toTrackedEvent(observeBeacon(beacon, { ip, userAgent, visitorId, now: time, abTests })));
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
      const time = now();
      const ip = clientAddress(request);
      const userAgent = request.headers['user-agent'] ?? '';
      const optedOut = optsOut(deps.links.profile(target.profileId), request);
      const redirect = (location: string) => response.writeHead(302, { Location: location, 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' }).end();
      // A plain link answers before anything else is done.
      if (!target.abTest) redirect(target.url);
      // In a test the answer waits for the visitor's id, which needs no database call (salts are in
      // memory): the variant is a pure function of the id and the test (lib/links/ab-test.ts). Without
      // an id (no salt yet) or with Global Privacy Control honoured, the visitor goes to variant A and
      // nothing is recorded.
      const visitorId = optedOut ? undefined : await identifyVisitor(target.profileId, ip, userAgent, time).catch(() => undefined);
      const variant = target.abTest ? (visitorId ? assignVariant(visitorId, target.abTest) : 1) : undefined;
      if (target.abTest) redirect(target.abTest.urls[variant! - 1]!);

      if (optedOut) return;
      if (!visitorId) {
        deps.metrics.countDrop('no_salt');
        return;
      }
      const clickId = url.searchParams.get('c');
      const ownPage = request.headers.referer !== undefined && referrerOrigin(request.headers.referer) === deps.origin;
      publishInBackground(
        toTrackedEvent({
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
          // A link's QR code (/r/<id>?trigger=qr), or a click on a page whose visit began with a scan (the tracker passes it on).
          trigger: triggerFrom(url.searchParams),
          abTests: target.abTest && variant ? [{ testId: target.abTest.testId, variant }] : [],
          visitorId,
          now: time,
        }),
      );
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
