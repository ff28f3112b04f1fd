// CPU work over a large batch, done in slices that give the event loop back between them. The
// consumers share their process with pages, the API and ingest (`npm start` runs every role in one),
// and a 5,000-event batch parsed, enriched and encoded in one go held every request behind it for
// ~80 ms (bench/README.md, "The pipeline").
import { setImmediate as nextTurn } from 'node:timers/promises';

/** Items per slice: ~2-5 ms of parsing, enrichment or encoding. */
export const SLICE_SIZE = 500;

/** items.map(map), yielding to waiting I/O (setImmediate) after each slice. */
export async function mapInSlices<T, U>(items: readonly T[], map: (item: T) => U, sliceSize = SLICE_SIZE): Promise<U[]> {
  const mapped: U[] = new Array<U>(items.length);
  for (let start = 0; start < items.length; start += sliceSize) {
    if (start > 0) await nextTurn();
    const end = Math.min(items.length, start + sliceSize);
    for (let index = start; index < end; index++) mapped[index] = map(items[index]!);
  }
  return mapped;
}
