// An API instance for tests: a fresh migrated database, a cache (memory unless given), and the real
// HTTP server of lib/runtime (so security headers, request ids and the HTTPS redirect apply exactly
// as in production). ApiClient is a tiny browser stand-in: the session and known-device cookies, the
// CSRF token, and the Origin header a same-origin page would send.
import { randomBytes } from 'node:crypto';
import type { Cache } from '../../lib/cache/cache.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { AppError } from '../../lib/errors.js';
import { createMemoryCache } from '../../lib/cache/memory-cache.js';
import type { ReadinessReport } from '../../lib/health.js';
import { createMetrics, type Metrics } from '../../lib/metrics.js';
import type { RunningHttpServer } from '../../lib/runtime/http-server.js';
import { createTestDatabase, type TestDatabase } from '../../lib/testing/postgres.js';
import { testLogger } from '../../lib/testing/services.js';
import { uniqueName } from '../../lib/testing/wait-for.js';
import { createApiApp, type ApiApp, type ApiConfig } from '../../api/app.js';
import { createPublicProfiles } from '../../api/public/public-profile.service.js';
import { createPasswordHasher } from '../../api/auth/password.js';
import { startTestHttpServer } from '../../lib/testing/http-server.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalStorage } from '../../lib/storage/local-storage.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import { createRecordingMailer, type RecordingMailer } from '../../lib/testing/mail.js';

export const TEST_PUBLIC_URL = 'http://localhost:3000';
export const TEST_ORIGIN = new URL(TEST_PUBLIC_URL).origin;
/** Cheap scrypt for tests (the production parameters are measured in the bench). */
export const testPasswordHasher = createPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

/** An analytics store that is not there: every call fails as an unreachable ClickHouse would. */
const unavailable = () => Promise.reject(new AppError('UNAVAILABLE', 'No analytics store in this test', { retryAfterSeconds: 1 }));
export const noAnalyticsStore: ClickHouse = {
  kind: 'server',
  database: 'none',
  query: unavailable,
  insert: unavailable,
  command: unavailable,
  healthCheck: () => ({ name: 'clickhouse', required: true, check: unavailable }),
  close: async () => undefined,
};

export interface ApiHarness {
  url: string;
  database: TestDatabase;
  cache: Cache;
  storage: ObjectStorage;
  api: ApiApp;
  config: ApiConfig;
  metrics: Metrics;
  /** Mail the API sent: recorded unless a test brings a real mailer (SMTP to Mailpit). */
  mailer: Mailer;
  /** A client; `address`, sent as X-Forwarded-For, is its client address when the harness trusts the proxy (config.trustProxy: ['loopback']). */
  client(address?: string): ApiClient;
  /** A signed-up, logged-in creator (from `address`, as client() takes it). */
  newUser(address?: string): Promise<ApiClient>;
  /** A new creator whose address is confirmed (with the recorded confirmation mail), logged in again after it. */
  confirmedUser(): Promise<ApiClient>;
  /** The secret of the newest mailed link of `kind` to `email` (the recorded mail; '' when there is none). */
  mailedToken(email: string, kind: string): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  which?: 'embedded' | 'real' | 'default';
  cache?: Cache;
  /** An existing database to share (several API instances on one database). */
  database?: TestDatabase;
  config?: Partial<ApiConfig>;
  /** Where uploaded images go; a temporary local directory unless given. */
  storage?: ObjectStorage;
  /** The analytics store; without one, analytics routes answer 503 (most suites never read analytics). */
  clickhouse?: ClickHouse;
  /** What /readyz reports; always ok unless given (a process builds it from its health checks). */
  readiness?: () => Promise<ReadinessReport>;
  /** Waits out login slow-downs; a real timer unless given (a test can record the delays instead). */
  loginDelay?: (ms: number) => Promise<void>;
  /** Where mail goes; a RecordingMailer unless given. */
  mailer?: Mailer;
}

