// A profile's analytics retention over HTTP (migrations/0016, lib/analytics/profile-retention.ts): the
// owner chooses it within the operator's maximum (409 above it, 400 outside 30-1825), an editor is
// refused with a 403 and by the database itself, the change is one activity entry with before and
// after, and a profile reads as the choice and what is in force, also when the operator lowers the
// maximum below a choice. (Deleting the rows: scheduler/analytics-retention.integration.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withUser } from '../../lib/postgres/tenant.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields: { field: string; message: string }[]; maxDays?: number } };
}
interface Profile {
  id: string;
  bio: string;
  analyticsRetentionDays: number | null;
  analyticsRetention: { days: number; maxDays: number; scope: 'all' | 'raw'; keptFrom: string };
}
interface Entry {
  entity: string;
  action: string;
  changes: Record<string, { before: unknown; after: unknown }>;
}

const DAY_MS = 86_400_000;
const startOfUtcDay = (time: number) => Math.floor(time / DAY_MS) * DAY_MS;

let harness: ApiHarness;
let owner: ApiClient;
let editor: ApiClient;
let profileId: string;
beforeAll(async () => {
  harness = await startApiHarness('retention_api', { config: { analyticsRetentionDays: 400 } });
  [owner, editor] = await Promise.all([harness.newUser(), harness.confirmedUser()]);
  profileId = (await owner.newProfile()).id;
  expect((await owner.post(`/api/v1/profiles/${profileId}/invitations`, { email: editor.email, role: 'editor' })).status).toBe(201);
  expect((await editor.post('/api/v1/invitations/accept', { token: harness.mailedToken(editor.email!, 'team-invitation') })).status).toBe(200);
});
afterAll(async () => {
  await harness?.close();
});

