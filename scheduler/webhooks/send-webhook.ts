// One HTTP attempt of a webhook delivery, and the SSRF rules it keeps on every attempt:
//   1. resolve the host now (an injectable lookup; DNS may answer differently than at registration or
//      at the last attempt), and refuse the attempt if ANY address is one the policy refuses
//      (lib/webhooks/endpoint-address.ts: loopback, private, link-local, metadata, reserved);
//   2. connect to the vetted address itself (the socket's lookup returns it: no second resolution that
//      a rebinding DNS could answer differently), sending the URL's own Host header and TLS server name;
//   3. never follow a redirect: a 3xx is a failed attempt that says where it pointed.
// The attempt has one deadline for everything (resolution, connection, TLS, headers, the excerpt), and
// reads at most EXCERPT_BYTES of the answer.
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { WebhookConfig } from '../../lib/config.js';
import { refusedAddressReason } from '../../lib/webhooks/endpoint-address.js';

/** Why an attempt failed (webhook_attempts.error_class); undefined for a 2xx. */
export type AttemptErrorClass = 'address_refused' | 'dns_failed' | 'connection_failed' | 'tls_failed' | 'timeout' | 'redirect' | 'http_error' | 'unsigned';

export interface AttemptResult {
  ok: boolean;
  /** The answer's status, when one came. */
  statusCode: number | null;
  latencyMs: number;
  errorClass: AttemptErrorClass | null;
  /** In words, for the creator (at most 300 characters). */
  error: string | null;
  /** The start of the answer's body (text, at most EXCERPT_BYTES bytes), when one came. */
  responseExcerpt: string | null;
  /** Retry-After of a 429 or 503, in milliseconds. */
  retryAfterMs: number | null;
  /** The answer was 410 Gone: the receiver asks not to be sent anything more (the endpoint is disabled). */
  gone: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to now. */
export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface SendSettings {
  policy: Pick<WebhookConfig, 'allowLoopback' | 'allowPrivateNetworks'>;
  /** The whole attempt's deadline. */
  timeoutMs: number;
  lookup: HostLookup;
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The answer's first bytes kept for the creator (webhook_attempts.response_excerpt holds 1,024 characters). */
export const EXCERPT_BYTES = 1024;
const USER_AGENT = 'Linkpulse-Webhooks/1.0 (+https://www.standardwebhooks.com)';

/** Resolves the URL's host and vets every address; the address to connect to, or why not. */
export async function vetEndpointAddress(
  url: URL,
  settings: Pick<SendSettings, 'policy' | 'lookup'>,
): Promise<{ address: ResolvedAddress } | { refused: string; errorClass: 'address_refused' | 'dns_failed' }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await settings.lookup(host);
    } catch (error) {
      const code = (error as { code?: string }).code;
      return { refused: `${host} could not be resolved${code ? ` (${code})` : ''}`, errorClass: 'dns_failed' };
    }
    if (addresses.length === 0) return { refused: `${host} has no address`, errorClass: 'dns_failed' };
  }
  for (const candidate of addresses) {
    const reason = refusedAddressReason(candidate.address, settings.policy)?.replace(/^it is /, '');
    if (reason) {
      const what = candidate.address === host ? `${host} is ${reason}` : `${host} resolves to ${candidate.address}, ${reason}`;
      return { refused: `refused: ${what} (not allowed for webhooks)`, errorClass: 'address_refused' };
    }
  }
  return { address: addresses[0]! };
}

/** One attempt. Never throws: every failure is an AttemptResult. */
export async function sendWebhook(request: WebhookRequest, settings: SendSettings): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failure = (errorClass: AttemptErrorClass, error: string, extra: Partial<AttemptResult> = {}): AttemptResult => ({
    ok: false,
    statusCode: null,
    latencyMs: elapsed(),
    errorClass,
    error: error.slice(0, 300),
    responseExcerpt: null,
    retryAfterMs: null,
    gone: false,
    ...extra,
  });
  const url = new URL(request.url);
  const deadline = AbortSignal.timeout(settings.timeoutMs);
  const timedOut = () => failure('timeout', `no answer within ${formatSeconds(settings.timeoutMs)}`);

  const vetted = await Promise.race([vetEndpointAddress(url, settings), aborted(deadline)]);
  if (vetted === 'aborted') return timedOut();
  if ('refused' in vetted) return failure(vetted.errorClass, vetted.refused);
  const { address, family } = vetted.address;

  // The socket connects to the vetted address whatever name it is asked for.
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      deadline.removeEventListener('abort', onTimeout);
      outgoing.destroy();
      resolve(result);
    };
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        // A fresh connection per attempt: a pooled one could be to an address vetted for another attempt.
        agent: false,
        lookup: pinned,
        ...(url.protocol === 'https:' && isIP(host) === 0 ? { servername: host } : {}),
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(request.body)),
          'user-agent': USER_AGENT,
        },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          const excerpt = printable(Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\uFFFD+$/, ''));
          if (status < 100 || status > 599) {
            settle({ ...failure('http_error', `answered with an invalid HTTP status (${status})`), responseExcerpt: excerpt || null });
            return;
          }
          const base = { statusCode: status, latencyMs: elapsed(), responseExcerpt: excerpt || null };
          if (status >= 200 && status < 300) {
            settle({ ok: true, errorClass: null, error: null, retryAfterMs: null, gone: false, ...base });
          } else if (status >= 300 && status < 400) {
            const location = response.headers.location;
            const target = location ? ` to ${printable(location).slice(0, 200)}` : '';
            settle({ ...failure('redirect', `answered ${status}${target}; redirects are not followed: register the final URL`), ...base });
          } else {
            settle({
              ...failure('http_error', `answered ${status}${status === 410 ? ' Gone: the receiver asks for no more deliveries' : ''}`),
              ...base,
              retryAfterMs: status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after']) : null,
              gone: status === 410,
            });
          }
        };
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Enough to show the creator: the rest is never read.
          if (size >= EXCERPT_BYTES) finish();
        });
        response.on('end', finish);
        response.on('error', finish);
        response.on('close', finish);
      },
    );
    const onTimeout = () => settle(timedOut());
    deadline.addEventListener('abort', onTimeout, { once: true });
    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      if (deadline.aborted) return settle(timedOut());
      const tls = /certificate|SSL|TLS|self[- ]signed|ERR_TLS|CERT_/i.test(`${error.code ?? ''} ${error.message}`);
      settle(failure(tls ? 'tls_failed' : 'connection_failed', `${tls ? 'TLS handshake failed' : 'connection failed'}: ${error.code ?? error.message}`));
    });
    outgoing.end(request.body);
  });
}

/** Retry-After as seconds or an HTTP date, in milliseconds; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** Text a receiver sent, fit to store and show: no control characters but tabs and line breaks (PostgreSQL refuses NUL). */
const printable = (text: string) =>
  [...text].filter((character) => { const code = character.charCodeAt(0); return code === 9 || code === 10 || code === 13 || (code >= 32 && code !== 127); }).join('');

const formatSeconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`);

const aborted = (signal: AbortSignal) =>
  new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
