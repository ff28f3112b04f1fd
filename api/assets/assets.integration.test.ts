// Uploads over HTTP, against the local directory (npm test) and S3 (MinIO, when configured): the
// attack corpus refused with the right codes and audited, the good images stored re-encoded and
// served immutably, limits exactly at and one byte over, the quota, concurrent uploads of one image,
// and another creator's images out of reach.
import pg from 'pg';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Storage } from '../../lib/storage/s3-storage.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { describeWithService, realServices, testConfig, testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import type { Asset } from './assets.service.js';
import { processImage } from './image.js';
import * as corpus from '../../lib/testing/attack-corpus.js';

type AssetBody = Asset;
type ErrorBody = { error: { code: string; message: string } };

interface AuditRow {
  action: string;
  outcome: string;
  details: Record<string, unknown>;
}

async function auditEntries(harness: ApiHarness, userId: string): Promise<AuditRow[]> {
  const client = new pg.Client({ connectionString: harness.database.ownerUrl });
  await client.connect();
  try {
    const { rows } = await client.query<AuditRow>("SELECT action, outcome, details FROM security_audit_log WHERE actor_user_id = $1 AND action = 'asset.reject' ORDER BY id", [userId]);
    return rows;
  } finally {
    await client.end();
  }
}

function assetSuite(label: string, makeStorage: () => Promise<ObjectStorage | undefined>): void {
  let harness: ApiHarness;
  let creator: ApiClient;
  const url = (path: string) => `${harness.url}${path}`;

  beforeAll(async () => {
    const storage = await makeStorage();
    harness = await startApiHarness(`assets_${label}`, storage ? { storage } : {});
    creator = await harness.newUser();
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('stores an upload re-encoded as WebP under the SHA-256 of its bytes, and serves it immutably', async () => {
    const upload = await creator.upload<AssetBody>('/api/v1/assets', await corpus.png(120, 80), { name: 'avatar.png', type: 'image/png' });
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ contentType: 'image/webp', width: 120, height: 80, status: 'stored' });
    expect(upload.body.url).toMatch(/^\/assets\/[0-9a-f]{64}$/);
    expect(upload.headers.get('location')).toBe(`/api/v1/assets/${upload.body.id}`);

    const served = await fetch(url(upload.body.url));
    expect(served.status).toBe(200);
    const bytes = Buffer.from(await served.arrayBuffer());
    expect(served.headers.get('content-type')).toBe('image/webp');
    expect(Number(served.headers.get('content-length'))).toBe(upload.body.size);
    expect(served.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(served.headers.get('etag')).toBe(`"${upload.body.url.slice('/assets/'.length)}"`);
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
    expect(served.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
    const { createHash } = await import('node:crypto');
    expect(`/assets/${createHash('sha256').update(bytes).digest('hex')}`).toBe(upload.body.url);

    const revalidated = await fetch(url(upload.body.url), { headers: { 'if-none-match': served.headers.get('etag')! } });
    expect(revalidated.status).toBe(304);
    const head = await fetch(url(upload.body.url), { method: 'HEAD' });
    expect({ status: head.status, length: head.headers.get('content-length') }).toEqual({ status: 200, length: String(upload.body.size) });
    expect((await fetch(url(`/assets/${'0'.repeat(64)}`))).status).toBe(404);
    expect((await fetch(url('/assets/../secrets.json'))).status).toBe(404);
    expect((await fetch(url(`${upload.body.url}.png`))).status).toBe(404);
  });

  it('identifies the file by its bytes, whatever its name and declared type say', async () => {
    const upload = await creator.upload<AssetBody>('/api/v1/assets', await corpus.gif(30, 20), { name: 'photo.jpg', type: 'image/jpeg' });
    expect(upload.status).toBe(201);
    const row = await creator.get<{ id: string }>(`/api/v1/assets/${upload.body.id}`);
    expect(row.status).toBe(200);
    const zip = await creator.upload<ErrorBody>('/api/v1/assets', corpus.zipArchive(), { name: 'avatar.png', type: 'image/png' });
    expect({ status: zip.status, code: zip.body.error.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses every file of the attack corpus with the right code, audits the reason, and stores nothing for it', async () => {
    const user = await harness.newUser();
    const cases: [string, Buffer, number, string][] = [
      ['svg with script', corpus.svgWithScript(), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['zip named .png', corpus.zipArchive(), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['decompression bomb', await corpus.pngBomb(), 413, 'PAYLOAD_TOO_LARGE'],
      ['truncated jpeg', await corpus.truncatedJpeg(), 400, 'INVALID_INPUT'],
    ];
    for (const [name, file, status, code] of cases) {
      const response = await user.upload<ErrorBody>('/api/v1/assets', file, { name: 'avatar.png', type: 'image/png' });
      expect({ name, status: response.status, code: response.body.error.code }).toEqual({ name, status, code });
    }
    expect((await user.get<{ assets: unknown[]; usedBytes: number }>('/api/v1/assets')).body).toMatchObject({ assets: [], usedBytes: 0 });
    const audit = await auditEntries(harness, user.userId!);
    expect(audit.map((entry) => entry.details.reason)).toEqual(['unsupported_type', 'unsupported_type', 'too_many_pixels', 'undecodable']);
    expect(audit.every((entry) => entry.outcome === 'denied')).toBe(true);
    expect(audit[1]!.details).toMatchObject({ detectedType: 'application/zip', declaredType: 'image/png' });
    // Reasons and sizes only: nothing of the files themselves.
    expect(JSON.stringify(audit)).not.toMatch(/script|svg xmlns|hello/);
  });

  it('stores a JPEG/HTML polyglot and a photo with GPS as pixels only', async () => {
    for (const file of [await corpus.jpegHtmlPolyglot(), await corpus.jpegWithGps()]) {
      const upload = await creator.upload<AssetBody>('/api/v1/assets', file, { name: 'photo.jpg', type: 'image/jpeg' });
      // Both hold the same pixels, so once stripped they are the same file: the second is a re-upload (200).
      expect([200, 201]).toContain(upload.status);
      const stored = Buffer.from(await (await fetch(url(upload.body.url))).arrayBuffer());
      expect(stored.includes('<script>')).toBe(false);
      expect(stored.includes('Test Camera')).toBe(false);
      const metadata = await sharp(stored).metadata();
      expect({ format: metadata.format, exif: metadata.exif, xmp: metadata.xmp }).toEqual({ format: 'webp', exif: undefined, xmp: undefined });
    }
  });

  it('refuses requests that are not one image in the "file" field', async () => {
    const json = await creator.post<ErrorBody>('/api/v1/assets', { file: 'data:image/png;base64,AAAA' });
    expect({ status: json.status, code: json.body.error.code }).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    const wrongField = await creator.upload<ErrorBody>('/api/v1/assets', await corpus.png(), { field: 'avatar' });
    expect({ status: wrongField.status, code: wrongField.body.error.code }).toEqual({ status: 400, code: 'INVALID_INPUT' });
    const two = new FormData();
    two.append('file', new Blob([await corpus.png()]), 'a.png');
    two.append('file', new Blob([await corpus.png()]), 'b.png');
    expect((await creator.request<ErrorBody>('POST', '/api/v1/assets', two)).status).toBe(400);
    expect((await creator.request<ErrorBody>('POST', '/api/v1/assets', new FormData())).status).toBe(400);
  });

  it('de-duplicates concurrent uploads of one image: one object, one row, one quota charge', async () => {
    const user = await harness.newUser();
    const file = await corpus.png(77, 33);
    const responses = await Promise.all(Array.from({ length: 5 }, () => user.upload<AssetBody>('/api/v1/assets', file, { name: 'same.png' })));
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    const list = await user.get<{ assets: AssetBody[]; usedBytes: number }>('/api/v1/assets');
    expect(list.body.assets).toHaveLength(1);
    expect(list.body.usedBytes).toBe(responses[0]!.body.size);
    const objects: string[] = [];
    for await (const object of harness.storage.list('assets/')) objects.push(object.key);
    expect(objects.filter((key) => key === `assets/${responses[0]!.body.url.slice('/assets/'.length)}`)).toHaveLength(1);
  });

  it('keeps other creators’ images out of reach, and an avatar must be one of your own stored images', async () => {
    const owner = await harness.newUser();
    const mine = (await owner.upload<AssetBody>('/api/v1/assets', await corpus.png(40, 40))).body;
    const stranger = await harness.newUser();
    expect((await stranger.get(`/api/v1/assets/${mine.id}`)).status).toBe(404);
    expect((await stranger.delete(`/api/v1/assets/${mine.id}`)).status).toBe(404);
    expect((await stranger.get<{ assets: unknown[] }>('/api/v1/assets')).body.assets).toEqual([]);
    const strangersProfile = await stranger.newProfile({ published: true });
    const hijack = await stranger.patch<ErrorBody>(`/api/v1/profiles/${strangersProfile.id}`, { avatarAssetId: mine.id });
    // Well formed, but not one of the caller's images: a conflict with what they have, not bad input.
    expect({ status: hijack.status, code: hijack.body.error.code }).toEqual({ status: 409, code: 'CONFLICT' });

    // The owner's avatar shows on the public page, and goes when the image is deleted.
    const profile = await owner.newProfile({ published: true });
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { avatarAssetId: mine.id })).status).toBe(200);
    const page = await harness.client().get<{ profile: { avatarUrl: string | null } }>(`/api/v1/public/profiles/${profile.handle}`);
    expect(page.body.profile.avatarUrl).toBe(mine.url);
    expect((await owner.delete(`/api/v1/assets/${mine.id}`)).status).toBe(204);
    expect((await owner.get<{ avatarAssetId: string | null }>(`/api/v1/profiles/${profile.id}`)).body.avatarAssetId).toBeNull();
    const after = await harness.client().get<{ profile: { avatarUrl: string | null } }>(`/api/v1/public/profiles/${profile.handle}`);
    expect(after.body.profile.avatarUrl).toBeNull();
    expect((await owner.get(`/api/v1/assets/${mine.id}`)).status).toBe(404);
  });
}

describe('assets on the local directory', () => assetSuite('local', async () => undefined));

describeWithService('assets on S3', realServices.s3, () =>
  assetSuite('s3', async () => {
    // The suite must not depend on another test (or an earlier run) having created the bucket.
    const storage = createS3Storage({ ...testConfig.s3!, logger: testLogger });
    await storage.ensureBucket();
    return storage;
  }),
);

describe('upload limits', () => {
  let exact: Buffer;
  let quota: number;
  let harness: ApiHarness;
  beforeAll(async () => {
    exact = await corpus.png(50, 50);
    // The upload limit is this very file's size; the quota is exactly what two small images store.
    const stored = async (side: number) => (await processImage(await corpus.png(side, side), { format: 'webp', quality: 80 })).body.length;
    quota = (await stored(10)) + (await stored(11));
    harness = await startApiHarness('asset_limits', {
      config: { assets: { maxUploadBytes: exact.length, quotaBytes: quota, format: 'webp', quality: 80, uploadsPerMinute: 6 } },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('accepts a file of exactly the size limit and refuses one byte more with PAYLOAD_TOO_LARGE, audited', async () => {
    const user = await harness.newUser();
    expect((await user.upload('/api/v1/assets', exact)).status).toBe(201);
    const over = await user.upload<ErrorBody>('/api/v1/assets', Buffer.concat([exact, Buffer.from([0])]));
    expect({ status: over.status, code: over.body.error.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    // The limit in words a person reads (a small test limit here: some KB), never a count of bytes.
    expect(over.body.error.message).toMatch(/^The file is larger than \d+(\.\d)? (KB|bytes): choose a smaller image, or shrink it first$/);
    expect((await auditEntries(harness, user.userId!)).map((entry) => entry.details.reason)).toEqual(['file_too_large']);
  });

  it('refuses an upload past the quota with CONFLICT, and counts a re-upload once', async () => {
    const user = await harness.newUser();
    const sizes: number[] = [];
    for (const side of [10, 11]) {
      const response = await user.upload<AssetBody>('/api/v1/assets', await corpus.png(side, side));
      expect(response.status).toBe(201);
      sizes.push(response.body.size);
    }
    expect(sizes[0]! + sizes[1]!).toBe(quota);
    expect((await user.upload('/api/v1/assets', await corpus.png(10, 10))).status).toBe(200);
    const over = await user.upload<ErrorBody>('/api/v1/assets', await corpus.png(12, 12));
    expect({ status: over.status, code: over.body.error.code }).toEqual({ status: 409, code: 'CONFLICT' });
    expect((await user.get<{ usedBytes: number; quotaBytes: number }>('/api/v1/assets')).body).toEqual({
      assets: expect.any(Array) as unknown,
      usedBytes: quota,
      quotaBytes: quota,
    });
  });

  it('limits uploads per user per minute', async () => {
    const user = await harness.newUser();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await user.upload('/api/v1/assets', corpus.svgWithScript())).status);
    expect(statuses).toEqual([415, 415, 415, 415, 415, 415, 429]);
  });
});
