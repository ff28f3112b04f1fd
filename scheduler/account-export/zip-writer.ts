// A ZIP archive written entry by entry while something else reads it (the upload to object storage),
// with back-pressure: adding an entry waits while more than HIGH_WATER_BYTES of the archive are
// waiting to be read, so an export of any size holds a few MiB in memory, not the archive.
//
// fflate's streaming Zip does the format (local headers, data descriptors, the central directory).
// Text is deflated by Node's zlib, on libuv's thread pool, so a large export does not hold up the
// event loop it shares with the API in a one-process deployment (fflate's own deflate runs on the
// event loop: 140 ms per page of 10,000 rows, measured); images are stored as they are (already
// compressed). fflate 0.7 writes no ZIP64 records, so an archive or an entry may not reach 4 GiB: the
// writer refuses to go past that instead of writing a broken file.
import { once } from 'node:events';
import { crc32, createDeflateRaw } from 'node:zlib';
import { Zip, ZipPassThrough, type FlateStreamHandler, type ZipInputFile } from 'fflate';

const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** What a streamed entry gathers before handing it to the compressor. */
const BLOCK_BYTES = 256 * 1024;
/** The ZIP format's limit without ZIP64 (offsets and sizes are 32-bit), less room for the directory. */
export const MAX_ARCHIVE_BYTES = 0xffff_ffff - 64 * 1024 * 1024;

export interface ZipEntryOptions {
  /** Deflate (text) or store (images, already compressed). */
  compress: boolean;
  /** The entry's modification time (default: now). */
  modified?: Date;
}

export interface ZipWriter {
  /** The archive's bytes; read it once, while entries are added. */
  readonly output: AsyncIterable<Uint8Array>;
  /** Adds one entry from its content, resolving once its bytes are handed on (waiting for the reader when it lags). */
  add(name: string, content: string | Uint8Array | AsyncIterable<string | Uint8Array>, options: ZipEntryOptions): Promise<void>;
  /** Writes the central directory and ends the output. */
  finish(): Promise<void>;
  /** Ends the output with `error`: its reader (the upload) fails and keeps nothing. */
  abort(error: unknown): void;
  /** Bytes of archive written so far. */
  readonly bytesWritten: number;
}

const concat = (parts: readonly Uint8Array[], length: number): Uint8Array => (parts.length === 1 ? parts[0]! : Buffer.concat(parts, length));

