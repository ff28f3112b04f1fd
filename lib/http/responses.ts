// Writing JSON and error responses from plain node:http handlers; Express uses the same envelope
// through api/error-handler.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toErrorResponse } from '../errors.js';
import type { Logger } from '../logger.js';
import { requestIdOf } from './request-context.js';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    'Cache-Control': 'no-store',
    ...headers,
  });
  response.end(payload);
}

/**
 * Sends the error envelope; unexpected errors are logged with the request id and never shown.
 * An error answered before the request's body has arrived (an oversized or unwanted body, a
 * refusal before reading) closes the connection: keeping it open would mean reading the rest of
 * the body first, all of it for a client that announced 10 GB.
 */
export function sendError(request: IncomingMessage, response: ServerResponse, error: unknown, logger: Logger): void {
  const requestId = requestIdOf(request);
  const failure = toErrorResponse(error, requestId);
  if (!failure.isExpected) logger.error({ err: error, requestId }, 'request failed');
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, failure.status, failure.body, { ...failure.headers, ...(request.complete ? {} : { Connection: 'close' }) });
}
