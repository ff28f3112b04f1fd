// Events as ingest publishes them on the bus (events_v1), for the benchmarks of the pipeline: a mix
// of views and redirected clicks from many visitors with the agents, addresses and referrers traffic
// has, so the consumers' enrichment does the work it does in production (caches included).
import type { OutgoingMessage } from '../../lib/bus/event-bus.js';
import { toEventMessage } from '../../lib/events/tracked-event.js';
import { toTrackedEvent } from '../../ingest/events.js';

/** Agents as visitors send them: a few browsers make most traffic, with a tail of others and bots. */
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36 Edg/142.0.0.0',
  'Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
];
const REFERRERS = ['https://github.com', 'https://news.ycombinator.com', 'https://www.google.com', 'https://t.co', null, null];

/** `count` events as ingest would publish them: 4 views to 1 redirected click, from 50,000 visitors. */
export function syntheticEvents(profileId: string, linkIds: readonly string[], count: number): OutgoingMessage[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const visitor = (i * 7919) % 50_000;
    const click = i % 5 === 0;
    return toEventMessage(
      toTrackedEvent({
        type: click ? 'click' : 'view',
        source: click ? 'redirect' : 'beacon',
        method: click ? 'GET' : 'POST',
        profileId,
        linkId: click ? linkIds[i % linkIds.length]! : null,
        clickId: null,
        ip: `${1 + (visitor % 223)}.${(visitor >> 3) & 255}.${(visitor >> 7) & 255}.${visitor & 255}`,
        userAgent: USER_AGENTS[visitor % USER_AGENTS.length]!,
        referrer: REFERRERS[visitor % REFERRERS.length]!,
        utm: { source: i % 7 === 0 ? 'newsletter' : null, medium: null, campaign: null, term: null, content: null },
        click: null,
        internal: false,
        visitorId: String(1_000_000_007 * (visitor + 1)),
        now,
      }),
    );
  });
}

