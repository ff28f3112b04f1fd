// Starting and ending A/B tests of links through the API: what a test may hold (a clear 400 naming the
// field otherwise), one at a time and not on a GitHub card (409), who may (owners and editors: a
// viewer gets 403), what the activity log says, that a running test keeps the link's URL until it
// ends, and that ending keeps the chosen destination. What visitors see of it is RLS: running tests of
// live links only.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { asVisitor } from '../../lib/postgres/tenant.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface Link {
  id: string;
  url: string;
  abTest: { id: string; startedAt: string; variants: { url: string; weight: number }[] } | null;
}
interface Envelope {
  error: { code: string; details?: { fields: { field: string; message: string }[] } };
}

let harness: ApiHarness;
let owner: ApiClient;
let profileId: string;

const variants = (...weights: number[]) => weights.map((weight, index) => ({ url: `https://${'abcd'[index]}.example/page`, weight }));

beforeAll(async () => {
  harness = await startApiHarness('ab_tests');
  owner = await harness.newUser();
  profileId = (await owner.newProfile({ published: true })).id;
});
afterAll(async () => {
  await harness?.close();
});

it('starts a test, keeps the link’s URL while it runs, logs it in words, and ends it keeping the chosen destination', async () => {
  const link = await owner.newLink(profileId, { title: 'Pricing', url: 'https://example.com/pricing' });
  const path = `/api/v1/profiles/${profileId}/links/${link.id}`;
  const started = await owner.post<Link>(`${path}/ab-test`, { variants: [{ url: 'https://A.example/page', weight: 70 }, { url: 'https://b.example/page', weight: 30 }] });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ url: 'https://example.com/pricing', abTest: { variants: [{ url: 'https://a.example/page', weight: 70 }, { url: 'https://b.example/page', weight: 30 }] } });
  expect((await owner.get<{ links: Link[] }>(`/api/v1/profiles/${profileId}/links`)).body.links[0]!.abTest?.id).toBe(started.body.abTest!.id);

  // One test at a time; the URL waits for the end; other fields may change.
  expect((await owner.post<Envelope>(`${path}/ab-test`, { variants: variants(50, 50) })).status).toBe(409);
  const moved = await owner.patch<Envelope>(path, { url: 'https://example.com/elsewhere' });
  expect(moved.status).toBe(409);
  expect(moved.body.error.details?.fields[0]?.field).toBe('body.url');
  expect((await owner.patch<Link>(path, { title: 'Plans' })).status).toBe(200);

  expect((await owner.post<Envelope>(`${path}/ab-test/end`, { keep: 3 })).status).toBe(409);
  const ended = await owner.post<Link>(`${path}/ab-test/end`, { keep: 2 });
  expect(ended.status).toBe(200);
  expect(ended.body).toMatchObject({ url: 'https://b.example/page', abTest: null });
  expect((await owner.post<Envelope>(`${path}/ab-test/end`, { keep: 1 })).status).toBe(409);

  const log = await owner.get<{ entries: { entity: string; entityId: string; action: string; changes: Record<string, { before: unknown; after: unknown }> }[] }>(
    `/api/v1/profiles/${profileId}/activity?entity=link`,
  );
  const changes = log.body.entries.filter((entry) => entry.entityId === link.id && entry.action === 'updated').map((entry) => entry.changes);
  expect(changes).toContainEqual({ ab_test: { before: null, after: 'A 70% https://a.example/page · B 30% https://b.example/page' } });
  expect(changes).toContainEqual({ ab_test: { before: 'A 70% https://a.example/page · B 30% https://b.example/page', after: 'ended, kept B: https://b.example/page' } });
  expect(changes).toContainEqual({ url: { before: 'https://example.com/pricing', after: 'https://b.example/page' } });
});

