// Profiles, links and the public profile over HTTP: CRUD, validation, reordering, isolation between
// creators (another creator's ids answer 404, never 403), and the cached public read.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Cache } from '../../lib/cache/cache.js';
import { createMemoryCache } from '../../lib/cache/memory-cache.js';
import { uniqueName } from '../../lib/testing/wait-for.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields: { field: string; message: string }[] } };
}
interface Link {
  id: string;
  title: string;
  url: string;
  kind: string;
  position: number;
  github: { owner: string; name: string } | null;
}

let harness: ApiHarness;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  harness = await startApiHarness('profiles');
  [alice, bob] = await Promise.all([harness.newUser(), harness.newUser()]);
});
afterAll(async () => {
  await harness?.close();
});

const handle = () => uniqueName('p').replaceAll('_', '-').toLowerCase();

describe('profiles', () => {
  it('creates, lists, reads, changes and deletes a profile', async () => {
    const wanted = handle();
    const created = await alice.post<{ id: string; handle: string; theme: string; published: boolean }>('/api/v1/profiles', {
      handle: wanted.toUpperCase(),
      displayName: '  Alice  ',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ handle: wanted, displayName: 'Alice', theme: 'auto', published: false, accentColor: '#2563eb' });
    const list = await alice.get<{ profiles: { id: string }[] }>('/api/v1/profiles');
    expect(list.body.profiles.map((p) => p.id)).toContain(created.body.id);
    const patched = await alice.patch<{ bio: string; theme: string }>(`/api/v1/profiles/${created.body.id}`, { bio: 'Hi', theme: 'dark' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ bio: 'Hi', theme: 'dark' });
    expect((await alice.delete(`/api/v1/profiles/${created.body.id}`)).status).toBe(204);
    expect((await alice.get(`/api/v1/profiles/${created.body.id}`)).status).toBe(404);
  });

  it('keeps handles unique case-insensitively across creators and refuses reserved or malformed ones', async () => {
    const taken = (await alice.newProfile()).handle;
    const conflict = await bob.post<ErrorBody>('/api/v1/profiles', { handle: taken.toUpperCase(), displayName: 'Bob' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('CONFLICT');
    expect((await bob.get<{ available: boolean }>(`/api/v1/handles/${taken}`)).body.available).toBe(false);
    expect((await bob.get<{ available: boolean }>(`/api/v1/handles/${handle()}`)).body.available).toBe(true);
    for (const bad of ['admin', 'a', 'has space', 'ünïcode', '-dash-', 'x'.repeat(31)]) {
      const response = await bob.post<ErrorBody>('/api/v1/profiles', { handle: bad, displayName: 'Bob' });
      expect(response.status, bad).toBe(400);
      expect(response.body.error.details?.fields[0]?.field).toBe('body.handle');
    }
  });

  it('rejects unknown fields and fields the app must not set', async () => {
    const response = await alice.post<ErrorBody>('/api/v1/profiles', { handle: handle(), displayName: 'A', userId: bob.userId });
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/Unrecognized key.*userId/);
  });
});

describe('links', () => {
  let profileId: string;
  beforeAll(async () => {
    profileId = (await alice.newProfile({ published: true })).id;
  });

  it('appends links in order and normalises their URLs', async () => {
    const first = await alice.post<Link>(`/api/v1/profiles/${profileId}/links`, { title: 'Site', url: 'HTTPS://Example.COM' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ url: 'https://example.com/', kind: 'url', github: null });
    const second = await alice.post<Link>(`/api/v1/profiles/${profileId}/links`, { title: 'Repo', url: 'https://github.com/nodejs/node' });
    expect(second.body).toMatchObject({ kind: 'github', github: { owner: 'nodejs', name: 'node' } });
    expect(second.body.position).toBeGreaterThan(first.body.position);
  });

  it.each([
    ['javascript:alert(document.cookie)', 'must use http or https'],
    ['data:text/html;base64,PHNjcmlwdD4=', 'must use http or https'],
    ['https://admin:hunter2@example.com/', 'must not contain a user name or password'],
    ['not a url', 'must not contain spaces or control characters'],
  ])('refuses %s with INVALID_INPUT', async (url, reason) => {
    const response = await alice.post<ErrorBody>(`/api/v1/profiles/${profileId}/links`, { title: 'x', url });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_INPUT');
    expect(response.body.error.details?.fields).toEqual([{ field: 'body.url', message: reason }]);
  });

  it('refuses a schedule window that ends before it starts', async () => {
    const response = await alice.post<ErrorBody>(`/api/v1/profiles/${profileId}/links`, {
      title: 'x',
      url: 'https://example.com/',
      startsAt: '2030-01-02T00:00:00Z',
      endsAt: '2030-01-01T00:00:00Z',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.details?.fields[0]?.field).toBe('body.endsAt');
    // Against the link's stored start, the same end is a conflict with the link, not bad input.
    const link = await alice.newLink(profileId, { startsAt: '2030-01-02T00:00:00Z' });
    const patched = await alice.patch<ErrorBody>(`/api/v1/profiles/${profileId}/links/${link.id}`, { endsAt: '2030-01-01T00:00:00Z' });
    expect({ status: patched.status, code: patched.body.error.code, field: patched.body.error.details?.fields[0]?.field }).toEqual({ status: 409, code: 'CONFLICT', field: 'body.endsAt' });
  });

  it('refuses to refresh the card of a link that is no GitHub repository (409)', async () => {
    const link = await alice.newLink(profileId, { url: 'https://example.com/plain' });
    const response = await alice.post<ErrorBody>(`/api/v1/profiles/${profileId}/links/${link.id}/refresh`);
    expect({ status: response.status, code: response.body.error.code }).toEqual({ status: 409, code: 'CONFLICT' });
  });

  it('reorders all links in one request, and refuses a partial or foreign list (409: the profile’s links are not those) or a repeated id (400)', async () => {
    const profile = await alice.newProfile();
    const ids = [];
    for (const title of ['one', 'two', 'three']) ids.push((await alice.newLink(profile.id, { title })).id);
    const reversed = [...ids].reverse();
    const reordered = await alice.put<{ links: Link[] }>(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: reversed });
    expect(reordered.status).toBe(200);
    expect(reordered.body.links.map((link) => [link.id, link.position])).toEqual(reversed.map((id, index) => [id, index]));
    expect((await alice.put(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: ids.slice(1) })).status).toBe(409);
    const foreign = (await bob.newLink((await bob.newProfile()).id)).id;
    expect((await alice.put(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: [...ids.slice(1), foreign] })).status).toBe(409);
    expect((await alice.put(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: [ids[0], ...ids] })).status).toBe(400);
    const after = await alice.get<{ links: Link[] }>(`/api/v1/profiles/${profile.id}/links`);
    expect(after.body.links.map((link) => link.id)).toEqual(reversed);
  });
});

