// Object storage in a local directory (embedded mode): DATA_DIR/assets/objects/<key> holds the bytes
// and DATA_DIR/assets/meta/<key>.json the metadata. Both are written to a temporary file and renamed
// into place (atomic on one filesystem); the metadata is renamed last and is the commit marker, so an
// object without metadata (a crash between the two renames) does not exist for readers.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { assertKeyPrefix, assertObjectKey, type ObjectInfo, type ObjectMetadata, type ObjectStorage } from './object-storage.js';

interface StoredMetadata {
  contentType: string;
  cacheControl?: string;
  size: number;
  etag: string;
  lastModified: string;
}

export function createLocalStorage(root: string): ObjectStorage {
  const objects = path.join(root, 'objects');
  const meta = path.join(root, 'meta');
  const temporary = path.join(root, 'tmp');
  const objectPath = (key: string) => path.join(objects, key);
  const metaPath = (key: string) => path.join(meta, `${key}.json`);
  let prepared: Promise<void> | undefined;
  const prepare = () => {
    prepared ??= Promise.all([objects, meta, temporary].map((dir) => mkdir(dir, { recursive: true }))).then(() => undefined);
    return prepared;
  };

  const writeAtomically = async (target: string, data: Buffer | string) => {
    const scratch = path.join(temporary, randomUUID());
    await writeFile(scratch, data, { mode: 0o644 });
    await mkdir(path.dirname(target), { recursive: true });
    await rename(scratch, target);
  };

  const readMetadata = async (key: string): Promise<ObjectMetadata | undefined> => {
    try {
      const stored = JSON.parse(await readFile(metaPath(key), 'utf8')) as StoredMetadata;
      return {
        key,
        size: stored.size,
        etag: stored.etag,
        lastModified: new Date(stored.lastModified),
        contentType: stored.contentType,
        cacheControl: stored.cacheControl,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  async function* walk(directory: string, relative: string): AsyncGenerator<string> {
    let names: string[];
    try {
      names = (await readdir(directory)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const name of names) {
      const full = path.join(directory, name);
      const key = relative ? `${relative}/${name}` : name;
      if ((await stat(full)).isDirectory()) yield* walk(full, key);
      else if (name.endsWith('.json')) yield key.slice(0, -'.json'.length);
    }
  }

  return {
    kind: 'local',
    async put(key, body, options) {
      assertObjectKey(key);
      await prepare();
      const metadata: StoredMetadata = {
        contentType: options.contentType,
        ...(options.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
        size: body.length,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        lastModified: new Date().toISOString(),
      };
      await writeAtomically(objectPath(key), body);
      await writeAtomically(metaPath(key), JSON.stringify(metadata));
      return { key, ...metadata, cacheControl: options.cacheControl, lastModified: new Date(metadata.lastModified) };
    },
    async putStream(key, body, options) {
      assertObjectKey(key);
      await prepare();
      const scratch = path.join(temporary, randomUUID());
      const md5 = createHash('md5');
      let size = 0;
      try {
        // pipeline() waits for the file's 'drain': the body is read only as fast as the disk takes it.
        await pipeline(
          Readable.from(body),
          async function* measure(chunks: AsyncIterable<Uint8Array>) {
            for await (const chunk of chunks) {
              md5.update(chunk);
              size += chunk.byteLength;
              yield chunk;
            }
          },
          createWriteStream(scratch, { mode: 0o644 }),
        );
      } catch (error) {
        await rm(scratch, { force: true });
        throw error;
      }
      const metadata: StoredMetadata = {
        contentType: options.contentType,
        ...(options.cacheControl === undefined ? {} : { cacheControl: options.cacheControl }),
        size,
        etag: `"${md5.digest('hex')}"`,
        lastModified: new Date().toISOString(),
      };
      await mkdir(path.dirname(objectPath(key)), { recursive: true });
      await rename(scratch, objectPath(key));
      await writeAtomically(metaPath(key), JSON.stringify(metadata));
      return { key, ...metadata, cacheControl: options.cacheControl, lastModified: new Date(metadata.lastModified) };
    },
    async get(key) {
      assertObjectKey(key);
      const metadata = await readMetadata(key);
      if (!metadata) return undefined;
      try {
        // Open before returning, so a concurrent delete cannot turn a found object into a broken stream.
        const body = createReadStream(objectPath(key));
        await new Promise<void>((resolve, reject) => {
          body.once('open', () => resolve());
          body.once('error', reject);
        });
        return { ...metadata, body };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async head(key) {
      assertObjectKey(key);
      return readMetadata(key);
    },
    async delete(key) {
      assertObjectKey(key);
      await unlink(metaPath(key)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await rm(objectPath(key), { force: true });
    },
    async *list(prefix) {
      assertKeyPrefix(prefix);
      for await (const key of walk(meta, '')) {
        if (!key.startsWith(prefix)) continue;
        const metadata = await readMetadata(key);
        if (metadata) yield { key, size: metadata.size, etag: metadata.etag, lastModified: metadata.lastModified } satisfies ObjectInfo;
      }
    },
    healthCheck: () => ({
      name: 'storage',
      required: true,
      async check() {
        await prepare();
        const probe = path.join(temporary, `health-${randomUUID()}`);
        await writeFile(probe, 'ok');
        await unlink(probe);
        return { state: 'ok', detail: 'local directory' };
      },
    }),
    async close() {},
  };
}
