// Every response of the API carries the security headers, whatever wrote it: a handler, an access
// guard, input validation, the body parser, a rate limiter, the error envelope of a failed dependency,
// or no route at all. The operations come from the served OpenAPI document rather than a list kept
// here, so a new route is covered the day it is added (and fails until it has a recipe below).
import { png } from '../../lib/testing/attack-corpus.js';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { uniqueName, waitFor } from '../../lib/testing/wait-for.js';
import { ApiClient, startApiHarness, type ApiHarness, type ApiResponse } from '../../server/testing/api-harness.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { generate } from 'otplib';
import type { RecordingMailer } from '../../lib/testing/mail.js';
import { asOwner } from '../../lib/testing/postgres.js';
import { createExportTokens, exportObjectKey, exportTokenKey } from '../../lib/account-exports/account-export.js';

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema?: { format?: string };
}

interface Operation {
  operationId: string;
  security: unknown[];
  parameters: Parameter[];
  requestBody?: unknown;
}

interface Endpoint {
  method: string;
  /** The document's path template: /api/v1/profiles/{profileId} */
  path: string;
  operation: Operation;
}

/** A request that succeeds, with the status it succeeds with. */
interface Call {
  client: ApiClient;
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  status: number;
}

type ErrorBody = { error: { code: string; requestId: string; message: string } };

/** Names of the security headers that are missing or wrong on a response. */
function missingSecurityHeaders(headers: Headers): string[] {
  const csp = headers.get('content-security-policy') ?? '';
  const checks: Record<string, boolean> = {
    'Content-Security-Policy': csp.includes("default-src 'none'") && csp.includes("frame-ancestors 'none'"),
    'Strict-Transport-Security': headers.get('strict-transport-security') === 'max-age=63072000; includeSubDomains',
    'X-Content-Type-Options': headers.get('x-content-type-options') === 'nosniff',
    'Referrer-Policy': headers.get('referrer-policy') === 'strict-origin-when-cross-origin',
    'Cross-Origin-Opener-Policy': headers.get('cross-origin-opener-policy') === 'same-origin',
    'Cross-Origin-Resource-Policy': headers.get('cross-origin-resource-policy') === 'same-origin',
    'X-Frame-Options': headers.get('x-frame-options') === 'DENY',
    'X-Request-Id': /^[A-Za-z0-9._:-]{8,128}$/.test(headers.get('x-request-id') ?? ''),
  };
  return Object.entries(checks)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
}

/** An error response: the envelope, its request id echoed in X-Request-Id, and every security header. */
function expectErrorResponse(response: ApiResponse<ErrorBody>, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.body.error.code).toBe(code);
  expect(response.body.error.requestId).toBe(response.headers.get('x-request-id'));
  expect(missingSecurityHeaders(response.headers)).toEqual([]);
}

const uniqueHandle = () => uniqueName('h').replaceAll('_', '-').slice(0, 30);

async function grantAdmin(harness: ApiHarness, email: string): Promise<void> {
  const owner = new pg.Client({ connectionString: harness.database.ownerUrl });
  await owner.connect();
  try {
    await owner.query("SELECT admin_set_role($1, 'admin')", [email]);
  } finally {
    await owner.end();
  }
}

let harness: ApiHarness;
let endpoints: Endpoint[];
/** A creator with a published profile and a link, for the operations that only read or add. */
let owner: ApiClient;
let profile: { id: string; handle: string };
let link: { id: string };

let engine: TestClickHouse | undefined;
let analytics: ClickHouse;

beforeAll(async () => {
  engine = await createTestClickHouse('headers');
  analytics = engine.clickhouse;
  harness = await startApiHarness('security_headers', { clickhouse: analytics });
  const document = await harness.client().get<{ paths: Record<string, Record<string, Operation>> }>('/api/v1/openapi.json');
  expect(document.status).toBe(200);
  endpoints = Object.entries(document.body.paths).flatMap(([path, item]) => Object.entries(item).map(([method, operation]) => ({ method, path, operation })));
  owner = await harness.newUser();
  profile = await owner.newProfile({ published: true });
  link = await owner.newLink(profile.id);
});
afterAll(async () => {
  await harness?.close();
  await engine?.close();
});

