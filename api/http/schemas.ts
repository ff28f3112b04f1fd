// Schemas shared by several routes. Request objects are strict: unknown fields are an error, not
// silently dropped, so a typo in a client is reported instead of ignored.
import { z } from 'zod';
import { ERROR_STATUS } from '../../lib/errors.js';

export const Id = z.uuid().describe('A resource id (UUID)');

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
