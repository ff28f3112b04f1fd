// Reading a request body into memory under a hard limit (the API's JSON bodies, ingest's beacons),
// and refusing a body that announces more than a limit before a byte of it is read (uploads).
//
// An oversized body is refused at once: by its Content-Length before reading, or as soon as the
// bytes read pass the limit (chunked bodies). Never after reading the rest, which for a client that
// announces 10 GB means waiting for 10 GB (or for the server's request timeout). The error response
// then closes the connection instead of reading what is left (sendError, lib/http/responses.ts).
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors.js';
import { formatBytes } from '../format-bytes.js';

/** The Content-Length the client announced, or undefined (none, as with a chunked body). */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  // Node refuses a request with an invalid or contradictory Content-Length before it gets here.
  return header === undefined ? undefined : Number(header);
}

function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `The request body is larger than ${formatBytes(maxBytes)}`, { details: { limitBytes: maxBytes } });
}

/** The whole body, at most maxBytes (exactly maxBytes pass); PAYLOAD_TOO_LARGE beyond. */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > maxBytes) throw tooLarge(maxBytes);
  if (request.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (error?: AppError) => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error === undefined) return resolve(Buffer.concat(chunks, size));
      // Left paused: nothing more is read; the error response closes the connection.
      request.pause();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) settle(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = () => settle();
    // The client went away before the end of its body (no answer will reach it).
    const aborted = (cause?: unknown) => new AppError('INVALID_INPUT', 'The request was aborted before its body ended', { cause });
    const onError = (error: Error) => settle(aborted(error));
    const onClose = () => settle(aborted());
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
