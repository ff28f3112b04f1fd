// Webhooks over HTTP, on a fresh database: owners and editors register, change, disable and delete
// endpoints; the URL rules refuse this machine, private networks and metadata addresses (422 naming
// the field) and malformed input (400); the signing secret is in the creation's and the rotation's
// answers only and never readable again, not even by raw SQL as the app role; a rotation keeps the
// previous secret for 24 hours; a test event is one event and one delivery to that endpoint alone;
// deliveries page newest first with filters, show their attempts and payload, and resend (one, or the
// recent failures, bounded); analysts, viewers, strangers and tokens without the webhook scopes are
// refused. There is no worker here: deliveries and attempts are written as the worker would.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withUser } from '../../lib/postgres/tenant.js';
import { asOwner } from '../../lib/testing/postgres.js';
import { createWebhookSecretBox } from '../../lib/webhooks/webhook-secret.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { MAX_BULK_RESEND, MAX_WEBHOOK_ENDPOINTS, TEST_EVENTS_PER_MINUTE } from './webhooks.service.js';

interface Endpoint {
  id: string;
  url: string;
  description: string;
  eventTypes: string[];
  status: 'active' | 'disabled';
  disabledReason: string | null;
  previousSecretValidUntil: string | null;
  health: {
    state: string;
    consecutiveFailures: number;
    lastDelivery: { status: string; statusCode: number | null; error: string | null } | null;
    failedDeliveries: number;
    pendingDeliveries: number;
  };
}
interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttempt: { statusCode: number | null; latencyMs: number | null; error: string | null } | null;
}
type ErrorBody = { error: { code: string; message: string; details?: { fields?: { field: string; message: string }[] } } };

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness('webhooks');
});
afterAll(async () => {
  await harness?.close();
});

const base = (profileId: string) => `/api/v1/profiles/${profileId}/webhooks`;
const sql = <T extends pg.QueryResultRow = Record<string, unknown>>(text: string, values: unknown[] = []) =>
  asOwner(harness.database, async (client) => (await client.query<T>(text, values)).rows);