// One successful call per operationId. Each builds what it consumes (a user to log out, a token to
// revoke), so no call depends on another having run first. Profiles are made by users of their own:
// an account may have only a few.
const recipes: Record<string, () => Promise<Call>> = {
  getApiInfo: async () => ({ client: harness.client(), status: 200 }),
  getOpenApiDocument: async () => ({ client: harness.client(), status: 200 }),
  signUp: async () => ({ client: harness.client(), body: { email: `${uniqueName('signup')}@example.com`, password: 'a long passphrase' }, status: 202 }),
  logIn: async () => {
    const user = await harness.newUser();
    return { client: harness.client(), body: { email: user.email, password: user.password }, status: 200 };
  },
  logOut: async () => ({ client: await harness.newUser(), status: 204 }),
  getMe: async () => ({ client: owner, status: 200 }),
  changePassword: async () => {
    const user = await harness.newUser();
    return { client: user, body: { currentPassword: user.password, newPassword: 'a brand new password' }, status: 200 };
  },
  deleteAccount: async () => {
    const user = await harness.newUser();
    return { client: user, body: { password: user.password }, status: 204 };
  },
  listTokens: async () => ({ client: owner, status: 200 }),
  createToken: async () => ({ client: owner, body: { name: 'CI', scopes: ['profiles:read'] }, status: 201 }),
  revokeToken: async () => {
    const token = await owner.post<{ id: string }>('/api/v1/tokens', { name: 'to revoke', scopes: ['profiles:read'] });
    return { client: owner, params: { tokenId: token.body.id }, status: 204 };
  },
  listProfiles: async () => ({ client: owner, status: 200 }),
  createProfile: async () => ({ client: await harness.newUser(), body: { handle: uniqueHandle(), displayName: 'Another' }, status: 201 }),
  getProfile: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  updateProfile: async () => ({ client: owner, params: { profileId: profile.id }, body: { bio: 'Updated' }, status: 200 }),
  deleteProfile: async () => {
    const user = await harness.newUser();
    return { client: user, params: { profileId: (await user.newProfile()).id }, status: 204 };
  },
  checkHandle: async () => ({ client: owner, params: { handle: uniqueHandle() }, status: 200 }),
  listLinks: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  createLink: async () => ({ client: owner, params: { profileId: profile.id }, body: { title: 'Another link', url: 'https://example.org/' }, status: 201 }),
  updateLink: async () => ({ client: owner, params: { profileId: profile.id, linkId: link.id }, body: { title: 'Renamed' }, status: 200 }),
  refreshLink: async () => ({
    client: owner,
    params: { profileId: profile.id, linkId: (await owner.newLink(profile.id, { url: `https://github.com/octo-org/${uniqueHandle()}` })).id },
    status: 202,
  }),
  deleteLink: async () => ({ client: owner, params: { profileId: profile.id, linkId: (await owner.newLink(profile.id)).id }, status: 204 }),
  startLinkAbTest: async () => ({
    client: owner,
    params: { profileId: profile.id, linkId: (await owner.newLink(profile.id)).id },
    body: { variants: [{ url: 'https://a.example/', weight: 50 }, { url: 'https://b.example/', weight: 50 }] },
    status: 201,
  }),
  endLinkAbTest: async () => {
    const tested = await owner.newLink(profile.id);
    await owner.post(`/api/v1/profiles/${profile.id}/links/${tested.id}/ab-test`, { variants: [{ url: 'https://a.example/', weight: 50 }, { url: 'https://b.example/', weight: 50 }] });
    return { client: owner, params: { profileId: profile.id, linkId: tested.id }, body: { keep: 2 }, status: 200 };
  },
  getProfileQrCode: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getLinkQrCode: async () => ({ client: owner, params: { profileId: profile.id, linkId: link.id }, query: '?format=png&size=128', status: 200 }),
  reorderLinks: async () => {
    // A profile of its own: the request must list every link of the profile, and other calls add links.
    const user = await harness.newUser();
    const own = await user.newProfile();
    const first = await user.newLink(own.id);
    const second = await user.newLink(own.id);
    return { client: user, params: { profileId: own.id }, body: { linkIds: [second.id, first.id] }, status: 200 };
  },
  listActivity: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  exportActivity: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  listMembers: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  inviteMember: async () => {
    // A page of its own per call: pending invitations count against a team's size.
    const user = await harness.newUser();
    const own = await user.newProfile();
    return { client: user, params: { profileId: own.id }, body: { email: `${uniqueName('invited')}@example.com`, role: 'viewer' }, status: 201 };
  },
  revokeInvitation: async () => {
    const user = await harness.newUser();
    const own = await user.newProfile();
    const invitation = await user.post<{ id: string }>(`/api/v1/profiles/${own.id}/invitations`, { email: `${uniqueName('invited')}@example.com`, role: 'viewer' });
    return { client: user, params: { profileId: own.id, invitationId: invitation.body.id }, status: 204 };
  },
  acceptInvitation: async () => {
    const { member, token } = await invitedMember();
    return { client: member, body: { token }, status: 200 };
  },
  setMemberRole: async () => {
    const team = await joinedTeam();
    return { client: team.owner, params: { profileId: team.profileId, userId: team.member.userId! }, body: { role: 'editor' }, status: 204 };
  },
  removeMember: async () => {
    const team = await joinedTeam();
    return { client: team.owner, params: { profileId: team.profileId, userId: team.member.userId! }, status: 204 };
  },
  offerOwnership: async () => {
    const team = await joinedTeam();
    return { client: team.owner, params: { profileId: team.profileId }, body: { userId: team.member.userId! }, status: 201 };
  },
  withdrawOwnershipOffer: async () => {
    const team = await joinedTeam();
    await team.owner.post(`/api/v1/profiles/${team.profileId}/transfer`, { userId: team.member.userId });
    return { client: team.owner, params: { profileId: team.profileId }, status: 204 };
  },
  acceptOwnership: async () => {
    const team = await joinedTeam();
    await team.owner.post(`/api/v1/profiles/${team.profileId}/transfer`, { userId: team.member.userId });
    return { client: team.member, params: { profileId: team.profileId }, status: 200 };
  },
  listSharedDashboards: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  createSharedDashboard: async () => {
    // A page of its own per call: a page has at most 10 shared dashboards.
    const user = await harness.newUser();
    return { client: user, params: { profileId: (await user.newProfile()).id }, body: { label: 'Sponsors', panels: ['summary'] }, status: 201 };
  },
  updateSharedDashboard: async () => {
    const share = await sharedDashboard();
    return { client: share.owner, params: { profileId: share.profileId, shareId: share.id }, body: { rotate: true }, status: 200 };
  },
  revokeSharedDashboard: async () => {
    const share = await sharedDashboard();
    return { client: share.owner, params: { profileId: share.profileId, shareId: share.id }, status: 204 };
  },
  listAlerts: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  createAlert: async () => {
    // A page of its own per call: a page has one traffic spike alert.
    const user = await harness.newUser();
    return { client: user, params: { profileId: (await user.newProfile()).id }, body: { kind: 'traffic_spike', factor: 4 }, status: 201 };
  },
  updateAlert: async () => {
    const { user, profileId, alertId } = await starAlert();
    return { client: user, params: { profileId, alertId }, body: { enabled: false }, status: 200 };
  },
  deleteAlert: async () => {
    const { user, profileId, alertId } = await starAlert();
    return { client: user, params: { profileId, alertId }, status: 204 };
  },
  listAlertFirings: async () => ({ client: owner, params: { profileId: profile.id }, query: '?kind=traffic_spike', status: 200 }),
  setAlertMail: async () => ({ client: owner, params: { profileId: profile.id }, body: { receive: true }, status: 200 }),
  openSharedDashboard: async () => ({ client: harness.client(), params: { token: (await sharedDashboard()).token }, status: 200 }),
  unlockSharedDashboard: async () => ({ client: harness.client(), params: { token: (await sharedDashboard('copper meadow signal 58')).token }, body: { password: 'copper meadow signal 58' }, status: 204 }),
  getSharedDashboard: async () => ({ client: harness.client(), params: { token: (await sharedDashboard()).token }, query: '?compare=previous', status: 200 }),
  getSharedRealtime: async () => ({ client: harness.client(), params: { token: (await sharedDashboard()).token }, status: 200 }),
  listWebhookEndpoints: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  createWebhookEndpoint: async () => {
    // A page of its own per call: a page has at most 10 endpoints.
    const user = await harness.newUser();
    return { client: user, params: { profileId: (await user.newProfile()).id }, body: { url: 'https://hooks.example.com/probe', eventTypes: ['link.created'] }, status: 201 };
  },
  getWebhookEndpoint: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, status: 200 };
  },
  updateWebhookEndpoint: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, body: { description: 'Changed' }, status: 200 };
  },
  deleteWebhookEndpoint: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, status: 204 };
  },
  rotateWebhookSecret: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, status: 200 };
  },
  sendWebhookTestEvent: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, status: 202 };
  },
  listWebhookDeliveries: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, query: '?status=pending&limit=5', status: 200 };
  },
  getWebhookDelivery: async () => {
    const hook = await webhookEndpoint({ delivery: true });
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id, deliveryId: hook.deliveryId! }, status: 200 };
  },
  resendWebhookDelivery: async () => {
    const hook = await webhookEndpoint({ delivery: true });
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id, deliveryId: hook.deliveryId! }, status: 202 };
  },
  resendFailedWebhookDeliveries: async () => {
    const hook = await webhookEndpoint();
    return { client: hook.owner, params: { profileId: hook.profileId, endpointId: hook.id }, status: 202 };
  },
  getPublicProfile: async () => ({ client: harness.client(), params: { handle: profile.handle }, status: 200 }),
  getAnalyticsSummary: async () => ({ client: owner, params: { profileId: profile.id }, query: '?compare=previous', status: 200 }),
  getAnalyticsTimeseries: async () => ({ client: owner, params: { profileId: profile.id }, query: '?interval=hour&tz=Europe%2FBerlin', status: 200 }),
  getAnalyticsLinks: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsGeo: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsDevices: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsReferrers: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsUtm: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsHeatmap: async () => ({ client: owner, params: { profileId: profile.id }, query: '?device=mobile', status: 200 }),
  getAnalyticsBots: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsAbTests: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsRealtime: async () => ({ client: owner, params: { profileId: profile.id }, status: 200 }),
  getAnalyticsDashboard: async () => ({ client: owner, params: { profileId: profile.id }, query: '?compare=previous&heatmapDevice=mobile', status: 200 }),
  exportAnalytics: async () => ({ client: owner, params: { profileId: profile.id }, query: '?format=ndjson', status: 200 }),
  uploadAsset: async () => {
    const form = new FormData();
    form.append('file', new Blob([await png()], { type: 'image/png' }), 'avatar.png');
    // A user of its own: an image uploaded twice answers 200 (the existing one), not 201.
    return { client: await harness.newUser(), body: form, status: 201 };
  },
  listAssets: async () => ({ client: owner, status: 200 }),
  getAsset: async () => ({ client: owner, params: { assetId: (await owner.upload<{ id: string }>('/api/v1/assets', await png(8, 8), { name: 'a.png' })).body.id }, status: 200 }),
  deleteAsset: async () => {
    const user = await harness.newUser();
    return { client: user, params: { assetId: (await user.upload<{ id: string }>('/api/v1/assets', await png(9, 9))).body.id }, status: 204 };
  },
  requestPasswordReset: async () => ({ client: harness.client(), body: { email: (await harness.newUser()).email }, status: 202 }),
  resetPassword: async () => {
    const user = await harness.newUser();
    await harness.client().post('/api/v1/auth/password-reset', { email: user.email });
    await waitFor(() => (harness.mailer as RecordingMailer).sent.some((sent) => sent.to === user.email && sent.kind === 'password-reset'), { what: 'the reset mail' });
    return { client: harness.client(), body: { token: mailedToken(user.email!, 'password-reset'), newPassword: 'a brand new password' }, status: 200 };
  },
  requestEmailVerification: async () => ({ client: await harness.newUser(), status: 202 }),
  verifyEmail: async () => {
    const user = await harness.newUser();
    return { client: harness.client(), body: { token: mailedToken(user.email!, 'email-verification') }, status: 200 };
  },
  requestEmailChange: async () => {
    const user = await harness.newUser();
    return { client: user, body: { newEmail: `${uniqueName('moved')}@example.com`, password: user.password }, status: 202 };
  },
  getEmailChange: async () => ({ client: owner, status: 200 }),
  cancelEmailChange: async () => {
    const user = await harness.newUser();
    await user.post('/api/v1/auth/email-change', { newEmail: `${uniqueName('moved')}@example.com`, password: user.password });
    return { client: user, status: 204 };
  },
  confirmEmailChange: async () => {
    const user = await harness.newUser();
    await user.post('/api/v1/auth/email-change', { newEmail: `${uniqueName('moved')}@example.com`, password: user.password });
    return { client: harness.client(), body: { token: mailedToken(user.email!, 'email-change-old') }, status: 200 };
  },
  getTwoFactor: async () => ({ client: owner, status: 200 }),
  setUpTwoFactor: async () => ({ client: await harness.newUser(), status: 200 }),
  enableTwoFactor: async () => {
    const user = await harness.newUser();
    const setup = await user.post<{ secret: string }>('/api/v1/auth/two-factor/setup');
    return { client: user, body: { password: user.password, code: await generate({ secret: setup.body.secret }) }, status: 200 };
  },
  disableTwoFactor: async () => {
    const { user } = await userWithTwoFactor();
    return { client: user, body: { password: user.password }, status: 204 };
  },
  renewRecoveryCodes: async () => {
    const { user } = await userWithTwoFactor();
    return { client: user, body: { password: user.password }, status: 200 };
  },
  logInSecondFactor: async () => {
    const { user, secret } = await userWithTwoFactor();
    const challenge = await harness.client().post<{ challenge: string }>('/api/v1/auth/login', { email: user.email, password: user.password });
    // The enabling code used this time step: the next one's signs in.
    return { client: harness.client(), body: { challenge: challenge.body.challenge, code: await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }) }, status: 200 };
  },
  listSessions: async () => ({ client: owner, status: 200 }),
  revokeSession: async () => {
    const user = await harness.newUser();
    const other = harness.client();
    await other.logIn(user.email!, user.password!);
    const listed = await other.get<{ sessions: { id: string; current: boolean }[] }>('/api/v1/auth/sessions');
    return { client: user, params: { sessionId: listed.body.sessions.find((session) => session.current)!.id }, status: 204 };
  },
  revokeOtherSessions: async () => ({ client: await harness.newUser(), status: 200 }),
  requestAccountExport: async () => ({ client: await harness.newUser(), status: 202 }),
  listAccountExports: async () => ({ client: owner, status: 200 }),
  downloadAccountExport: async () => {
    const { user, exportId, token } = await readyAccountExport();
    return { client: user, params: { exportId }, query: `?token=${token}`, status: 200 };
  },
  deleteAccountExport: async () => {
    const { user, exportId } = await readyAccountExport();
    return { client: user, params: { exportId }, status: 204 };
  },
  listGitHubSyncRuns: async () => {
    const admin = await harness.newUser();
    await grantAdmin(harness, admin.email!);
    return { client: admin, query: '?limit=5', status: 200 };
  },
  listAuditLog: async () => {
    const admin = await harness.newUser();
    await grantAdmin(harness, admin.email!);
    return { client: admin, query: '?limit=5', status: 200 };
  },
};

