// A page's and a link's QR codes over HTTP: SVG and a real PNG (signature, size), the scan URL
// inside, the accent made scannable, the avatar as a logo (or a 409 without one), ETag revalidation,
// downloads with a file name, and nothing for someone off the team.
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { contrastRatio } from '../../lib/profiles/page-themes.js';
import { qrTargetUrl } from '../../lib/qr/qr-code.js';
import { startApiHarness, TEST_PUBLIC_URL, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let owner: ApiClient;
let profile: { id: string; handle: string };
let linkId: string;

/** The raw bytes and headers of a GET, as the signed-in owner. */
async function fetchAs(client: ApiClient, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${harness.url}${path}`, { headers: { cookie: client.cookie!, ...headers } });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

beforeAll(async () => {
  harness = await startApiHarness('qr_codes');
  owner = await harness.newUser();
  profile = await owner.newProfile({ accentColor: '#fde047' });
  linkId = (await owner.newLink(profile.id, { title: 'Talk slides', url: 'https://example.com/slides' })).id;
});
afterAll(async () => {
  await harness?.close();
});

it('draws the page’s code as SVG with the scan URL, in the accent darkened until it scans', async () => {
  const svg = await fetchAs(owner, `/api/v1/profiles/${profile.id}/qr`);
  expect(svg.status).toBe(200);
  expect(svg.headers.get('content-type')).toBe('image/svg+xml');
  expect(svg.headers.get('cache-control')).toBe('private, no-cache');
  const text = svg.bytes.toString('utf8');
  expect(text).toContain(`<title>QR code for ${qrTargetUrl(TEST_PUBLIC_URL, { handle: profile.handle })}</title>`);
  const color = svg.headers.get('x-qr-color')!;
  expect(color).not.toBe('#fde047');
  expect(contrastRatio(color, '#ffffff')).toBeGreaterThanOrEqual(4.5);
  expect(text).toContain(`fill="${color}"`);

  // Revalidation: the same drawing answers 304; another colour is another ETag.
  expect((await fetchAs(owner, `/api/v1/profiles/${profile.id}/qr`, { 'if-none-match': svg.headers.get('etag')! })).status).toBe(304);
  const black = await fetchAs(owner, `/api/v1/profiles/${profile.id}/qr?color=%23000000`);
  expect(black.headers.get('etag')).not.toBe(svg.headers.get('etag'));
  expect(black.headers.get('x-qr-color')).toBe('#000000');
});

it('draws a link’s code as a real PNG of the asked size, as a download', async () => {
  const png = await fetchAs(owner, `/api/v1/profiles/${profile.id}/links/${linkId}/qr?format=png&size=512&download=true`);
  expect(png.status).toBe(200);
  expect(png.headers.get('content-type')).toBe('image/png');
  expect(png.headers.get('content-disposition')).toMatch(/^attachment; filename="qr-[a-z0-9-]+-talk-slides\.png"$/);
  expect(png.bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  const metadata = await sharp(png.bytes).metadata();
  expect([metadata.format, metadata.width, metadata.height]).toEqual(['png', 512, 512]);
  const svg = (await fetchAs(owner, `/api/v1/profiles/${profile.id}/links/${linkId}/qr`)).bytes.toString('utf8');
  expect(svg).toContain(qrTargetUrl(TEST_PUBLIC_URL, { linkId }));
});

it('puts the avatar in the centre when asked, and says what to do without one', async () => {
  const noAvatar = await owner.get<{ error: { code: string; details: { fields: { field: string }[] } } }>(`/api/v1/profiles/${profile.id}/qr?logo=true`);
  expect(noAvatar.status).toBe(409);
  expect(noAvatar.body.error.details.fields[0]!.field).toBe('query.logo');

  const image = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ff0000' } }).png().toBuffer();
  const asset = await owner.upload<{ id: string }>('/api/v1/assets', image, { name: 'avatar.png', type: 'image/png' });
  expect(asset.status).toBe(201);
  expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { avatarAssetId: asset.body.id })).status).toBe(200);
  const svg = (await fetchAs(owner, `/api/v1/profiles/${profile.id}/qr?logo=true`)).bytes.toString('utf8');
  expect(svg).toContain('href="data:image/png;base64,');
  const png = await fetchAs(owner, `/api/v1/profiles/${profile.id}/qr?logo=true&format=png&size=256`);
  const { data, info } = await sharp(png.bytes).raw().toBuffer({ resolveWithObject: true });
  // The centre pixel is the red avatar (stored re-encoded, so red within a few levels).
  const centre = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  expect(data[centre]).toBeGreaterThan(240);
  expect(Math.max(data[centre + 1]!, data[centre + 2]!)).toBeLessThan(16);
});

it('shows nothing to someone off the team, and refuses what it cannot draw', async () => {
  const stranger = await harness.newUser();
  expect((await stranger.get(`/api/v1/profiles/${profile.id}/qr`)).status).toBe(404);
  expect((await stranger.get(`/api/v1/profiles/${profile.id}/links/${linkId}/qr`)).status).toBe(404);
  expect((await owner.get(`/api/v1/profiles/${profile.id}/qr?size=5000&format=png`)).status).toBe(400);
  expect((await owner.get(`/api/v1/profiles/${profile.id}/qr?color=red`)).status).toBe(400);
});