async function newEndpoint(client: ApiClient, profileId: string, fields: Record<string, unknown> = {}): Promise<{ endpoint: Endpoint; secret: string }> {
  const created = await client.post<{ endpoint: Endpoint; secret: string }>(base(profileId), { url: `https://hooks.example.com/${randomUUID()}`, eventTypes: ['link.created'], ...fields });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

/** A member of the profile in `role`, through a real invitation. */
async function member(owner: ApiClient, profileId: string, role: 'editor' | 'analyst' | 'viewer'): Promise<ApiClient> {
  const user = await harness.confirmedUser();
  expect((await owner.post(`/api/v1/profiles/${profileId}/invitations`, { email: user.email, role })).status).toBe(201);
  expect((await user.post('/api/v1/invitations/accept', { token: harness.mailedToken(user.email!, 'team-invitation') })).status).toBe(200);
  return user;
}

/** An event and its delivery to the endpoint, with attempts, as the worker records them. */
async function seedDelivery(
  profileId: string,
  endpointId: string,
  options: { type?: string; status?: 'pending' | 'delivered' | 'failed'; ageMinutes?: number; attempts?: { statusCode: number | null; latencyMs: number; error?: string; excerpt?: string }[] } = {},
): Promise<{ deliveryId: string; eventId: string }> {
  const attempts = options.attempts ?? [];
  const [event] = await sql<{ id: string }>(
    "INSERT INTO webhook_events (profile_id, type, data, occurred_at, fanned_out_at) VALUES ($1, $2, $3, now() - make_interval(mins => $4), now()) RETURNING id",
    [profileId, options.type ?? 'link.created', JSON.stringify({ link: { id: randomUUID(), title: 'Docs' } }), options.ageMinutes ?? 0],
  );
  const status = options.status ?? 'pending';
  const [delivery] = await sql<{ id: string }>(
    `INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id, status, attempts, created_at, next_attempt_at, delivered_at)
     VALUES ($1, $2, $3, $4, $5, now() - make_interval(mins => $6), now() + interval '1 hour', CASE WHEN $4 = 'delivered' THEN now() END) RETURNING id`,
    [event!.id, endpointId, profileId, status, attempts.length, options.ageMinutes ?? 0],
  );
  for (const [index, attempt] of attempts.entries()) {
    await sql(
      `INSERT INTO webhook_attempts (delivery_id, profile_id, attempted_at, status_code, latency_ms, error, response_excerpt)
       VALUES ($1, $2, now() - make_interval(mins => $3) + make_interval(secs => $4), $5, $6, $7, $8)`,
      [delivery!.id, profileId, options.ageMinutes ?? 0, index, attempt.statusCode, attempt.latencyMs, attempt.error ?? null, attempt.excerpt ?? null],
    );
  }
  return { deliveryId: delivery!.id, eventId: event!.id };
}

describe('endpoints', () => {
  it('registers an endpoint, shows its secret once, and changes, disables, enables and deletes it', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint, secret } = await newEndpoint(owner, profile.id, {
      url: 'https://Hooks.Example.com:8443/linkpulse?source=lp',
      description: '  Deploy bot  ',
      eventTypes: ['link.deleted', 'profile.published', 'link.deleted'],
    });
    expect(secret).toMatch(SECRET);
    expect(endpoint).toMatchObject({
      url: 'https://hooks.example.com:8443/linkpulse?source=lp',
      description: 'Deploy bot',
      // Repeats count once; the catalogue's order.
      eventTypes: ['profile.published', 'link.deleted'],
      status: 'active',
      disabledReason: null,
      previousSecretValidUntil: null,
      health: { state: 'idle', consecutiveFailures: 0, lastDelivery: null, failedDeliveries: 0, pendingDeliveries: 0 },
    });
    // What the database keeps is that secret, sealed with the server's key.
    const [stored] = await sql<{ secret_encrypted: Buffer }>('SELECT secret_encrypted FROM webhook_endpoints WHERE id = $1', [endpoint.id]);
    expect(createWebhookSecretBox(harness.config.sessionSecret!).open(stored!.secret_encrypted)).toBe(secret);
    expect(stored!.secret_encrypted.toString('latin1')).not.toContain(secret);

    const listed = await owner.get<{ endpoints: Endpoint[]; maxEndpoints: number }>(base(profile.id));
    expect(listed.body).toEqual({ endpoints: [endpoint], maxEndpoints: MAX_WEBHOOK_ENDPOINTS });
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body).toEqual(endpoint);

    const changed = await owner.patch<Endpoint>(`${base(profile.id)}/${endpoint.id}`, { description: 'CI', eventTypes: ['link.clicked'] });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ description: 'CI', eventTypes: ['link.clicked'], url: endpoint.url });

    const disabled = await owner.patch<Endpoint>(`${base(profile.id)}/${endpoint.id}`, { enabled: false });
    expect(disabled.body).toMatchObject({ status: 'disabled', disabledReason: 'Disabled by a member of the page’s team', health: { state: 'disabled' } });

    // The worker had counted failures and disabled it: enabling forgets both.
    await sql("UPDATE webhook_endpoints SET consecutive_failures = 12, disabled_reason = 'Failed 12 deliveries in a row' WHERE id = $1", [endpoint.id]);
    const enabled = await owner.patch<Endpoint>(`${base(profile.id)}/${endpoint.id}`, { enabled: true });
    expect(enabled.body).toMatchObject({ status: 'active', disabledReason: null, disabledAt: null, health: { state: 'idle', consecutiveFailures: 0 } });

    // A new URL starts with no failures either.
    await sql('UPDATE webhook_endpoints SET consecutive_failures = 3 WHERE id = $1', [endpoint.id]);
    const moved = await owner.patch<Endpoint>(`${base(profile.id)}/${endpoint.id}`, { url: 'https://receiver.example.org/hook' });
    expect(moved.body).toMatchObject({ url: 'https://receiver.example.org/hook', health: { consecutiveFailures: 0 } });
    // A new URL and enabling at once (the fuzzer found this a 500 once).
    await owner.patch(`${base(profile.id)}/${endpoint.id}`, { enabled: false });
    const both = await owner.patch<Endpoint>(`${base(profile.id)}/${endpoint.id}`, { url: 'https://receiver.example.org/other', enabled: true });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ url: 'https://receiver.example.org/other', status: 'active', health: { consecutiveFailures: 0 } });

    expect((await owner.delete(`${base(profile.id)}/${endpoint.id}`)).status).toBe(204);
    expect((await owner.get(`${base(profile.id)}/${endpoint.id}`)).status).toBe(404);
    expect((await owner.delete(`${base(profile.id)}/${endpoint.id}`)).status).toBe(404);
    expect((await owner.get<{ endpoints: Endpoint[] }>(base(profile.id))).body.endpoints).toEqual([]);
  });

  it('refuses addresses of this machine, private networks and metadata services with a 422 naming the field', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const refusals: Record<string, string> = {};
    for (const url of [
      'http://example.com/hook',
      'https://localhost/hook',
      'https://api.localhost/hook',
      'https://127.0.0.1:8080/hook',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://0.0.0.0/hook',
      'https://10.1.2.3/hook',
      'https://192.168.1.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00:ec2::254]/',
      'https://user:secret@example.com/hook',
      'https://example.com/hook#section',
      'https://intranet/hook',
      'ftp://example.com/hook',
    ]) {
      const response = await owner.post<ErrorBody>(base(profile.id), { url, eventTypes: ['link.created'] });
      expect({ url, status: response.status, code: response.body.error.code, fields: response.body.error.details?.fields?.map((field) => field.field) }).toEqual({
        url,
        status: 422,
        code: 'UNPROCESSABLE',
        fields: ['body.url'],
      });
      refusals[url] = response.body.error.details!.fields![0]!.message;
    }
    expect(refusals['https://169.254.169.254/latest/meta-data']).toMatch(/metadata/);
    expect(refusals['https://10.1.2.3/hook']).toMatch(/private/);
    expect(refusals['https://localhost/hook']).toMatch(/this server/);
    // Nothing was registered.
    expect((await owner.get<{ endpoints: Endpoint[] }>(base(profile.id))).body.endpoints).toEqual([]);

    // A change of address is held to the same rules.
    const { endpoint } = await newEndpoint(owner, profile.id);
    const moved = await owner.patch<ErrorBody>(`${base(profile.id)}/${endpoint.id}`, { url: 'https://[::ffff:a9fe:a9fe]/' });
    expect({ status: moved.status, field: moved.body.error.details?.fields?.[0]?.field }).toEqual({ status: 422, field: 'body.url' });
  });

  it('answers malformed input with a 400 naming the field', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint } = await newEndpoint(owner, profile.id);
    const cases: [string, unknown, string][] = [
      ['POST', { url: 'not a url', eventTypes: ['link.created'] }, 'body.url'],
      ['POST', { url: 'https://example.com/a b', eventTypes: ['link.created'] }, 'body.url'],
      ['POST', { url: `https://example.com/${'a'.repeat(2100)}`, eventTypes: ['link.created'] }, 'body.url'],
      ['POST', { url: 'https://example.com/hook', eventTypes: [] }, 'body.eventTypes'],
      ['POST', { url: 'https://example.com/hook', eventTypes: ['webhook.test'] }, 'body.eventTypes.0'],
      ['POST', { url: 'https://example.com/hook', eventTypes: ['link.nope'] }, 'body.eventTypes.0'],
      ['POST', { url: 'https://example.com/hook' }, 'body.eventTypes'],
      ['POST', { url: 'https://example.com/hook', eventTypes: ['link.created'], description: 'x'.repeat(201) }, 'body.description'],
      ['POST', { url: 'https://example.com/hook', eventTypes: ['link.created'], secret: 'whsec_mine' }, 'body'],
      ['PATCH', {}, 'body'],
      ['PATCH', { enabled: 'yes' }, 'body.enabled'],
    ];
    for (const [method, body, field] of cases) {
      const response = await owner.request<ErrorBody>(method, method === 'POST' ? base(profile.id) : `${base(profile.id)}/${endpoint.id}`, body);
      expect({ body, status: response.status, fields: response.body.error.details?.fields?.map((entry) => entry.field) }).toEqual({ body, status: 400, fields: [field] });
    }
    const query = await owner.get<ErrorBody>(`${base(profile.id)}/${endpoint.id}/deliveries?status=lost&limit=500&before=yesterday`);
    expect(query.body.error.details?.fields?.map((entry) => entry.field).sort()).toEqual(['query.before', 'query.limit', 'query.status']);
  });

  it('keeps one endpoint per URL and at most ten per profile (409)', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    await newEndpoint(owner, profile.id, { url: 'https://example.com/hook' });
    const twice = await owner.post<ErrorBody>(base(profile.id), { url: 'HTTPS://EXAMPLE.com:443/hook', eventTypes: ['link.updated'] });
    expect({ status: twice.status, field: twice.body.error.details?.fields?.[0]?.field }).toEqual({ status: 409, field: 'body.url' });
    const other = await newEndpoint(owner, profile.id, { url: 'https://example.com/other' });
    expect((await owner.patch(`${base(profile.id)}/${other.endpoint.id}`, { url: 'https://example.com/hook' })).status).toBe(409);
    // Its own URL again is no conflict.
    expect((await owner.patch(`${base(profile.id)}/${other.endpoint.id}`, { url: 'https://example.com/other' })).status).toBe(200);
    // Two at once for one URL: one is made, the other told why (never a 500).
    const racing = await Promise.all([1, 2].map(() => owner.post(base(profile.id), { url: 'https://example.com/raced', eventTypes: ['link.created'] })));
    expect(racing.map((response) => response.status).sort()).toEqual([201, 409]);

    for (let n = 3; n < MAX_WEBHOOK_ENDPOINTS; n++) await newEndpoint(owner, profile.id);
    const over = await owner.post<ErrorBody>(base(profile.id), { url: 'https://example.com/eleventh', eventTypes: ['link.created'] });
    expect({ status: over.status, message: over.body.error.message }).toEqual({ status: 409, message: expect.stringMatching(/at most 10 webhook endpoints/) as unknown });
  });

  it('allows http to this machine only where the operator allows loopback (development)', async () => {
    const development = await startApiHarness('webhooks_loopback', {
      database: harness.database,
      config: { sessionSecret: harness.config.sessionSecret, hashSecret: harness.config.hashSecret, webhooks: { allowLoopback: true, allowPrivateNetworks: false, clickBatchSeconds: 60 } },
    });
    try {
      const owner = await development.newUser();
      const profile = await owner.newProfile();
      const local = await owner.post<{ endpoint: Endpoint }>(base(profile.id), { url: 'http://127.0.0.1:4000/hook', eventTypes: ['link.created'] });
      expect(local.status).toBe(201);
      expect((await owner.post(base(profile.id), { url: 'http://example.com/hook', eventTypes: ['link.created'] })).status).toBe(422);
      expect((await owner.post(base(profile.id), { url: 'https://10.0.0.8/hook', eventTypes: ['link.created'] })).status).toBe(422);
    } finally {
      await development.close();
    }
  });
});