/** A page with an invitation mailed to a creator whose address is confirmed (what accepting needs). */
async function invitedMember(): Promise<{ owner: ApiClient; profileId: string; member: ApiClient; token: string }> {
  const owner = await harness.newUser();
  const own = await owner.newProfile();
  const member = await harness.newUser();
  await harness.client().post('/api/v1/auth/email-verification/confirm', { token: mailedToken(member.email!, 'email-verification') });
  await member.logIn(member.email!, member.password!);
  await owner.post(`/api/v1/profiles/${own.id}/invitations`, { email: member.email, role: 'viewer' });
  return { owner, profileId: own.id, member, token: mailedToken(member.email!, 'team-invitation') };
}

/** A new shared dashboard (every panel) of a new creator's page, and the token of its URL. */
async function sharedDashboard(password?: string): Promise<{ owner: ApiClient; profileId: string; id: string; token: string }> {
  const user = await harness.newUser();
  const own = await user.newProfile();
  const share = await user.post<{ id: string; url: string }>(`/api/v1/profiles/${own.id}/shares`, { label: 'Probe', ...(password ? { password } : {}) });
  return { owner: user, profileId: own.id, id: share.body.id, token: share.body.url.split('/').at(-1)! };
}

/** A new webhook endpoint of a new creator's page and, if asked, the delivery of a test event to it. */
async function webhookEndpoint(options: { delivery?: boolean } = {}): Promise<{ owner: ApiClient; profileId: string; id: string; deliveryId?: string }> {
  const user = await harness.newUser();
  const own = await user.newProfile();
  const created = await user.post<{ endpoint: { id: string } }>(`/api/v1/profiles/${own.id}/webhooks`, { url: 'https://hooks.example.com/probe', eventTypes: ['link.created'] });
  const id = created.body.endpoint.id;
  const deliveryId = options.delivery ? (await user.post<{ deliveryId: string }>(`/api/v1/profiles/${own.id}/webhooks/${id}/test`)).body.deliveryId : undefined;
  return { owner: user, profileId: own.id, id, ...(deliveryId ? { deliveryId } : {}) };
}

