// Where webhook events come from (migrations/0019_webhook_producers.sql): changes made through the API
// write the events their endpoints subscribe to, in the same transaction, with the payloads receivers
// are promised; nothing is written for a profile nobody listens to.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { registerEndpoint } from './webhook-testing.js';

let harness: ApiHarness;
let schedulerDb: Database;
beforeAll(async () => {
  harness = await startApiHarness('webhook_producers');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-webhook-producers', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});

interface StoredEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

const eventsOf = async (profileId: string) =>
  (await schedulerDb.query<StoredEvent>('SELECT id, type, data FROM webhook_events WHERE profile_id = $1 ORDER BY occurred_at, id', [profileId])).rows;

async function creatorWithEndpoint(eventTypes: readonly string[]): Promise<{ owner: ApiClient; profile: { id: string; handle: string } }> {
  const owner = await harness.newUser();
  const profile = await owner.newProfile();
  await registerEndpoint(harness.database.db, owner.userId!, profile.id, 'https://hooks.example.com/linkpulse', eventTypes);
  return { owner, profile };
}

describe('webhook producers', () => {
  it('writes profile.published and profile.updated with the changed fields, never bookkeeping', async () => {
    const { owner, profile } = await creatorWithEndpoint(['profile.published', 'profile.updated']);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { bio: 'Now with webhooks', accentColor: '#ff0000' })).status).toBe(200);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { published: true })).status).toBe(200);
    const events = await eventsOf(profile.id);
    expect(events.map((event) => event.type)).toEqual(['profile.updated', 'profile.published']);
    expect(events[0]!.data).toEqual({
      profile: { id: profile.id, handle: profile.handle, displayName: 'Test Creator', published: false },
      changes: { bio: { before: '', after: 'Now with webhooks' }, accentColor: { before: '#2563eb', after: '#ff0000' } },
    });
    expect(events[1]!.data).toEqual({ profile: { id: profile.id, handle: profile.handle, displayName: 'Test Creator', published: true }, published: true });
    expect(JSON.stringify(events)).not.toContain(owner.userId!);
  });

  it('writes link.created, link.updated (before and after) and link.deleted with the public fields', async () => {
    const { owner, profile } = await creatorWithEndpoint(['link.created', 'link.updated', 'link.deleted']);
    const link = await owner.newLink(profile.id, { title: 'Docs', url: 'https://docs.example.com/' });
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'Documentation' })).status).toBe(200);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/links/${link.id}`)).status).toBe(204);
    const events = await eventsOf(profile.id);
    expect(events.map((event) => event.type)).toEqual(['link.created', 'link.updated', 'link.deleted']);
    expect(events[0]!.data.link).toMatchObject({ id: link.id, profileId: profile.id, title: 'Docs', url: 'https://docs.example.com/', kind: 'url', enabled: true, position: 0 });
    expect(events[1]!.data).toMatchObject({ link: { id: link.id, title: 'Documentation' }, changes: { title: { before: 'Docs', after: 'Documentation' } } });
    expect(Object.keys(events[1]!.data.changes as object)).toEqual(['title']);
    expect(events[2]!.data.link).toMatchObject({ id: link.id, title: 'Documentation' });
    for (const event of events) expect(event.data.link).not.toHaveProperty('userId');
    expect(JSON.stringify(events)).not.toContain(owner.userId!);
  });

  it('writes only the types an active endpoint subscribes to, and nothing for profiles without one', async () => {
    const { owner, profile } = await creatorWithEndpoint(['link.created']);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { bio: 'nobody asked for this' })).status).toBe(200);
    await owner.newLink(profile.id);
    expect((await eventsOf(profile.id)).map((event) => event.type)).toEqual(['link.created']);

    const loner = await harness.newUser();
    const quiet = await loner.newProfile();
    await loner.newLink(quiet.id);
    expect((await loner.patch(`/api/v1/profiles/${quiet.id}`, { published: true })).status).toBe(200);
    expect(await eventsOf(quiet.id)).toEqual([]);
  });

  it('writes nothing when a profile is deleted with its links', async () => {
    const { owner, profile } = await creatorWithEndpoint(['link.deleted']);
    await owner.newLink(profile.id);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}`)).status).toBe(204);
    expect(await eventsOf(profile.id)).toEqual([]);
  });

  it('writes github.card.updated to every profile showing a repository whose stars or release changed', async () => {
    const first = await creatorWithEndpoint(['github.card.updated']);
    const second = await creatorWithEndpoint(['github.card.updated']);
    const repository = `webhooks-${Date.now().toString(36)}`;
    const firstLink = await first.owner.newLink(first.profile.id, { title: 'Repo', url: `https://github.com/linkpulse-test/${repository}` });
    const secondLink = await second.owner.newLink(second.profile.id, { title: 'Repo', url: `https://github.com/linkpulse-test/${repository}` });
    const { rows } = await schedulerDb.query<{ id: string }>('SELECT id::text FROM github_repos WHERE owner = $1 AND name = $2', ['linkpulse-test', repository]);
    const repoId = rows[0]!.id;
    // The first sync fills the card: no change to announce.
    await schedulerDb.query('UPDATE github_repos SET stars = 41, forks = 2, status = $2, last_synced_at = now() WHERE id = $1', [repoId, 'ok']);
    expect(await eventsOf(first.profile.id)).toEqual([]);
    // A sync that changes nothing that matters (forks only) announces nothing either.
    await schedulerDb.query('UPDATE github_repos SET forks = 3, last_synced_at = now() WHERE id = $1', [repoId]);
    await schedulerDb.query('UPDATE github_repos SET stars = 42, last_synced_at = now() WHERE id = $1', [repoId]);
    await schedulerDb.query("UPDATE github_repos SET latest_release_tag = 'v1.0.0', latest_release_name = 'First', latest_release_published_at = '2026-01-01T00:00:00Z' WHERE id = $1", [repoId]);
    const firstEvents = await eventsOf(first.profile.id);
    expect(firstEvents.map((event) => event.type)).toEqual(['github.card.updated', 'github.card.updated']);
    expect(firstEvents[0]!.data).toMatchObject({
      repository: { owner: 'linkpulse-test', name: repository, url: `https://github.com/linkpulse-test/${repository}`, stars: 42, forks: 3, latestRelease: null },
      changes: { stars: { before: 41, after: 42 } },
      linkIds: [firstLink.id],
    });
    expect(firstEvents[1]!.data).toMatchObject({
      repository: { latestRelease: { tag: 'v1.0.0', name: 'First' } },
      changes: { latestRelease: { before: null, after: { tag: 'v1.0.0', name: 'First' } } },
    });
    expect((await eventsOf(second.profile.id)).map((event) => (event.data.linkIds as string[])[0])).toEqual([secondLink.id, secondLink.id]);
  });
});