describe('the signing secret', () => {
  it('is never readable again: no answer carries it, and the app role cannot select it', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint, secret } = await newEndpoint(owner, profile.id);
    const test = await owner.post<{ deliveryId: string }>(`${base(profile.id)}/${endpoint.id}/test`);
    const answers = await Promise.all([
      owner.get(base(profile.id)),
      owner.get(`${base(profile.id)}/${endpoint.id}`),
      owner.get(`${base(profile.id)}/${endpoint.id}/deliveries`),
      owner.get(`${base(profile.id)}/${endpoint.id}/deliveries/${test.body.deliveryId}`),
      owner.get(`/api/v1/profiles/${profile.id}/activity`),
      owner.patch(`${base(profile.id)}/${endpoint.id}`, { description: 'read back?' }),
    ]);
    const key = secret.slice('whsec_'.length);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const text = JSON.stringify(answer.body);
      expect(text).not.toContain(key);
      expect(text).not.toMatch(/whsec_|secret_encrypted"\s*:\s*"\\\\x/);
    }

    // Raw SQL as the app role, as the owner: every way to read the column is refused.
    for (const statement of [
      'SELECT secret_encrypted FROM webhook_endpoints',
      'SELECT previous_secret_encrypted FROM webhook_endpoints',
      'SELECT * FROM webhook_endpoints',
      'SELECT e FROM webhook_endpoints e',
      "UPDATE webhook_endpoints SET description = 'x' RETURNING secret_encrypted",
      "SELECT id FROM webhook_endpoints WHERE secret_encrypted IS NOT NULL",
    ]) {
      await expect(withUser(harness.database.db, owner.userId!, (tx) => tx.query(statement)), statement).rejects.toThrow(/permission denied/);
    }
    // It may be written (that is how it is made and rotated), and the row is otherwise readable.
    const rows = await withUser(harness.database.db, owner.userId!, async (tx) => (await tx.query<{ id: string; url: string }>('SELECT id, url FROM webhook_endpoints')).rows);
    expect(rows).toEqual([{ id: endpoint.id, url: endpoint.url }]);
  });

  it('rotates: a new secret shown once, the previous one valid beside it for 24 hours, older ones gone', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint, secret: first } = await newEndpoint(owner, profile.id);
    const box = createWebhookSecretBox(harness.config.sessionSecret!);
    const before = Date.now();
    const rotated = await owner.post<{ secret: string; previousSecretValidUntil: string }>(`${base(profile.id)}/${endpoint.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(SECRET);
    expect(rotated.body.secret).not.toBe(first);
    const until = Date.parse(rotated.body.previousSecretValidUntil);
    expect(until - before).toBeGreaterThan(23.9 * 3_600_000);
    expect(until - before).toBeLessThan(24.1 * 3_600_000);
    const read = async () => {
      const [row] = await sql<{ secret_encrypted: Buffer; previous_secret_encrypted: Buffer }>('SELECT secret_encrypted, previous_secret_encrypted FROM webhook_endpoints WHERE id = $1', [
        endpoint.id,
      ]);
      return { current: box.open(row!.secret_encrypted), previous: box.open(row!.previous_secret_encrypted) };
    };
    expect(await read()).toEqual({ current: rotated.body.secret, previous: first });
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.previousSecretValidUntil).toBe(rotated.body.previousSecretValidUntil);

    const again = await owner.post<{ secret: string }>(`${base(profile.id)}/${endpoint.id}/rotate-secret`);
    expect(await read()).toEqual({ current: again.body.secret, previous: rotated.body.secret });

    // Once the overlap is over, the endpoint says so.
    await sql("UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1", [endpoint.id]);
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.previousSecretValidUntil).toBeNull();
  });
});

describe('test events', () => {
  it('make exactly one event and one delivery, to that endpoint only, whatever it subscribes to', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint } = await newEndpoint(owner, profile.id, { eventTypes: ['alert.triggered'] });
    const bystander = await newEndpoint(owner, profile.id, { eventTypes: ['profile.published', 'link.created', 'link.clicked'] });
    const sent = await owner.post<{ eventId: string; deliveryId: string }>(`${base(profile.id)}/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    const events = await sql<{ id: string; type: string; fanned_out: boolean; data: { profile: { handle: string }; endpoint: { url: string } } }>(
      'SELECT id, type, fanned_out_at IS NOT NULL AS fanned_out, data FROM webhook_events WHERE profile_id = $1',
      [profile.id],
    );
    expect(events).toEqual([{ id: sent.body.eventId, type: 'webhook.test', fanned_out: true, data: expect.objectContaining({ profile: { id: profile.id, handle: profile.handle } }) as unknown }]);
    const deliveries = await sql('SELECT id, endpoint_id, status, attempts FROM webhook_deliveries WHERE profile_id = $1', [profile.id]);
    expect(deliveries).toEqual([{ id: sent.body.deliveryId, endpoint_id: endpoint.id, status: 'pending', attempts: 0 }]);
    // Due now: the worker takes it on its next pass.
    const [due] = await sql<{ due: boolean }>('SELECT next_attempt_at <= now() AS due FROM webhook_deliveries WHERE id = $1', [sent.body.deliveryId]);
    expect(due!.due).toBe(true);

    const listed = await owner.get<{ deliveries: Delivery[] }>(`${base(profile.id)}/${endpoint.id}/deliveries`);
    expect(listed.body.deliveries).toMatchObject([{ id: sent.body.deliveryId, eventId: sent.body.eventId, eventType: 'webhook.test', status: 'pending', attempts: 0, lastAttempt: null }]);
    expect((await owner.get<{ deliveries: Delivery[] }>(`${base(profile.id)}/${bystander.endpoint.id}/deliveries`)).body.deliveries).toEqual([]);
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.health).toMatchObject({ pendingDeliveries: 1, state: 'idle' });

    // Not to a disabled endpoint.
    await owner.patch(`${base(profile.id)}/${endpoint.id}`, { enabled: false });
    const refused = await owner.post<ErrorBody>(`${base(profile.id)}/${endpoint.id}/test`);
    expect({ status: refused.status, message: refused.body.error.message }).toEqual({ status: 409, message: expect.stringMatching(/enable it first/) as unknown });
  });

  it('are limited per profile, with Retry-After', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const [first, second] = [await newEndpoint(owner, profile.id), await newEndpoint(owner, profile.id)];
    for (let n = 0; n < TEST_EVENTS_PER_MINUTE; n++) {
      expect((await owner.post(`${base(profile.id)}/${(n % 2 ? first : second).endpoint.id}/test`)).status).toBe(202);
    }
    const limited = await owner.post<ErrorBody>(`${base(profile.id)}/${first.endpoint.id}/test`);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const [{ n }] = (await sql<{ n: number }>('SELECT count(*)::int AS n FROM webhook_deliveries WHERE profile_id = $1', [profile.id])) as [{ n: number }];
    expect(n).toBe(TEST_EVENTS_PER_MINUTE);
    // Another profile has its own budget.
    const elsewhere = await owner.newProfile();
    const { endpoint } = await newEndpoint(owner, elsewhere.id);
    expect((await owner.post(`${base(elsewhere.id)}/${endpoint.id}/test`)).status).toBe(202);
  });
});

