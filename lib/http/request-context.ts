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

/** Express's trust function for TRUST_PROXY: is the hop-th proxy from us (0: the direct peer) believed? */
function compileTrust(trust: TrustProxy): (address: string, hop: number) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyAddr.compile(trust);
}

/**
 * The client's address, honouring X-Forwarded-For only from proxies TRUST_PROXY names (the same
 * rules Express applies). Used for flood control and hashing; never stored or logged as is.
 */
export function createClientAddressResolver(trust: TrustProxy): (request: IncomingMessage) => string {
  const trusted = compileTrust(trust);
  return (request) => proxyAddr(request, trusted);
}

/**
 * The scheme the client used ('http' or 'https', lower case), as Express's req.protocol: the
 * connection's own, unless the direct peer is a proxy TRUST_PROXY names; then the first value of its
 * X-Forwarded-Proto. Anyone else could claim https and dodge the HTTPS redirect.
 */
export function createProtocolResolver(trust: TrustProxy): (request: IncomingMessage) => string {
  const trusted = compileTrust(trust);
  return (request) => {
    const socket = request.socket as IncomingMessage['socket'] & { encrypted?: boolean };
    const direct = socket.encrypted === true ? 'https' : 'http';
    const peer = socket.remoteAddress;
    if (peer === undefined || !trusted(peer, 0)) return direct;
    const header = request.headers['x-forwarded-proto'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',', 1)[0]?.trim().toLowerCase();
    return first || direct;
  };
}
