// UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then randomness. Event ids sort by time, so the
// events table's inserts stay append-friendly and an id alone says roughly when it was made.
import { randomBytes } from 'node:crypto';

const RANDOM_BYTES = 10;
/** Random bytes for this many ids are drawn at once: one call to the CSPRNG per 256 events, not per event. */
const POOL_IDS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

export function uuidv7(now = Date.now()): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    pool = randomBytes(RANDOM_BYTES * POOL_IDS);
    poolOffset = 0;
  }
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