/** A new creator's page with a star milestone alert. */
async function starAlert(): Promise<{ user: ApiClient; profileId: string; alertId: string }> {
  const user = await harness.newUser();
  const profileId = (await user.newProfile()).id;
  const alert = await user.post<{ id: string }>(`/api/v1/profiles/${profileId}/alerts`, { kind: 'star_milestone' });
  return { user, profileId, alertId: alert.body.id };
}

async function joinedTeam(): Promise<{ owner: ApiClient; profileId: string; member: ApiClient }> {
  const team = await invitedMember();
  await team.member.post('/api/v1/invitations/accept', { token: team.token });
  return team;
}

/** The token of the newest mailed link of a kind to `email` (the harness records the API's mail). */
function mailedToken(email: string, kind: string): string {
  const mail = (harness.mailer as RecordingMailer).sent.filter((sent) => sent.to === email && sent.kind === kind).at(-1);
  return /#token=([A-Za-z0-9_-]{43})/.exec(mail!.text)![1]!;
}

/** An export as the scheduler leaves it when it is built (no scheduler here): its row, its file and the mailed secret. */
async function readyAccountExport(): Promise<{ user: ApiClient; exportId: string; token: string }> {
  const user = await harness.newUser();
  const exportId = randomUUID();
  const { token, hash } = createExportTokens(exportTokenKey(harness.config.sessionSecret!)).newToken();
  await harness.storage.put(exportObjectKey(exportId), Buffer.from('PK\u0005\u0006'.padEnd(22, '\u0000')), { contentType: 'application/zip' });
  await asOwner(harness.database, (client) =>
    client.query(
      "INSERT INTO account_exports (id, user_id, status, finished_at, expires_at, object_key, size_bytes, token_hash) VALUES ($1, $2, 'ready', now(), now() + interval '1 day', $3, 22, $4)",
      [exportId, user.userId, exportObjectKey(exportId), hash],
    ),
  );
  return { user, exportId, token };
}