it('refuses what cannot be a test, naming the field', async () => {
  const link = await owner.newLink(profileId, { title: 'Docs', url: 'https://example.com/docs' });
  const start = (body: unknown) => owner.post<Envelope>(`/api/v1/profiles/${profileId}/links/${link.id}/ab-test`, body);
  const fields = async (body: unknown) => {
    const response = await start(body);
    expect(response.status).toBe(400);
    return response.body.error.details?.fields.map((field) => field.field);
  };
  expect(await fields({ variants: variants(40) })).toEqual(['body.variants']);
  expect(await fields({ variants: variants(20, 20, 20, 20, 20) })).toEqual(['body.variants']);
  expect(await fields({ variants: variants(60, 60) })).toEqual(['body.variants']);
  expect(await fields({ variants: [{ url: 'https://a.example/', weight: 50 }, { url: 'https://a.example', weight: 50 }] })).toEqual(['body.variants.1.url']);
  expect(await fields({ variants: [{ url: 'javascript:alert(1)', weight: 50 }, { url: 'https://b.example/', weight: 50 }] })).toEqual(['body.variants.0.url']);
  expect(await fields({ variants: [{ url: 'https://a.example/', weight: 0 }, { url: 'https://b.example/', weight: 100 }] })).toEqual(['body.variants.0.weight', 'body.variants.1.weight']);

  const card = await owner.newLink(profileId, { title: 'Repo', url: 'https://github.com/nodejs/node' });
  expect((await owner.post<Envelope>(`/api/v1/profiles/${profileId}/links/${card.id}/ab-test`, { variants: variants(50, 50) })).status).toBe(409);
});

it('lets owners and editors run tests, not viewers; visitors see running tests of live links only', async () => {
  const link = await owner.newLink(profileId, { title: 'Talks', url: 'https://example.com/talks' });
  const hidden = await owner.newLink(profileId, { title: 'Hidden', url: 'https://example.com/hidden', enabled: false });
  const join = async (role: string) => {
    const member = await harness.confirmedUser();
    await owner.post(`/api/v1/profiles/${profileId}/invitations`, { email: member.email, role });
    expect((await member.post('/api/v1/invitations/accept', { token: harness.mailedToken(member.email!, 'team-invitation') })).status).toBe(200);
    return member;
  };
  const [editor, viewer] = [await join('editor'), await join('viewer')];
  expect((await viewer.post(`/api/v1/profiles/${profileId}/links/${link.id}/ab-test`, { variants: variants(50, 50) })).status).toBe(403);
  const started = await editor.post<Link>(`/api/v1/profiles/${profileId}/links/${link.id}/ab-test`, { variants: variants(34, 33, 33) });
  expect(started.status).toBe(201);
  expect((await viewer.post(`/api/v1/profiles/${profileId}/links/${link.id}/ab-test/end`, { keep: 1 })).status).toBe(403);
  expect((await viewer.get<{ links: Link[] }>(`/api/v1/profiles/${profileId}/links`)).body.links.find((item) => item.id === link.id)?.abTest?.variants).toHaveLength(3);
  expect((await owner.post(`/api/v1/profiles/${profileId}/links/${hidden.id}/ab-test`, { variants: variants(50, 50) })).status).toBe(201);

  const seen = await asVisitor(harness.database.db, async (tx) => (await tx.query<{ link_id: string; variants: unknown[] }>('SELECT link_id, variants FROM link_ab_tests')).rows);
  expect(seen.map((row) => row.link_id)).toEqual([link.id]);
  await expect(asVisitor(harness.database.db, (tx) => tx.query('SELECT ended_at FROM link_ab_tests'))).rejects.toThrow(/permission denied/);
  expect((await editor.post(`/api/v1/profiles/${profileId}/links/${link.id}/ab-test/end`, { keep: 3 })).status).toBe(200);
  expect(await asVisitor(harness.database.db, async (tx) => (await tx.query<{ id: string }>('SELECT id FROM link_ab_tests')).rows)).toEqual([]);
});
