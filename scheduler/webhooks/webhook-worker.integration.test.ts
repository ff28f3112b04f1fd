// The webhook worker against a real database and a receiver on this machine, with a compressed retry
// schedule: signed deliveries an independent verifier accepts, retries with the same webhook-id,
// Retry-After, giving up after the window, disabling (and the owner's mail), 410, rotation, resends,
// leases that lapse, per-endpoint fairness, and the SSRF rules on every attempt.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Mail } from '../../lib/mail/mailer.js';
import { createMetrics, type Metrics } from '../../lib/metrics.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { createRecordingMailer, type RecordingMailer } from '../../lib/testing/mail.js';
import { testLogger } from '../../lib/testing/services.js';
import { verifyWithPython } from '../../lib/testing/standard-webhooks-verifier.js';
import { waitFor } from '../../lib/testing/wait-for.js';
import { createWebhookSecretBox, generateWebhookSecret } from '../../lib/webhooks/webhook-secret.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { DEFAULT_RETRY_SCHEDULE, scaleRetrySchedule } from './retry-schedule.js';
import type { HostLookup } from './send-webhook.js';
import { claimDueDeliveries } from './webhook-deliveries.repository.js';
import { registerEndpoint, startTestReceiver, testSecretBox, type TestReceiver } from './webhook-testing.js';
import { createWebhookWorker, type WebhookWorker, type WebhookWorkerSettings } from './webhook-worker.js';

let harness: ApiHarness;
let schedulerDb: Database;
let receiver: TestReceiver;
const workers: WebhookWorker[] = [];

beforeAll(async () => {
  harness = await startApiHarness('webhook_worker');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-webhook-worker', logger: testLogger, maxConnections: 20 });
  receiver = await startTestReceiver();
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  receiver.answer = () => ({ status: 200, body: 'ok' });
});
afterAll(async () => {
  await receiver?.close();
  await schedulerDb?.close();
  await harness?.close();
});

