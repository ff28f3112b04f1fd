// Building the bus event (lib/events/tracked-event.ts) from what ingest received. The visitor's
// address leaves here only as its network prefix (the id is the keyed hash from visitor-ids.ts).
import type { TrackedEvent } from '../lib/events/tracked-event.js';
import { uuidv7 } from '../lib/events/uuid7.js';
import { ipPrefix } from '../lib/visitors/identity.js';

const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const;
type Utm = TrackedEvent['utm'];

/** utm_* parameters from a query string (the rest of the page URL is never kept). */
export function utmFrom(params: URLSearchParams | undefined): Utm {
  const value = (key: string) => params?.get(`utm_${key}`)?.trim().slice(0, 200) || null;
  return Object.fromEntries(UTM_KEYS.map((key) => [key, value(key)])) as Utm;
}

/** The trigger a URL's query names: ?trigger=qr marks a visit that began with a QR scan (as Dub's links do). */
export function triggerFrom(params: URLSearchParams | undefined): TrackedEvent['trigger'] {
  return params?.get('trigger') === 'qr' ? 'qr' : 'link';
}

/** Only an http(s) URL's origin is kept as the referrer: paths and queries can carry personal data. */
export function referrerOrigin(value: string | undefined | null): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

export interface Observation {
  type: TrackedEvent['type'];
  source: TrackedEvent['source'];
  method: TrackedEvent['method'];
  profileId: string;
  linkId: string | null;
  clickId: string | null;
  ip: string;
  userAgent: string;
  referrer: string | null;
  utm: Utm;
  click: TrackedEvent['click'];
  internal: boolean;
  /** 'qr' when the visit began with a scan of a Linkpulse QR code (?trigger=qr). */
  trigger: TrackedEvent['trigger'];
  /** The visitor's variant in each running A/B test the event belongs to. */
  abTests: TrackedEvent['abTests'];
  /** From visitor-ids.ts: the keyed hash, never the address. */
  visitorId: string;
  now: number;
}

export function toTrackedEvent(observation: Observation): TrackedEvent {
  const userAgent = observation.userAgent.slice(0, 512);
  return {
    v: 2,
    eventId: uuidv7(observation.now),
    type: observation.type,
    source: observation.source,
    receivedAt: new Date(observation.now).toISOString(),
    profileId: observation.profileId,
    linkId: observation.linkId,
    clickId: observation.clickId,
    visitorId: observation.visitorId,
    ipPrefix: ipPrefix(observation.ip),
    userAgent,
    referrer: observation.referrer,
    utm: observation.utm,
    click: observation.click,
    method: observation.method,
    internal: observation.internal,
    trigger: observation.trigger,
    abTests: observation.abTests,
  };
}
