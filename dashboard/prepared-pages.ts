// Public pages as prepared responses. The HTML of a published profile is the same for every visitor
// (the owner's marker is a cookie the tracker reads in the browser), so it is rendered by SvelteKit
// once per version of the profile (its ETag), kept in memory with gzip and brotli copies, and
// answered before any file lookup or render. A page whose profile changed has a new ETag, and the
// next request renders it again. The headers are SvelteKit's own, so the policy, the 304 and the
// cache rules stay exactly as a render would send them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { LruMap } from '../lib/lru-map.js';
import { HANDLE_PATTERN } from '../lib/profiles/handle.js';
import { acceptedEncodings, matchesEtag } from '../lib/http/negotiation.js';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Pages kept per process, and the bytes of their three copies together; the least recently served goes first. */
const DEFAULT_MAX_PAGES = 5_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/**
 * Brotli's quality for the kept copy, paid once per version: on a 2.6 KB page, 11 makes 722 B in
 * 2.2 ms where 9 makes 817 B in 1.7 ms, so the smallest is worth its time.
 */
const BROTLI_QUALITY = 11;

/** Headers each response sets itself: freshness, validator, length and encoding. */
const PER_RESPONSE = new Set(['cache-control', 'etag', 'content-length', 'content-encoding', 'vary', 'date', 'connection', 'transfer-encoding']);

export interface PreparedPage {
  /** The page's ETag, strong: the identity copy's. */
  etag: string;
  /** SvelteKit's headers for the page, less the per-response ones. */
  headers: readonly (readonly [string, string])[];
  bodies: { identity: Buffer; gzip: Buffer; br: Buffer };
}

/** The handle of a public page's path (/@handle, lower case), or undefined for any other path. */
export function publicPageHandle(pathname: string): string | undefined {
  if (!pathname.startsWith('/@')) return undefined;
  const handle = pathname.slice(2);
  return HANDLE_PATTERN.test(handle) ? handle : undefined;
}

/**
 * Why a rendered page may not be shared between visitors, or undefined when it may: only a plain
 * 200 HTML page with a validator, no cookie, and a policy without a per-response nonce.
 */
function unshareable(response: Response): string | undefined {
  if (response.status !== 200) return `status ${response.status}`;
  if (!response.headers.get('etag')) return 'no ETag';
  if (!/^text\/html/.test(response.headers.get('content-type') ?? '')) return 'not HTML';
  if (response.headers.has('set-cookie')) return 'it sets a cookie';
  const policies = `${response.headers.get('content-security-policy') ?? ''} ${response.headers.get('content-security-policy-report-only') ?? ''}`;
  if (/'nonce-/.test(policies)) return 'its policy carries a nonce';
  return undefined;
}

export interface PreparedPages {
  /**
   * The prepared page of `handle` at version `etag`, rendered now if it is not kept; undefined when it
   * cannot be shared (remembered per version, so such a page costs one render per request, not two).
   */
  get(handle: string, etag: string): Promise<PreparedPage | undefined>;
}

/** What is kept per handle: the prepared page of a version, or the version that could not be shared. */
type Kept = PreparedPage | { etag: string; refused: true };

export function createPreparedPages(options: {
  /** SvelteKit's response to a plain GET of /@handle. */
  render(handle: string): Promise<Response>;
  /** Told once per reason a page could not be prepared (it is then rendered per request, as before). */
  onUnshareable(reason: string): void;
  maxPages?: number;
  maxBytes?: number;
}): PreparedPages {
  const weigh = (kept: Kept) => ('refused' in kept ? 0 : kept.bodies.identity.length + kept.bodies.gzip.length + kept.bodies.br.length);
  const pages = new LruMap<string, Kept>(options.maxPages ?? DEFAULT_MAX_PAGES, { maxWeight: options.maxBytes ?? DEFAULT_MAX_BYTES, weigh });
  const preparing = new Map<string, Promise<PreparedPage | undefined>>();
  const reported = new Set<string>();

  const prepare = async (handle: string, etag: string): Promise<PreparedPage | undefined> => {
    const response = await options.render(handle);
    const renderedEtag = response.headers.get('etag');
    const reason = unshareable(response);
    if (reason) {
      await response.body?.cancel();
      // Remembered only when the page itself is why (a cookie, a nonce): a failed render may succeed next time.
      if (renderedEtag === etag && response.status === 200) pages.set(handle, { etag, refused: true });
      if (!reported.has(reason)) {
        reported.add(reason);
        options.onUnshareable(reason);
      }
      return undefined;
    }
    const identity = Buffer.from(await response.arrayBuffer());
    const [gzipped, brotli] = await Promise.all([
      gzipAsync(identity, { level: 9 }),
      brotliAsync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
    ]);
    const headers = [...response.headers].filter(([name]) => !PER_RESPONSE.has(name));
    const page: PreparedPage = { etag: renderedEtag!, headers, bodies: { identity, gzip: gzipped, br: brotli } };
    // A render newer than the version asked for (an edit in between) is not kept over it.
    if (page.etag === etag) pages.set(handle, page);
    return page;
  };

  return {
    async get(handle, etag) {
      const kept = pages.get(handle);
      if (kept?.etag === etag) return 'refused' in kept ? undefined : kept;
      // Concurrent first visits share one render.
      const flightKey = `${handle} ${etag}`;
      let flight = preparing.get(flightKey);
      if (!flight) {
        flight = prepare(handle, etag).finally(() => preparing.delete(flightKey));
        preparing.set(flightKey, flight);
      }
      const page = await flight;
      // An edit between the lookup and the render: the render is newer than what was asked for.
      return page?.etag === etag ? page : undefined;
    },
  };
}

/**
 * Sends a prepared page: 304 when the browser holds this version, else the smallest copy it accepts.
 * A 304 carries no policy (dashboard/main.ts explains why), like the rendered path.
 */
export function sendPreparedPage(request: IncomingMessage, response: ServerResponse, page: PreparedPage, cacheControl: string): void {
  const accepted = acceptedEncodings(request);
  const encoding = accepted.includes('br') ? 'br' : accepted.includes('gzip') ? 'gzip' : 'identity';
  // A strong ETag names one representation's bytes (RFC 9110 §8.8.3): the compressed copies get the
  // weak form of the same tag, which If-None-Match still matches (it compares weakly).
  const etag = encoding === 'identity' ? page.etag : `W/${page.etag}`;
  response.setHeader('ETag', etag);
  response.setHeader('Cache-Control', cacheControl);
  response.setHeader('Vary', 'Accept-Encoding');
  if (matchesEtag(request.headers['if-none-match'], page.etag)) {
    response.removeHeader('Content-Security-Policy');
    response.writeHead(304).end();
    return;
  }
  for (const [name, value] of page.headers) response.setHeader(name, value);
  const body = page.bodies[encoding];
  if (encoding !== 'identity') response.setHeader('Content-Encoding', encoding);
  response.setHeader('Content-Length', body.length);
  response.writeHead(200);
  response.end(request.method === 'HEAD' ? undefined : body);
}
