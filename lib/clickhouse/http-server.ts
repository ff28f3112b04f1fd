// The ClickHouse HTTP protocol served by the embedded engine (chDB), so analysts can point any
// ClickHouse HTTP client (clickhouse-client over HTTP, Grafana, @clickhouse/client, curl) at embedded
// data, and so the @clickhouse/client adapter can be tested against a real ClickHouse engine here.
//
// Each request runs on its own chDB connection to the shared data directory (about 1 ms to open):
//   USE <database>; SET <validated settings>; SET param_<name> = '<raw text>'; [limits; SET readonly = 1]
// and then the caller's SQL. One more connection stays open for the server's lifetime: when the last
// connection to a data directory closes, chDB shuts the engine down and the next one starts it again,
// and every restart with MergeTree tables leaves about five engine threads running. At one restart
// per request that reached the 10000-thread pool limit (CANNOT_SCHEDULE_TASK) after a few thousand
// requests whenever nothing else in the process held a connection (linkpulse clickhouse-http).
//
// Accounts are read-only unless configured as a writer. For read-only accounts readonly=1 is set by
// the engine before their SQL runs, so nothing in that SQL, the URL or the body can write, run DDL,
// read files or URLs, or lift the limit: the engine refuses it.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGunzip, createInflate, gzipSync } from 'node:zlib';
import { Session } from 'chdb';
import type { Logger } from '../logger.js';
import { CHDB_CONNECTION_ARGS } from './chdb-adapter.js';

export interface ClickHouseHttpUser {
  name: string;
  password: string;
  /** Read-only accounts run every query under readonly=1 with resource limits. */
  readonly: boolean;
}

export interface ClickHouseHttpServerOptions {
  /** The chDB data directory (shared with this process's chDB adapter, if any). */
  path: string;
  users: readonly ClickHouseHttpUser[];
  defaultDatabase: string;
  host: string;
  port: number;
  logger: Logger;
  maxConcurrentQueries?: number;
  maxBodyBytes?: number;
}

export interface ClickHouseHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Limits applied to read-only accounts before readonly=1, so analysts cannot starve the app. */
const READONLY_LIMITS: Readonly<Record<string, string>> = {
  max_execution_time: '60',
  max_memory_usage: String(2 * 1024 ** 3),
  // On a small machine the app shares these cores: analyst queries get one thread.
  max_threads: '1',
  max_result_bytes: String(256 * 1024 ** 2),
  result_overflow_mode: 'throw',
};

/** URL parameters that belong to the HTTP layer, not to the engine. */
const HTTP_LAYER_PARAMETERS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'buffer_size',
  'wait_end_of_query',
  'compress',
  'decompress',
  'stacktrace',
  'client_protocol_version',
  'session_timeout',
  'session_check',
  'close_session',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'enable_http_compression',
  'http_zlib_compression_level',
  'http_wait_end_of_query',
  'http_response_buffer_size',
  'cancel_http_readonly_queries_on_client_close',
  'add_http_cors_header',
  'http_native_compression_disable_checksumming_on_decompress',
]);

/** Settings a read-only account may still choose: how results are formatted, never what runs. */
function isPresentationSetting(name: string): boolean {
  return name.startsWith('output_format_') || ['date_time_output_format', 'session_timezone', 'extremes'].includes(name);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const FAILED_AUTH_WINDOW_MS = 60_000;
const FAILED_AUTH_LIMIT = 20;

class HttpQueryError extends Error {
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
    /** Overrides the status derived from the code (for protocol errors with no ClickHouse code). */
    readonly status?: number,
  ) {
    super(`Code: ${code}. DB::Exception: ${message}. (${type})`);
  }
}

