// A page's look over HTTP: its theme, social icons, link icons and thumbnails are validated at the
// edge (a clear 400 naming the field, never a 500), a thumbnail must be the creator's own stored
// image, and the public profile carries all of it with its Open Graph image's URL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../../lib/testing/attack-corpus.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface Refusal {
  error: { code: string; details?: { fields: { field: string; message: string }[] } };
}
interface PublicPage {
  profile: { pageTheme: string; socialLinks: { network: string; url: string }[]; ogImageUrl: string };
  links: { title: string; icon: string | null; thumbnailUrl: string | null }[];
}

let harness: ApiHarness;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  harness = await startApiHarness('page_design');
  [alice, bob] = await Promise.all([harness.newUser(), harness.newUser()]);
});
afterAll(async () => {
  await harness?.close();
});

const fieldsOf = (body: unknown) => (body as Refusal).error.details?.fields.map((field) => field.field) ?? [];

describe('a page’s look', () => {
  it('keeps a theme and social icons, normalised, and refuses what is not one with the field named', async () => {
    const profile = await alice.newProfile();
    const saved = await alice.patch<{ pageTheme: string; socialLinks: unknown[] }>(`/api/v1/profiles/${profile.id}`, {
      pageTheme: 'terminal',
      socialLinks: [
        { network: 'github', url: ' https://github.com/alice ' },
        { network: 'email', url: 'mailto:Alice@Example.com' },
      ],
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      pageTheme: 'terminal',
      socialLinks: [
        { network: 'github', url: 'https://github.com/alice' },
        { network: 'email', url: 'alice@example.com' },
      ],
    });

    for (const [body, field] of [
      [{ pageTheme: 'neon' }, 'body.pageTheme'],
      [{ socialLinks: [{ network: 'github', url: 'https://youtube.com/@alice' }] }, 'body.socialLinks.0.url'],
      [{ socialLinks: [{ network: 'website', url: 'javascript:alert(1)' }] }, 'body.socialLinks.0.url'],
      [{ socialLinks: [{ network: 'email', url: 'x?cc=spy@evil.example' }] }, 'body.socialLinks.0.url'],
      [{ socialLinks: [{ network: 'myspace', url: 'https://myspace.com/alice' }] }, 'body.socialLinks.0.network'],
      [{ socialLinks: [{ network: 'website', url: `https://alice.dev/${'x'.repeat(2000)}` }] }, 'body.socialLinks.0.url'],
      [{ socialLinks: Array.from({ length: 13 }, () => ({ network: 'website', url: 'https://alice.dev' })) }, 'body.socialLinks'],
      [{ socialLinks: [{ network: 'github', url: 'https://github.com/a', extra: true }] }, 'body.socialLinks.0'],
    ] as const) {
      const refused = await alice.patch(`/api/v1/profiles/${profile.id}`, body);
      expect({ status: refused.status, fields: fieldsOf(refused.body) }, JSON.stringify(body).slice(0, 80)).toEqual({ status: 400, fields: [field] });
    }
    // Twelve long addresses at once: still a clear answer (the column's own limit is never reached).
    const many = Array.from({ length: 12 }, (_, index) => ({ network: 'website', url: `https://alice.dev/${index}/${'x'.repeat(470)}` }));
    expect((await alice.patch(`/api/v1/profiles/${profile.id}`, { socialLinks: many })).status).toBe(200);
  });

  it('gives links an icon or a thumbnail of the creator’s own images only', async () => {
    const profile = await alice.newProfile({ published: true });
    const mine = (await alice.upload<{ id: string; url: string }>('/api/v1/assets', await png(32, 32), { name: 'thumb.png', type: 'image/png' })).body;
    const theirs = (await bob.upload<{ id: string }>('/api/v1/assets', await png(33, 33), { name: 'thumb.png', type: 'image/png' })).body;

    const video = await alice.post<{ id: string; icon: string | null }>(`/api/v1/profiles/${profile.id}/links`, { title: 'Talk', url: 'https://www.youtube.com/watch?v=1' });
    expect(video.body.icon).toBeNull();
    const slides = await alice.post<{ id: string; icon: string | null }>(`/api/v1/profiles/${profile.id}/links`, { title: 'Slides', url: 'https://example.com/s', icon: 'book' });
    expect(slides.body.icon).toBe('book');
    const refusedIcon = await alice.post(`/api/v1/profiles/${profile.id}/links`, { title: 'X', url: 'https://example.com/x', icon: '<svg>' });
    expect({ status: refusedIcon.status, fields: fieldsOf(refusedIcon.body) }).toEqual({ status: 400, fields: ['body.icon'] });

    // Bob's image is not Alice's to use: the same answer as an image that does not exist.
    const stolen = await alice.patch(`/api/v1/profiles/${profile.id}/links/${slides.body.id}`, { thumbnailAssetId: theirs.id });
    expect({ status: stolen.status, fields: fieldsOf(stolen.body) }).toEqual({ status: 409, fields: ['body.thumbnailAssetId'] });
    const withThumbnail = await alice.patch<{ thumbnailAssetId: string; thumbnailUrl: string }>(`/api/v1/profiles/${profile.id}/links/${slides.body.id}`, {
      thumbnailAssetId: mine.id,
    });
    expect(withThumbnail.body).toMatchObject({ thumbnailAssetId: mine.id, thumbnailUrl: mine.url });

    const page = (await harness.client().get<PublicPage>(`/api/v1/public/profiles/${profile.handle}`)).body;
    expect(page.links.map(({ title, icon, thumbnailUrl }) => ({ title, icon, thumbnailUrl }))).toEqual([
      // The video's icon comes from its address; the slides show their thumbnail.
      { title: 'Talk', icon: 'youtube', thumbnailUrl: null },
      { title: 'Slides', icon: 'book', thumbnailUrl: mine.url },
    ]);
    expect(page.profile.ogImageUrl).toMatch(new RegExp(`^/og/${profile.handle}/[0-9a-f]{32}\\.png$`));

    // Deleting the image takes it off the link (and off the public page at once).
    expect((await alice.delete(`/api/v1/assets/${mine.id}`)).status).toBe(204);
    const after = (await alice.get<{ links: { thumbnailAssetId: string | null }[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links;
    expect(after.map((link) => link.thumbnailAssetId)).toEqual([null, null]);
    const republished = (await harness.client().get<PublicPage>(`/api/v1/public/profiles/${profile.handle}`)).body;
    expect(republished.links[1]!.thumbnailUrl).toBeNull();
    // An edit of the title is not refused because of a thumbnail the request does not touch.
    expect((await alice.patch(`/api/v1/profiles/${profile.id}/links/${slides.body.id}`, { title: 'Slides v2' })).status).toBe(200);
  });
});
