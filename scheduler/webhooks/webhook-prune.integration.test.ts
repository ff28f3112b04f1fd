// Webhook history's retention: finished events go after 30 days with their deliveries and attempts;
// an event with a delivery still pending stays.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { fanOutEvents } from './webhook-deliveries.repository.js';
import { pruneWebhookHistory } from './webhook-prune.js';
import { registerEndpoint } from './webhook-testing.js';

let harness: ApiHarness;
let schedulerDb: Database;
beforeAll(async () => {
  harness = await startApiHarness('webhook_prune');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-webhook-prune', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});

describe('webhook history retention', () => {
  it('removes finished events past 30 days with their deliveries and attempts, keeps pending ones', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const endpoint = await registerEndpoint(harness.database.db, owner.userId!, profile.id, 'https://hooks.example.com/prune', ['link.created']);
    const finished = await owner.newLink(profile.id, { title: 'finished' });
    await owner.newLink(profile.id, { title: 'pending' });
    await fanOutEvents(schedulerDb, 100);
    await schedulerDb.query(
      `UPDATE webhook_deliveries d SET status = 'delivered', delivered_at = now() FROM webhook_events e
        WHERE e.id = d.event_id AND d.endpoint_id = $1 AND e.data -> 'link' ->> 'id' = $2`,
      [endpoint.id, finished.id],
    );
    await schedulerDb.query("INSERT INTO webhook_attempts (delivery_id, profile_id, status_code, latency_ms) SELECT id, profile_id, 200, 12 FROM webhook_deliveries WHERE endpoint_id = $1 AND status = 'delivered'", [endpoint.id]);
    const count = async (table: string) => (await schedulerDb.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE profile_id = $1`, [profile.id])).rows[0]!.n;

    expect(await pruneWebhookHistory({ db: schedulerDb, logger: testLogger })).toBe(0);
    expect(await pruneWebhookHistory({ db: schedulerDb, logger: testLogger }, Date.now() + 31 * 86_400_000)).toBeGreaterThanOrEqual(1);
    expect([await count('webhook_events'), await count('webhook_deliveries'), await count('webhook_attempts')]).toEqual([1, 1, 0]);
    const { rows } = await schedulerDb.query<{ title: string }>("SELECT data -> 'link' ->> 'title' AS title FROM webhook_events WHERE profile_id = $1", [profile.id]);
    expect(rows).toEqual([{ title: 'pending' }]);
  });
});
