// The activity log through the API: a profile changed through every route that changes it shows one
// entry per change with who, what and the fields before and after; a refused change leaves none; a
// change made with an API token names the token; members read it (filtered, paged, as CSV); secrets
// never appear; and a deleted profile's log goes with it. (Pruning: scheduler/activity-prune.integration.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { png } from '../../lib/testing/attack-corpus.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { testLogger } from '../../lib/testing/services.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface Entry {
  id: string;
  actor: { userId: string | null; email: string | null; tokenId: string | null };
  entity: string;
  entityId: string;
  action: string;
  changes: Record<string, unknown>;
}

let harness: ApiHarness;
let schedulerDb: Database;
beforeAll(async () => {
  harness = await startApiHarness('activity');
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-activity', logger: testLogger });
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
});


/** Every entry of the profile, oldest first (the API pages newest first). */
async function log(client: ApiClient, profileId: string, query = ''): Promise<Entry[]> {
  const entries: Entry[] = [];
  let before: string | null = null;
  do {
    const page: { body: { entries: Entry[]; next: string | null } } = await client.get(`/api/v1/profiles/${profileId}/activity?${query}${before ? `&before=${before}` : ''}`);
    entries.push(...page.body.entries);
    before = page.body.next;
  } while (before);
  return entries.reverse();
}

