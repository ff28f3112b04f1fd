// The object storage contract, run against a local directory (always) and S3 (MinIO in CI).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService, realServices, testConfig, testLogger } from '../testing/services.js';
import { uniqueName } from '../testing/wait-for.js';
import { createLocalStorage } from './local-storage.js';
import { STREAM_PART_BYTES, type ObjectInfo, type ObjectStorage } from './object-storage.js';
import { createS3Storage } from './s3-storage.js';

async function all(iterable: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const items: ObjectInfo[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function storageContract(makeStorage: () => Promise<{ storage: ObjectStorage; cleanup: () => Promise<void> }>): void {
  let storage: ObjectStorage;
  let cleanup: () => Promise<void>;
  let prefix: string;
  beforeAll(async () => {
    ({ storage, cleanup } = await makeStorage());
    prefix = `${uniqueName('test')}/`;
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('round-trips bytes with content type and cache control', async () => {
    const key = `${prefix}avatar.webp`;
    const body = Buffer.from([0x52, 0x49, 0x46, 0x46, 0x00, 0xff, 0x10, 0x80]);
    const stored = await storage.put(key, body, { contentType: 'image/webp', cacheControl: 'public, max-age=31536000, immutable' });
    expect(stored.etag).toMatch(/^"[0-9a-f]{32}"$/);
    const object = await storage.get(key);
    expect(object).toBeDefined();
    const chunks: Buffer[] = [];
    for await (const chunk of object!.body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks)).toEqual(body);
    expect(object).toMatchObject({ key, size: 8, contentType: 'image/webp', cacheControl: 'public, max-age=31536000, immutable', etag: stored.etag });
    expect(await storage.head(key)).toMatchObject({ size: 8, contentType: 'image/webp', etag: stored.etag });
  });

  it('stores a streamed body of unknown length, over several upload parts, and leaves nothing when the stream fails', async () => {
    const key = `${prefix}export.zip`;
    // Two and a half parts, in uneven chunks, none of them a part's size.
    const total = Math.floor(STREAM_PART_BYTES * 2.5);
    const expected = Buffer.alloc(total);
    for (let i = 0; i < total; i++) expected[i] = (i * 31) % 251;
    async function* chunks() {
      for (let offset = 0; offset < total; offset += 700_001) yield expected.subarray(offset, Math.min(total, offset + 700_001));
    }
    const stored = await storage.putStream(key, chunks(), { contentType: 'application/zip' });
    expect(stored).toMatchObject({ key, size: total, contentType: 'application/zip' });
    expect(stored.etag).toMatch(/^".+"$/);
    const object = await storage.get(key);
    expect(object).toMatchObject({ size: total, contentType: 'application/zip', etag: stored.etag });
    const read: Buffer[] = [];
    for await (const chunk of object!.body) read.push(chunk as Buffer);
    expect(Buffer.concat(read).equals(expected)).toBe(true);

    // A small body is one plain write; a body that throws half-way leaves no object.
    const small = await storage.putStream(`${prefix}small.txt`, (async function* () { yield Buffer.from('tiny'); })(), { contentType: 'text/plain' });
    expect(await text((await storage.get(small.key))!.body)).toBe('tiny');
    const broken = `${prefix}broken.zip`;
    async function* failing() {
      yield expected.subarray(0, STREAM_PART_BYTES + 1);
      throw new Error('the archive could not be built');
    }
    await expect(storage.putStream(broken, failing(), { contentType: 'application/zip' })).rejects.toThrow('the archive could not be built');
    expect(await storage.head(broken)).toBeUndefined();
  });

  it('reports missing keys as absent', async () => {
    expect(await storage.get(`${prefix}missing`)).toBeUndefined();
    expect(await storage.head(`${prefix}missing`)).toBeUndefined();
    await expect(storage.delete(`${prefix}missing`)).resolves.toBeUndefined();
  });

  it('overwrites an object as a whole', async () => {
    const key = `${prefix}doc.txt`;
    const first = await storage.put(key, Buffer.from('first version'), { contentType: 'text/plain' });
    const second = await storage.put(key, Buffer.from('second, longer version'), { contentType: 'text/markdown' });
    expect(second.etag).not.toBe(first.etag);
    const object = await storage.get(key);
    expect(await text(object!.body)).toBe('second, longer version');
    expect(object).toMatchObject({ contentType: 'text/markdown', size: 22, etag: second.etag });
  });

  it('deletes objects', async () => {
    const key = `${prefix}gone.bin`;
    await storage.put(key, Buffer.from('x'), { contentType: 'application/octet-stream' });
    await storage.delete(key);
    expect(await storage.head(key)).toBeUndefined();
  });

  it('lists objects by prefix, in key order, across pages', async () => {
    const listPrefix = `${prefix}list/`;
    const keys = Array.from({ length: 12 }, (_, i) => `${listPrefix}${String(i).padStart(2, '0')}.png`);
    await Promise.all(keys.map((key) => storage.put(key, Buffer.from(key), { contentType: 'image/png' })));
    await storage.put(`${prefix}listing-not-included.png`, Buffer.from('x'), { contentType: 'image/png' });
    const listed = await all(storage.list(listPrefix));
    expect(listed.map((item) => item.key)).toEqual(keys);
    expect(listed[0]).toMatchObject({ size: keys[0]!.length });
    expect(listed[0]!.lastModified.getTime()).toBeGreaterThan(Date.now() - 600_000);
  });

  it('refuses keys that could escape their namespace', async () => {
    for (const key of ['../etc/passwd', 'a/../../b', '/absolute', 'a//b', '.hidden', 'a/.b', 'white space', '']) {
      await expect(storage.put(key, Buffer.from('x'), { contentType: 'text/plain' })).rejects.toThrow(/invalid object key/);
    }
  });

  it('reports healthy', async () => {
    expect((await storage.healthCheck().check()).state).toBe('ok');
  });
}

describe('object storage contract: local directory', () => {
  let root: string;
  storageContract(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'linkpulse-assets-'));
    return { storage: createLocalStorage(root), cleanup: () => rm(root, { recursive: true, force: true }) };
  });

  it('leaves no temporary files behind', async () => {
    expect(await readdir(path.join(root, 'tmp'))).toEqual([]);
  });
});

describeWithService('object storage contract: S3', realServices.s3, () => {
  storageContract(async () => {
    const storage = createS3Storage({ ...testConfig.s3!, logger: testLogger });
    await storage.ensureBucket();
    return { storage, cleanup: () => storage.close() };
  });

  it('reports down when the service is unreachable', async () => {
    const unreachable = createS3Storage({ ...testConfig.s3!, endpoint: 'http://127.0.0.1:1', logger: testLogger });
    await expect(unreachable.healthCheck().check()).rejects.toThrow();
    await unreachable.close();
  });
});