describe('isolation between creators over the API', () => {
  it('answers 404, not 403, for another creator’s profiles and links, and changes nothing', async () => {
    const profile = await alice.newProfile({ published: true });
    const link = await alice.newLink(profile.id, { title: 'Original' });
    const attempts: [string, Promise<{ status: number }>][] = [
      ['get profile', bob.get(`/api/v1/profiles/${profile.id}`)],
      ['patch profile', bob.patch(`/api/v1/profiles/${profile.id}`, { bio: 'pwned' })],
      ['delete profile', bob.delete(`/api/v1/profiles/${profile.id}`)],
      ['list links', bob.get(`/api/v1/profiles/${profile.id}/links`)],
      ['create link', bob.post(`/api/v1/profiles/${profile.id}/links`, { title: 'spam', url: 'https://spam.example/' })],
      ['patch link', bob.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'pwned' })],
      ['delete link', bob.delete(`/api/v1/profiles/${profile.id}/links/${link.id}`)],
      ['reorder', bob.put(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: [link.id] })],
    ];
    for (const [what, attempt] of attempts) expect((await attempt).status, what).toBe(404);
    const links = await alice.get<{ links: Link[] }>(`/api/v1/profiles/${profile.id}/links`);
    expect(links.body.links.map((l) => l.title)).toEqual(['Original']);
    expect((await alice.get<{ bio: string }>(`/api/v1/profiles/${profile.id}`)).body.bio).toBe('');
  });
});

