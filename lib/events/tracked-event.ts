// The event contract between ingest (producer) and consumers, as it travels on the bus topic
// events_v1 (JSON, one event per message, key profileId:visitorId). Versioned by `v`: consumers
// accept every version they know and dead-letter the rest. Privacy: no raw IP ever appears here,
// only `ipPrefix` (IPv4 /24, IPv6 /48), which the consumers use for geo and then drop.
//
// Versions: 1 (the first), 2 (issue 19: `trigger`, how the visit began, and `abTests`, the variants
// of running A/B tests the visitor was assigned). Ingest writes the latest; consumers read both, a v1
// event as a v2 one with trigger 'link' and no tests (upgradeTrackedEvent), so messages published by
// an older ingest during a rolling deploy are still stored.
import { z } from 'zod';
import type { OutgoingMessage } from '../bus/event-bus.js';

export const EVENT_TYPES = ['view', 'click'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Where the event was observed: the tracker's beacon, or the /r/:linkId redirect. */
export const EVENT_SOURCES = ['beacon', 'redirect'] as const;

const UTM_VALUE = z.string().max(200);

/** How a visit began: 'qr' from scanning a Linkpulse QR code (?trigger=qr), 'link' otherwise. */
export const TRIGGERS = ['link', 'qr'] as const;
export type Trigger = (typeof TRIGGERS)[number];
/** Tests one event may carry: a page's links can each run one (a profile has at most 100 links). */
export const MAX_TESTS_PER_EVENT = 100;

export const TrackedEventV1Schema = z.strictObject({
  v: z.literal(1),
  /** UUIDv7 assigned at ingest: time-ordered, and the identity that deduplicates retries. */
  eventId: z.uuid(),
  type: z.enum(EVENT_TYPES),
  source: z.enum(EVENT_SOURCES),
  /** When ingest received it (ISO 8601, UTC). */
  receivedAt: z.iso.datetime(),
  profileId: z.uuid(),
  /** Set for clicks. */
  linkId: z.uuid().nullable(),
  /**
   * One click seen twice: the tracker's beacon (with the position) and the /r/:linkId redirect it
   * marked with ?c=<clickId>. The redirect counts the click (it happens with or without JavaScript);
   * the beacon only adds where and when on the page it happened. Null for unmarked redirects.
   */
  clickId: z.uuid().nullable(),
  /** First 8 bytes of HMAC-SHA256(daily salt, ip ‖ user agent ‖ profile id), as a decimal UInt64. */
  visitorId: z.string().regex(/^\d{1,20}$/),
  /** IPv4 /24 or IPv6 /48 network address, for geo only; '' when unknown. */
  ipPrefix: z.string().max(45),
  userAgent: z.string().max(512),
  /** The page's document.referrer (beacon) or the Referer header (redirect). */
  referrer: z.string().max(2048).nullable(),
  utm: z.strictObject({
    source: UTM_VALUE.nullable(),
    medium: UTM_VALUE.nullable(),
    campaign: UTM_VALUE.nullable(),
    term: UTM_VALUE.nullable(),
    content: UTM_VALUE.nullable(),
  }),
  /** For tracker clicks: where on the page, and after how long. */
  click: z
    .strictObject({
      /** 0..1 across the content column's width. */
      x: z.number().min(0).max(1),
      /** CSS pixels from the top of the content column. */
      y: z.number().int().min(0).max(1_000_000),
      viewportWidth: z.number().int().min(0).max(100_000),
      viewportHeight: z.number().int().min(0).max(100_000),
      timeToClickMs: z.number().int().min(0).max(86_400_000),
    })
    .nullable(),
  /** HTTP method that carried it: HEAD requests to /r are previews, never clicks. */
  method: z.enum(['GET', 'HEAD', 'POST']),
  /** The creator viewing their own page (excluded from analytics by default). */
  internal: z.boolean(),
});

/** The current version: what ingest publishes. */
export const TrackedEventSchema = TrackedEventV1Schema.extend({
  v: z.literal(2),
  /** 'qr' when the visit came from a Linkpulse QR code: the page's ?trigger=qr (a view, and the clicks the tracker marks), or /r/<link>?trigger=qr. */
  trigger: z.enum(TRIGGERS),
  /**
   * The running A/B tests this event belongs to and the visitor's variant (1-based) in each
   * (lib/links/ab-test.ts): for a click on a tested link, its test; for a page view, every test running
   * on the page's links (the visitor is assigned whether or not they click). Empty otherwise.
   */
  abTests: z
    .array(z.strictObject({ testId: z.uuid(), variant: z.number().int().min(1).max(4) }))
    .max(MAX_TESTS_PER_EVENT)
    .refine((tests) => new Set(tests.map((test) => test.testId)).size === tests.length, 'a test appears once'),
});

export type TrackedEvent = z.infer<typeof TrackedEventSchema>;
export type TrackedEventV1 = z.infer<typeof TrackedEventV1Schema>;

/** Every version a consumer reads, told apart by `v`. */
export const AnyTrackedEventSchema = z.discriminatedUnion('v', [TrackedEventV1Schema, TrackedEventSchema]);
export const KNOWN_EVENT_VERSIONS: ReadonlySet<number> = new Set([1, 2]);

/** An event of any known version as the current one: a v1 event began with no scan and was in no test. */
export function upgradeTrackedEvent(event: TrackedEventV1 | TrackedEvent): TrackedEvent {
  return event.v === 2 ? event : { ...event, v: 2, trigger: 'link', abTests: [] };
}

/**
 * The key of every events_v1 message. The key picks the partition: one visitor's events on one
 * profile stay in order on one partition, and a producer retry lands beside the original, where the
 * consumers' recent-ids check removes it (consumers/write-batch.ts).
 */
export function eventMessageKey(event: Pick<TrackedEvent, 'profileId' | 'visitorId'>): string {
  return `${event.profileId}:${event.visitorId}`;
}

/** An event as it is published on events_v1: JSON, keyed by eventMessageKey. */
export function toEventMessage(event: TrackedEvent): OutgoingMessage {
  return { key: eventMessageKey(event), value: JSON.stringify(event) };
}
