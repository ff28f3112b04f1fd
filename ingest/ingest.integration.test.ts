// Ingest over HTTP against a real database (link targets, salts) with a recording bus: what is
// accepted, what is refused and how, what the published events contain, and what they never contain.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventBus, OutgoingMessage } from '../lib/bus/event-bus.js';
import { createMemoryCache } from '../lib/cache/memory-cache.js';
import { createRedisCache } from '../lib/cache/redis-cache.js';
import { TrackedEventSchema, type TrackedEvent } from '../lib/events/tracked-event.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import type { RunningHttpServer } from '../lib/runtime/http-server.js';
import { createTestDatabase, type TestDatabase } from '../lib/testing/postgres.js';
import { rawRequest, sendPartialBody } from '../lib/testing/raw-http.js';
import { testLogger } from '../lib/testing/services.js';
import { waitFor } from '../lib/testing/wait-for.js';
import { MAX_BEACON_BYTES } from './beacon.js';
import { BEACONS_PER_MINUTE, createIngestHandlers, ingestRoutes } from './ingest.js';
import { createLinkTargets, type LinkTargets } from './link-targets.js';
import { createBusBreaker, type BusBreaker } from './bus-breaker.js';
import { createBatchingPublisher } from './publisher.js';
import { createVisitorIds } from './visitor-ids.js';
import { createVisitorSalts } from './visitor-salts.js';
import { startTestHttpServer } from '../lib/testing/http-server.js';

const ORIGIN = 'https://links.example.com';

/** A bus that records what ingest publishes, and can be switched off (its health check follows). */
function recordingBus() {
  const published: OutgoingMessage[] = [];
  let failing = false;
  const calls = { publish: 0 };
  const bus = {
    kind: 'postgres',
    publish: async (_topic: string, messages: readonly OutgoingMessage[]) => {
      calls.publish += 1;
      if (failing) throw new Error('connect ECONNREFUSED broker');
      published.push(...messages);
    },
    healthCheck: () => ({
      name: 'bus',
      required: true,
      check: async () => {
        if (failing) throw new Error('connect ECONNREFUSED broker');
        return { state: 'ok' as const };
      },
    }),
  } as unknown as EventBus;
  return { bus, published, calls, fail: (value: boolean) => (failing = value) };
}

let database: TestDatabase;
let owner: pg.Client;
let links: LinkTargets;
let server: RunningHttpServer;
let recording: ReturnType<typeof recordingBus>;
let profileId: string;
let linkId: string;
let disabledLinkId: string;
let gpcProfileId: string;
let draftProfileId: string;
let otherLinkId: string;
let metrics: Metrics;
let breaker: BusBreaker;