describe('deliveries', () => {
  it('page newest first with filters, and show one with its attempts and the event', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint } = await newEndpoint(owner, profile.id, { eventTypes: ['link.created', 'link.deleted'] });
    const seeded = [
      await seedDelivery(profile.id, endpoint.id, { ageMinutes: 50, status: 'delivered', attempts: [{ statusCode: 200, latencyMs: 31, excerpt: 'ok' }] }),
      await seedDelivery(profile.id, endpoint.id, {
        ageMinutes: 40,
        status: 'failed',
        type: 'link.deleted',
        attempts: [
          { statusCode: 500, latencyMs: 120, excerpt: '{"error":"boom"}' },
          { statusCode: null, latencyMs: 10_000, error: 'timed out after 10 s' },
        ],
      }),
      await seedDelivery(profile.id, endpoint.id, { ageMinutes: 30, status: 'pending', attempts: [{ statusCode: 503, latencyMs: 80 }] }),
      await seedDelivery(profile.id, endpoint.id, { ageMinutes: 20, status: 'delivered', attempts: [{ statusCode: 204, latencyMs: 12 }] }),
      await seedDelivery(profile.id, endpoint.id, { ageMinutes: 10, status: 'pending' }),
    ];
    const newestFirst = [...seeded].reverse().map((delivery) => delivery.deliveryId);
    const page = (query: string) => owner.get<{ deliveries: Delivery[]; next: string | null }>(`${base(profile.id)}/${endpoint.id}/deliveries?${query}`);

    const all = await page('');
    expect(all.body.deliveries.map((delivery) => delivery.id)).toEqual(newestFirst);
    expect(all.body.next).toBeNull();
    expect(all.body.deliveries[3]).toMatchObject({ eventType: 'link.deleted', status: 'failed', attempts: 2, nextAttemptAt: null, lastAttempt: { statusCode: null, latencyMs: 10_000, error: 'timed out after 10 s' } });
    expect(all.body.deliveries[0]!.nextAttemptAt).not.toBeNull();

    // Pages of two, joined, are the whole list: no repeat, no gap.
    const paged: string[] = [];
    let next: string | null = '';
    do {
      const response = await page(`limit=2${next ? `&before=${next}` : ''}`);
      expect(response.body.deliveries.length).toBeLessThanOrEqual(2);
      paged.push(...response.body.deliveries.map((delivery) => delivery.id));
      next = response.body.next;
    } while (next);
    expect(paged).toEqual(newestFirst);

    expect((await page('status=delivered')).body.deliveries.map((delivery) => delivery.id)).toEqual([seeded[3]!.deliveryId, seeded[0]!.deliveryId]);
    expect((await page('eventType=link.deleted')).body.deliveries.map((delivery) => delivery.id)).toEqual([seeded[1]!.deliveryId]);
    expect((await page('status=failed&eventType=link.created')).body.deliveries).toEqual([]);

    const detail = await owner.get<{ delivery: Delivery; event: { id: string; type: string; data: unknown }; attempts: { statusCode: number | null; latencyMs: number; error: string | null; responseExcerpt: string | null }[] }>(
      `${base(profile.id)}/${endpoint.id}/deliveries/${seeded[1]!.deliveryId}`,
    );
    expect(detail.status).toBe(200);
    expect(detail.body.event).toMatchObject({ id: seeded[1]!.eventId, type: 'link.deleted', data: { link: { title: 'Docs' } } });
    expect(detail.body.attempts.map(({ statusCode, latencyMs, error, responseExcerpt }) => ({ statusCode, latencyMs, error, responseExcerpt }))).toEqual([
      { statusCode: 500, latencyMs: 120, error: null, responseExcerpt: '{"error":"boom"}' },
      { statusCode: null, latencyMs: 10_000, error: 'timed out after 10 s', responseExcerpt: null },
    ]);

    // Health: the newest attempted delivery (a 204), and the week's counts.
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.health).toEqual({
      state: 'healthy',
      consecutiveFailures: 0,
      lastDelivery: { status: 'delivered', attemptedAt: expect.any(String) as unknown, statusCode: 204, error: null },
      failedDeliveries: 1,
      pendingDeliveries: 2,
    });
    await seedDelivery(profile.id, endpoint.id, { status: 'pending', attempts: [{ statusCode: null, latencyMs: 5, error: 'connection refused' }] });
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.health).toMatchObject({ state: 'failing', lastDelivery: { status: 'pending', statusCode: null, error: 'connection refused' } });

    // Another endpoint's delivery is not this one's.
    const other = await newEndpoint(owner, profile.id);
    expect((await owner.get(`${base(profile.id)}/${other.endpoint.id}/deliveries/${seeded[0]!.deliveryId}`)).status).toBe(404);
    expect((await owner.post(`${base(profile.id)}/${other.endpoint.id}/deliveries/${seeded[0]!.deliveryId}/resend`)).status).toBe(404);
  });

  it('resend one now, whatever its status, and every recent failure (bounded), oldest first', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const { endpoint } = await newEndpoint(owner, profile.id);
    const failed = await seedDelivery(profile.id, endpoint.id, { status: 'failed', ageMinutes: 90, attempts: [{ statusCode: 500, latencyMs: 20 }] });
    const delivered = await seedDelivery(profile.id, endpoint.id, { status: 'delivered', ageMinutes: 80, attempts: [{ statusCode: 200, latencyMs: 20 }] });
    const state = async (deliveryId: string) =>
      (await sql<{ status: string; due: boolean; attempts: number }>('SELECT status, next_attempt_at <= now() AS due, attempts FROM webhook_deliveries WHERE id = $1', [deliveryId]))[0];

    for (const { deliveryId } of [failed, delivered]) {
      const resent = await owner.post<Delivery>(`${base(profile.id)}/${endpoint.id}/deliveries/${deliveryId}/resend`);
      expect(resent.status).toBe(202);
      expect(resent.body).toMatchObject({ id: deliveryId, status: 'pending' });
      // Due now, its history kept.
      expect(await state(deliveryId)).toEqual({ status: 'pending', due: true, attempts: 1 });
    }

    // Every failure of the last 7 days, the newest MAX_BULK_RESEND of them; older ones and other endpoints' stay.
    const other = await newEndpoint(owner, profile.id);
    const othersFailure = await seedDelivery(profile.id, other.endpoint.id, { status: 'failed' });
    const old = await seedDelivery(profile.id, endpoint.id, { status: 'failed', ageMinutes: 8 * 24 * 60 });
    // Many failures need many events (one delivery per event and endpoint).
    await sql(
      `WITH events AS (
         INSERT INTO webhook_events (profile_id, type, data, fanned_out_at) SELECT $1, 'link.clicked', '{}', now() FROM generate_series(1, $3) RETURNING id
       )
       INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id, status, attempts, created_at, next_attempt_at)
       SELECT id, $2, $1, 'failed', 5, now() - interval '2 hours' + row_number() OVER () * interval '1 millisecond', now() FROM events`,
      [profile.id, endpoint.id, MAX_BULK_RESEND + 1],
    );
    const oldestOfMany = await sql<{ id: string }>("SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'failed' AND created_at > now() - interval '7 days' ORDER BY created_at LIMIT 1", [
      endpoint.id,
    ]);
    const bulk = await owner.post<{ resent: number }>(`${base(profile.id)}/${endpoint.id}/resend-failed`);
    expect(bulk.body).toEqual({ resent: MAX_BULK_RESEND });
    expect((await state(old.deliveryId))!.status).toBe('failed');
    expect((await state(othersFailure.deliveryId))!.status).toBe('failed');
    // The oldest of the 1,001 recent failures was not among the newest 1,000.
    expect((await state(oldestOfMany[0]!.id))!.status).toBe('failed');
    // Queued oldest first: next_attempt_at follows created_at.
    const order = await sql<{ id: string }>("SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' AND attempts = 5 ORDER BY next_attempt_at, id", [endpoint.id]);
    const byAge = await sql<{ id: string }>("SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'pending' AND attempts = 5 ORDER BY created_at, id", [endpoint.id]);
    expect(order.map((row) => row.id)).toEqual(byAge.map((row) => row.id));
    // The one left over, then nothing.
    expect((await owner.post<{ resent: number }>(`${base(profile.id)}/${endpoint.id}/resend-failed`)).body).toEqual({ resent: 1 });
    expect((await owner.post<{ resent: number }>(`${base(profile.id)}/${endpoint.id}/resend-failed`)).body).toEqual({ resent: 0 });

    // Not while the endpoint is disabled: the worker would give them up at once.
    await owner.patch(`${base(profile.id)}/${endpoint.id}`, { enabled: false });
    expect((await owner.post(`${base(profile.id)}/${endpoint.id}/resend-failed`)).status).toBe(409);
    expect((await owner.post(`${base(profile.id)}/${endpoint.id}/deliveries/${failed.deliveryId}/resend`)).status).toBe(409);
  });
});