function statusForCode(code: number): number {
  switch (code) {
    case 194: // REQUIRED_PASSWORD
      return 401;
    case 516: // AUTHENTICATION_FAILED
    case 164: // READONLY
    case 497: // ACCESS_DENIED
      return 403;
    case 60: // UNKNOWN_TABLE
    case 81: // UNKNOWN_DATABASE
      return 404;
    case 202: // TOO_MANY_SIMULTANEOUS_QUERIES
      return 503;
    case 159: // TIMEOUT_EXCEEDED
      return 504;
    case 62: // SYNTAX_ERROR
    case 6: // CANNOT_PARSE_TEXT
    case 27: // CANNOT_PARSE_INPUT_ASSERTION_FAILED
    case 36: // BAD_ARGUMENTS
    case 46: // UNKNOWN_FUNCTION
    case 47: // UNKNOWN_IDENTIFIER
    case 48: // NOT_IMPLEMENTED
    case 73: // UNKNOWN_FORMAT
    case 115: // UNKNOWN_SETTING
    case 117: // INCORRECT_DATA
    case 396: // TOO_MANY_ROWS_OR_BYTES
    case 456: // UNKNOWN_QUERY_PARAMETER
    case 457: // BAD_QUERY_PARAMETER
      return 400;
    default:
      return 500;
  }
}

function contentTypeFor(format: string): string {
  const f = format.toLowerCase();
  if (f === 'json' || f.startsWith('jsoncompact') && !f.includes('eachrow') || f === 'jsonstrings' || f === 'jsoncolumns') {
    return 'application/json; charset=UTF-8';
  }
  if (f.includes('eachrow') || f === 'ndjson' || f === 'jsonlines') return 'application/x-ndjson; charset=UTF-8';
  if (f.startsWith('tabseparated') || f.startsWith('tsv')) return 'text/tab-separated-values; charset=UTF-8';
  if (f.startsWith('csv')) return 'text/csv; charset=UTF-8';
  if (f === 'xml') return 'application/xml; charset=UTF-8';
  if (['parquet', 'arrow', 'arrowstream', 'native', 'rowbinary', 'rowbinarywithnamesandtypes', 'orc', 'avro'].includes(f)) {
    return 'application/octet-stream';
  }
  return 'text/plain; charset=UTF-8';
}

/** A ClickHouse string literal: backslash escapes, so raw parameter text reaches the engine unchanged. */
function stringLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

interface Credentials {
  name: string;
  password: string;
  supplied: boolean;
}