const events = () => recording.published.map((message) => TrackedEventSchema.parse(JSON.parse(String(message.value))));
const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/e`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function insertProfile(published: boolean, respectGpc = true): Promise<string> {
  const userId = randomUUID();
  await owner.query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'scrypt$1$1$1$a$b')", [userId, `${userId}@example.com`]);
  const { rows } = await owner.query<{ id: string }>(
    "INSERT INTO profiles (user_id, handle, display_name, published, respect_gpc) VALUES ($1, $2, 'X', $3, $4) RETURNING id",
    [userId, `h${userId.slice(0, 8)}`, published, respectGpc],
  );
  return rows[0]!.id;
}

async function insertLink(profile: string, url: string, enabled = true): Promise<string> {
  const { rows } = await owner.query<{ id: string }>(
    `INSERT INTO links (profile_id, user_id, position, title, url, kind, enabled)
     SELECT $1, user_id, (SELECT count(*) FROM links WHERE profile_id = $1), 'L', $2, 'url', $3 FROM profiles WHERE id = $1 RETURNING id`,
    [profile, url, enabled],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  database = await createTestDatabase('ingest');
  owner = new pg.Client({ connectionString: database.ownerUrl });
  await owner.connect();
  profileId = await insertProfile(true);
  linkId = await insertLink(profileId, 'https://example.com/landing?from=linkpulse');
  disabledLinkId = await insertLink(profileId, 'https://example.com/off', false);
  gpcProfileId = await insertProfile(true, true);
  draftProfileId = await insertProfile(false);
  otherLinkId = await insertLink(await insertProfile(true), 'https://other.example/');

  recording = recordingBus();
  links = createLinkTargets({ db: database.db, logger: testLogger });
  const salts = createVisitorSalts({ db: database.db, logger: testLogger });
  await Promise.all([links.start(), salts.start()]);
  metrics = createMetrics();
  breaker = createBusBreaker({ topic: 'events_v1', probe: recording.bus.healthCheck(), metrics, logger: testLogger, probeIntervalMs: 50 });
  const handlers = createIngestHandlers({
    links,
    visitorIds: createVisitorIds({ salts, cache: createMemoryCache() }),
    publisher: createBatchingPublisher(recording.bus, 'events_v1', breaker),
    cache: createMemoryCache(),
    metrics,
    logger: testLogger,
    hashSecret: 'x'.repeat(32),
    trustProxy: false,
    origin: ORIGIN,
  });
  server = await startTestHttpServer(ingestRoutes(handlers));
});
afterAll(async () => {
  breaker?.stop();
  await server?.close(1_000);
  await links?.stop();
  await owner?.end();
  await database?.drop();
});
beforeEach(async () => {
  recording.published.length = 0;
  recording.fail(false);
  await waitFor(() => !breaker.isOpen(), { what: 'the breaker to let publishes through' });
});

describe('POST /e', () => {
  it('accepts a view (sendBeacon sends text/plain) and publishes it keyed by profile and visitor', async () => {
    const response = await post({ t: 'view', p: profileId, r: 'https://news.ycombinator.com/item?id=1', u: `${ORIGIN}/@x?utm_source=hn&utm_campaign=launch&email=a@b.c` });
    expect(response.status).toBe(202);
    const [event] = events();
    expect(event).toMatchObject<Partial<TrackedEvent>>({
      type: 'view',
      source: 'beacon',
      profileId,
      linkId: null,
      referrer: 'https://news.ycombinator.com',
      utm: { source: 'hn', medium: null, campaign: 'launch', term: null, content: null },
      ipPrefix: '127.0.0.0',
      method: 'POST',
      internal: false,
    });
    expect(recording.published[0]!.key).toBe(`${profileId}:${event!.visitorId}`);
    expect(event!.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('gives one visitor one id on one day, and never publishes the address itself', async () => {
    await post({ t: 'view', p: profileId });
    await post({ t: 'view', p: profileId }, { 'content-type': 'application/json' });
    await post({ t: 'view', p: profileId }, { 'user-agent': 'Another browser' });
    const [first, second, third] = events();
    expect(second!.visitorId).toBe(first!.visitorId);
    expect(third!.visitorId).not.toBe(first!.visitorId);
    for (const message of recording.published) expect(String(message.value)).not.toContain('127.0.0.1');
  });

  it('accepts a click with its position', async () => {
    const clickId = randomUUID();
    const response = await post({ t: 'click', p: profileId, l: linkId, c: clickId, x: 0.42, y: 380, vw: 390, vh: 844, ttc: 5200 });
    expect(response.status).toBe(202);
    expect(events()[0]).toMatchObject({ type: 'click', linkId, clickId, click: { x: 0.42, y: 380, viewportWidth: 390, viewportHeight: 844, timeToClickMs: 5200 } });
  });

  it.each([
    ['an unknown profile', () => ({ t: 'view', p: randomUUID() }), 'p'],
    ['an unpublished profile', () => ({ t: 'view', p: draftProfileId }), 'p'],
    ['another profile’s link', () => ({ t: 'click', p: profileId, l: otherLinkId, c: randomUUID(), x: 0.5, y: 1, vw: 1, vh: 1, ttc: 1 }), 'l'],
    ['a disabled link', () => ({ t: 'click', p: profileId, l: disabledLinkId, c: randomUUID(), x: 0.5, y: 1, vw: 1, vh: 1, ttc: 1 }), 'l'],
    ['a click without its position', () => ({ t: 'click', p: profileId, l: linkId, c: randomUUID() }), 'x'],
    ['unknown fields', () => ({ t: 'view', p: profileId, ip: '1.2.3.4' }), 'body'],
    ['an out-of-range position', () => ({ t: 'click', p: profileId, l: linkId, c: randomUUID(), x: 7, y: 1, vw: 1, vh: 1, ttc: 1 }), 'x'],
  ])('rejects %s with INVALID_INPUT', async (_what, body, field) => {
    const response = await post(body());
    expect(response.status).toBe(400);
    const envelope = (await response.json()) as { error: { code: string; details?: { fields: { field: string }[] } } };
    expect(envelope.error.code).toBe('INVALID_INPUT');
    expect(envelope.error.details?.fields.map((f) => f.field)).toContain(field);
    expect(recording.published).toEqual([]);
  });

  it('answers a beacon announcing gigabytes 413 at once, and closes the connection instead of reading it', async () => {
    const reply = await sendPartialBody(server.url, '/e', { headers: { 'Content-Type': 'text/plain', 'Content-Length': String(10 * 1024 ** 3) }, body: '{"t":' });
    expect({ status: reply.status, connection: reply.headers.connection, sent: reply.bodyBytesSent }).toEqual({ status: 413, connection: 'close', sent: 5 });
    await reply.closed;
  });

  it('answers other methods 405 with Allow, and keeps answering the CORS preflight', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await rawRequest(server.url, '/e', { method });
      expect({ method, status: response.status, allow: response.headers.allow }).toEqual({ method, status: 405, allow: 'POST, OPTIONS' });
    }
  });

  it('answers 413 above 4 KB, 415 for other content types, 400 for broken JSON', async () => {
    expect((await post({ t: 'view', p: profileId, r: 'x'.repeat(MAX_BEACON_BYTES) })).status).toBe(413);
    expect((await post({ t: 'view', p: profileId }, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post('{"t":"view"')).status).toBe(400);
  });

  it('answers 503 with Retry-After when the bus cannot take the event', async () => {
    recording.fail(true);
    const response = await post({ t: 'view', p: profileId });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('UNAVAILABLE');
  });

  it('once the bus has failed, answers 503 without trying it (counted) until a probe reaches it again', async () => {
    recording.fail(true);
    expect((await post({ t: 'view', p: profileId })).status).toBe(503);
    const tried = recording.calls.publish;
    const rejectedBefore = (await metrics.busBreakerRejected.get()).values[0]?.value ?? 0;
    const statuses = await Promise.all(Array.from({ length: 50 }, () => post({ t: 'view', p: profileId }).then((response) => response.status)));
    expect(statuses.every((status) => status === 503)).toBe(true);
    // Not one of them waited on the bus: the breaker refused them.
    expect(recording.calls.publish).toBe(tried);
    expect(((await metrics.busBreakerRejected.get()).values[0]?.value ?? 0) - rejectedBefore).toBe(50);
    expect((await metrics.busBreakerOpen.get()).values[0]?.value).toBe(1);

    recording.fail(false);
    await waitFor(() => !breaker.isOpen(), { what: 'a probe to reach the bus' });
    expect((await post({ t: 'view', p: profileId })).status).toBe(202);
    expect((await metrics.busBreakerOpen.get()).values[0]?.value).toBe(0);
  });

  it('allows the site’s own origin only (CORS), and answers its preflight', async () => {
    const own = await post({ t: 'view', p: profileId }, { origin: ORIGIN });
    expect(own.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const foreign = await post({ t: 'view', p: profileId }, { origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/e`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
  });

  it('records nothing for a visitor sending Global Privacy Control when the creator honours it', async () => {
    const response = await post({ t: 'view', p: gpcProfileId }, { 'sec-gpc': '1' });
    expect(response.status).toBe(204);
    expect(recording.published).toEqual([]);
  });
});

