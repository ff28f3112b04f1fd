// A ZIP archive written entry by entry while something else reads it (the upload to object storage),
// with back-pressure: adding an entry waits while more than HIGH_WATER_BYTES of the archive are
// waiting to be read, so an export of any size holds a few MiB in memory, not the archive.
//
// fflate's streaming Zip does the format (local headers, data descriptors, the central directory).
// Text is deflated on the event loop in the chunks it arrives in (a page of rows at a time); images
// are stored as they are (already compressed). fflate 0.7 writes no ZIP64 records, so an archive or
// an entry may not reach 4 GiB: the writer refuses to go past that instead of writing a broken file.
import { Zip, ZipDeflate, ZipPassThrough } from 'fflate';

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
      const entry = options.compress ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
      entry.mtime = options.modified ?? new Date();
      zip.add(entry);
      const bytes = (part: string | Uint8Array) => (typeof part === 'string' ? encoder.encode(part) : part);
      if (typeof content === 'string' || content instanceof Uint8Array) {
        entry.push(bytes(content), true);
        return drained();
      }
      // fflate deflates each push on its own: small pieces (a line at a time) would hardly compress,
      // so they are gathered into blocks of BLOCK_BYTES first.
      let block: Uint8Array[] = [];
      let blockBytes = 0;
      for await (const part of content) {
        const piece = bytes(part);
        block.push(piece);
        blockBytes += piece.byteLength;
        if (blockBytes < BLOCK_BYTES) continue;
        entry.push(concat(block, blockBytes));
        block = [];
        blockBytes = 0;
        await drained();
      }
      entry.push(concat(block, blockBytes), true);
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