describe('who may', () => {
  it('lets owners and editors do everything, refuses analysts and viewers (403) and is a 404 for strangers', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const [editor, analyst, viewer, stranger] = [
      await member(owner, profile.id, 'editor'),
      await member(owner, profile.id, 'analyst'),
      await member(owner, profile.id, 'viewer'),
      await harness.newUser(),
    ];
    // The editor does the whole round.
    const { endpoint, secret } = await newEndpoint(editor, profile.id);
    expect(secret).toMatch(SECRET);
    const sent = await editor.post<{ deliveryId: string }>(`${base(profile.id)}/${endpoint.id}/test`);
    expect(sent.status).toBe(202);
    const ids: Record<string, string> = { profileId: profile.id, endpointId: endpoint.id, deliveryId: sent.body.deliveryId };
    const routes = harness.api.routes.filter((route) => route.tag === 'webhooks');
    expect(routes.length).toBe(11);
    const call = (client: ApiClient, route: (typeof routes)[number]) => {
      const path = `/api/v1${route.path.replace(/:(\w+)/g, (_match, name: string) => ids[name]!)}`;
      const body = route.operationId === 'createWebhookEndpoint' ? { url: `https://example.com/${randomUUID()}`, eventTypes: ['link.created'] } : route.method === 'patch' ? { description: 'x' } : undefined;
      return client.request<ErrorBody>(route.method.toUpperCase(), path, body ?? (route.method === 'post' ? {} : undefined));
    };
    for (const [who, client, expected] of [
      ['analyst', analyst, 403],
      ['viewer', viewer, 403],
      ['stranger', stranger, 404],
    ] as const) {
      const answers = await Promise.all(routes.map(async (route) => ({ who, route: route.operationId, status: (await call(client, route)).status })));
      expect(answers.filter((answer) => answer.status !== expected)).toEqual([]);
    }
    const refusal = await call(analyst, routes.find((route) => route.operationId === 'listWebhookEndpoints')!);
    expect(refusal.body.error.message).toMatch(/\(analyst\) does not let you manage this page’s webhooks/);
    // Nothing changed for their trying.
    expect((await owner.get<{ endpoints: Endpoint[] }>(base(profile.id))).body.endpoints.map((candidate) => candidate.id)).toEqual([endpoint.id]);
    expect((await owner.get<Endpoint>(`${base(profile.id)}/${endpoint.id}`)).body.description).toBe('');

    // The owner sees what the editor made, and the editor reads and deletes it.
    for (const route of routes.filter((candidate) => candidate.method === 'get')) {
      expect({ route: route.operationId, owner: (await call(owner, route)).status, editor: (await call(editor, route)).status }).toEqual({ route: route.operationId, owner: 200, editor: 200 });
    }
    expect((await editor.delete(`${base(profile.id)}/${endpoint.id}`)).status).toBe(204);
  });

  it('needs the webhook scopes from API tokens: profiles:write is not enough', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const tokenWith = async (scopes: string[]) => (await owner.post<{ token: string }>('/api/v1/tokens', { name: scopes.join(' '), scopes })).body.token;
    const asToken = (token: string, method: string, path: string, body?: unknown) =>
      fetch(`${harness.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const create = { url: 'https://ci.example.com/hook', eventTypes: ['link.created'] };

    const editorToken = await tokenWith(['profiles:read', 'profiles:write', 'analytics:read']);
    expect((await asToken(editorToken, 'GET', base(profile.id))).status).toBe(403);
    expect((await asToken(editorToken, 'POST', base(profile.id), create)).status).toBe(403);

    const reader = await tokenWith(['webhooks:read']);
    expect((await asToken(reader, 'GET', base(profile.id))).status).toBe(200);
    expect((await asToken(reader, 'POST', base(profile.id), create)).status).toBe(403);

    const writer = await tokenWith(['webhooks:write', 'webhooks:read']);
    const created = await asToken(writer, 'POST', base(profile.id), create);
    expect(created.status).toBe(201);
    const body = (await created.json()) as { endpoint: Endpoint; secret: string };
    expect(body.secret).toMatch(SECRET);
    expect((await asToken(writer, 'POST', `${base(profile.id)}/${body.endpoint.id}/rotate-secret`)).status).toBe(200);
  });
});
