// `linkpulse demo`: a creator account, a published profile with links (GitHub cards among them)
// and a few months of generated traffic, so a fresh install shows a full dashboard at once.
//
// The account, profile and links go through the running process's own API (/api/v1), exactly as a
// browser would send them, so validation, RLS, audit rows and rate limits all apply. Only the
// traffic bypasses ingest: the rows server/demo/traffic.ts generates are what the consumers would have
// written, inserted straight into the events table (the materialized views fill the aggregates).
//
// Idempotent: a second run logs into the same account, reuses the @demo profile and the links it
// finds by title, and adds no traffic when the profile already has events. Delete DATA_DIR (or the
// profile) to start over.
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { generateTraffic, type TrafficLink } from './traffic.js';
import { DEMO_CREDENTIALS, DEMO_HANDLE } from '../../lib/demo-account.js';

/** The demo's password before the password rule refused it (it contains the "demo" of the address): changed on the next run. */
export const LEGACY_DEMO_PASSWORD = 'linkpulse-demo';

const DEMO_PROFILE = {
  displayName: 'Dana Okafor',
  bio: 'Backend engineer: ClickHouse, Rust and privacy-friendly analytics.\nThis is a Linkpulse demo page; its traffic is generated.',
  accentColor: '#0f766e',
  theme: 'auto',
} as const;

/** In page order. GitHub repository URLs become live cards (synced by the scheduler). */
const DEMO_LINKS = [
  { title: 'ClickHouse: where I contribute', url: 'https://github.com/ClickHouse/ClickHouse' },
  { title: 'Blog: exactly-once inserts into ClickHouse', url: 'https://example.com/blog/exactly-once-clickhouse' },
  { title: 'Svelte', url: 'https://github.com/sveltejs/svelte' },
  { title: 'Talk: analytics without cookies (video)', url: 'https://www.youtube.com/@ClickHouseDB' },
  { title: 'My newsletter: Devtools Weekly', url: 'https://example.com/newsletter' },
  { title: 'Mastodon', url: 'https://fosstodon.org/@linkpulse' },
] as const;

export interface SeedDemoOptions {
  /** Where the process's API answers, e.g. http://localhost:3000 (requests go to `${baseUrl}/api/v1`). */
  baseUrl: string;
  /** The process's PUBLIC_URL origin: sent as Origin, which the CSRF check compares with it. */
  origin: string;
  /** The process's analytics store (running.platform.clickhouse). */
  clickhouse: ClickHouse;
  /** Generated events (views, clicks and click positions). Default 300,000. */
  events?: number;
  /** Days of traffic, ending now. Default 90. */
  days?: number;
  /** Called with progress lines (never with a secret). */
  onProgress?: (message: string) => void;
}

export interface SeedDemoResult {
  profileId: string;
  handle: string;
  /** Links the run created (0 on a second run). */
  linksCreated: number;
  /** Events inserted by this run (0 when the profile already had traffic). */
  eventsInserted: number;
  /** Events of the profile in ClickHouse after the run. */
  eventsTotal: number;
  /** The demo creator's session cookie (name=value), for callers that go on to use the API. */
  cookie: string;
}

interface Session {
  cookie: string;
  csrfToken: string;
}

