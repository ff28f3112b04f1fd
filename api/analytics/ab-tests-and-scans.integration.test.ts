// A/B tests and QR scans through the real pipeline, in one process on embedded defaults: the creator
// starts a test through the API; visitors view the page (POST /e) and click (GET /r/:linkId) through
// ingest; the consumers write ClickHouse; the analytics API reads it back. Each variant's figures
// must equal an oracle computed here from what the visitors did and where the redirect sent them; a
// scan of the page's and of a link's QR code (?trigger=qr) must come out as scans in the filter and
// the breakdown; ending the test keeps the chosen destination.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assignVariant, toAbAssignment } from '../../lib/links/ab-test.js';
import { visitorId } from '../../lib/visitors/identity.js';
import { waitFor } from '../../lib/testing/wait-for.js';
import { ApiClient } from '../../server/testing/api-harness.js';
import { startSite, type Site } from '../../server/testing/site.js';

const VARIANTS = ['https://a.example/landing', 'https://b.example/landing'];
/** A browser's agent per visitor: each is another visitor id (same address, different agent). */
const agent = (visitor: number) => `Mozilla/5.0 (X11; Linux x86_64; rv:${100 + visitor}.0) Gecko/20100101 Firefox/${100 + visitor}.0`;

interface VariantFigures {
  variant: number;
  views: number;
  visitors: number;
  clicks: number;
  uniqueClicks: number;
  rate: number | null;
}
interface AbTestsBody {
  tests: { id: string; linkId: string; keptVariant: number | null; endedAt: string | null; variants: VariantFigures[]; verdict: { status: string } }[];
}

let site: Site;
let creator: ApiClient;
let profile: { id: string; handle: string };
let testedLink: string;
let plainLink: string;

beforeAll(async () => {
  site = await startSite('abtests', ['ingest', 'consumers', 'api']);
  creator = await new ApiClient(site.origin, site.origin).signUpAndLogIn();
  profile = await creator.newProfile({ published: true });
  testedLink = (await creator.newLink(profile.id, { title: 'Pricing', url: 'https://example.com/pricing' })).id;
  plainLink = (await creator.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' })).id;
}, 180_000);
afterAll(async () => {
  await site?.stop();
});

const view = (visitor: number, pageQuery = '') =>
  fetch(`${site.origin}/e`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': agent(visitor) },
    body: JSON.stringify({ t: 'view', p: profile.id, ...(pageQuery ? { u: `${site.origin}/@${profile.handle}${pageQuery}` } : {}) }),
  }).then((response) => expect(response.status).toBe(202));
const click = async (link: string, visitor: number, query = '', method = 'GET') => {
  const response = await fetch(`${site.origin}/r/${link}${query}`, { method, redirect: 'manual', headers: { 'user-agent': agent(visitor) } });
  expect(response.status).toBe(302);
  return response.headers.get('location')!;
};

