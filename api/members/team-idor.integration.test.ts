// Every API route of a profile, called by someone off its team (a stranger, and a member who left),
// with real ids and well-formed requests: nothing but a 404, as for a profile that does not exist, and
// nothing changed. And every route that changes something, called by a viewer: a 403 or a 404, and
// nothing changed. The routes come from the API itself, so a new one is covered (or fails here) at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let owner: ApiClient;
let viewer: ApiClient;
let stranger: ApiClient;
let former: ApiClient;
let ids: Record<string, string>;


async function join(user: ApiClient, role: string) {
  await owner.post(`/api/v1/profiles/${ids.profileId}/invitations`, { email: user.email, role });
  expect((await user.post('/api/v1/invitations/accept', { token: harness.mailedToken(user.email!, 'team-invitation') })).status).toBe(200);
}

/** Well-formed bodies for the routes that take one: a refusal must come from who asks, not from what. */
const BODIES: Record<string, unknown> = {
  updateProfile: { bio: 'changed by someone' },
  createLink: { title: 'Injected', url: 'https://example.com/injected' },
  updateLink: { title: 'Changed' },
  reorderLinks: () => ({ linkIds: [ids.linkId] }),
  inviteMember: { email: 'intruder@example.com', role: 'editor' },
  setMemberRole: { role: 'editor' },
  offerOwnership: () => ({ userId: ids.userId }),
  createSharedDashboard: { label: 'Intruder' },
  updateSharedDashboard: { rotate: true },
  createWebhookEndpoint: { url: 'https://intruder.example.com/hook', eventTypes: ['link.created'] },
  updateWebhookEndpoint: { url: 'https://intruder.example.com/hook' },
  createAlert: { kind: 'traffic_spike', factor: 2 },
  updateAlert: { enabled: false },
  setAlertMail: { receive: true },
  startLinkAbTest: { variants: [{ url: 'https://a.example/', weight: 50 }, { url: 'https://b.example/', weight: 50 }] },
  endLinkAbTest: { keep: 1 },
};

beforeAll(async () => {
  harness = await startApiHarness('team_idor');
  owner = await harness.newUser();
  const profile = await owner.newProfile();
  const link = await owner.newLink(profile.id, { title: 'Only', url: 'https://example.com/only' });
  ids = { profileId: profile.id, linkId: link.id };
  [viewer, stranger, former] = await Promise.all([harness.confirmedUser(), harness.confirmedUser(), harness.confirmedUser()]);
  await join(viewer, 'viewer');
  await join(former, 'editor');
  expect((await former.delete(`/api/v1/profiles/${profile.id}/members/${former.userId}`)).status).toBe(204);
  const invitation = await owner.post<{ id: string }>(`/api/v1/profiles/${profile.id}/invitations`, { email: 'pending@example.com', role: 'viewer' });
  ids.invitationId = invitation.body.id;
  ids.userId = viewer.userId!;
  ids.shareId = (await owner.post<{ id: string }>(`/api/v1/profiles/${profile.id}/shares`, { label: 'Sponsors' })).body.id;
  ids.endpointId = (await owner.post<{ endpoint: { id: string } }>(`/api/v1/profiles/${profile.id}/webhooks`, { url: 'https://hooks.example.com/only', eventTypes: ['link.created'] })).body.endpoint.id;
  ids.deliveryId = (await owner.post<{ deliveryId: string }>(`/api/v1/profiles/${profile.id}/webhooks/${ids.endpointId}/test`)).body.deliveryId;
  ids.alertId = (await owner.post<{ id: string }>(`/api/v1/profiles/${profile.id}/alerts`, { kind: 'star_milestone' })).body.id;
});
afterAll(async () => {
  await harness?.close();
});

const profileRoutes = () => harness.api.routes.filter((route) => route.path.startsWith('/profiles/:profileId'));

async function call(client: ApiClient, route: (typeof harness.api.routes)[number]): Promise<number> {
  const path = `/api/v1${route.path.replace(/:(\w+)/g, (_match, name: string) => ids[name]!)}`;
  const body = BODIES[route.operationId];
  const payload = typeof body === 'function' ? (body as () => unknown)() : body;
  const response = await client.request(route.method.toUpperCase(), path, route.method === 'get' || route.method === 'delete' ? undefined : (payload ?? {}));
  return response.status;
}

/** What an outsider could learn or change: the profile, its links, team, invitations, shared dashboards, webhooks and alerts as the owner sees them. */
const snapshot = async () =>
  JSON.stringify(
    await Promise.all([
      owner.get(`/api/v1/profiles/${ids.profileId}`).then((response) => ({ ...response.body, updatedAt: undefined })),
      owner.get(`/api/v1/profiles/${ids.profileId}/links`).then((response) => response.body),
      owner.get(`/api/v1/profiles/${ids.profileId}/members`).then((response) => response.body),
      owner.get(`/api/v1/profiles/${ids.profileId}/shares`).then((response) => response.body),
      owner.get(`/api/v1/profiles/${ids.profileId}/webhooks`).then((response) => response.body),
      owner.get(`/api/v1/profiles/${ids.profileId}/webhooks/${ids.endpointId}/deliveries`).then((response) => response.body),
      owner.get(`/api/v1/profiles/${ids.profileId}/alerts`).then((response) => response.body),
    ]),
  );

describe('a profile’s routes for people off its team', () => {
  it('covers every route of a profile', () => {
    expect(profileRoutes().length).toBeGreaterThanOrEqual(20);
  });

  it.each(['stranger', 'former member'] as const)('answer the %s 404 on every one, and change nothing', async (who) => {
    const client = who === 'stranger' ? stranger : former;
    const before = await snapshot();
    const answers: Record<string, number> = {};
    for (const route of profileRoutes()) answers[route.operationId] = await call(client, route);
    expect(Object.entries(answers).filter(([, status]) => status !== 404)).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  it('answer a viewer 403 (or 404) on every route that changes something, and change nothing', async () => {
    const before = await snapshot();
    const answers: Record<string, number> = {};
    for (const route of profileRoutes().filter((candidate) => candidate.method !== 'get')) {
      // Leaving, and receiving alert mail, are a viewer's own choices: those routes they may use (on themselves).
      if (route.operationId === 'removeMember' || route.operationId === 'setAlertMail') continue;
      answers[route.operationId] = await call(viewer, route);
    }
    expect(Object.entries(answers).filter(([, status]) => status !== 403 && status !== 404)).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});