/** Test host names resolve to what the test says; anything else to the receiver's loopback address. */
const names = new Map<string, string[]>();
const lookups: string[] = [];
const testLookup: HostLookup = async (hostname) => {
  lookups.push(hostname);
  return (names.get(hostname) ?? ['127.0.0.1']).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

/** 24 hours in 0.5 s; the first retry within 0.1 ms, the last band 120-168 ms. */
const FAST = scaleRetrySchedule(DEFAULT_RETRY_SCHEDULE, 0.5 / 86_400);

function startWorker(options: { settings?: Partial<WebhookWorkerSettings>; allowLoopback?: boolean; allowPrivateNetworks?: boolean; mailer?: RecordingMailer; metrics?: Metrics } = {}) {
  const worker = createWebhookWorker(
    {
      db: schedulerDb,
      secrets: testSecretBox,
      policy: { allowLoopback: options.allowLoopback ?? true, allowPrivateNetworks: options.allowPrivateNetworks ?? false },
      mailer: options.mailer ?? createRecordingMailer(),
      publicUrl: 'https://linkpulse.example',
      metrics: options.metrics ?? createMetrics(),
      logger: testLogger,
      lookup: testLookup,
    },
    { pollIntervalMs: 50, timeoutMs: 1_000, leaseMs: 3_000, schedule: FAST, ...options.settings },
  );
  workers.push(worker);
  return worker;
}

async function creatorWithEndpoint(path: string, eventTypes: readonly string[] = ['link.created'], host = `127.0.0.1:${receiver.port}`) {
  const owner = await harness.newUser();
  const profile = await owner.newProfile();
  const endpoint = await registerEndpoint(harness.database.db, owner.userId!, profile.id, `http://${host}${path}`, eventTypes);
  return { owner, profile, endpoint };
}

interface DeliveryRow {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
}
interface AttemptRow {
  status_code: number | null;
  error_class: string | null;
  error: string | null;
  response_excerpt: string | null;
  attempted_at: Date;
}

const deliveriesOf = async (endpointId: string) =>
  (await schedulerDb.query<DeliveryRow>('SELECT id, event_id, status, attempts FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY created_at, id', [endpointId])).rows;
const attemptsOf = async (deliveryId: string) =>
  (await schedulerDb.query<AttemptRow>('SELECT status_code, error_class, error, response_excerpt, attempted_at FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id', [deliveryId])).rows;
const endpointState = async (endpointId: string) =>
  (await schedulerDb.query<{ status: string; disabled_reason: string | null; consecutive_failures: number }>('SELECT status, disabled_reason, consecutive_failures FROM webhook_endpoints WHERE id = $1', [endpointId])).rows[0]!;
const requestsTo = (path: string) => receiver.received.filter((request) => request.path === path);
const addLinks = async (owner: ApiClient, profileId: string, count: number) => {
  for (let i = 0; i < count; i++) await owner.newLink(profileId, { title: `Link ${i}` });
};

describe('webhook delivery', () => {
  it('delivers a signed event that an independent Standard Webhooks verifier accepts', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/signed', ['profile.published']);
    await startWorker().start();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { published: true })).status).toBe(200);
    const [request] = await waitFor(() => (requestsTo('/signed').length === 1 ? requestsTo('/signed') : undefined), { what: 'the delivery' });
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.status === 'delivered' ? deliveriesOf(endpoint.id) : undefined));
    expect(request!.headers['webhook-id']).toBe(delivery!.event_id);
    expect(request!.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request!.body) as { type: string; version: number; timestamp: string; data: { published: boolean } };
    expect(body).toMatchObject({ type: 'profile.published', version: 1, data: { published: true } });
    const headers = { 'webhook-id': request!.headers['webhook-id'] as string, 'webhook-timestamp': request!.headers['webhook-timestamp'] as string, 'webhook-signature': request!.headers['webhook-signature'] as string };
    const [accepted, wrongSecret] = await verifyWithPython([
      { secret: endpoint.secret, headers, body: request!.body },
      { secret: generateWebhookSecret(), headers, body: request!.body },
    ]);
    expect(accepted).toEqual({ ok: true });
    expect(wrongSecret!.ok).toBe(false);
    expect(await attemptsOf(delivery!.id)).toMatchObject([{ status_code: 200, error_class: null, response_excerpt: 'ok' }]);
  });

  it('retries a failing delivery with the same webhook-id until it succeeds, waiting out Retry-After', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/flaky');
    receiver.answer = (_request, seen) =>
      seen === 0 ? { status: 500, body: 'database down' } : seen === 1 ? { status: 503, headers: { 'retry-after': '1' }, body: 'busy' } : { status: 204 };
    await startWorker({ settings: { schedule: { ...FAST, maxRetryAfterMs: 10_000 } } }).start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.status === 'delivered' ? deliveriesOf(endpoint.id) : undefined), { what: 'delivered after retries' });
    expect(delivery!.attempts).toBe(3);
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.map((attempt) => [attempt.status_code, attempt.error_class])).toEqual([
      [500, 'http_error'],
      [503, 'http_error'],
      [204, null],
    ]);
    expect(attempts[0]!.response_excerpt).toBe('database down');
    // The schedule alone would have retried within milliseconds; the receiver asked for a second.
    expect(attempts[2]!.attempted_at.getTime() - attempts[1]!.attempted_at.getTime()).toBeGreaterThanOrEqual(950);
    const ids = new Set(requestsTo('/flaky').map((request) => request.headers['webhook-id']));
    expect([...ids]).toEqual([delivery!.event_id]);
  });

  it('gives deliveries up after the retry window, disables the endpoint after repeated give-ups and mails the owner', async () => {
    const mailer = createRecordingMailer();
    const metrics = createMetrics();
    const { owner, profile, endpoint } = await creatorWithEndpoint('/down');
    receiver.answer = () => ({ status: 500, body: 'still down' });
    await startWorker({ mailer, metrics, settings: { disableAfterFailedDeliveries: 3 } }).start();
    await addLinks(owner, profile.id, 3);
    await waitFor(async () => (await endpointState(endpoint.id)).status === 'disabled', { what: 'the endpoint disabled', timeoutMs: 20_000 });
    const state = await endpointState(endpoint.id);
    expect(state.consecutive_failures).toBe(3);
    expect(state.disabled_reason).toMatch(/3 deliveries in a row failed.*answered 500/);
    const deliveries = await deliveriesOf(endpoint.id);
    expect(deliveries.map((delivery) => delivery.status)).toEqual(['failed', 'failed', 'failed']);
    // Each was retried until it was older than the window (0.5 s here, 24 hours in production).
    for (const delivery of deliveries) {
      const attempts = await attemptsOf(delivery.id);
      expect(attempts.length).toBeGreaterThan(2);
      const { rows } = await schedulerDb.query<{ created_at: Date }>('SELECT created_at FROM webhook_deliveries WHERE id = $1', [delivery.id]);
      expect(attempts.at(-1)!.attempted_at.getTime() - rows[0]!.created_at.getTime()).toBeGreaterThanOrEqual(FAST.windowMs - 5);
    }
    const mail = await waitFor(() => mailer.sent.find((sent: Mail) => sent.kind === 'webhook-endpoint-disabled'));
    expect(mail.to).toBe(owner.email);
    expect(mail.text).toContain(`http://127.0.0.1:${receiver.port}/down`);
    expect(mail.text).toContain(`@${profile.handle}`);
    expect(mail.text).toContain(`https://linkpulse.example/dashboard/${profile.id}/webhooks`);
    // A disabled endpoint is sent nothing more: its events are not even written.
    const before = requestsTo('/down').length;
    await owner.newLink(profile.id);
    expect((await deliveriesOf(endpoint.id)).length).toBe(3);
    expect(requestsTo('/down').length).toBe(before);
    const exposition = await metrics.registry.metrics();
    expect(exposition).toMatch(/linkpulse_webhook_deliveries_total\{outcome="failed"\} 3/);
    expect(exposition).toMatch(/linkpulse_webhook_endpoints_disabled_total\{reason="failing"\} 1/);
    expect(exposition).toMatch(/linkpulse_webhook_attempts_total\{result="http_error"\} \d+/);
  });

  it('resets the count of failures on a success, and does not count a failed resend', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/sometimes');
    let failing = true;
    receiver.answer = () => (failing ? { status: 502 } : { status: 200 });
    await startWorker({ settings: { disableAfterFailedDeliveries: 2 } }).start();
    await owner.newLink(profile.id);
    await waitFor(async () => (await deliveriesOf(endpoint.id))[0]?.status === 'failed', { what: 'the first delivery given up' });
    expect((await endpointState(endpoint.id)).consecutive_failures).toBe(1);
    // The creator resends it: one more attempt, which fails without counting again.
    await withUser(harness.database.db, owner.userId!, (tx) => tx.query("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now() WHERE endpoint_id = $1", [endpoint.id]));
    const [failedDelivery] = await deliveriesOf(endpoint.id);
    await waitFor(async () => (await deliveriesOf(endpoint.id))[0]?.status === 'failed' && (await attemptsOf(failedDelivery!.id)).length === failedDelivery!.attempts + 1, { what: 'the resend tried' });
    expect(await endpointState(endpoint.id)).toMatchObject({ status: 'active', consecutive_failures: 1 });
    failing = false;
    await owner.newLink(profile.id);
    await waitFor(async () => (await deliveriesOf(endpoint.id))[1]?.status === 'delivered', { what: 'the next delivered' });
    expect((await endpointState(endpoint.id)).consecutive_failures).toBe(0);
  });

  it('disables an endpoint at once when the receiver answers 410 Gone', async () => {
    const mailer = createRecordingMailer();
    const { owner, profile, endpoint } = await creatorWithEndpoint('/gone');
    receiver.answer = () => ({ status: 410, body: 'unsubscribed' });
    await startWorker({ mailer }).start();
    await owner.newLink(profile.id);
    await waitFor(async () => (await endpointState(endpoint.id)).status === 'disabled', { what: 'disabled after a 410' });
    expect((await endpointState(endpoint.id)).disabled_reason).toMatch(/410 Gone/);
    expect(requestsTo('/gone')).toHaveLength(1);
    await waitFor(() => mailer.sent.find((sent) => sent.kind === 'webhook-endpoint-disabled'));
  });

  it('sends nothing unsigned: a secret this server cannot open fails the attempt, and the delivery ends', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/unreadable');
    // Sealed under another SESSION_SECRET (as after the operator changed it).
    const foreign = createWebhookSecretBox('another session secret, long enough to count').seal(generateWebhookSecret());
    await withUser(harness.database.db, owner.userId!, (tx) => tx.query('UPDATE webhook_endpoints SET secret_encrypted = $2 WHERE id = $1', [endpoint.id, foreign]));
    await startWorker({ settings: { schedule: FAST } }).start();
    await owner.newLink(profile.id);
    const { rows } = await waitFor(async () => {
      const result = await schedulerDb.query<{ status: string; error_class: string | null }>(
        'SELECT d.status, a.error_class FROM webhook_deliveries d JOIN webhook_attempts a ON a.delivery_id = d.id WHERE d.endpoint_id = $1',
        [endpoint.id],
      );
      return result.rows.some((row) => row.status === 'failed') ? result : undefined;
    }, { what: 'the delivery to end, unsent' });
    expect(rows.every((row) => row.error_class === 'unsigned')).toBe(true);
    expect(requestsTo('/unreadable')).toHaveLength(0);
  });

  it('signs with both secrets while a rotation overlaps', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/rotated');
    const newSecret = generateWebhookSecret();
    await withUser(harness.database.db, owner.userId!, (tx) => tx.query('UPDATE webhook_endpoints SET secret_encrypted = $2 WHERE id = $1', [endpoint.id, testSecretBox.seal(newSecret)]));
    await startWorker().start();
    await owner.newLink(profile.id);
    const [request] = await waitFor(() => (requestsTo('/rotated').length === 1 ? requestsTo('/rotated') : undefined));
    const headers = { 'webhook-id': request!.headers['webhook-id'] as string, 'webhook-timestamp': request!.headers['webhook-timestamp'] as string, 'webhook-signature': request!.headers['webhook-signature'] as string };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    const results = await verifyWithPython([
      { secret: newSecret, headers, body: request!.body },
      { secret: endpoint.secret, headers, body: request!.body },
    ]);
    expect(results).toEqual([{ ok: true }, { ok: true }]);
  });

  it('takes over a delivery whose worker died once its lease lapses', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/leased');
    await owner.newLink(profile.id);
    // A worker that claims and then dies: the claim is made, nothing is ever recorded.
    await schedulerDb.query("UPDATE webhook_events SET fanned_out_at = now() WHERE profile_id = $1", [profile.id]);
    await schedulerDb.query(
      'INSERT INTO webhook_deliveries (event_id, endpoint_id, profile_id) SELECT id, $2, profile_id FROM webhook_events WHERE profile_id = $1',
      [profile.id, endpoint.id],
    );
    const claimed = await claimDueDeliveries(schedulerDb, { limit: 10, perEndpoint: 4, busy: new Map(), leaseMs: 400 });
    expect(claimed.map((delivery) => delivery.endpointId)).toEqual([endpoint.id]);
    await startWorker().start();
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.status === 'delivered' ? deliveriesOf(endpoint.id) : undefined), { what: 'taken over' });
    expect(delivery!.attempts).toBe(2);
    expect(await attemptsOf(delivery!.id)).toHaveLength(1);
  });

  it('lets no slow endpoint hold up the others', async () => {
    const slow = await creatorWithEndpoint('/slow');
    const fast = await creatorWithEndpoint('/fast');
    receiver.answer = (request) => (request.path === '/slow' ? { status: 200, delayMs: 400 } : { status: 200 });
    // Both backlogs exist before the worker starts.
    await addLinks(slow.owner, slow.profile.id, 12);
    await addLinks(fast.owner, fast.profile.id, 12);
    await startWorker({ settings: { concurrency: 4, perEndpointConcurrency: 2 } }).start();
    await waitFor(async () => (await deliveriesOf(fast.endpoint.id)).filter((delivery) => delivery.status === 'delivered').length === 12, { what: 'the fast endpoint served' });
    // Two at a time for 400 ms each: the slow endpoint is far from done when the fast one is.
    expect((await deliveriesOf(slow.endpoint.id)).filter((delivery) => delivery.status === 'pending').length).toBeGreaterThan(4);
    await waitFor(async () => (await deliveriesOf(slow.endpoint.id)).every((delivery) => delivery.status === 'delivered'), { what: 'the slow endpoint served' });
  });

  it('records timeouts and keeps only the start of a long answer', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/verbose');
    receiver.answer = (_request, seen) => (seen === 0 ? 'hang' : { status: 500, body: 'x'.repeat(50_000) });
    await startWorker({ settings: { timeoutMs: 300, disableAfterFailedDeliveries: 100 } }).start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.attempts ?? 0) >= 2 ? deliveriesOf(endpoint.id) : undefined);
    const attempts = await waitFor(async () => ((await attemptsOf(delivery!.id)).length >= 2 ? attemptsOf(delivery!.id) : undefined));
    expect(attempts[0]).toMatchObject({ status_code: null, error_class: 'timeout', error: 'no answer within 0.3 s' });
    expect(attempts[1]!.status_code).toBe(500);
    expect(attempts[1]!.response_excerpt).toHaveLength(1024);
  });

  it('records whatever a receiver answers: control characters, an impossible status', async () => {
    const { owner, profile, endpoint } = await creatorWithEndpoint('/odd');
    receiver.answer = (_request, seen) => (seen === 0 ? { status: 500, body: 'nul\u0000byte\u0007bell\nline' } : seen === 1 ? { status: 799, body: 'what' } : { status: 200 });
    await startWorker().start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.status === 'delivered' ? deliveriesOf(endpoint.id) : undefined));
    const attempts = await attemptsOf(delivery!.id);
    expect(attempts.map((attempt) => [attempt.status_code, attempt.error_class, attempt.response_excerpt])).toEqual([
      [500, 'http_error', 'nulbytebell\nline'],
      [null, 'http_error', 'what'],
      [200, null, null],
    ]);
    expect(attempts[1]!.error).toBe('answered with an invalid HTTP status (799)');
  });
});