export function createZipWriter(): ZipWriter {
  const encoder = new TextEncoder();
  const queue: Uint8Array[] = [];
  let queuedBytes = 0;
  let bytesWritten = 0;
  let ended = false;
  let failure: { error: unknown } | undefined;
  /** Wakes the reader (more bytes, the end, or a failure). */
  let wakeReader: (() => void) | undefined;
  /** Wakes the writer (the reader took bytes, or failed). */
  let wakeWriter: (() => void) | undefined;
  const wake = () => {
    wakeReader?.();
    wakeReader = undefined;
  };
  const fail = (error: unknown) => {
    failure ??= { error };
    wake();
    wakeWriter?.();
    wakeWriter = undefined;
  };

  const zip = new Zip((error, chunk, final) => {
    if (error) return fail(error);
    bytesWritten += chunk.byteLength;
    if (bytesWritten > MAX_ARCHIVE_BYTES) return fail(new Error('the archive would exceed the 4 GiB a ZIP file without ZIP64 may hold'));
    if (chunk.byteLength > 0) {
      queue.push(chunk);
      queuedBytes += chunk.byteLength;
    }
    if (final) ended = true;
    wake();
  });

  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };
  /** Waits until the reader has caught up below the high-water mark. */
  const drained = async () => {
    while (queuedBytes > HIGH_WATER_BYTES && !failure) await new Promise<void>((resolve) => (wakeWriter = resolve));
    throwIfFailed();
  };

  async function* output(): AsyncGenerator<Uint8Array> {
    try {
      for (;;) {
        const chunk = queue.shift();
        if (chunk) {
          queuedBytes -= chunk.byteLength;
          if (queuedBytes <= HIGH_WATER_BYTES) {
            wakeWriter?.();
            wakeWriter = undefined;
          }
          yield chunk;
          continue;
        }
        throwIfFailed();
        if (ended) return;
        await new Promise<void>((resolve) => (wakeReader = resolve));
      }
    } finally {
      // The reader stopped (done, or its upload failed): a writer waiting for it must not wait forever.
      if (!ended) fail(new Error('the archive’s reader stopped'));
    }
  }

  return {
    output: output(),
    get bytesWritten() {
      return bytesWritten;
    },
    async add(name, content, options) {
      throwIfFailed();
      const entry = options.compress ? deflatedEntry(name) : storedEntry(name);
      entry.mtime = options.modified ?? new Date();
      zip.add(entry);
      const bytes = (part: string | Uint8Array) => (typeof part === 'string' ? encoder.encode(part) : part);
      if (typeof content === 'string' || content instanceof Uint8Array) {
        await entry.push(bytes(content), true);
        return drained();
      }
      // Gathered into blocks: one write to the compressor per line would cost more than the line.
      let block: Uint8Array[] = [];
      let blockBytes = 0;
      for await (const part of content) {
        const piece = bytes(part);
        block.push(piece);
        blockBytes += piece.byteLength;
        if (blockBytes < BLOCK_BYTES) continue;
        await entry.push(concat(block, blockBytes));
        block = [];
        blockBytes = 0;
        await drained();
      }
      await entry.push(concat(block, blockBytes), true);
      await drained();
    },
    async finish() {
      throwIfFailed();
      zip.end();
      throwIfFailed();
    },
    abort(error) {
      zip.terminate();
      fail(error);
    },
  };
}

/** An entry fflate's Zip takes, whose push() resolves once its chunk is taken. */
type Entry = ZipInputFile & { push(chunk: Uint8Array, final?: boolean): Promise<void> };

/** An entry stored as it is (images: already compressed). */
function storedEntry(filename: string): Entry {
  const file = new ZipPassThrough(filename);
  return Object.assign(file, {
    push: async (chunk: Uint8Array, final = false) => ZipPassThrough.prototype.push.call(file, chunk, final),
  });
}

/**
 * An entry deflated by Node's zlib (off the event loop), in the shape fflate's Zip takes: it reports
 * the compressed bytes through ondata (set by Zip.add) and keeps the CRC-32 and size of what went in,
 * which Zip writes into the entry's data descriptor once the last bytes are out. push() resolves
 * once the compressor has taken the chunk (waiting for it when its buffer is full).
 */
function deflatedEntry(filename: string): Entry {
  const deflate = createDeflateRaw({ level: 6 });
  const entry = {
    filename,
    compression: 8,
    crc: 0,
    size: 0,
    mtime: undefined as Date | undefined,
    ondata: undefined as FlateStreamHandler | undefined,
    async push(chunk: Uint8Array, final = false) {
      entry.crc = crc32(chunk, entry.crc);
      entry.size += chunk.byteLength;
      // Without ZIP64 an entry's uncompressed size is 32 bits: past it the archive would be corrupt
      // (fflate writes the size modulo 2^32), so the build fails instead.
      if (entry.size > MAX_ARCHIVE_BYTES) throw new Error(`${filename} would exceed the 4 GiB a ZIP entry without ZIP64 may hold`);
      if (chunk.byteLength > 0 && !deflate.write(chunk)) await once(deflate, 'drain');
      if (final) {
        const ended = once(deflate, 'end');
        deflate.end();
        await ended;
      }
    },
  };
  deflate.on('data', (compressed: Buffer) => entry.ondata?.(null, compressed, false));
  deflate.on('end', () => entry.ondata?.(null, new Uint8Array(0), true));
  deflate.on('error', (error) => entry.ondata?.(error, new Uint8Array(0), true));
  return entry;
}
