// Test factories for the consumer steps: a schema-valid event with unique ids, and the bus message
// that carries it. Test-only; never imported by the pipeline.
import { randomUUID } from 'node:crypto';
import type { BusMessage } from '../../lib/bus/event-bus.js';
import type { TrackedEvent } from '../../lib/events/tracked-event.js';

export function newTrackedEvent(overrides: Partial<TrackedEvent> = {}): TrackedEvent {
  return {
    v: 2,
    eventId: randomUUID(),
    type: 'view',
    source: 'beacon',
    receivedAt: '2026-03-14T15:09:26.535Z',
    profileId: randomUUID(),
    linkId: null,
    clickId: null,
    visitorId: '12345678901234567890',
    ipPrefix: '203.0.113.0',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    referrer: null,
    utm: { source: null, medium: null, campaign: null, term: null, content: null },
    click: null,
    method: 'POST',
    internal: false,
    trigger: 'link',
    abTests: [],
    ...overrides,
  };
}

export function newBusMessage(value: Buffer | string, offset = '0'): BusMessage {
  return {
    topic: 'events_v1',
    partition: 0,
    offset,
    key: `${randomUUID()}:1`,
    value: Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'),
    headers: {},
    publishedAt: new Date('2026-03-14T15:09:27.000Z'),
  };
}
