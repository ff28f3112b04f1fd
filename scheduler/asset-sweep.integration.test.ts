// The asset sweep, through the scheduler's own login: rows stuck in 'pending' and objects no live row
// names go once they are old enough; stored images, images shared with another creator, and
// uploads still in flight stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../server/testing/api-harness.js';
import { png } from '../lib/testing/attack-corpus.js';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { asOwner } from '../lib/testing/postgres.js';
import { testLogger } from '../lib/testing/services.js';
import { OG_IMAGE_MAX_AGE_MS } from '../lib/profiles/og-image.js';
import { SWEEP_GRACE_MS, sweepAssets } from './asset-sweep.js';

let harness: ApiHarness;
let schedulerDb: Database;
const later = () => Date.now() + SWEEP_GRACE_MS + 60_000;
const keyOf = (url: string) => url.replace(/^\//, '');

async function objectKeys(prefix = 'assets/'): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of harness.storage.list(prefix)) keys.push(object.key);
  return keys;
}


beforeAll(async () => {
  harness = await startApiHarness('asset_sweep');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-sweep', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});

describe('asset sweep', () => {
  it('removes stuck rows and unreferenced objects, keeps everything still in use', async () => {
    const deps = { db: schedulerDb, storage: harness.storage, logger: testLogger };
    const alice = await harness.newUser();
    const bob = await harness.newUser();
    const kept = (await alice.upload<{ url: string }>('/api/v1/assets', await png(21, 21))).body;
    // The same image for both; Alice deletes hers: Bob's row keeps the shared object.
    const shared = (await alice.upload<{ id: string; url: string }>('/api/v1/assets', await png(22, 22))).body;
    await bob.upload('/api/v1/assets', await png(22, 22));
    expect((await alice.delete(`/api/v1/assets/${shared.id}`)).status).toBe(204);
    // Deleted by its only owner: the object has no live row any more.
    const gone = (await alice.upload<{ id: string; url: string }>('/api/v1/assets', await png(23, 23))).body;
    expect((await alice.delete(`/api/v1/assets/${gone.id}`)).status).toBe(204);
    // An object written by an upload whose row never reached 'stored' (a crash): its row is 'pending'.
    const stuckKey = `assets/${'a'.repeat(64)}`;
    await harness.storage.put(stuckKey, Buffer.from('x'), { contentType: 'image/webp' });
    await asOwner(harness.database, (client) =>
      client.query("INSERT INTO assets (user_id, object_key, content_type, size_bytes, width, height) VALUES ($1, $2, 'image/webp', 1, 1, 1)", [alice.userId, stuckKey]),
    );
    // An object with no row at all (its row's transaction rolled back).
    const orphanKey = `assets/${'b'.repeat(64)}`;
    await harness.storage.put(orphanKey, Buffer.from('y'), { contentType: 'image/webp' });

    // Within the grace period nothing goes: an upload may be between its row and its object.
    expect(await sweepAssets(deps)).toEqual({ rowsDeleted: 0, objectsDeleted: 0 });

    const result = await sweepAssets(deps, later());
    expect(result).toEqual({ rowsDeleted: 1, objectsDeleted: 3 });
    const remaining = await objectKeys();
    expect(remaining).toContain(keyOf(kept.url));
    expect(remaining).toContain(keyOf(shared.url));
    for (const key of [keyOf(gone.url), stuckKey, orphanKey]) expect(remaining).not.toContain(key);
    expect((await fetch(`${harness.url}${kept.url}`)).status).toBe(200);
    expect((await fetch(`${harness.url}${gone.url}`)).status).toBe(404);
    // Idempotent.
    expect(await sweepAssets(deps, later())).toEqual({ rowsDeleted: 0, objectsDeleted: 0 });
  });

  it('drops rendered Open Graph images once they are a month old (a cache: the next request draws them again)', async () => {
    const deps = { db: schedulerDb, storage: harness.storage, logger: testLogger };
    const key = `og/${'c'.repeat(32)}.png`;
    await harness.storage.put(key, Buffer.from('png'), { contentType: 'image/png' });
    await sweepAssets(deps, later());
    expect(await objectKeys('og/')).toContain(key);
    await sweepAssets(deps, Date.now() + OG_IMAGE_MAX_AGE_MS + 60_000);
    expect(await objectKeys('og/')).not.toContain(key);
  });

  it('cannot delete a stored row or read an owner through the scheduler login', async () => {
    const { rowCount } = await schedulerDb.query("DELETE FROM assets WHERE status = 'stored'");
    expect(rowCount).toBe(0);
    await expect(schedulerDb.query('SELECT user_id FROM assets')).rejects.toThrow(/permission denied/);
  });
});
