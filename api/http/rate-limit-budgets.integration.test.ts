// "Rate limiting too aggressive for legitimate users": people signed in behind one address (an
// office, a NAT) each get their own budget, so an anonymous flood from that address, or one heavy
// colleague, does not lock the others out. (Sharing across instances through Redis is proved in
// api/rate-limit.integration.test.ts.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADDRESS_CEILING_FACTOR } from '../app.js';
import { ApiClient as Client, startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let alice: ApiClient;
let bob: ApiClient;
beforeAll(async () => {
  harness = await startApiHarness('budgets', { config: { rateLimits: { ipPerMinute: 8, userPerMinute: 12, authPerMinute: 100 } } });
  // Two sign-ups and two logins: 4 of the address's 8 anonymous requests.
  alice = await harness.newUser();
  bob = await harness.newUser();
});
afterAll(async () => {
  await harness?.close();
});

it('counts signed-in requests per user, apart from the address’s anonymous budget', async () => {
  const anonymous = harness.client();
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await anonymous.get('/api/v1/')).status);
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);

  // Same address, signed in: still served, each on their own budget.
  for (let i = 0; i < 12; i++) expect((await alice.get('/api/v1/profiles')).status).toBe(200);
  const refused = await alice.get('/api/v1/profiles');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('ratelimit-policy')).toContain('"api"; q=12; w=60');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await bob.get('/api/v1/profiles')).status).toBe(200);
});

it('still caps one address with many accounts, at a multiple of the anonymous budget', async () => {
  const proxied = await startApiHarness('budgets_ceiling', {
    database: harness.database,
    config: { trustProxy: ['loopback'], rateLimits: { ipPerMinute: 2, userPerMinute: 1_000, authPerMinute: 100 } },
  });
  try {
    const ceiling = 2 * ADDRESS_CEILING_FACTOR;
    const office = { 'x-forwarded-for': '198.51.100.77' };
    // Accounts made elsewhere (each sign-up from its own address), then used from one address.
    const users: Client[] = [];
    for (const [index, address] of ['198.51.100.1', '198.51.100.2'].entries()) {
      const user = new Client(proxied.url);
      const email = `ceiling-${index}-${Date.now()}@example.com`;
      expect((await user.request('POST', '/api/v1/auth/signup', { email, password: 'a long passphrase' }, { 'x-forwarded-for': address })).status).toBe(202);
      const login = await user.request<{ csrfToken: string }>('POST', '/api/v1/auth/login', { email, password: 'a long passphrase' }, { 'x-forwarded-for': address });
      expect(login.status).toBe(200);
      users.push(user);
    }
    const statuses: number[] = [];
    for (let i = 0; i < ceiling + 2; i++) statuses.push((await users[i % 2]!.get('/api/v1/profiles', office)).status);
    expect(statuses.slice(0, ceiling).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(ceiling)).toEqual([429, 429]);
  } finally {
    await proxied.close();
  }
});
