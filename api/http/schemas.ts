// Schemas shared by several routes. Request objects are strict: unknown fields are an error, not
// silently dropped, so a typo in a client is reported instead of ignored.
import { z } from 'zod';
import { ERROR_STATUS } from '../../lib/errors.js';

export const Id = z.uuid().describe('A resource id (UUID)');

/**
 * For a refine that compares fields (a range's two ends): zod 4 runs an object's refinements even
 * when a field failed its format check (that issue does not abort parsing), handing the refinement
 * the raw input, e.g. a string where it expects a Date. It then throws ("getTime is not a
 * function") and the request answers 500. With this, such a rule runs only once every field parsed;
 * the field's own issue is reported instead. (A transform after the object needs nothing: zod runs
 * it only on a value that parsed.)
 */
export const whenFieldsParsed = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 } as const;

/**
 * The pattern of a trimmed string that must not end up empty: a character that neither JavaScript's
 * trim() nor the fuzzer's (Python's) regular expressions count as white space. JavaScript also trims
 * U+FEFF, which Python's \s does not match.
 */
export const NOT_BLANK = '[^\\s\\ufeff]';

/**
 * Years an instant may be written with: from 2000 (nothing Linkpulse records is older) to 9998, so
 * that the instant, converted to UTC and sent back, still has a four-digit year: an RFC 3339
 * date-time cannot have more (9999-12-31T23:00:00-02:00 would come back as +010000-01-01T01:00:00Z).
 */
const INSTANT_YEAR = /^(?:[2-8]\d{3}|9[0-8]\d{2}|99[0-8]\d|999[0-8])-/;

/** A point in time sent to the API: an RFC 3339 date-time with Z or an offset, as a Date. */
export const Instant = z.iso
  // abort: a value that is no date-time at all gets this one message, not the year's too.
  .datetime({ offset: true, abort: true, message: 'an RFC 3339 date-time with Z or an offset, such as 2026-03-01T00:00:00Z' })
  .regex(INSTANT_YEAR, 'a year from 2000 to 9998')
  // Two patterns make zod leave out the format; clients and fuzzers should still see it.
  .meta({ format: 'date-time', description: 'An RFC 3339 date-time with Z or an offset (2026-03-01T00:00:00Z), written with a year from 2000 to 9998' })
  .transform((value) => new Date(value));

export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [keyof typeof ERROR_STATUS, ...(keyof typeof ERROR_STATUS)[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
      requestId: z.string(),
      timestamp: z.iso.datetime(),
    }),
  })
  .meta({ id: 'ErrorEnvelope' });

// A check, not a pipe into z.email(): the API document shows a pipe's input side only, and would
// lose the format.
export const Email = z
  .string()
  .trim()
  .max(254)
  .check(z.email({ message: 'expected an email address' }));
