// The streaming ZIP writer: what it writes is a ZIP any reader opens, entry for entry; it waits for a
// slow reader instead of piling the archive up in memory; and a failure on either side ends both.
import { randomBytes } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { createZipWriter } from './zip-writer.js';

async function collect(output: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of output) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('the streaming ZIP writer', () => {
  it('writes text (deflated), bytes (stored) and streamed entries that unzip to what went in', async () => {
    const zip = createZipWriter();
    const read = collect(zip.output);
    const image = randomBytes(300_000);
    const lines = Array.from({ length: 20_000 }, (_, i) => `row ${i},"a, b",é\r\n`);
    await zip.add('README.txt', 'hello\n', { compress: true });
    await zip.add('assets/a.webp', image, { compress: false, modified: new Date('2026-01-02T03:04:05Z') });
    await zip.add('profiles/me/rows.csv', (async function* () { for (const line of lines) yield line; })(), { compress: true });
    await zip.add('empty.json', (async function* () {})(), { compress: true });
    await zip.finish();
    const archive = await read;
    expect(archive.length).toBe(zip.bytesWritten);
    const files = unzipSync(archive);
    expect(Object.keys(files)).toEqual(['README.txt', 'assets/a.webp', 'profiles/me/rows.csv', 'empty.json']);
    expect(strFromU8(files['README.txt']!)).toBe('hello\n');
    expect(Buffer.from(files['assets/a.webp']!).equals(image)).toBe(true);
    expect(strFromU8(files['profiles/me/rows.csv']!)).toBe(lines.join(''));
    expect(files['empty.json']!.length).toBe(0);
    // Text is deflated: the archive is much smaller than the rows.
    expect(archive.length).toBeLessThan(image.length + lines.join('').length / 4);
  });

  it('waits for its reader: an entry is not taken in whole while nobody reads', async () => {
    const zip = createZipWriter();
    let pushed = 0;
    const content = (async function* () {
      for (let i = 0; i < 40; i++) {
        pushed++;
        yield randomBytes(1024 * 1024);
      }
    })();
    const adding = zip.add('big.bin', content, { compress: false });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // About the 4 MiB high-water mark, not the 40 MiB of the entry.
    expect(pushed).toBeLessThanOrEqual(6);
    const read = collect(zip.output);
    await adding;
    await zip.finish();
    expect((await read).length).toBeGreaterThan(40 * 1024 * 1024);
    expect(pushed).toBe(40);
  });

  it('ends its output with the error when the archive fails, and fails the writer when the reader stops', async () => {
    const failing = createZipWriter();
    const read = collect(failing.output);
    await failing.add('a.txt', 'a', { compress: true });
    failing.abort(new Error('analytics are unavailable'));
    await expect(read).rejects.toThrow('analytics are unavailable');
    await expect(failing.add('b.txt', 'b', { compress: true })).rejects.toThrow('analytics are unavailable');

    const abandoned = createZipWriter();
    const iterator = abandoned.output[Symbol.asyncIterator]();
    const adding = abandoned.add('big.bin', randomBytes(8 * 1024 * 1024), { compress: false });
    await iterator.next();
    // The upload gave up (its storage failed): the writer must not wait for it for ever.
    await iterator.return?.();
    await expect(adding).rejects.toThrow(/reader stopped/);
  });
});