describe('flood control while Redis is down', () => {
  it('keeps limiting each address, counting in this process', async () => {
    const unreachableRedis = createRedisCache({ url: 'redis://127.0.0.1:1/0', logger: testLogger });
    const salts = createVisitorSalts({ db: database.db, logger: testLogger });
    await salts.start();
    const handlers = createIngestHandlers({
      links,
      visitorIds: createVisitorIds({ salts, cache: unreachableRedis }),
      publisher: createBatchingPublisher(recording.bus, 'events_v1'),
      cache: unreachableRedis,
      metrics: createMetrics(),
      logger: testLogger,
      hashSecret: 'x'.repeat(32),
      trustProxy: false,
      origin: ORIGIN,
    });
    const flooded = await startTestHttpServer([{ name: '/e', prefix: '/e', handler: handlers.beacon }]);
    try {
      const statuses: number[] = [];
      const send = async () => {
        const response = await fetch(`${flooded.url}/e`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ t: 'view', p: profileId }) });
        statuses.push(response.status);
      };
      for (let round = 0; round < 40; round++) await Promise.all(Array.from({ length: 20 }, send));
      expect(statuses.filter((status) => status === 202)).toHaveLength(BEACONS_PER_MINUTE);
      expect(statuses.filter((status) => status === 429)).toHaveLength(800 - BEACONS_PER_MINUTE);
    } finally {
      salts.stop();
      await flooded.close(1_000);
      await unreachableRedis.close();
    }
  });
});

