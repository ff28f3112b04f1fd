// The request body of every API route but uploads: read by the route layer (route.ts) after the
// caller was authorised, at most JSON_BODY_LIMIT_BYTES (a larger Content-Length is refused before a
// byte is read, a larger chunked body as soon as it passes the limit: lib/http/read-body.ts), and
// parsed when it is JSON. Uncompressed UTF-8 only: no client of this API needs more for 32 KB.
import type { Request } from 'express';
import { AppError } from '../../lib/errors.js';
import { readBody } from '../../lib/http/read-body.js';

export const JSON_BODY_LIMIT_BYTES = 32 * 1024;

const isJson = (request: Request) => typeof request.is('application/json') === 'string';

/**
 * The parsed JSON body, or undefined when there is none or it is not JSON (a route that takes a
 * body has refused other types already; one that takes none ignores them, as it always has).
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body without a Content-Encoding');
  const json = isJson(request);
  const charset = /;\s*charset="?([^";]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (json && charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body in UTF-8');
  const raw = await readBody(request, JSON_BODY_LIMIT_BYTES);
  if (!json || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new AppError('INVALID_INPUT', 'The request body is not valid JSON');
  }
}