describe('public profile', () => {
  it('shows a published profile with its live links only, with CDN caching and ETag revalidation', async () => {
    const profile = await alice.newProfile({ published: true, bio: 'Public bio' });
    await alice.newLink(profile.id, { title: 'Shown' });
    await alice.newLink(profile.id, { title: 'Disabled', enabled: false });
    await alice.newLink(profile.id, { title: 'Later', startsAt: '2999-01-01T00:00:00Z' });
    await alice.newLink(profile.id, { title: 'Over', startsAt: '2000-01-01T00:00:00Z', endsAt: '2000-01-02T00:00:00Z' });
    const visitor = harness.client();
    const page = await visitor.get<{ profile: Record<string, unknown>; links: Link[] }>(`/api/v1/public/profiles/${profile.handle.toUpperCase()}`);
    expect(page.status).toBe(200);
    expect(page.body.profile).toMatchObject({ handle: profile.handle, bio: 'Public bio' });
    expect(page.body.profile).not.toHaveProperty('userId');
    expect(page.body.links.map((link) => link.title)).toEqual(['Shown']);
    expect(page.headers.get('cache-control')).toMatch(/^public, max-age=0, s-maxage=(59|60), stale-while-revalidate=60$/);
    const etag = page.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const revalidated = await visitor.get(`/api/v1/public/profiles/${profile.handle}`, { 'if-none-match': etag });
    expect(revalidated.status).toBe(304);
  });

  it('tells CDNs to stop serving a page when a shown link’s schedule ends', async () => {
    const profile = await alice.newProfile({ published: true });
    await alice.newLink(profile.id, { title: 'Ending', endsAt: new Date(Date.now() + 20_000).toISOString() });
    const page = await harness.client().get(`/api/v1/public/profiles/${profile.handle}`);
    const [, maxAge, stale] = /s-maxage=(\d+), stale-while-revalidate=(\d+)$/.exec(page.headers.get('cache-control')!)!;
    expect(Number(maxAge)).toBeLessThanOrEqual(20);
    expect(Number(stale)).toBe(0);
  });

  it('hides unpublished profiles and shows every edit at once (versioned cache keys)', async () => {
    const profile = await alice.newProfile();
    const visitor = harness.client();
    const url = `/api/v1/public/profiles/${profile.handle}`;
    expect((await visitor.get(url)).status).toBe(404);
    await alice.patch(`/api/v1/profiles/${profile.id}`, { published: true });
    expect((await visitor.get(url)).status).toBe(200);
    const link = await alice.newLink(profile.id, { title: 'Before' });
    const before = await visitor.get<{ links: Link[] }>(url);
    expect(before.body.links.map((l) => l.title)).toEqual(['Before']);
    await alice.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'After' });
    const after = await visitor.get<{ links: Link[] }>(url, { 'if-none-match': before.headers.get('etag')! });
    expect(after.status).toBe(200);
    expect(after.body.links.map((l) => l.title)).toEqual(['After']);
    const renamed = handle();
    await alice.patch(`/api/v1/profiles/${profile.id}`, { handle: renamed });
    expect((await visitor.get(url)).status).toBe(404);
    expect((await visitor.get(`/api/v1/public/profiles/${renamed}`)).status).toBe(200);
  });

  it('rebuilds an expired entry once for a burst of requests', async () => {
    const profile = await alice.newProfile({ published: true });
    const transaction = vi.spyOn(harness.database.db, 'transaction');
    try {
      const responses = await Promise.all(Array.from({ length: 25 }, () => harness.client().get(`/api/v1/public/profiles/${profile.handle}`)));
      expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 25 }, () => 200));
      // One transaction for the page; the API's other work (auth lookups) runs outside transactions.
      expect(transaction).toHaveBeenCalledTimes(1);
    } finally {
      transaction.mockRestore();
    }
  });
});

describe('public profile with the cache down', () => {
  let broken: ApiHarness;
  beforeAll(async () => {
    const memory = createMemoryCache();
    const down = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    const failing: Cache = { ...memory, get: down, set: down, delete: down, increment: down };
    broken = await startApiHarness('profiles-cache-down', { cache: failing, database: harness.database });
  });
  afterAll(async () => {
    await broken?.close();
  });

  it('reads from PostgreSQL and still shows edits', async () => {
    const owner = await broken.newUser();
    const profile = await owner.newProfile({ published: true });
    const url = `/api/v1/public/profiles/${profile.handle}`;
    expect((await broken.client().get(url)).status).toBe(200);
    await owner.patch(`/api/v1/profiles/${profile.id}`, { displayName: 'Changed' });
    const page = await broken.client().get<{ profile: { displayName: string } }>(url);
    expect(page.body.profile.displayName).toBe('Changed');
  });
});