describe('GET /r/:linkId', () => {
  it('redirects to the stored URL and publishes the click, marked by the tracker', async () => {
    const clickId = randomUUID();
    const response = await fetch(`${server.url}/r/${linkId}?c=${clickId}&ref=${encodeURIComponent('https://github.com/some/repo')}&utm_medium=social`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://example.com/landing?from=linkpulse');
    const event = await waitFor(() => events().find((candidate) => candidate.clickId === clickId));
    expect(event).toMatchObject({ type: 'click', source: 'redirect', method: 'GET', linkId, profileId, referrer: 'https://github.com', utm: { medium: 'social' } });
  });

  it('never redirects anywhere the request names', async () => {
    const response = await fetch(`${server.url}/r/${linkId}?url=https://evil.example&next=//evil.example`, { redirect: 'manual' });
    expect(response.headers.get('location')).toBe('https://example.com/landing?from=linkpulse');
  });

  it('answers methods other than GET and HEAD 405 with Allow', async () => {
    const response = await rawRequest(server.url, `/r/${linkId}`, { method: 'POST' });
    expect({ status: response.status, allow: response.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
  });

  it('counts HEAD requests as such (the consumers classify them as bots)', async () => {
    const response = await fetch(`${server.url}/r/${linkId}`, { method: 'HEAD', redirect: 'manual' });
    expect(response.status).toBe(302);
    // The previous test's redirect may still be publishing: look for this request's event.
    const event = await waitFor(() => events().find((candidate) => candidate.method === 'HEAD'));
    expect(event).toMatchObject({ type: 'click', source: 'redirect', clickId: null });
  });

  it.each([
    ['an unknown link', () => randomUUID()],
    ['a disabled link', () => disabledLinkId],
    ['a malformed id', () => 'not-a-uuid'],
  ])('answers 404 for %s', async (_what, id) => {
    const response = await fetch(`${server.url}/r/${id()}`, { redirect: 'manual' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(recording.published).toEqual([]);
  });

  it('follows changes to links without a restart (LISTEN/NOTIFY)', async () => {
    const fresh = await insertLink(profileId, 'https://example.com/new');
    await waitFor(async () => (await fetch(`${server.url}/r/${fresh}`, { redirect: 'manual' })).status === 302, { what: 'the new link to be served' });
    await owner.query('UPDATE links SET enabled = false WHERE id = $1', [fresh]);
    await waitFor(async () => (await fetch(`${server.url}/r/${fresh}`, { redirect: 'manual' })).status === 404, { what: 'the disabled link to be refused' });
  });

  it('serves a page published a moment ago: an unknown id reloads the targets once before refusing', async () => {
    // No wait between the change and the requests: the NOTIFY reload (200 ms debounce) has not run yet.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { rows } = await owner.query<{ id: string }>('UPDATE profiles SET published = true WHERE id = $1 RETURNING id', [draftProfileId]);
    expect(rows).toHaveLength(1);
    expect((await post({ t: 'view', p: draftProfileId })).status).toBe(202);
    const fresh = await insertLink(draftProfileId, 'https://example.com/just-added');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await fetch(`${server.url}/r/${fresh}`, { redirect: 'manual' })).status).toBe(302);
    // Made-up ids are still refused (they reload at most once a second).
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post({ t: 'view', p: randomUUID() }).then((response) => response.status)));
    expect(statuses.every((status) => status === 400)).toBe(true);
    await owner.query('UPDATE profiles SET published = false WHERE id = $1', [draftProfileId]);
  });
});

describe('A/B tests and QR scans', () => {
  const VARIANTS = ['https://a.example/landing', 'https://b.example/landing'];
  const agent = (index: number) => `Mozilla/5.0 (X11; Linux x86_64) TestVisitor/${index}`;
  const redirectOf = async (link: string, index: number, query = '') => {
    const response = await fetch(`${server.url}/r/${link}${query}`, { redirect: 'manual', headers: { 'user-agent': agent(index) } });
    expect(response.status).toBe(302);
    return response.headers.get('location')!;
  };
  let abProfileId: string;
  let abLinkId: string;

  async function startTest(link: string, weights: readonly number[]): Promise<string> {
    const { rows } = await owner.query<{ id: string }>(
      'INSERT INTO link_ab_tests (profile_id, link_id, variants) SELECT profile_id, id, $2 FROM links WHERE id = $1 RETURNING id',
      [link, JSON.stringify(weights.map((weight, index) => ({ url: VARIANTS[index], weight })))],
    );
    await links.reload();
    return rows[0]!.id;
  }

  beforeAll(async () => {
    abProfileId = await insertProfile(true, false);
    abLinkId = await insertLink(abProfileId, 'https://example.com/control');
    await insertLink(abProfileId, 'https://example.com/untested');
  });

  it('sends each visitor to their variant, the same one every time, and records it on the click; page views assign too', async () => {
    const testId = await startTest(abLinkId, [50, 50]);
    const first = await Promise.all(Array.from({ length: 120 }, (_, index) => redirectOf(abLinkId, index)));
    expect(new Set(first)).toEqual(new Set(VARIANTS));
    expect(await Promise.all(Array.from({ length: 120 }, (_, index) => redirectOf(abLinkId, index)))).toEqual(first);

    await waitFor(() => events().length === 240, { what: 'the clicks to be published' });
    for (const event of events()) {
      expect(event).toMatchObject({ type: 'click', linkId: abLinkId, trigger: 'link' });
      const index = Number(/TestVisitor\/(\d+)/.exec(event.userAgent)![1]);
      expect(event.abTests).toEqual([{ testId, variant: VARIANTS.indexOf(first[index]!) + 1 }]);
    }

    // A view of the page assigns its visitor the variant the redirect gives them.
    recording.published.length = 0;
    for (const index of [0, 1, 2, 3]) expect((await post({ t: 'view', p: abProfileId }, { 'user-agent': agent(index) })).status).toBe(202);
    expect(events().map((event) => event.abTests)).toEqual([0, 1, 2, 3].map((index) => [{ testId, variant: VARIANTS.indexOf(first[index]!) + 1 }]));

    // Another link of the page, and another page, are in no test.
    recording.published.length = 0;
    const untested = (await owner.query<{ id: string }>("SELECT id FROM links WHERE profile_id = $1 AND url = 'https://example.com/untested'", [abProfileId])).rows[0]!.id;
    expect(await redirectOf(untested, 1)).toBe('https://example.com/untested');
    expect((await post({ t: 'view', p: profileId }, { 'user-agent': agent(1) })).status).toBe(202);
    await waitFor(() => events().length === 2, { what: 'both events' });
    expect(events().map((event) => event.abTests)).toEqual([[], []]);

    // Ended: the link's own URL again, and no test on its events. A new test reshuffles visitors.
    await owner.query("UPDATE link_ab_tests SET ended_at = now(), kept_variant = 1 WHERE id = $1", [testId]);
    await links.reload();
    expect(await redirectOf(abLinkId, 0)).toBe('https://example.com/control');
    const second = await startTest(abLinkId, [50, 50]);
    expect(second).not.toBe(testId);
    const reshuffled = await Promise.all(Array.from({ length: 120 }, (_, index) => redirectOf(abLinkId, index)));
    const moved = reshuffled.filter((location, index) => location !== first[index]).length;
    // Independent splits: about half the visitors change variant (binomial(120, 0.5): 60 ± 5.5).
    expect(moved).toBeGreaterThan(30);
    expect(moved).toBeLessThan(90);
    await owner.query("UPDATE link_ab_tests SET ended_at = now(), kept_variant = 2 WHERE id = $1", [second]);
    await links.reload();
  });

  it('records a scan: ?trigger=qr on a link’s redirect, and on the page URL of a view', async () => {
    recording.published.length = 0;
    expect(await redirectOf(linkId, 7, '?trigger=qr')).toBe('https://example.com/landing?from=linkpulse');
    expect(await redirectOf(linkId, 7, '?trigger=nfc')).toBe('https://example.com/landing?from=linkpulse');
    expect((await post({ t: 'view', p: profileId, u: `${ORIGIN}/@x?trigger=qr` })).status).toBe(202);
    expect((await post({ t: 'view', p: profileId, u: `${ORIGIN}/@x?utm_source=qr` })).status).toBe(202);
    await waitFor(() => events().length === 4, { what: 'four events' });
    expect(events().map((event) => `${event.type} ${event.trigger}`).sort()).toEqual(['click link', 'click qr', 'view link', 'view qr']);
  });
});
