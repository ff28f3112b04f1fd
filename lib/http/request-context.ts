// Per-request context for plain node:http handlers and Express alike: the request id (echoed in
// X-Request-Id, carried in logs and error envelopes) and the client address.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import proxyAddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

const REQUEST_ID = Symbol('linkpulse.requestId');
// An upstream id is kept only if it is short and plain, so it cannot forge log lines or headers.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

export function assignRequestId(request: IncomingMessage, response: ServerResponse): string {
  const incoming = request.headers['x-request-id'];
  const id = typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  (request as WithRequestId)[REQUEST_ID] = id;
  response.setHeader('X-Request-Id', id);
  return id;
}

export function requestIdOf(request: IncomingMessage): string {
  return (request as WithRequestId)[REQUEST_ID] ?? 'unknown';
}

/**
 * The client's address, honouring X-Forwarded-For only from proxies TRUST_PROXY names (the same
 * rules Express applies). Used for flood control and hashing; never stored or logged as is.
 */
export function createClientAddressResolver(trust: TrustProxy): (request: IncomingMessage) => string {
  const trusted =
    trust === true ? () => true : trust === false ? () => false : typeof trust === 'number' ? (_: string, hop: number) => hop < trust : proxyAddr.compile(trust);
  return (request) => proxyAddr(request, trusted);
}
