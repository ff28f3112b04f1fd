// The enrichment stage of the consumer: a validated TrackedEvent in, one analytics.events row out
// (classifyBot → resolveGeo → parseUserAgent → classifyReferrer). ip_prefix is consumed by geo and
// then left behind: AnalyticsRow has no column for it, and the row is built field by field (never
// spread from the event) so no other event field can leak into ClickHouse either.
import { NO_LINK, type AnalyticsRow, type BotKind } from '../../lib/events/analytics-row.js';
import type { TrackedEvent } from '../../lib/events/tracked-event.js';
import { LruMap } from '../../lib/lru-map.js';
import { classifyBot, classifyUserAgent } from './classify-bot.step.js';
import { classifyReferrer } from './classify-referrer.step.js';
import { parseUserAgent, type UserAgentInfo } from './parse-user-agent.step.js';
import type { GeoResolver } from './resolve-geo.step.js';

/**
 * User agents remembered with what they say. Visitors' agents repeat heavily (a handful of browser
 * versions make most traffic), and parsing one is most of the enrichment's cost: ua-parser-js runs
 * dozens of regular expressions per agent (bench/README.md, "The pipeline").
 */
const USER_AGENTS_REMEMBERED = 10_000;

interface DescribedAgent {
  /** What the agent alone says (classifyUserAgent). */
  botKind: BotKind;
  /** As parsed for a person; the device becomes 'bot' when the event is a bot's. */
  info: UserAgentInfo;
}

export interface EnricherDeps {
  geo: Pick<GeoResolver, 'resolve'>;
}

export interface Enricher {
  /** Pure apart from the geo lookup; never throws for a schema-valid event. Safe to destructure. */
  enrich: (event: TrackedEvent) => AnalyticsRow;
}

export function createEnricher(deps: EnricherDeps): Enricher {
  const { geo } = deps;
  const agents = new LruMap<string, DescribedAgent>(USER_AGENTS_REMEMBERED);
  const describe = (userAgent: string): DescribedAgent => {
    let described = agents.get(userAgent);
    if (described === undefined) {
      described = { botKind: classifyUserAgent(userAgent), info: parseUserAgent(userAgent, { isBot: false }) };
      agents.set(userAgent, described);
    }
    return described;
  };
  return {
    enrich(event) {
      const described = describe(event.userAgent);
      const botKind = classifyBot(event, described.botKind);
      const location = geo.resolve(event.ipPrefix);
      const agent = botKind === '' ? described.info : { ...described.info, device: 'bot' as const };
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
        trigger: event.trigger,
        ab_tests: event.abTests.map((test) => test.testId),
        ab_variants: event.abTests.map((test) => test.variant),
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
