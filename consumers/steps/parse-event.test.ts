import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { parseTrackedEvent } from './parse-event.step.js';
import { newBusMessage, newTrackedEvent } from './testing.js';

function messageOf(value: unknown) {
  return newBusMessage(JSON.stringify(value));
}

describe('parseTrackedEvent', () => {
  it('returns a valid event as it was published', () => {
    const event = newTrackedEvent({
      type: 'click',
      source: 'beacon',
      linkId: '0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7b',
      clickId: '0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7c',
      click: { x: 0.25, y: 480, viewportWidth: 390, viewportHeight: 844, timeToClickMs: 3200 },
      referrer: 'https://news.ycombinator.com',
      utm: { source: 'hn', medium: null, campaign: 'launch', term: null, content: null },
    });
    expect(parseTrackedEvent(messageOf(event))).toEqual({ ok: true, value: event });
  });

  it.each([
    ['truncated JSON', '{"v":1,"eventId":'],
    ['an empty message', ''],
    ['plain text', 'view'],
  ])('dead-letters %s as malformed_json', (_name, text) => {
    const result = parseTrackedEvent(newBusMessage(text));
    expect(result).toMatchObject({ ok: false, action: 'dlq', reason: 'malformed_json' });
    expect(!result.ok && result.error).toBeInstanceOf(SyntaxError);
  });

  it('dead-letters bytes that are not UTF-8 as malformed_json', () => {
    const json = Buffer.from(JSON.stringify(newTrackedEvent()));
    const corrupt = Buffer.concat([json.subarray(0, 20), Buffer.from([0xc3, 0x28]), json.subarray(20)]);
    expect(parseTrackedEvent(newBusMessage(corrupt))).toMatchObject({ ok: false, action: 'dlq', reason: 'malformed_json' });
  });

  it('reads a version 1 event, published before the current contract, as a visit without a scan or a test', () => {
    const { trigger: _trigger, abTests: _abTests, ...current } = newTrackedEvent({ type: 'click', source: 'redirect', method: 'GET', linkId: '0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7b' });
    const v1 = { ...current, v: 1 };
    expect(parseTrackedEvent(messageOf(v1))).toEqual({ ok: true, value: { ...v1, v: 2, trigger: 'link', abTests: [] } });
    // A version 1 event with the new fields is not one.
    expect(parseTrackedEvent(messageOf({ ...v1, trigger: 'qr' }))).toMatchObject({ ok: false, reason: 'invalid_event' });
  });

  it('returns the scan trigger and the A/B variants of a version 2 event', () => {
    const event = newTrackedEvent({ trigger: 'qr', abTests: [{ testId: '0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7d', variant: 2 }] });
    expect(parseTrackedEvent(messageOf(event))).toEqual({ ok: true, value: event });
    const twice = { ...event, abTests: [event.abTests[0], event.abTests[0]] };
    expect(parseTrackedEvent(messageOf(twice))).toMatchObject({ ok: false, reason: 'invalid_event' });
    expect(parseTrackedEvent(messageOf({ ...event, abTests: [{ testId: event.abTests[0]!.testId, variant: 5 }] }))).toMatchObject({ ok: false, reason: 'invalid_event' });
  });

  it('dead-letters a well-formed event of a future version as unknown_version', () => {
    const result = parseTrackedEvent(messageOf({ ...newTrackedEvent(), v: 3, somethingNew: true }));
    expect(result).toMatchObject({ ok: false, action: 'dlq', reason: 'unknown_version' });
    expect(!result.ok && String(result.error)).toContain('version 3');
  });

  it.each([
    ['a missing version', (): unknown => ({ ...newTrackedEvent(), v: undefined })],
    ['a version that is not a number', (): unknown => ({ ...newTrackedEvent(), v: '1' })],
    ['a JSON array', (): unknown => [newTrackedEvent()]],
    ['JSON null', (): unknown => null],
    ['a bad event id', (): unknown => ({ ...newTrackedEvent(), eventId: 'not-a-uuid' })],
    ['an unknown event type', (): unknown => ({ ...newTrackedEvent(), type: 'scroll' })],
    ['a click position outside the column', (): unknown => ({ ...newTrackedEvent(), click: { x: 1.5, y: 0, viewportWidth: 1, viewportHeight: 1, timeToClickMs: 0 } })],
    ['an unknown field (a raw IP must never ride along)', (): unknown => ({ ...newTrackedEvent(), ip: '203.0.113.42' })],
  ])('dead-letters %s as invalid_event with the schema error', (_name, build) => {
    const result = parseTrackedEvent(messageOf(build()));
    expect(result).toMatchObject({ ok: false, action: 'dlq', reason: 'invalid_event' });
    expect(!result.ok && result.error).toBeInstanceOf(ZodError);
  });

  it('never throws, whatever the bytes', () => {
    for (let i = 0; i < 500; i += 1) {
      const result = parseTrackedEvent(newBusMessage(randomBytes(i % 64)));
      expect(result.ok).toBe(false);
    }
  });
});
