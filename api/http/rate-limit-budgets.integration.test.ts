// "Rate limiting too aggressive for legitimate users": people signed in behind one address (an
// office, a NAT) each get their own budget, so an anonymous flood from that address, or one heavy
// colleague, does not lock the others out. (Sharing across instances through Redis is proved in
// api/rate-limit.integration.test.ts.)
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApiHarness, type ApiClient, type ApiHarness } from '../testing/api-harness.js';

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
  expect(refused.headers.get('ratelimit-policy')).toMatch(/^"api"; q=12; w=60/);
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await bob.get('/api/v1/profiles')).status).toBe(200);
});