it('counts each variant as an oracle does, tells scans from clicks, and keeps the winner when the test ends', async () => {
  const started = await creator.post<{ abTest: { id: string; variants: { url: string; weight: number }[] } }>(`/api/v1/profiles/${profile.id}/links/${testedLink}/ab-test`, {
    variants: VARIANTS.map((url) => ({ url, weight: 50 })),
  });
  expect(started.status).toBe(201);
  const testId = started.body.abTest.id;
  // Ingest learns of the test from PostgreSQL's notification. HEAD requests are bots: never counted.
  await waitFor(async () => VARIANTS.includes(await click(testedLink, 0, '', 'HEAD')), { what: 'ingest to run the test' });

  // The visitors' ids, as ingest computes them (today's salt; every request comes from 127.0.0.1).
  const { rows } = await site.running.platform.db!.query<{ salt: Buffer }>('SELECT salt FROM visitor_salts WHERE day = $1', [new Date().toISOString().slice(0, 10)]);
  const idOf = (visitor: number) => visitorId(rows[0]!.salt, '127.0.0.1', agent(visitor), profile.id);
  const assignment = toAbAssignment(testId, [50, 50]);
  const expectedVariant = (visitor: number) => assignVariant(idOf(visitor), assignment);

  // 1-60 view the page; 1-24 click the tested link (every third twice); 61-70 come to the link directly;
  // 71-75 scan the page's QR code and click the plain link; 76-80 scan the plain link's QR code.
  const oracle = VARIANTS.map(() => ({ views: 0, visitors: new Set<number>(), clicks: 0, clickers: new Set<number>() }));
  for (let visitor = 1; visitor <= 60; visitor++) {
    await view(visitor);
    oracle[expectedVariant(visitor) - 1]!.views++;
    oracle[expectedVariant(visitor) - 1]!.visitors.add(visitor);
  }
  for (const visitor of [...Array.from({ length: 24 }, (_, index) => index + 1), ...Array.from({ length: 10 }, (_, index) => index + 61)]) {
    for (let time = 0; time < (visitor % 3 === 0 ? 2 : 1); time++) {
      const location = await click(testedLink, visitor);
      // The redirect agrees with the assignment function the oracle uses, every time.
      expect(location).toBe(VARIANTS[expectedVariant(visitor) - 1]);
      const figures = oracle[expectedVariant(visitor) - 1]!;
      figures.clicks++;
      figures.clickers.add(visitor);
      figures.visitors.add(visitor);
    }
  }
  for (let visitor = 71; visitor <= 75; visitor++) {
    await view(visitor, '?trigger=qr');
    oracle[expectedVariant(visitor) - 1]!.views++;
    oracle[expectedVariant(visitor) - 1]!.visitors.add(visitor);
    // The tracker passes the scan on to the visit's clicks.
    expect(await click(plainLink, visitor, '?trigger=qr')).toBe('https://example.com/docs');
  }
  for (let visitor = 76; visitor <= 80; visitor++) expect(await click(plainLink, visitor, '?trigger=qr')).toBe('https://example.com/docs');
  expect(oracle.every((figures) => figures.clickers.size > 3)).toBe(true);

  const range = `from=${new Date(Date.now() - 3_600_000).toISOString()}&to=${new Date(Date.now() + 3_600_000).toISOString()}`;
  const expectedViews = 65;
  const expectedClicks = oracle.reduce((sum, figures) => sum + figures.clicks, 0) + 10;
  await waitFor(
    async () => {
      const { current } = (await creator.get<{ current?: { views: number; clicks: number } }>(`/api/v1/profiles/${profile.id}/analytics/summary?${range}`)).body;
      return current?.views === expectedViews && current.clicks === expectedClicks;
    },
    { what: 'the consumers to store every event', timeoutMs: 60_000 },
  );

  const abTests = await creator.get<AbTestsBody>(`/api/v1/profiles/${profile.id}/analytics/ab-tests?${range}`);
  expect(abTests.status).toBe(200);
  const [test] = abTests.body.tests;
  expect(test).toMatchObject({ id: testId, linkId: testedLink, keptVariant: null, endedAt: null });
  expect(test!.variants.map(({ variant, views, visitors, clicks, uniqueClicks }) => ({ variant, views, visitors, clicks, uniqueClicks }))).toEqual(
    oracle.map((figures, index) => ({ variant: index + 1, views: figures.views, visitors: figures.visitors.size, clicks: figures.clicks, uniqueClicks: figures.clickers.size })),
  );
  expect(test!.variants.map((variant) => variant.rate)).toEqual(oracle.map((figures) => figures.clickers.size / figures.visitors.size));
  // 36 and 39 visitors: below the minimum sample, no verdict yet.
  expect(test!.verdict.status).toBe('collecting');

  // Scans: 5 page views and 10 clicks (5 from the page's scan visits, 5 from the link's own code).
  const summary = await creator.get<{ current: { views: number; clicks: number } }>(`/api/v1/profiles/${profile.id}/analytics/summary?${range}`);
  expect(summary.body.current).toMatchObject({ views: expectedViews, clicks: expectedClicks });
  const scans = await creator.get<{ current: { views: number; clicks: number; visitors: number } }>(`/api/v1/profiles/${profile.id}/analytics/summary?${range}&trigger=qr`);
  expect(scans.body.current).toMatchObject({ views: 5, clicks: 10, visitors: 10 });
  const notScans = await creator.get<{ current: { views: number; clicks: number } }>(`/api/v1/profiles/${profile.id}/analytics/summary?${range}&trigger=link`);
  expect(notScans.body.current).toMatchObject({ views: expectedViews - 5, clicks: summary.body.current.clicks - 10 });
  const referrers = await creator.get<{ tables: { triggers: { values: { trigger: string }; views: number; clicks: number }[] } }>(`/api/v1/profiles/${profile.id}/analytics/referrers?${range}`);
  expect(Object.fromEntries(referrers.body.tables.triggers.map((row) => [row.values.trigger, [row.views, row.clicks]]))).toEqual({
    qr: [5, 10],
    link: [expectedViews - 5, summary.body.current.clicks - 10],
  });
  const links = await creator.get<{ links: { linkId: string; clicks: number }[] }>(`/api/v1/profiles/${profile.id}/analytics/links?${range}&trigger=qr`);
  expect(links.body.links.find((link) => link.linkId === plainLink)?.clicks).toBe(10);

  // End the test keeping B: the link's URL becomes B's, the redirect follows, the test stays in analytics.
  const ended = await creator.post<{ url: string; abTest: unknown }>(`/api/v1/profiles/${profile.id}/links/${testedLink}/ab-test/end`, { keep: 2 });
  expect(ended.status).toBe(200);
  expect(ended.body).toMatchObject({ url: VARIANTS[1], abTest: null });
  await waitFor(async () => (await click(testedLink, 999, '', 'HEAD')) === VARIANTS[1] && (await click(testedLink, 998, '', 'HEAD')) === VARIANTS[1], { what: 'ingest to end the test' });
  const after = await creator.get<AbTestsBody>(`/api/v1/profiles/${profile.id}/analytics/ab-tests?${range}`);
  expect(after.body.tests[0]).toMatchObject({ id: testId, keptVariant: 2, endedAt: expect.any(String) as unknown });
  expect(after.body.tests[0]!.variants.map((variant) => variant.clicks)).toEqual(oracle.map((figures) => figures.clicks));
}, 240_000);
