import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import { createEnricher } from './enrich.step.js';
import type { GeoLocation } from './resolve-geo.step.js';
import { newTrackedEvent } from './testing.js';

/** Every column of analytics.events, once; `satisfies` fails to compile when AnalyticsRow changes. */
const ROW_COLUMNS = Object.keys({
  event_id: true, event_type: true, source: true, timestamp: true, profile_id: true, link_id: true, click_id: true,
  visitor_id: true, is_bot: true, bot_kind: true, is_internal: true, country: true, region: true, city: true,
  device: true, browser: true, os: true, referrer_domain: true, channel: true, utm_source: true, utm_medium: true,
  utm_campaign: true, trigger: true, ab_tests: true, ab_variants: true, click_x: true, click_y: true, viewport_width: true, viewport_height: true, time_to_click_ms: true,
} satisfies Record<keyof AnalyticsRow, true>);

const IPHONE_SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1';

/** A geo resolver that knows one prefix and records what it was asked. */
function newGeoStub(known: Record<string, GeoLocation> = {}) {
  const asked: string[] = [];
  return {
    asked,
    resolve(ipPrefix: string): GeoLocation {
      asked.push(ipPrefix);
      return known[ipPrefix] ?? { country: '', region: '', city: '' };
    },
  };
}

describe('createEnricher', () => {
  it('turns a view into a row: no link, no click, zeros and empty strings for what it lacks', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const event = newTrackedEvent({ type: 'view', source: 'beacon', receivedAt: '2026-03-14T15:09:26.535Z' });
    expect(enrich(event)).toEqual({
      event_id: event.eventId,
      event_type: 'view',
      source: 'beacon',
      timestamp: Date.UTC(2026, 2, 14, 15, 9, 26, 535),
      profile_id: event.profileId,
      link_id: NO_LINK,
      click_id: NO_LINK,
      visitor_id: event.visitorId,
      is_bot: 0,
      bot_kind: '',
      is_internal: 0,
      country: '',
      region: '',
      city: '',
      device: 'desktop',
      browser: 'Chrome',
      os: 'Windows',
      referrer_domain: '',
      channel: 'direct',
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      trigger: 'link',
      ab_tests: [],
      ab_variants: [],
      click_x: 0,
      click_y: 0,
      viewport_width: 0,
      viewport_height: 0,
      time_to_click_ms: 0,
    } satisfies AnalyticsRow);
  });

  it('keeps how the visit began and the A/B variants, as parallel arrays', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const tests = [
      { testId: randomUUID(), variant: 2 },
      { testId: randomUUID(), variant: 1 },
    ];
    expect(enrich(newTrackedEvent({ trigger: 'qr', abTests: tests }))).toMatchObject({ trigger: 'qr', ab_tests: tests.map((test) => test.testId), ab_variants: [2, 1] });
    expect(enrich(newTrackedEvent())).toMatchObject({ trigger: 'link', ab_tests: [], ab_variants: [] });
  });

  it('counts the redirect as the click and keeps its link and click id', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const linkId = randomUUID();
    const clickId = randomUUID();
    const row = enrich(newTrackedEvent({ type: 'click', source: 'redirect', method: 'GET', linkId, clickId }));
    expect(row).toMatchObject({ event_type: 'click', source: 'redirect', link_id: linkId, click_id: clickId, click_x: 0, time_to_click_ms: 0 });
  });

  it("records the tracker's beacon for the same click as its position, never as a second click", () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const linkId = randomUUID();
    const clickId = randomUUID();
    const row = enrich(
      newTrackedEvent({
        type: 'click',
        source: 'beacon',
        linkId,
        clickId,
        userAgent: IPHONE_SAFARI,
        click: { x: 0.42, y: 640, viewportWidth: 390, viewportHeight: 844, timeToClickMs: 5300 },
      }),
    );
    expect(row).toMatchObject({
      event_type: 'click_position',
      link_id: linkId,
      click_id: clickId,
      device: 'mobile',
      browser: 'Safari',
      os: 'iOS',
      click_x: 0.42,
      click_y: 640,
      viewport_width: 390,
      viewport_height: 844,
      time_to_click_ms: 5300,
    });
  });

  it('resolves geo from the prefix, then leaves the prefix behind', () => {
    const ipPrefix = '198.51.100.0';
    const geo = newGeoStub({ [ipPrefix]: { country: 'GB', region: 'England', city: 'London' } });
    const { enrich } = createEnricher({ geo });
    const row = enrich(newTrackedEvent({ ipPrefix }));

    expect(geo.asked).toEqual([ipPrefix]);
    expect(row).toMatchObject({ country: 'GB', region: 'England', city: 'London' });
    expect(Object.keys(row).sort()).toEqual([...ROW_COLUMNS].sort());
    expect(Object.keys(row).filter((key) => key.includes('ip'))).toEqual([]);
    expect(JSON.stringify(row)).not.toContain('198.51.100');
  });

  it('keeps bot traffic, labelled: a HEAD request is a bot whatever its user agent', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const row = enrich(newTrackedEvent({ type: 'click', source: 'redirect', method: 'HEAD', linkId: randomUUID() }));
    expect(row).toMatchObject({ event_type: 'click', is_bot: 1, bot_kind: 'head_request', device: 'bot', browser: 'Chrome', os: 'Windows' });
  });

  it('labels link previews as preview bots', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const row = enrich(newTrackedEvent({ method: 'GET', source: 'redirect', userAgent: 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' }));
    expect(row).toMatchObject({ is_bot: 1, bot_kind: 'preview', device: 'bot' });
  });

  it("marks the creator's own visits as internal", () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    expect(enrich(newTrackedEvent({ internal: true })).is_internal).toBe(1);
    expect(enrich(newTrackedEvent({ internal: false })).is_internal).toBe(0);
  });

  it('keeps the referrer host, its channel and the UTM source, medium and campaign', () => {
    const { enrich } = createEnricher({ geo: newGeoStub() });
    const row = enrich(
      newTrackedEvent({
        referrer: 'https://www.reddit.com',
        utm: { source: 'reddit', medium: 'social', campaign: 'launch-week', term: 'ignored', content: 'ignored' },
      }),
    );
    expect(row).toMatchObject({ referrer_domain: 'reddit.com', channel: 'reddit', utm_source: 'reddit', utm_medium: 'social', utm_campaign: 'launch-week' });
  });
});