describe('the activity log', () => {
  it('records one entry per change through every route, with before and after, and none for a refusal', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile({ displayName: 'Logged' });
    let seen = (await log(owner, profile.id)).length;
    /** The entries since the last call. */
    const fresh = async () => {
      const all = await log(owner, profile.id);
      const added = all.slice(seen);
      seen = all.length;
      return added.map(({ entity, action, changes, actor }) => ({ entity, action, changes, actor: actor.userId }));
    };
    expect(seen).toBe(2); // the profile, and its owner joining as owner

    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { bio: 'Hello', accentColor: '#0f766e' })).status).toBe(200);
    expect(await fresh()).toEqual([
      { entity: 'profile', action: 'updated', actor: owner.userId, changes: { bio: { before: '', after: 'Hello' }, accent_color: { before: '#2563eb', after: '#0f766e' } } },
    ]);

    // Refused (a taken handle; a bad colour): nothing logged.
    const other = await (await harness.newUser()).newProfile();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { handle: other.handle })).status).toBe(409);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { accentColor: 'red' })).status).toBe(400);
    expect(await fresh()).toEqual([]);

    const link = (await owner.post<{ id: string }>(`/api/v1/profiles/${profile.id}/links`, { title: 'Docs', url: 'https://example.com/docs' })).body;
    expect(await fresh()).toMatchObject([{ entity: 'link', action: 'created', changes: { title: 'Docs', url: 'https://example.com/docs' } }]);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'Docs v2' })).status).toBe(200);
    expect(await fresh()).toEqual([{ entity: 'link', action: 'updated', actor: owner.userId, changes: { title: { before: 'Docs', after: 'Docs v2' } } }]);
    const second = (await owner.post<{ id: string }>(`/api/v1/profiles/${profile.id}/links`, { title: 'Blog', url: 'https://example.com/blog' })).body;
    await fresh();
    expect((await owner.put(`/api/v1/profiles/${profile.id}/links/order`, { linkIds: [second.id, link.id] })).status).toBe(200);
    const reordered = await fresh();
    expect(reordered.map((entry) => entry.changes)).toEqual(expect.arrayContaining([{ position: { before: 0, after: 1 } }, { position: { before: 1, after: 0 } }]));
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/links/${second.id}`)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'link', action: 'deleted', changes: { title: 'Blog' } }]);

    // An image set, then deleted (which takes it off the profile): two profile updates.
    const image = (await owner.upload<{ id: string }>('/api/v1/assets', await png(20, 20), { name: 'a.png', type: 'image/png' })).body;
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { avatarAssetId: image.id })).status).toBe(200);
    expect((await owner.delete(`/api/v1/assets/${image.id}`)).status).toBe(204);
    expect(await fresh()).toEqual([
      { entity: 'profile', action: 'updated', actor: owner.userId, changes: { avatar_asset_id: { before: null, after: image.id } } },
      { entity: 'profile', action: 'updated', actor: owner.userId, changes: { avatar_asset_id: { before: image.id, after: null } } },
    ]);

    // The team: an invitation (no token hash in the log), accepted (member in, invitation out), a role change, a removal.
    const member = await harness.confirmedUser();
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: member.email, role: 'viewer' })).status).toBe(201);
    const invited = await fresh();
    expect(invited).toMatchObject([{ entity: 'invitation', action: 'created', changes: { email: member.email, role: 'viewer' } }]);
    expect(JSON.stringify(invited)).not.toMatch(/token_hash|\\\\x/);
    expect((await member.post('/api/v1/invitations/accept', { token: harness.mailedToken(member.email!, 'team-invitation') })).status).toBe(200);
    expect((await fresh()).map(({ entity, action, actor }) => ({ entity, action, actor }))).toEqual([
      { entity: 'member', action: 'created', actor: member.userId },
      { entity: 'invitation', action: 'deleted', actor: member.userId },
    ]);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/members/${member.userId}`, { role: 'editor' })).status).toBe(204);
    expect(await fresh()).toEqual([{ entity: 'member', action: 'updated', actor: owner.userId, changes: { role: { before: 'viewer', after: 'editor' } } }]);

    // The editor's change carries their name; a viewer's refused change leaves nothing.
    expect((await member.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { enabled: false })).status).toBe(200);
    const byEditor = await log(member, profile.id, `actor=${member.userId}&entity=link`);
    expect(byEditor.map(({ actor, changes }) => ({ email: actor.email, changes }))).toEqual([{ email: member.email, changes: { enabled: { before: true, after: false } } }]);
    await fresh();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/members/${member.userId}`, { role: 'viewer' })).status).toBe(204);
    await fresh();
    expect((await member.patch(`/api/v1/profiles/${profile.id}`, { bio: 'not allowed' })).status).toBe(403);
    expect(await fresh()).toEqual([]);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/members/${member.userId}`)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'member', action: 'deleted', actor: owner.userId }]);
    // Gone from the team: the log is not theirs to read, and their entries no longer show their address.
    expect((await member.get(`/api/v1/profiles/${profile.id}/activity`)).status).toBe(404);
    expect((await log(owner, profile.id, `actor=${member.userId}`)).every((entry) => entry.actor.email === null)).toBe(true);

    // A change made with an API token names it.
    const token = (await owner.post<{ token: string; id: string }>('/api/v1/tokens', { name: 'CI', scopes: ['profiles:write', 'profiles:read'] })).body;
    const withToken = await fetch(`${harness.url}/api/v1/profiles/${profile.id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ displayName: 'Logged by CI' }),
    });
    expect(withToken.status).toBe(200);
    const [byToken] = (await log(owner, profile.id)).slice(-1);
    expect(byToken).toMatchObject({ actor: { userId: owner.userId, tokenId: token.id }, changes: { display_name: { before: 'Logged', after: 'Logged by CI' } } });

    // The CSV holds the same entries.
    const csv = await fetch(`${harness.url}/api/v1/profiles/${profile.id}/activity/export`, { headers: { cookie: owner.cookie! } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('occurred_at,actor_email,actor_user_id,actor_token_id,entity,entity_id,action,changes');
    expect(lines).toHaveLength((await log(owner, profile.id)).length + 1);
    seen = (await log(owner, profile.id)).length;

    // An invitation revoked: one deletion.
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: 'revoked@example.com', role: 'viewer' })).status).toBe(201);
    await fresh();
    const [pending] = (await owner.get<{ invitations: { id: string }[] }>(`/api/v1/profiles/${profile.id}/members`)).body.invitations;
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/invitations/${pending!.id}`)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'invitation', action: 'deleted', actor: owner.userId, changes: { email: 'revoked@example.com' } }]);

    // A shared dashboard created, rotated and changed, then revoked: its token and password never appear.
    const share = (await owner.post<{ id: string; url: string }>(`/api/v1/profiles/${profile.id}/shares`, { label: 'Sponsors', panels: ['summary'], password: 'copper meadow signal 58' })).body;
    expect(await fresh()).toMatchObject([{ entity: 'share', action: 'created', changes: { label: 'Sponsors', panels: ['summary'], token: 'hidden', password_hash: 'hidden' } }]);
    const rotated = await owner.patch<{ url: string }>(`/api/v1/profiles/${profile.id}/shares/${share.id}`, { rotate: true, panels: ['summary', 'links'], password: null });
    expect(rotated.status).toBe(200);
    expect(await fresh()).toEqual([
      {
        entity: 'share',
        action: 'updated',
        actor: owner.userId,
        changes: { token: { before: 'hidden (replaced)', after: 'hidden' }, panels: { before: ['summary'], after: ['summary', 'links'] }, password_hash: { before: 'hidden', after: null } },
      },
    ]);
    // Refused (no panel): nothing logged.
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/shares/${share.id}`, { panels: [] })).status).toBe(400);
    expect(await fresh()).toEqual([]);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/shares/${share.id}`)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'share', action: 'deleted', changes: { label: 'Sponsors' } }]);
    const secrets = JSON.stringify(await log(owner, profile.id));
    for (const url of [share.url, rotated.body.url]) expect(secrets).not.toContain(url.split('/').at(-1));

    // A webhook endpoint created, changed, its secret rotated, turned off, then deleted: the secret never appears.
    const hook = (await owner.post<{ endpoint: { id: string }; secret: string }>(`/api/v1/profiles/${profile.id}/webhooks`, {
      url: 'https://hooks.example.com/linkpulse',
      description: 'Deploys',
      eventTypes: ['link.created', 'profile.published'],
    })).body;
    expect(await fresh()).toEqual([
      {
        entity: 'webhook',
        action: 'created',
        actor: owner.userId,
        changes: expect.objectContaining({
          // Only the origin: a receiver's URL may hold its credential, and every member reads the log.
          url: 'https://hooks.example.com/…',
          description: 'Deploys',
          event_types: ['link.created', 'profile.published'],
          status: 'active',
          secret_encrypted: 'hidden',
        }) as unknown,
      },
    ]);
    const hookPath = `/api/v1/profiles/${profile.id}/webhooks/${hook.endpoint.id}`;
    expect((await owner.patch(hookPath, { eventTypes: ['link.created'], description: 'Deploy bot' })).status).toBe(200);
    expect(await fresh()).toEqual([
      { entity: 'webhook', action: 'updated', actor: owner.userId, changes: { description: { before: 'Deploys', after: 'Deploy bot' }, event_types: { before: ['link.created', 'profile.published'], after: ['link.created'] } } },
    ]);
    // A new path (a new token in it, say) shows as a change, without the path.
    expect((await owner.patch(hookPath, { url: 'https://hooks.example.com/linkpulse?token=s3cr3t' })).status).toBe(200);
    expect(await fresh()).toEqual([
      { entity: 'webhook', action: 'updated', actor: owner.userId, changes: { url: { before: 'https://hooks.example.com/…', after: 'https://hooks.example.com/… (path changed)' } } },
    ]);
    const rotation = (await owner.post<{ secret: string; previousSecretValidUntil: string }>(`${hookPath}/rotate-secret`)).body;
    const [rotatedHook] = await fresh();
    expect(rotatedHook).toMatchObject({
      entity: 'webhook',
      action: 'updated',
      changes: { secret_encrypted: { before: 'hidden (replaced)', after: 'hidden' }, previous_secret_expires_at: { before: null, after: expect.any(String) as unknown } },
    });
    expect(Date.parse((rotatedHook!.changes.previous_secret_expires_at as { after: string }).after)).toBe(Date.parse(rotation.previousSecretValidUntil));
    // The worker's bookkeeping after failed deliveries is no activity; its disabling the endpoint is, by Linkpulse.
    await schedulerDb.query('UPDATE webhook_endpoints SET consecutive_failures = 3 WHERE id = $1', [hook.endpoint.id]);
    expect(await fresh()).toEqual([]);
    await schedulerDb.query("UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = 'Failed 20 deliveries in a row', disabled_at = now() WHERE id = $1", [hook.endpoint.id]);
    // (Why is left out: a worker's reason may quote where the receiver redirected.)
    expect(await fresh()).toEqual([{ entity: 'webhook', action: 'updated', actor: null, changes: { status: { before: 'active', after: 'disabled' } } }]);
    expect((await owner.patch(hookPath, { enabled: true })).status).toBe(200);
    expect(await fresh()).toEqual([{ entity: 'webhook', action: 'updated', actor: owner.userId, changes: { status: { before: 'disabled', after: 'active' } } }]);
    // A test event and a resend change no endpoint: nothing logged.
    const test = (await owner.post<{ deliveryId: string }>(`${hookPath}/test`)).body;
    expect((await owner.post(`${hookPath}/deliveries/${test.deliveryId}/resend`)).status).toBe(202);
    expect(await fresh()).toEqual([]);
    expect((await owner.delete(hookPath)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'webhook', action: 'deleted', actor: owner.userId, changes: { url: 'https://hooks.example.com/…', secret_encrypted: 'hidden' } }]);
    const logged = JSON.stringify(await log(owner, profile.id, 'entity=webhook'));
    for (const secret of [hook.secret, rotation.secret]) expect(logged).not.toContain(secret.slice('whsec_'.length, 20));
    expect(logged).not.toMatch(/\\\\x|previous_secret_encrypted|consecutive_failures|s3cr3t|\/linkpulse/);

    // The ownership offered and withdrawn, offered again and accepted: the members' roles change over.
    const heir = await harness.confirmedUser();
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: heir.email, role: 'analyst' })).status).toBe(201);
    expect((await heir.post('/api/v1/invitations/accept', { token: harness.mailedToken(heir.email!, 'team-invitation') })).status).toBe(200);
    await fresh();
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: heir.userId })).status).toBe(201);
    expect(await fresh()).toMatchObject([{ entity: 'transfer', action: 'created', actor: owner.userId, changes: { to_user_id: heir.userId } }]);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/transfer`)).status).toBe(204);
    expect(await fresh()).toMatchObject([{ entity: 'transfer', action: 'deleted', actor: owner.userId }]);
    expect((await heir.post(`/api/v1/profiles/${profile.id}/transfer/accept`)).status).toBe(404);
    expect(await fresh()).toEqual([]);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: heir.userId })).status).toBe(201);
    await fresh();
    expect((await heir.post(`/api/v1/profiles/${profile.id}/transfer/accept`)).status).toBe(200);
    expect(await fresh()).toEqual([
      { entity: 'member', action: 'updated', actor: heir.userId, changes: { role: { before: 'owner', after: 'editor' } } },
      { entity: 'member', action: 'updated', actor: heir.userId, changes: { role: { before: 'analyst', after: 'owner' } } },
      expect.objectContaining({ entity: 'transfer', action: 'deleted', actor: heir.userId }),
    ]);
    // A member leaving: one deletion, by themselves.
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/members/${owner.userId}`)).status).toBe(204);
    const left = (await log(heir, profile.id)).slice(seen);
    expect(left.map(({ entity, action, actor }) => ({ entity, action, actor: actor.userId }))).toEqual([{ entity: 'member', action: 'deleted', actor: owner.userId }]);
  });

  it('is for members only, and goes with its profile', async () => {
    const owner = await harness.newUser();
    const stranger = await harness.newUser();
    const profile = await owner.newProfile();
    expect((await stranger.get(`/api/v1/profiles/${profile.id}/activity`)).status).toBe(404);
    expect((await owner.get(`/api/v1/profiles/${profile.id}/activity?entity=nope`)).status).toBe(400);

    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { bio: 'again' })).status).toBe(200);
    expect((await log(owner, profile.id)).length).toBe(3);
    const logged = async () => (await schedulerDb.query<{ n: number }>('SELECT count(*)::int AS n FROM activity_log')).rows[0]!.n;
    const before = await logged();
    expect((await owner.delete(`/api/v1/profiles/${profile.id}`)).status).toBe(204);
    // The profile's three entries went with it, and its deletion logged nothing more.
    expect(await logged()).toBe(before - 3);
  });
});