export async function seedDemo(options: SeedDemoOptions): Promise<SeedDemoResult> {
  const progress = options.onProgress ?? (() => undefined);
  const api = apiClient(options.baseUrl, options.origin);

  // Sign-up answers 202 whether or not the address is already registered, so it can simply repeat.
  await api.call('POST', '/auth/signup', undefined, DEMO_CREDENTIALS, [202]);
  const session = (await logIn(api, DEMO_CREDENTIALS.password)) ?? (await upgradeLegacyPassword(api, progress));

  const { profiles } = (await api.call<{ profiles: { id: string; handle: string }[] }>('GET', '/profiles', session)).body;
  let profile = profiles.find((candidate) => candidate.handle === DEMO_HANDLE);
  if (profile === undefined) {
    const created = await api.call<{ id: string; handle: string }>('POST', '/profiles', session, { handle: DEMO_HANDLE, ...DEMO_PROFILE, published: true }, [201, 409]);
    if (created.status === 409) throw new Error(`the handle @${DEMO_HANDLE} belongs to another account`);
    profile = created.body;
    progress(`created the profile @${DEMO_HANDLE}`);
  }

  const existing = (await api.call<{ links: { id: string; title: string; kind: 'url' | 'github' }[] }>('GET', `/profiles/${profile.id}/links`, session)).body.links;
  let linksCreated = 0;
  for (const link of DEMO_LINKS) {
    if (existing.some((candidate) => candidate.title === link.title)) continue;
    existing.push((await api.call<{ id: string; title: string; kind: 'url' | 'github' }>('POST', `/profiles/${profile.id}/links`, session, link, [201])).body);
    linksCreated += 1;
  }
  if (linksCreated > 0) progress(`created ${linksCreated} links`);

  const countEvents = async () =>
    Number((await options.clickhouse.query<{ n: string }>('SELECT count() AS n FROM events WHERE profile_id = {profile:UUID}', { profile: profile.id }))[0]?.n ?? 0);
  let eventsInserted = 0;
  const before = await countEvents();
  if (before === 0) {
    const events = options.events ?? 300_000;
    const links: TrafficLink[] = existing.map((link) => ({ id: link.id, kind: link.kind }));
    const started = performance.now();
    for (const rows of generateTraffic({ profileId: profile.id, links, days: options.days ?? 90, events, batchSize: 50_000 })) {
      await options.clickhouse.insert('events', rows);
      eventsInserted += rows.length;
      progress(`inserted ${eventsInserted.toLocaleString('en-US')} of ${events.toLocaleString('en-US')} events`);
    }
    progress(`generated traffic in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else {
    progress(`@${DEMO_HANDLE} already has ${before.toLocaleString('en-US')} events; no traffic added`);
  }
  return { profileId: profile.id, handle: profile.handle, linksCreated, eventsInserted, eventsTotal: before + eventsInserted, cookie: session.cookie };
}

async function logIn(api: ApiClient, password: string): Promise<Session | undefined> {
  const login = await api.call<{ csrfToken: string }>('POST', '/auth/login', undefined, { email: DEMO_CREDENTIALS.email, password }, [200, 401]);
  return login.status === 200 ? { cookie: login.cookie!, csrfToken: login.body.csrfToken } : undefined;
}

/** A DATA_DIR seeded by an earlier version has the demo account with LEGACY_DEMO_PASSWORD: give it today's. */
async function upgradeLegacyPassword(api: ApiClient, progress: (message: string) => void): Promise<Session> {
  const legacy = await logIn(api, LEGACY_DEMO_PASSWORD);
  if (legacy === undefined) throw new Error(`${DEMO_CREDENTIALS.email} exists with another password; delete the account (or DATA_DIR) to seed the demo again`);
  const changed = await api.call<{ csrfToken: string }>('POST', '/auth/password', legacy, { currentPassword: LEGACY_DEMO_PASSWORD, newPassword: DEMO_CREDENTIALS.password });
  progress(`changed the demo account's password to ${DEMO_CREDENTIALS.password}`);
  return { cookie: changed.cookie!, csrfToken: changed.body.csrfToken };
}

type ApiClient = ReturnType<typeof apiClient>;

function apiClient(baseUrl: string, origin: string) {
  return {
    /** One API call; a status outside `expected` throws with the error envelope. */
    async call<T>(method: string, path: string, session: Session | undefined, body?: unknown, expected: readonly number[] = [200]): Promise<{ status: number; body: T; cookie: string | undefined }> {
      const response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(method === 'GET' ? {} : { origin }),
          ...(session ? { cookie: session.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': session.csrfToken }) } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!expected.includes(response.status)) throw new Error(`demo: ${method} /api/v1${path} answered ${response.status}: ${text}`);
      // The session cookie (name=value); login also sets the known-device cookie, which a script does not need.
      const cookie = response.headers
        .getSetCookie()
        .map((header) => header.split(';')[0]!)
        .find((pair) => /^(__Host-)?lp_session=/.test(pair));
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T, cookie };
    },
  };
}