export interface ApiResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export class ApiClient {
  /** The session cookie (name=value). */
  cookie: string | undefined;
  /** The known-device cookie (name=value); like a browser, sent only to the login route (its Path). */
  deviceCookie: string | undefined;
  csrfToken: string | undefined;
  /** Sent as X-Forwarded-For: the client address, behind a trusted proxy. */
  address: string | undefined;
  email: string | undefined;
  password: string | undefined;
  userId: string | undefined;

  /** origin: what a same-origin page would send (PUBLIC_URL's origin). */
  constructor(
    readonly baseUrl: string,
    readonly origin: string = TEST_ORIGIN,
  ) {}

  async request<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const cookies = [this.cookie, path.startsWith('/api/v1/auth/login') ? this.deviceCookie : undefined].filter(Boolean).join('; ');
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      redirect: 'manual',
      headers: {
        // FormData sets its own multipart content type (with the boundary).
        ...(body === undefined || body instanceof FormData ? {} : { 'content-type': 'application/json' }),
        ...(cookies ? { cookie: cookies } : {}),
        ...(this.csrfToken && method !== 'GET' ? { 'x-csrf-token': this.csrfToken } : {}),
        ...(method !== 'GET' ? { origin: this.origin } : {}),
        ...(this.address ? { 'x-forwarded-for': this.address } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body) }),
    });
    for (const setCookie of response.headers.getSetCookie()) {
      const pair = setCookie.split(';')[0]!;
      const value = pair.endsWith('=') ? undefined : pair;
      if (/^(__Secure-)?lp_device=/.test(pair)) this.deviceCookie = value;
      else this.cookie = value;
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get = <T = Record<string, unknown>>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, undefined, headers);
  post = <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) => this.request<T>('POST', path, body ?? {}, headers);
  patch = <T = Record<string, unknown>>(path: string, body: unknown) => this.request<T>('PATCH', path, body);
  put = <T = Record<string, unknown>>(path: string, body: unknown) => this.request<T>('PUT', path, body);
  delete = <T = Record<string, unknown>>(path: string, body?: unknown) => this.request<T>('DELETE', path, body);
  /** POSTs one file as multipart/form-data, as a browser's file input would. */
  upload = <T = Record<string, unknown>>(path: string, file: Uint8Array, options: { field?: string; name?: string; type?: string } = {}) => {
    const form = new FormData();
    form.append(options.field ?? 'file', new Blob([file], { type: options.type ?? 'application/octet-stream' }), options.name ?? 'upload.bin');
    return this.request<T>('POST', path, form);
  };

  async signUpAndLogIn(email = `${uniqueName('creator')}@example.com`, password = `pw-${randomBytes(8).toString('hex')}`): Promise<this> {
    const signUp = await this.post('/api/v1/auth/signup', { email, password });
    if (signUp.status !== 202) throw new Error(`sign-up failed: ${signUp.status} ${JSON.stringify(signUp.body)}`);
    const login = await this.logIn(email, password);
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    return this;
  }

  async logIn(email: string, password: string): Promise<ApiResponse<{ user: { id: string }; csrfToken: string }>> {
    const login = await this.post<{ user: { id: string }; csrfToken: string }>('/api/v1/auth/login', { email, password });
    if (login.status === 200) {
      this.csrfToken = login.body.csrfToken;
      this.email = email;
      this.password = password;
      this.userId = login.body.user.id;
    }
    return login;
  }

  async newProfile(fields: Record<string, unknown> = {}): Promise<{ id: string; handle: string }> {
    const response = await this.post<{ id: string; handle: string }>('/api/v1/profiles', { handle: uniqueName('h').replaceAll('_', '-').slice(0, 30), displayName: 'Test Creator', ...fields });
    if (response.status !== 201) throw new Error(`profile creation failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }

  async newLink(profileId: string, fields: Record<string, unknown> = {}): Promise<{ id: string }> {
    const response = await this.post<{ id: string }>(`/api/v1/profiles/${profileId}/links`, { title: 'A link', url: 'https://example.com/', ...fields });
    if (response.status !== 201) throw new Error(`link creation failed: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body;
  }
}