describe('SSRF rules on every attempt', () => {
  it('refuses a name that resolves to a loopback address when loopback is not allowed', async () => {
    names.set('sneaky.example', ['127.0.0.1']);
    const { owner, profile, endpoint } = await creatorWithEndpoint('/loopback', ['link.created'], `sneaky.example:${receiver.port}`);
    await startWorker({ allowLoopback: false }).start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.attempts ?? 0) >= 1 ? deliveriesOf(endpoint.id) : undefined);
    const [attempt] = await waitFor(async () => ((await attemptsOf(delivery!.id)).length > 0 ? attemptsOf(delivery!.id) : undefined));
    expect(attempt).toMatchObject({ status_code: null, error_class: 'address_refused' });
    expect(attempt!.error).toBe('refused: sneaky.example resolves to 127.0.0.1, a loopback address (not allowed for webhooks)');
    expect(requestsTo('/loopback')).toEqual([]);
  });

  it('refuses when any one of the addresses is refused', async () => {
    names.set('mixed.example', ['93.184.216.34', '10.0.0.7']);
    const { owner, profile, endpoint } = await creatorWithEndpoint('/mixed', ['link.created'], 'mixed.example');
    await startWorker().start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.attempts ?? 0) >= 1 ? deliveriesOf(endpoint.id) : undefined);
    const [attempt] = await waitFor(async () => ((await attemptsOf(delivery!.id)).length > 0 ? attemptsOf(delivery!.id) : undefined));
    expect(attempt!.error).toMatch(/mixed\.example resolves to 10\.0\.0\.7, a private or link-local address/);
  });

  it('refuses cloud metadata addresses even when every network is allowed', async () => {
    names.set('metadata.example', ['169.254.169.254']);
    const { owner, profile, endpoint } = await creatorWithEndpoint('/latest/meta-data', ['link.created'], 'metadata.example');
    await startWorker({ allowLoopback: true, allowPrivateNetworks: true }).start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.attempts ?? 0) >= 1 ? deliveriesOf(endpoint.id) : undefined);
    const [attempt] = await waitFor(async () => ((await attemptsOf(delivery!.id)).length > 0 ? attemptsOf(delivery!.id) : undefined));
    expect(attempt).toMatchObject({ error_class: 'address_refused' });
    expect(attempt!.error).toMatch(/169\.254\.169\.254, a reserved or metadata address/);
  });

  it('does not follow a redirect to an internal address, and says where it pointed', async () => {
    names.set('public-looking.example', ['127.0.0.1']);
    const { owner, profile, endpoint } = await creatorWithEndpoint('/moved', ['link.created'], `public-looking.example:${receiver.port}`);
    receiver.answer = (request) => (request.path === '/moved' ? { status: 302, headers: { location: `http://127.0.0.1:${receiver.port}/internal-admin` } } : { status: 200 });
    await startWorker().start();
    await owner.newLink(profile.id);
    const [delivery] = await waitFor(async () => ((await deliveriesOf(endpoint.id))[0]?.attempts ?? 0) >= 2 ? deliveriesOf(endpoint.id) : undefined);
    const [attempt] = await attemptsOf(delivery!.id);
    expect(attempt).toMatchObject({ status_code: 302, error_class: 'redirect' });
    expect(attempt!.error).toBe(`answered 302 to http://127.0.0.1:${receiver.port}/internal-admin; redirects are not followed: register the final URL`);
    expect(requestsTo('/internal-admin')).toEqual([]);
  });

  it('connects to the address it vetted, once resolved per attempt, with the endpoint’s own Host header', async () => {
    names.set('pinned.example', ['127.0.0.1']);
    const { owner, profile } = await creatorWithEndpoint('/pinned', ['link.created'], `pinned.example:${receiver.port}`);
    const before = lookups.filter((name) => name === 'pinned.example').length;
    await startWorker().start();
    await owner.newLink(profile.id);
    const [request] = await waitFor(() => (requestsTo('/pinned').length === 1 ? requestsTo('/pinned') : undefined));
    expect(request!.headers.host).toBe(`pinned.example:${receiver.port}`);
    expect(lookups.filter((name) => name === 'pinned.example').length - before).toBe(1);
  });
});
