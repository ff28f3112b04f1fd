// The enrichment stage of the consumer: a validated TrackedEvent in, one analytics.events row out
// (classifyBot → resolveGeo → parseUserAgent → classifyReferrer). ip_prefix is consumed by geo and
// then left behind: AnalyticsRow has no column for it, and the row is built field by field (never
// spread from the event) so no other event field can leak into ClickHouse either.
import { NO_LINK, type AnalyticsRow } from '../../lib/events/analytics-row.js';
import type { TrackedEvent } from '../../lib/events/tracked-event.js';
import { classifyBot } from './classify-bot.step.js';
import { classifyReferrer } from './classify-referrer.step.js';
import { parseUserAgent } from './parse-user-agent.step.js';
import type { GeoResolver } from './resolve-geo.step.js';

export interface EnricherDeps {
  geo: Pick<GeoResolver, 'resolve'>;
}

export interface Enricher {
  /** Pure apart from the geo lookup; never throws for a schema-valid event. Safe to destructure. */
  enrich: (event: TrackedEvent) => AnalyticsRow;
}

export function createEnricher(deps: EnricherDeps): Enricher {
  const { geo } = deps;
  return {
    enrich(event) {
      const botKind = classifyBot(event);
      const location = geo.resolve(event.ipPrefix);
      const agent = parseUserAgent(event.userAgent, { isBot: botKind !== '' });
      const source = classifyReferrer(event.referrer, event.utm);
      return {
        event_id: event.eventId,
        event_type: rowEventType(event),
        source: event.source,
        timestamp: Date.parse(event.receivedAt),
        profile_id: event.profileId,
        link_id: event.linkId ?? NO_LINK,
        click_id: event.clickId ?? NO_LINK,
        visitor_id: event.visitorId,
        is_bot: botKind === '' ? 0 : 1,
        bot_kind: botKind,
        is_internal: event.internal ? 1 : 0,
        country: location.country,
        region: location.region,
        city: location.city,
        device: agent.device,
        browser: agent.browser,
        os: agent.os,
        referrer_domain: source.referrer_domain,
        channel: source.channel,
        utm_source: event.utm.source ?? '',
        utm_medium: event.utm.medium ?? '',
        utm_campaign: event.utm.campaign ?? '',
        click_x: event.click?.x ?? 0,
        click_y: event.click?.y ?? 0,
        viewport_width: event.click?.viewportWidth ?? 0,
        viewport_height: event.click?.viewportHeight ?? 0,
        time_to_click_ms: event.click?.timeToClickMs ?? 0,
      };
    },
  };
}

/**
 * A click is counted once, from the /r/:linkId redirect every real click goes through; the tracker's
 * beacon for the same click (joined by click_id) only contributes its position and time-to-click.
 */
function rowEventType(event: Pick<TrackedEvent, 'type' | 'source'>): AnalyticsRow['event_type'] {
  if (event.type === 'view') return 'view';
  return event.source === 'redirect' ? 'click' : 'click_position';
}