const alwaysReady = async (): Promise<ReadinessReport> => ({ status: 'ok', dependencies: {} });

export function testApiConfig(overrides: Partial<ApiConfig> = {}): ApiConfig {
  return {
    trustProxy: false,
    publicUrl: TEST_PUBLIC_URL,
    sessionSecret: randomBytes(32).toString('base64url'),
    hashSecret: randomBytes(32).toString('base64url'),
    rateLimits: { ipPerMinute: 10_000, userPerMinute: 10_000, authPerMinute: 10_000 },
    assets: { maxUploadBytes: 5 * 1024 * 1024, quotaBytes: 50 * 1024 * 1024, format: 'webp', quality: 80, uploadsPerMinute: 10_000 },
    teams: { maxMembers: 10 },
    analyticsRetentionDays: 400,
    webhooks: { allowLoopback: false, allowPrivateNetworks: false, clickBatchSeconds: 60 },
    ...overrides,
  };
}

export async function startApiServer(api: ApiApp, config: ApiConfig, readiness: () => Promise<ReadinessReport> = alwaysReady): Promise<RunningHttpServer> {
  return startTestHttpServer(
    [
      { name: '/api', prefix: '/api', handler: api.app },
      { name: '/assets', prefix: '/assets', methods: ['GET'], handler: api.assetHandler },
      { name: '/og', prefix: '/og', methods: ['GET'], handler: api.ogImageHandler },
    ],
    {
    roles: ['api'],
    readiness,
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
    },
  );
}

export async function startApiHarness(label: string, options: HarnessOptions = {}): Promise<ApiHarness> {
  const ownsDatabase = options.database === undefined;
  const database = options.database ?? (await createTestDatabase(label, options.which ?? 'default'));
  const cache = options.cache ?? createMemoryCache();
  const config = testApiConfig(options.config);
  // Images in a directory of this harness's own unless a test brings its storage (S3).
  const storageDir = options.storage ? undefined : await mkdtemp(path.join(tmpdir(), `linkpulse-${label}-assets-`));
  const storage = options.storage ?? createLocalStorage(storageDir!);
  const metrics = createMetrics();
  const mailer = options.mailer ?? createRecordingMailer();
  const mailedToken = (email: string, kind: string) =>
    /#token=([A-Za-z0-9_-]{43})/.exec(('sent' in mailer ? (mailer as RecordingMailer).sent : []).filter((mail) => mail.to === email && mail.kind === kind).at(-1)?.text ?? '')?.[1] ?? '';
  const api = createApiApp(config, {
    db: database.db,
    clickhouse: options.clickhouse ?? noAnalyticsStore,
    cache,
    storage,
    logger: testLogger,
    metrics,
    publicProfiles: createPublicProfiles({ db: database.db, cache, logger: testLogger }),
    passwordHasher: testPasswordHasher,
    mailer,
    ...(options.loginDelay ? { loginDelay: options.loginDelay } : {}),
  });
  const server = await startApiServer(api, config, options.readiness);
  const client = (address?: string) => Object.assign(new ApiClient(server.url), { address });
  return {
    url: server.url,
    database,
    cache,
    storage,
    api,
    config,
    metrics,
    mailer,
    client,
    newUser: (address?: string) => client(address).signUpAndLogIn(),
    confirmedUser: async () => {
      const user = await client().signUpAndLogIn();
      const confirmed = await client().post('/api/v1/auth/email-verification/confirm', { token: mailedToken(user.email!, 'email-verification') });
      if (confirmed.status !== 200) throw new Error(`confirming failed: ${confirmed.status} ${JSON.stringify(confirmed.body)}`);
      // Confirming ends the account's other sessions.
      await user.logIn(user.email!, user.password!);
      return user;
    },
    mailedToken,
    async close() {
      await server.close(1_000);
      await mailer.close();
      metrics.stop();
      if (!options.cache) await cache.close();
      if (ownsDatabase) await database.drop();
      if (storageDir) await rm(storageDir, { recursive: true, force: true });
    },
  };
}