async function userWithTwoFactor(): Promise<{ user: ApiClient; secret: string }> {
  const user = await harness.newUser();
  const setup = await user.post<{ secret: string }>('/api/v1/auth/two-factor/setup');
  await user.post('/api/v1/auth/two-factor/enable', { password: user.password, code: await generate({ secret: setup.body.secret }) });
  return { user, secret: setup.body.secret };
}

const isUpload = (endpoint: Endpoint) => JSON.stringify(endpoint.operation.requestBody ?? {}).includes('multipart/form-data');

async function recipeFor(endpoint: Endpoint): Promise<Call> {
  const recipe = recipes[endpoint.operation.operationId];
  if (!recipe) throw new Error(`no recipe for ${endpoint.operation.operationId} (${endpoint.method.toUpperCase()} ${endpoint.path}): add one to this file`);
  return recipe();
}

function urlOf(endpoint: Endpoint, params: Record<string, string> = {}, query = ''): string {
  return (
    endpoint.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`the recipe for ${endpoint.operation.operationId} gives no {${name}}`);
      return encodeURIComponent(value);
    }) + query
  );
}

const uuidParams = (endpoint: Endpoint) => endpoint.operation.parameters.filter((p) => p.in === 'path' && p.schema?.format === 'uuid').map((p) => p.name);
const withParams = (params: Record<string, string> | undefined, names: string[], value: () => string) => ({
  ...params,
  ...Object.fromEntries(names.map((name) => [name, value()])),
});

