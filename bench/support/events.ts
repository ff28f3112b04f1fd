// Events as ingest publishes them on the bus (events_v1), for the benchmarks of the pipeline: a mix
// of views and redirected clicks from many visitors with the agents, addresses and referrers traffic
// has, so the consumers' enrichment does the work it does in production (caches included); and the
// poll that times them until the aggregates count them.
import { ALL_LINKS } from '../../lib/analytics/query-plan.js';
import type { OutgoingMessage } from '../../lib/bus/event-bus.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
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
        trigger: 'link',
        abTests: [],
        visitorId: String(1_000_000_007 * (visitor + 1)),
        now,
      }),
    );
  });
}


export interface Poll {
  /** performance.now() when the count came back. */
  at: number;
  count: number;
}

/**
 * Polls the profile's views and clicks in the aggregates (traffic_daily, all links) every 100 ms
 * until they reach `count`; every poll's time and count.
 */
export async function pollQueryable(clickhouse: ClickHouse, profileId: string, count: number, timeoutMs = 600_000): Promise<Poll[]> {
  const polls: Poll[] = [];
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const [row] = await clickhouse.query<{ n: string }>('SELECT sum(views) + sum(clicks) AS n FROM traffic_daily WHERE profile_id = {p:UUID} AND link_id = {all:UUID}', {
      p: profileId,
      all: ALL_LINKS,
    });
    const now = Number(row?.n ?? 0);
    polls.push({ at: performance.now(), count: now });
    if (now >= count) return polls;
    if (performance.now() > deadline) throw new Error(`only ${now} of ${count} events queryable after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
