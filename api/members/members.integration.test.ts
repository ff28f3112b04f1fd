// Teams over HTTP: the owner invites by mail, the invited account (its confirmed address only) joins
// with the mailed token, each role may do what it may and is refused the rest with a 403, the owner
// changes roles and removes members, a member leaves, and the team has a size limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness('members', { config: { teams: { maxMembers: 4 } } });
});
afterAll(async () => {
  await harness?.close();
});

interface Team {
  role: string;
  members: { userId: string; email: string; role: string }[];
  invitations: { id: string; email: string; role: string }[];
  transfer: { toUserId: string; email: string } | null;
}


/** The token of the newest invitation mailed to `email`. */
const invitationToken = async (email: string) => harness.mailedToken(email, 'team-invitation');


async function join(owner: ApiClient, profileId: string, member: ApiClient, role: string): Promise<void> {
  expect((await owner.post(`/api/v1/profiles/${profileId}/invitations`, { email: member.email, role })).status).toBe(201);
  const accepted = await member.post<{ profileId: string; role: string; joined: boolean }>('/api/v1/invitations/accept', { token: await invitationToken(member.email!) });
  expect(accepted.body).toEqual({ profileId, role, joined: true });
}

describe('teams', () => {
  it('lets each role do what it may, and refuses the rest with a 403 saying why', async () => {
    const [owner, editor, analyst, viewer] = await Promise.all([harness.newUser(), harness.confirmedUser(), harness.confirmedUser(), harness.confirmedUser()]);
    const profile = await owner.newProfile({ displayName: 'Team Page' });
    const link = await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
    await join(owner, profile.id, editor, 'editor');
    await join(owner, profile.id, analyst, 'analyst');
    await join(owner, profile.id, viewer, 'viewer');

    const team = (await viewer.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body;
    expect(team.members.map((member) => member.role)).toEqual(['owner', 'editor', 'analyst', 'viewer']);
    expect(team.invitations).toEqual([]);
    // Every member sees the page in their list, with their role.
    for (const [member, role] of [
      [editor, 'editor'],
      [analyst, 'analyst'],
      [viewer, 'viewer'],
    ] as const) {
      const listed = (await member.get<{ profiles: { id: string; role: string }[] }>('/api/v1/profiles')).body.profiles;
      expect(listed).toEqual([expect.objectContaining({ id: profile.id, role })]);
    }

    // The editor edits the page and its links; a link added by the editor belongs to the page.
    expect((await editor.patch(`/api/v1/profiles/${profile.id}`, { bio: 'Edited by the editor' })).status).toBe(200);
    expect((await editor.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'Docs (edited)' })).status).toBe(200);
    expect((await editor.post(`/api/v1/profiles/${profile.id}/links`, { title: 'Blog', url: 'https://example.com/blog' })).status).toBe(201);
    expect((await owner.get<{ links: unknown[] }>(`/api/v1/profiles/${profile.id}/links`)).body.links).toHaveLength(2);

    // Analysts and viewers read, and may not change anything.
    for (const reader of [analyst, viewer]) {
      expect((await reader.get(`/api/v1/profiles/${profile.id}`)).status).toBe(200);
      // Past the access check: this harness has no ClickHouse, so the read itself answers 503.
      expect((await reader.get(`/api/v1/profiles/${profile.id}/analytics/summary`)).status).toBe(503);
      const refused = await reader.patch<{ error: { code: string; message: string } }>(`/api/v1/profiles/${profile.id}`, { bio: 'no' });
      expect(refused.status).toBe(403);
      expect(refused.body.error.message).toMatch(/does not let you change this page/);
      expect((await reader.post(`/api/v1/profiles/${profile.id}/links`, { title: 'x', url: 'https://example.com/x' })).status).toBe(403);
      expect((await reader.delete(`/api/v1/profiles/${profile.id}/links/${link.id}`)).status).toBe(403);
    }
    // Downloads are not for viewers (who may download is in lib/profiles/roles.test.ts).
    expect((await viewer.get(`/api/v1/profiles/${profile.id}/analytics/export?format=csv`)).status).toBe(403);
    // Only the owner manages the team and deletes the page.
    for (const member of [editor, analyst, viewer]) {
      expect((await member.post(`/api/v1/profiles/${profile.id}/invitations`, { email: 'someone@example.com', role: 'viewer' })).status).toBe(403);
      expect((await member.patch(`/api/v1/profiles/${profile.id}/members/${viewer.userId}`, { role: 'editor' })).status).toBe(403);
      expect((await member.delete(`/api/v1/profiles/${profile.id}`)).status).toBe(403);
    }
    expect((await owner.get(`/api/v1/profiles/${profile.id}`)).status).toBe(200);

    // The owner changes a role; a member leaves; the owner removes another; a removed member sees nothing.
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/members/${viewer.userId}`, { role: 'analyst' })).status).toBe(204);
    expect((await viewer.get<{ role: string }>(`/api/v1/profiles/${profile.id}`)).body.role).toBe('analyst');
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/members/${owner.userId}`, { role: 'viewer' })).status).toBe(404);
    expect((await analyst.delete(`/api/v1/profiles/${profile.id}/members/${analyst.userId}`)).status).toBe(204);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/members/${editor.userId}`)).status).toBe(204);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/members/${owner.userId}`)).status).toBe(409);
    for (const gone of [analyst, editor]) {
      expect((await gone.get(`/api/v1/profiles/${profile.id}`)).status).toBe(404);
      expect((await gone.patch(`/api/v1/profiles/${profile.id}`, { bio: 'x' })).status).toBe(404);
      expect((await gone.get(`/api/v1/profiles/${profile.id}/analytics/summary`)).status).toBe(404);
    }
  });

  it('takes an invitation only with the confirmed address it was sent to, once, and keeps the team within its size', async () => {
    const owner = await harness.newUser();
    const profile = await owner.newProfile();
    const invited = await harness.confirmedUser();
    const stranger = await harness.confirmedUser();
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: ` ${invited.email!.toUpperCase()} `, role: 'viewer' })).status).toBe(201);
    const token = await invitationToken(invited.email!);
    // Someone else holding the link cannot use it.
    expect((await stranger.post('/api/v1/invitations/accept', { token })).status).toBe(404);
    expect((await invited.post('/api/v1/invitations/accept', { token: 'not-a-token' })).status).toBe(404);
    expect((await invited.post('/api/v1/invitations/accept', { token })).status).toBe(200);
    // Used: a second time is refused.
    expect((await invited.post('/api/v1/invitations/accept', { token })).status).toBe(404);
    // A member cannot be invited again.
    const again = await owner.post<{ error: { details: { fields: { field: string }[] } } }>(`/api/v1/profiles/${profile.id}/invitations`, { email: invited.email, role: 'editor' });
    expect({ status: again.status, field: again.body.error.details.fields[0]!.field }).toEqual({ status: 409, field: 'body.email' });

    // Revoked: the link stops working.
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: stranger.email, role: 'viewer' })).status).toBe(201);
    const revokedToken = await invitationToken(stranger.email!);
    const pending = (await owner.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body.invitations;
    expect(pending.map((invitation) => invitation.email)).toEqual([stranger.email]);
    expect((await owner.delete(`/api/v1/profiles/${profile.id}/invitations/${pending[0]!.id}`)).status).toBe(204);
    expect((await stranger.post('/api/v1/invitations/accept', { token: revokedToken })).status).toBe(404);

    // At most 4 people here (owner, member, and two pending invitations): a fifth is refused.
    for (const email of ['a@example.com', 'b@example.com']) expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email, role: 'viewer' })).status).toBe(201);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/invitations`, { email: 'c@example.com', role: 'viewer' })).status).toBe(409);
    // Bad input is a 400 naming the field.
    const bad = await owner.post<{ error: { details: { fields: { field: string }[] } } }>(`/api/v1/profiles/${profile.id}/invitations`, { email: 'nope', role: 'owner' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((field) => field.field).sort()).toEqual(['body.email', 'body.role']);
  });

  it('hands the ownership to a member who accepts it; the old owner stays on as an editor', async () => {
    const [owner, editor, viewer] = await Promise.all([harness.newUser(), harness.confirmedUser(), harness.confirmedUser()]);
    const profile = await owner.newProfile({ displayName: 'Handed Over' });
    const link = await owner.newLink(profile.id, { title: 'Docs', url: 'https://example.com/docs' });
    await join(owner, profile.id, editor, 'editor');
    await join(owner, profile.id, viewer, 'viewer');
    const outsider = await harness.confirmedUser();

    // Only the owner offers, only to someone on the team, never to themselves.
    expect((await editor.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: editor.userId })).status).toBe(403);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: outsider.userId })).status).toBe(409);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: owner.userId })).status).toBe(409);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: viewer.userId })).status).toBe(201);
    // A new offer replaces the first: the viewer can no longer take it.
    const offered = await owner.post<{ toUserId: string; email: string }>(`/api/v1/profiles/${profile.id}/transfer`, { userId: editor.userId });
    expect(offered.body).toMatchObject({ toUserId: editor.userId, email: editor.email });
    const sent = (harness.mailer as unknown as { sent: { to: string; kind: string; text: string }[] }).sent;
    expect(sent.filter((mail) => mail.to === editor.email && mail.kind === 'ownership-offer').at(-1)?.text).toContain(`/dashboard/${profile.id}/team`);
    expect((await viewer.post(`/api/v1/profiles/${profile.id}/transfer/accept`)).status).toBe(404);
    // The offer shows to the owner and to the editor, not to the viewer.
    expect((await owner.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body.transfer).toMatchObject({ toUserId: editor.userId });
    expect((await editor.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body.transfer).toMatchObject({ toUserId: editor.userId });
    expect((await viewer.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body.transfer).toBeNull();
    // Nobody else can withdraw it.
    expect((await viewer.delete(`/api/v1/profiles/${profile.id}/transfer`)).status).toBe(404);

    expect((await editor.post<{ role: string }>(`/api/v1/profiles/${profile.id}/transfer/accept`)).body).toEqual({ profileId: profile.id, role: 'owner' });
    const team = (await editor.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body;
    expect(team.members.map((member) => [member.userId, member.role])).toEqual([
      [editor.userId, 'owner'],
      [owner.userId, 'editor'],
      [viewer.userId, 'viewer'],
    ]);
    expect(team.transfer).toBeNull();
    // The new owner manages the team; the old one edits but no longer manages; the links came along.
    expect((await editor.patch(`/api/v1/profiles/${profile.id}/members/${viewer.userId}`, { role: 'analyst' })).status).toBe(204);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/members/${viewer.userId}`, { role: 'viewer' })).status).toBe(403);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}/links/${link.id}`, { title: 'Docs, still editable' })).status).toBe(200);
    expect((await editor.post(`/api/v1/profiles/${profile.id}/links`, { title: 'New', url: 'https://example.com/new' })).status).toBe(201);
    expect((await editor.delete(`/api/v1/profiles/${profile.id}/members/${editor.userId}`)).status).toBe(409);
    // Used: a second accept finds nothing.
    expect((await editor.post(`/api/v1/profiles/${profile.id}/transfer/accept`)).status).toBe(404);

    // The log says who became what.
    const log = (await editor.get<{ entries: { entity: string; action: string; changes: Record<string, unknown> }[] }>(`/api/v1/profiles/${profile.id}/activity?entity=member`)).body.entries;
    expect(log.filter((entry) => entry.action === 'updated').map((entry) => entry.changes)).toEqual(
      expect.arrayContaining([{ role: { before: 'owner', after: 'editor' } }, { role: { before: 'editor', after: 'owner' } }]),
    );
  });

  it('lets the member decline an offer, and drops it when they leave', async () => {
    const [owner, member] = await Promise.all([harness.newUser(), harness.confirmedUser()]);
    const profile = await owner.newProfile();
    await join(owner, profile.id, member, 'analyst');
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: member.userId })).status).toBe(201);
    expect((await member.delete(`/api/v1/profiles/${profile.id}/transfer`)).status).toBe(204);
    expect((await member.post(`/api/v1/profiles/${profile.id}/transfer/accept`)).status).toBe(404);
    expect((await owner.post(`/api/v1/profiles/${profile.id}/transfer`, { userId: member.userId })).status).toBe(201);
    expect((await member.delete(`/api/v1/profiles/${profile.id}/members/${member.userId}`)).status).toBe(204);
    expect((await owner.get<Team>(`/api/v1/profiles/${profile.id}/members`)).body.transfer).toBeNull();
    // Tokens cannot hand a page over.
    const token = await owner.post<{ token: string }>('/api/v1/tokens', { name: 'ci', scopes: ['profiles:write'] });
    const withToken = await fetch(`${harness.url}/api/v1/profiles/${profile.id}/transfer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.body.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ userId: member.userId }),
    });
    expect(withToken.status).toBe(403);
  });
});