describe('a profile’s analytics retention', () => {
  it('reads as the operator’s default until the owner chooses, then as the choice', async () => {
    const fresh = (await owner.get<Profile>(`/api/v1/profiles/${profileId}`)).body;
    expect(fresh.analyticsRetentionDays).toBeNull();
    // The first whole UTC day the events' TTL keeps.
    expect(fresh.analyticsRetention).toEqual({ days: 400, maxDays: 400, scope: 'raw', keptFrom: new Date(startOfUtcDay(Date.now()) - 399 * DAY_MS).toISOString() });

    const chosen = await owner.patch<Profile>(`/api/v1/profiles/${profileId}`, { analyticsRetentionDays: 365 });
    expect(chosen.status).toBe(200);
    expect(chosen.body.analyticsRetentionDays).toBe(365);
    expect(chosen.body.analyticsRetention).toEqual({ days: 365, maxDays: 400, scope: 'all', keptFrom: new Date(startOfUtcDay(Date.now()) - 365 * DAY_MS).toISOString() });
    // Every member reads it (the analytics page says how far back data goes).
    expect((await editor.get<Profile>(`/api/v1/profiles/${profileId}`)).body.analyticsRetentionDays).toBe(365);
    const listed = (await editor.get<{ profiles: Profile[] }>('/api/v1/profiles')).body.profiles.find((profile) => profile.id === profileId);
    expect(listed?.analyticsRetention.days).toBe(365);
  });

  it('refuses an editor with a 403, and the database refuses the editor’s raw UPDATE too', async () => {
    const before = (await owner.get<Profile>(`/api/v1/profiles/${profileId}`)).body.analyticsRetentionDays;
    const refused = await editor.patch<ErrorBody>(`/api/v1/profiles/${profileId}`, { analyticsRetentionDays: 30 });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect(refused.body.error.message).toMatch(/editor.*how long this page’s analytics are kept/);
    // Nothing of the request applies, the other fields neither.
    expect((await editor.patch<ErrorBody>(`/api/v1/profiles/${profileId}`, { bio: 'Not this', analyticsRetentionDays: null })).status).toBe(403);
    expect((await owner.get<Profile>(`/api/v1/profiles/${profileId}`)).body).toMatchObject({ analyticsRetentionDays: before, bio: '' });
    // The editor may still change the rest of the page.
    expect((await editor.patch(`/api/v1/profiles/${profileId}`, { bio: 'Edited' })).status).toBe(200);

    // Past the API, as the app role: the editor may update the row, not this column.
    const raw = withUser(harness.database.db, editor.userId!, (tx) => tx.query('UPDATE profiles SET analytics_retention_days = 30 WHERE id = $1', [profileId]));
    await expect(raw).rejects.toThrow(/permission denied to change the analytics retention .*: only its owner may/);
    await expect(raw).rejects.toMatchObject({ code: '42501' });
    const untouched = await withUser(harness.database.db, editor.userId!, (tx) => tx.query('UPDATE profiles SET bio = $2 WHERE id = $1', [profileId, 'Raw edit']));
    expect(untouched.rowCount).toBe(1);
    expect((await owner.get<Profile>(`/api/v1/profiles/${profileId}`)).body.analyticsRetentionDays).toBe(before);
  });

  it('refuses values outside 30-1825 days with a 400 naming the field', async () => {
    for (const bad of [29, 0, -30, 1826, 90.5, '90', true]) {
      const response = await owner.patch<ErrorBody>(`/api/v1/profiles/${profileId}`, { analyticsRetentionDays: bad });
      expect(response.status, JSON.stringify(bad)).toBe(400);
      expect(response.body.error.details?.fields.map((field) => field.field)).toEqual(['body.analyticsRetentionDays']);
    }
  });

  it('refuses more than the operator’s maximum with a 409 naming the field and the maximum', async () => {
    const response = await owner.patch<ErrorBody>(`/api/v1/profiles/${profileId}`, { analyticsRetentionDays: 730 });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('CONFLICT');
    expect(response.body.error.message).toMatch(/analyticsRetentionDays may be at most 400 days/);
    expect(response.body.error.details).toEqual({ fields: [{ field: 'body.analyticsRetentionDays', message: 'at most 400 days (the operator\'s maximum)' }], maxDays: 400 });
    // The maximum itself is allowed.
    expect((await owner.patch<Profile>(`/api/v1/profiles/${profileId}`, { analyticsRetentionDays: 400 })).body.analyticsRetentionDays).toBe(400);
  });

  it('logs each change once, with the days before and after', async () => {
    const profile = await owner.newProfile();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { analyticsRetentionDays: 30 })).status).toBe(200);
    // Sending the same value again changes nothing, and logs nothing.
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { analyticsRetentionDays: 30 })).status).toBe(200);
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { analyticsRetentionDays: null })).status).toBe(200);
    const entries = (await owner.get<{ entries: Entry[] }>(`/api/v1/profiles/${profile.id}/activity`)).body.entries.filter((entry) => entry.action === 'updated');
    expect(entries.map((entry) => entry.changes)).toEqual([
      { analytics_retention_days: { before: 30, after: null } },
      { analytics_retention_days: { before: null, after: 30 } },
    ]);
  });

  it('applies the operator’s maximum to raw events when it is lowered below a choice, and keeps the choice', async () => {
    const profile = await owner.newProfile();
    expect((await owner.patch(`/api/v1/profiles/${profile.id}`, { analyticsRetentionDays: 365 })).status).toBe(200);
    const lowered = await startApiHarness('retention_api_lowered', { database: harness.database, config: { analyticsRetentionDays: 90 } });
    try {
      const client = lowered.client();
      await client.logIn(owner.email!, owner.password!);
      const read = (await client.get<Profile>(`/api/v1/profiles/${profile.id}`)).body;
      expect(read.analyticsRetentionDays).toBe(365);
      expect(read.analyticsRetention).toEqual({ days: 90, maxDays: 90, scope: 'raw', keptFrom: new Date(startOfUtcDay(Date.now()) - 89 * DAY_MS).toISOString() });
      expect((await client.patch<ErrorBody>(`/api/v1/profiles/${profile.id}`, { analyticsRetentionDays: 180 })).status).toBe(409);
    } finally {
      await lowered.close();
    }
  });
});