interface Probe {
  endpoint: Endpoint;
  /** What the request should produce, e.g. 'no credentials'. */
  what: string;
  expected: number;
  send(): Promise<ApiResponse>;
}

/**
 * Sends the probes one by one and fails with one line per problem (a status other than the expected
 * one, or a missing security header), so one run reports every operation that misbehaves. Also fails
 * when there is no probe at all, so an empty document cannot pass.
 */
async function runProbes(probes: Probe[]): Promise<void> {
  expect(probes.length).toBeGreaterThan(0);
  const problems: string[] = [];
  for (const probe of probes) {
    const label = `${probe.endpoint.method.toUpperCase()} ${probe.endpoint.path} (${probe.what})`;
    const response = await probe.send();
    if (response.status !== probe.expected) problems.push(`${label}: status ${response.status}, expected ${probe.expected}: ${JSON.stringify(response.body)}`);
    const missing = missingSecurityHeaders(response.headers);
    if (missing.length > 0) problems.push(`${label}: status ${response.status} lacks ${missing.join(', ')}`);
  }
  expect(problems).toEqual([]);
}

describe('every response carries the security headers', () => {
  it('on the success response of every operation in the OpenAPI document', async () => {
    expect(endpoints.map((endpoint) => endpoint.operation.operationId).sort()).toEqual(harness.api.routes.map((route) => route.operationId).sort());
    const probes: Probe[] = [];
    for (const endpoint of endpoints) {
      const call = await recipeFor(endpoint);
      probes.push({
        endpoint,
        what: 'success',
        expected: call.status,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, call.params, call.query), call.body),
      });
    }
    await runProbes(probes);
  });

  it('on 401 from every operation that needs a signed-in caller, called without credentials', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => e.operation.security.length > 0)) {
      const call = await recipeFor(endpoint);
      probes.push({
        endpoint,
        what: 'no credentials',
        expected: 401,
        send: () => harness.client().request(endpoint.method.toUpperCase(), urlOf(endpoint, call.params, call.query), call.body),
      });
    }
    await runProbes(probes);
  });

  it('on 403 from every state-changing operation of a signed-in caller, sent without the CSRF token', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => e.operation.security.length > 0 && e.method !== 'get')) {
      const call = await recipeFor(endpoint);
      probes.push({
        endpoint,
        what: 'no CSRF token',
        expected: 403,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, call.params, call.query), call.body, { 'x-csrf-token': '' }),
      });
    }
    await runProbes(probes);
  });

  it('on 400 from every operation with an id in its path, given a malformed id', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => uuidParams(e).length > 0)) {
      const call = await recipeFor(endpoint);
      const params = withParams(call.params, uuidParams(endpoint), () => 'not-a-uuid');
      probes.push({
        endpoint,
        what: 'malformed id',
        expected: 400,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, params, call.query), call.body),
      });
    }
    await runProbes(probes);
  });

  it('on 404 from every operation with an id in its path, given an id that does not exist', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => uuidParams(e).length > 0)) {
      const call = await recipeFor(endpoint);
      const params = withParams(call.params, uuidParams(endpoint), randomUUID);
      probes.push({
        endpoint,
        what: 'unknown id',
        expected: 404,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, params, call.query), call.body),
      });
    }
    probes.push({
      endpoint: endpoints.find((e) => e.operation.operationId === 'getPublicProfile')!,
      what: 'unknown handle',
      expected: 404,
      send: () => harness.client().get(`/api/v1/public/profiles/${uniqueHandle()}`),
    });
    await runProbes(probes);
  });

  it('on 400 from every operation with a request body, given a body that does not match its schema', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => e.operation.requestBody !== undefined)) {
      const call = await recipeFor(endpoint);
      probes.push({
        endpoint,
        what: 'unknown field in the body',
        // An upload route refuses JSON altogether: it takes multipart/form-data.
        expected: isUpload(endpoint) ? 415 : 400,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, call.params, call.query), { unexpectedField: true }),
      });
    }
    await runProbes(probes);
  });

  it('on 400 from every operation with query parameters, given one it does not take', async () => {
    const probes: Probe[] = [];
    for (const endpoint of endpoints.filter((e) => e.operation.parameters.some((p) => p.in === 'query'))) {
      const call = await recipeFor(endpoint);
      probes.push({
        endpoint,
        what: 'unknown query parameter',
        expected: 400,
        send: () => call.client.request(endpoint.method.toUpperCase(), urlOf(endpoint, call.params, '?unexpectedParameter=1'), call.body),
      });
    }
    await runProbes(probes);
  });

  it('on 404 for a path no API route has, and for one outside every role', async () => {
    expectErrorResponse(await harness.client().get<ErrorBody>('/api/v1/no-such-route'), 404, 'NOT_FOUND');
    expectErrorResponse(await harness.client().request<ErrorBody>('DELETE', '/api/v2/profiles'), 404, 'NOT_FOUND');
    expectErrorResponse(await harness.client().get<ErrorBody>('/no-such-role'), 404, 'NOT_FOUND');
  });

  it('on 413 for a body over the size limit, 400 for a body that is not JSON and 415 for one that is not declared JSON', async () => {
    const signUp = '/api/v1/auth/signup';
    const tooLarge = await harness.client().post<ErrorBody>(signUp, { email: 'big@example.com', password: 'x'.repeat(64 * 1024) });
    expectErrorResponse(tooLarge, 413, 'PAYLOAD_TOO_LARGE');
    expectErrorResponse(await harness.client().post<ErrorBody>(signUp, '{"email": '), 400, 'INVALID_INPUT');
    const plainText = await harness.client().request<ErrorBody>('POST', signUp, 'email=someone@example.com', { 'content-type': 'text/plain' });
    expectErrorResponse(plainText, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('on 429 from each rate limiter, with Retry-After, RateLimit and RateLimit-Policy', async () => {
    // Same database and secrets as the main instance, so its sessions work here; tiny budgets of its own.
    const limited = await startApiHarness('security_headers_limited', {
      database: harness.database,
      config: { sessionSecret: harness.config.sessionSecret, hashSecret: harness.config.hashSecret, rateLimits: { ipPerMinute: 2, userPerMinute: 3, authPerMinute: 2 } },
    });
    try {
      const onLimited = (client: ApiClient) => Object.assign(new ApiClient(limited.url), { cookie: client.cookie, csrfToken: client.csrfToken });
      const expectRefusal = (response: ApiResponse<ErrorBody>, limiter: string, limit: number) => {
        expectErrorResponse(response, 429, 'RATE_LIMIT');
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        // Both headers are lists with one item per limiter the request went through; the refusing one has r=0.
        const item = (header: string) => (response.headers.get(header) ?? '').split(/,\s*/).find((entry) => entry.startsWith(`"${limiter}"`));
        expect(item('ratelimit')).toMatch(/^"[a-z]+"; ?r=0; ?t=\d+$/);
        // pk: a digest of the client's key (never the address itself), per draft-ietf-httpapi-ratelimit-headers-08.
        expect(item('ratelimit-policy')).toMatch(new RegExp(`^"${limiter}"; ?q=${limit}; ?w=60(; ?pk=:[A-Za-z0-9+/=]+:)?$`));
      };

      // Anonymous callers: per client address.
      const anonymous = limited.client();
      for (let i = 0; i < 2; i++) expect((await anonymous.get('/api/v1/')).status).toBe(200);
      expectRefusal(await anonymous.get<ErrorBody>('/api/v1/'), 'api', 2);

      // Signed-in callers: per user, whatever their address has used.
      const user = onLimited(await harness.newUser());
      for (let i = 0; i < 3; i++) expect((await user.get('/api/v1/auth/me')).status).toBe(200);
      expectRefusal(await user.get<ErrorBody>('/api/v1/auth/me'), 'api', 3);

      // Credential routes: the stricter per-address budget, even for a signed-in caller with budget left.
      const other = onLimited(await harness.newUser());
      for (let i = 0; i < 2; i++) expect((await other.post('/api/v1/auth/password', { unexpectedField: true })).status).toBe(400);
      expectRefusal(await other.post<ErrorBody>('/api/v1/auth/password', { unexpectedField: true }), 'credentials', 2);
    } finally {
      await limited.close();
    }
  });

  it('on 5xx: 503 with Retry-After when the database is gone, 500 for an unexpected failure', async () => {
    const broken = await startApiHarness('security_headers_broken');
    const faulty = await startApiHarness('security_headers_faulty', {
      database: { ...broken.database, db: { ...broken.database.db, query: () => Promise.reject(new Error('unexpected: relation "x" does not exist')) } },
    });
    try {
      const user = await broken.newUser();
      const stranger = new ApiClient(faulty.url);
      stranger.cookie = user.cookie;
      const unexpected = await stranger.get<ErrorBody>('/api/v1/auth/me');
      expectErrorResponse(unexpected, 500, 'INTERNAL_ERROR');
      expect(unexpected.body.error.message).not.toMatch(/relation|sql/i);
      await faulty.close();

      await broken.database.db.close();
      const failures = [
        await user.get<ErrorBody>('/api/v1/auth/me'),
        await user.get<ErrorBody>('/api/v1/profiles'),
        await broken.client().post<ErrorBody>('/api/v1/auth/signup', { email: `${uniqueName('late')}@example.com`, password: 'a long passphrase' }),
      ];
      for (const response of failures) {
        expectErrorResponse(response, 503, 'UNAVAILABLE');
        expect(response.headers.get('retry-after')).toBe('5');
        // The cause stays in the logs: clients get a generic message.
        expect(response.body.error.message).not.toMatch(/pool|postgres|sql/i);
      }
      const info = await broken.client().get('/api/v1/');
      expect(info.status).toBe(200);
      expect(missingSecurityHeaders(info.headers)).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});