function readCredentials(request: IncomingMessage, url: URL): Credentials {
  const headerUser = request.headers['x-clickhouse-user'];
  const headerKey = request.headers['x-clickhouse-key'];
  if (typeof headerUser === 'string') return { name: headerUser, password: typeof headerKey === 'string' ? headerKey : '', supplied: true };
  const authorization = request.headers.authorization;
  if (authorization?.startsWith('Basic ')) {
    const decoded = Buffer.from(authorization.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon >= 0) return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1), supplied: true };
  }
  const name = url.searchParams.get('user');
  if (name !== null) return { name, password: url.searchParams.get('password') ?? '', supplied: true };
  return { name: 'default', password: '', supplied: false };
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const encoding = (request.headers['content-encoding'] ?? '').toLowerCase();
  const source =
    encoding === 'gzip' ? request.pipe(createGunzip()) : encoding === 'deflate' ? request.pipe(createInflate()) : encoding === '' ? request : undefined;
  if (!source) throw new HttpQueryError(48, 'NOT_IMPLEMENTED', `Content-Encoding ${encoding} is not supported`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Counted after decompression: a small gzip body cannot expand past the limit.
    if (size > limit) throw new HttpQueryError(307, 'TOO_LARGE_REQUEST', `request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Opens the connection that keeps the engine running while the server lives (see the top of this
 * file), creates the default database (as the app would) and lists the engine's setting names.
 * The anchor runs nothing after this, so no request's settings can reach it.
 */
async function prepareEngine(path: string, defaultDatabase: string): Promise<{ anchor: Session; knownSettings: Set<string> }> {
  if (!IDENTIFIER.test(defaultDatabase)) throw new Error(`invalid default database ${defaultDatabase}`);
  const anchor = new Session(path, { connectionArgs: CHDB_CONNECTION_ARGS });
  try {
    await anchor.queryAsync(`CREATE DATABASE IF NOT EXISTS ${defaultDatabase}`);
    const result = await anchor.queryAsync('SELECT name FROM system.settings', { format: 'TabSeparated' });
    return { anchor, knownSettings: new Set(result.text().split('\n').filter(Boolean)) };
  } catch (error) {
    anchor.close();
    throw error;
  }
}

export async function startClickHouseHttpServer(options: ClickHouseHttpServerOptions): Promise<ClickHouseHttpServer> {
  const logger = options.logger.child({ module: 'clickhouse-http' });
  const maxConcurrent = options.maxConcurrentQueries ?? 8;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 ** 2;
  const { anchor, knownSettings } = await prepareEngine(options.path, options.defaultDatabase);
  const users = new Map(options.users.map((user) => [user.name, { ...user, digest: sha256(user.password) }]));
  const failedAuth = new Map<string, { count: number; since: number }>();
  let running = 0;

  const authenticate = (credentials: Credentials, remote: string): ClickHouseHttpUser => {
    const record = failedAuth.get(remote);
    if (record && Date.now() - record.since < FAILED_AUTH_WINDOW_MS && record.count >= FAILED_AUTH_LIMIT) {
      throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', 'too many failed authentication attempts; try again later');
    }
    const user = users.get(credentials.name);
    // Compare digests in constant time; an unknown user costs the same as a wrong password.
    const supplied = sha256(credentials.password);
    const matches = timingSafeEqual(supplied, user?.digest ?? sha256(`\u0000${credentials.password}`)) && user !== undefined;
    if (!matches || !user) {
      const fresh = !record || Date.now() - record.since >= FAILED_AUTH_WINDOW_MS;
      failedAuth.set(remote, { count: fresh ? 1 : record.count + 1, since: fresh ? Date.now() : record.since });
      if (!credentials.supplied) throw new HttpQueryError(194, 'REQUIRED_PASSWORD', 'authentication required');
      throw new HttpQueryError(516, 'AUTHENTICATION_FAILED', `${credentials.name}: Authentication failed: password is incorrect, or there is no user with such name`);
    }
    return user;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://clickhouse');
    const queryId = url.searchParams.get('query_id') || randomUUID();
    response.setHeader('X-ClickHouse-Query-Id', queryId);
    response.setHeader('X-ClickHouse-Server-Display-Name', 'linkpulse-chdb');
    response.setHeader('X-ClickHouse-Timezone', 'UTC');

    if (url.pathname === '/ping' || (url.pathname === '/' && request.method === 'GET' && !url.searchParams.has('query'))) {
      response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') throw new HttpQueryError(0, 'UNKNOWN', `There is no handle ${url.pathname}`, 404);
    if (request.method !== 'GET' && request.method !== 'POST') throw new HttpQueryError(0, 'UNKNOWN', `method ${request.method} is not allowed`, 405);

    const user = authenticate(readCredentials(request, url), request.socket.remoteAddress ?? '');
    // As in ClickHouse, a GET request can only read, whoever sends it.
    const isReadonly = user.readonly || request.method === 'GET';
    if (url.searchParams.has('session_id')) throw new HttpQueryError(48, 'NOT_IMPLEMENTED', 'HTTP sessions (session_id) are not supported');

    const database = url.searchParams.get('database') || options.defaultDatabase;
    if (!IDENTIFIER.test(database)) throw new HttpQueryError(81, 'UNKNOWN_DATABASE', `invalid database name ${database}`);
    const settings: [string, string][] = [];
    const params: [string, string][] = [];
    for (const [name, value] of url.searchParams) {
      if (value.includes('\u0000')) throw new HttpQueryError(36, 'BAD_ARGUMENTS', `NUL byte in ${name}`);
      if (name.startsWith('param_')) {
        const param = name.slice('param_'.length);
        if (!IDENTIFIER.test(param)) throw new HttpQueryError(457, 'BAD_QUERY_PARAMETER', `invalid parameter name ${param}`);
        params.push([param, value]);
        continue;
      }
      if (HTTP_LAYER_PARAMETERS.has(name)) continue;
      if (!knownSettings.has(name)) throw new HttpQueryError(115, 'UNKNOWN_SETTING', `Unknown setting '${name}'`);
      if (isReadonly && name === 'readonly' && value === '1') continue;
      if (isReadonly && !isPresentationSetting(name)) {
        throw new HttpQueryError(164, 'READONLY', `Cannot modify '${name}' setting in readonly mode`);
      }
      settings.push([name, value]);
    }

    const body = request.method === 'POST' ? await readBody(request, maxBodyBytes) : '';
    const queryText = url.searchParams.get('query') ?? '';
    const sql = queryText && body ? `${queryText}\n${body}` : queryText || body;
    if (!sql.trim()) throw new HttpQueryError(62, 'SYNTAX_ERROR', 'Empty query');
    const format = /\bFORMAT\s+([A-Za-z][A-Za-z0-9]*)\s*;?\s*$/i.exec(sql)?.[1] ?? url.searchParams.get('default_format') ?? 'TabSeparated';

    if (running >= maxConcurrent) {
      throw new HttpQueryError(202, 'TOO_MANY_SIMULTANEOUS_QUERIES', `Too many simultaneous queries. Maximum: ${maxConcurrent}`);
    }
    running += 1;
    const started = performance.now();
    const session = new Session(options.path, { connectionArgs: CHDB_CONNECTION_ARGS });
    try {
      await session.queryAsync(`USE ${database}`);
      for (const [name, value] of settings) await session.queryAsync(`SET ${name} = ${stringLiteral(value)}`);
      for (const [name, value] of params) await session.queryAsync(`SET param_${name} = ${stringLiteral(value)}`);
      if (isReadonly) {
        for (const [name, value] of Object.entries(READONLY_LIMITS)) await session.queryAsync(`SET ${name} = ${stringLiteral(value)}`);
        await session.queryAsync('SET readonly = 1');
      }
      const result = await session.queryAsync(sql, { format });
      const bytes = result.bytes();
      let payload = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const headers: Record<string, string> = {
        'Content-Type': contentTypeFor(format),
        'X-ClickHouse-Format': format,
        'X-ClickHouse-Summary': JSON.stringify({
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: String(result.rowsRead),
          result_rows: '0',
          result_bytes: String(payload.length),
          elapsed_ns: String(Math.round(result.elapsed * 1e9)),
        }),
      };
      if (url.searchParams.get('enable_http_compression') === '1' && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
        payload = gzipSync(payload);
        headers['Content-Encoding'] = 'gzip';
      }
      response.writeHead(200, headers).end(payload);
      logger.debug({ user: user.name, queryId, ms: Math.round(performance.now() - started), bytes: payload.length }, 'query');
    } finally {
      // Only after the query settled: closing a connection with an operation on it aborts the engine.
      session.close();
      running -= 1;
    }
  };

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const match = /Code: (\d+)\./.exec(message);
      const code = error instanceof HttpQueryError ? error.code : match ? Number(match[1]) : 1001;
      const text = message.startsWith('Code: ') ? message : `Code: ${code}. DB::Exception: ${message}. (STD_EXCEPTION)`;
      const status = (error instanceof HttpQueryError ? error.status : undefined) ?? statusForCode(code);
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=UTF-8',
        'X-ClickHouse-Exception-Code': String(code),
      };
      if (status === 401) headers['WWW-Authenticate'] = 'Basic realm="ClickHouse"';
      // The request body may be unread (e.g. refused before reading); do not keep the socket.
      if (!request.complete) headers.Connection = 'close';
      response.writeHead(status, headers).end(`${text.trimEnd()}\n`);
      if (status >= 500 && code !== 202) logger.warn({ code }, 'query failed');
    });
  });
  server.requestTimeout = 120_000;
  server.headersTimeout = 15_000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    anchor.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  logger.info({ host: options.host, port, users: options.users.map((u) => `${u.name}${u.readonly ? ' (read-only)' : ''}`) }, 'ClickHouse HTTP endpoint listening');
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      // Wait for queries still running: their connections must close after they settle.
      while (running > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      anchor.close();
    },
  };
}
