// The first step of POST /e: the tracker's beacon (tracker/tracker.js) parsed and checked, and then
// turned into what ingest observed. Its profile and link are checked against the live targets in
// ingest.ts, which holds them; the visitor is identified there too (visitor-ids.ts).
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { AppError } from '../lib/errors.js';
import { referrerOrigin, triggerFrom, utmFrom, type Observation } from './events.js';

export const MAX_BEACON_BYTES = 4096;

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

export type Beacon = z.output<typeof BeaconSchema>;

export function invalidBeacon(message: string, fields?: { field: string; message: string }[]): AppError {
  return new AppError('INVALID_INPUT', message, fields ? { details: { fields } } : {});
}

/** Refuses a body the tracker would not send: sendBeacon posts text/plain, fetch application/json. */
export function assertBeaconContentType(request: IncomingMessage): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'text/plain') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Beacons are application/json or text/plain');
  }
}

/** The beacon in a request body (at most MAX_BEACON_BYTES, read by the caller), or a 400 saying what is wrong. */
export function parseBeacon(body: Buffer): Beacon {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw invalidBeacon('The beacon is not valid JSON');
  }
  const parsed = BeaconSchema.safeParse(json);
  if (!parsed.success) {
    throw invalidBeacon(
      'Invalid beacon',
      parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || 'body', message: issue.message })),
    );
  }
  return parsed.data;
}

/**
 * What ingest observed for a beacon, once its visitor is identified. `abTests`: the visitor's variant
 * in each test running on the page (ingest.ts assigns them for views; a click's position has none).
 */
export function observeBeacon(beacon: Beacon, request: { ip: string; userAgent: string; visitorId: string; now: number; abTests: Observation['abTests'] }): Observation {
  const page = beacon.u ? safeSearchParams(beacon.u) : undefined;
  return {
    type: beacon.t,
    source: 'beacon',
    method: 'POST',
    profileId: beacon.p,
    linkId: beacon.l ?? null,
    clickId: beacon.c ?? null,
    ip: request.ip,
    userAgent: request.userAgent,
    referrer: referrerOrigin(beacon.r),
    // Only the utm_* parameters and the trigger of the page's URL are kept.
    utm: utmFrom(page),
    trigger: triggerFrom(page),
    abTests: request.abTests,
    click: beacon.t === 'click' ? { x: beacon.x!, y: beacon.y!, viewportWidth: beacon.vw!, viewportHeight: beacon.vh!, timeToClickMs: beacon.ttc! } : null,
    internal: beacon.i === 1,
    visitorId: request.visitorId,
    now: request.now,
  };
}

function safeSearchParams(pageUrl: string): URLSearchParams | undefined {
  try {
    return new URL(pageUrl).searchParams;
  } catch {
    return undefined;
  }
}
