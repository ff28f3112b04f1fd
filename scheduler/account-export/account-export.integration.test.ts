// "Download my data" end to end: a creator asks through the API, the scheduler's job builds the ZIP
// (reading as the creator, with chDB for analytics), the mail carries the link, and the download
// returns an archive with every expected file and no secret; another account, a wrong secret and an
// expired link are refused, the sweep removes what has expired, and a failed build says so by mail.
import { randomUUID } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExportTokens, EXPORT_ROW_KEPT_MS, exportTokenKey } from '../../lib/account-exports/account-export.js';
import { EVENT_EXPORT_COLUMNS } from '../../lib/analytics/export-events.query.js';
import { createDatabase, type Database } from '../../lib/postgres/database.js';
import { visitRows } from '../../lib/testing/analytics-rows.js';
import { png } from '../../lib/testing/attack-corpus.js';
import { createTestClickHouse, type TestClickHouse } from '../../lib/testing/clickhouse.js';
import { createRecordingMailer, type RecordingMailer } from '../../lib/testing/mail.js';
import { asOwner } from '../../lib/testing/postgres.js';
import { testLogger } from '../../lib/testing/services.js';
import { noAnalyticsStore, startApiHarness, TEST_PUBLIC_URL, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';
import { buildAccountExports, MAX_ATTEMPTS, type AccountExportDeps } from './account-export.job.js';
import { sweepAccountExports } from './export-sweep.js';

interface AccountExport {
  id: string;
  status: string;
  requestedAt: string;
  expiresAt: string | null;
  sizeBytes: number | null;
  error: string | null;
}

const ADDRESS = '203.0.113.77';

let engine: TestClickHouse;
let harness: ApiHarness;
let schedulerDb: Database;
let mailer: RecordingMailer;
let deps: AccountExportDeps;


/** The newest mail of a kind to `email`. */
const mailTo = (email: string, kind: string) => mailer.sent.filter((mail) => mail.to === email && mail.kind === kind).at(-1);

/** The export id and secret of the link in the newest ready mail. */
function mailedLink(email: string): { exportId: string; token: string } {
  const text = mailTo(email, 'account-export-ready')?.text ?? '';
  const match = /\/dashboard\/settings\?export=([0-9a-f-]{36})#token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error(`no export link mailed to ${email}`);
  return { exportId: match[1]!, token: match[2]! };
}

/** GET the download as `client` would (its session cookie), reading the body as bytes. */
async function download(client: ApiClient | undefined, exportId: string, token: string, method = 'GET') {
  const response = await fetch(`${harness.url}/api/v1/account/exports/${exportId}/download?token=${encodeURIComponent(token)}`, {
    method,
    headers: client?.cookie ? { cookie: client.cookie } : {},
  });
  return { status: response.status, headers: response.headers, bytes: new Uint8Array(await response.arrayBuffer()) };
}

const list = async (client: ApiClient) => (await client.get<{ exports: AccountExport[] }>('/api/v1/account/exports')).body.exports;

beforeAll(async () => {
  engine = await createTestClickHouse('account_export');
  harness = await startApiHarness('account_export', { config: { trustProxy: ['loopback'] } });
  schedulerDb = createDatabase({ url: harness.database.schedulerUrl, applicationName: 'linkpulse-test-account-export', logger: testLogger });
  mailer = createRecordingMailer();
  deps = {
    db: schedulerDb,
    appDb: harness.database.db,
    clickhouse: engine.clickhouse,
    storage: harness.storage,
    mailer,
    tokens: createExportTokens(exportTokenKey(harness.config.sessionSecret!)),
    publicUrl: TEST_PUBLIC_URL,
    logger: testLogger,
  };
});
afterAll(async () => {
  await schedulerDb?.close();
  await harness?.close();
  await engine?.close();
});

describe('download my data', () => {
  it('builds the archive in the background, mails a link, and hands it to its owner only', async () => {
    // A creator with two-factor on, an API token, an image as avatar, a page with links, a seat on
    // someone else's page, and analytics.
    const owner = await harness.confirmedUser();
    owner.address = ADDRESS;
    const setup = await owner.post<{ secret: string }>('/api/v1/auth/two-factor/setup');
    const enabled = await owner.post<{ recoveryCodes: string[] }>('/api/v1/auth/two-factor/enable', { password: owner.password, code: await generate({ secret: setup.body.secret }) });
    expect(enabled.status).toBe(200);
    const apiToken = (await owner.post<{ token: string }>('/api/v1/tokens', { name: 'CI', scopes: ['profiles:read'] })).body.token;
    const avatar = (await owner.upload<{ id: string }>('/api/v1/assets', await png(24, 24), { name: 'me.png', type: 'image/png' })).body;
    const page = await owner.newProfile({ displayName: 'Exported page', bio: 'Everything about me', published: true });
    expect((await owner.patch(`/api/v1/profiles/${page.id}`, { avatarAssetId: avatar.id })).status).toBe(200);
    const docs = await owner.newLink(page.id, { title: 'Docs', url: 'https://example.com/docs' });
    await owner.newLink(page.id, { title: 'Blog', url: 'https://example.com/blog' });

    const colleague = await harness.newUser();
    const theirPage = await colleague.newProfile({ displayName: 'Someone else’s page' });
    await colleague.post(`/api/v1/profiles/${theirPage.id}/invitations`, { email: owner.email, role: 'editor' });
    expect((await owner.post('/api/v1/invitations/accept', { token: harness.mailedToken(owner.email!, 'team-invitation') })).status).toBe(200);

    const visitors = ['1111111111', '2222222222'];
    await engine.clickhouse.insert('events', [
      ...visitRows(page.id, { linkId: docs.id, visitorId: visitors[0] }),
      ...visitRows(page.id, { linkId: docs.id, visitorId: visitors[1] }),
      // Someone else's page: never in this archive.
      ...visitRows(theirPage.id, { visitorId: '9999999999' }),
    ]);

    // Ask: 202 pending; a second ask while it waits is a 409.
    const asked = await owner.post<AccountExport>('/api/v1/account/exports');
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ status: 'pending', expiresAt: null, sizeBytes: null });
    expect((await owner.post('/api/v1/account/exports')).status).toBe(409);
    // The API queued a run of the builder.
    expect((await schedulerDb.query("SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'account-export'")).rows[0]).toEqual({ n: 1 });

    expect(await buildAccountExports(deps)).toEqual({ built: 1, failed: 0 });
    const [ready] = await list(owner);
    expect(ready).toMatchObject({ id: asked.body.id, status: 'ready', error: null });
    expect(new Date(ready!.expiresAt!).getTime() - Date.now()).toBeGreaterThan(6.9 * 24 * 3_600_000);
    // Ready and within the hour: the next ask waits (429, with how long).
    const tooSoon = await owner.post<{ error: { message: string } }>('/api/v1/account/exports');
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(3_000);

    // The mail: text and HTML, the link, and when it stops working.
    const mail = mailTo(owner.email!, 'account-export-ready')!;
    expect(mail.subject).toMatch(/ready to download/);
    expect(mail.text).toMatch(/until \d{1,2} \w+ \d{4} at \d{2}:\d{2} UTC/);
    const { exportId, token } = mailedLink(owner.email!);
    expect(exportId).toBe(asked.body.id);
    expect(mail.html).toContain(`#token=${token}`);

    // The owner downloads it (a HEAD first, as the dashboard checks the link).
    const head = await download(owner, exportId, token, 'HEAD');
    expect(head.status).toBe(200);
    const got = await download(owner, exportId, token);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/zip');
    expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="linkpulse-export-\d{4}-\d{2}-\d{2}\.zip"$/);
    expect(got.bytes.length).toBe(ready!.sizeBytes);
    expect(Number(head.headers.get('content-length'))).toBe(ready!.sizeBytes);

    const files = unzipSync(got.bytes);
    const folder = `profiles/${page.handle}`;
    expect(Object.keys(files).sort()).toEqual(
      [
        'README.txt',
        'account.json',
        'memberships.json',
        'assets/index.json',
        `assets/${avatar.id}.webp`,
        `${folder}/profile.json`,
        `${folder}/links.json`,
        `${folder}/activity.csv`,
        `${folder}/analytics-events.csv`,
      ].sort(),
    );
    const read = (name: string) => strFromU8(files[name]!);
    const account = JSON.parse(read('account.json')) as Record<string, unknown>;
    expect(account).toMatchObject({ id: owner.userId, email: owner.email, twoFactorEnabled: true, apiTokens: [{ name: 'CI', scopes: ['profiles:read'] }] });
    expect(typeof account.createdAt).toBe('string');
    expect(JSON.parse(read('memberships.json'))).toEqual([
      expect.objectContaining({ profileId: page.id, handle: page.handle, role: 'owner', ownedByYou: true }),
      expect.objectContaining({ profileId: theirPage.id, handle: theirPage.handle, role: 'editor', ownedByYou: false }),
    ]);
    expect(JSON.parse(read(`${folder}/profile.json`))).toMatchObject({
      id: page.id,
      displayName: 'Exported page',
      bio: 'Everything about me',
      avatar: { assetId: avatar.id, file: `assets/${avatar.id}.webp` },
      team: [{ userId: owner.userId, email: owner.email, role: 'owner' }],
    });
    expect((JSON.parse(read(`${folder}/links.json`)) as { title: string }[]).map((link) => link.title)).toEqual(['Docs', 'Blog']);
    expect(JSON.parse(read('assets/index.json'))).toEqual([expect.objectContaining({ id: avatar.id, file: `assets/${avatar.id}.webp`, contentType: 'image/webp' })]);
    expect(files[`assets/${avatar.id}.webp`]!.length).toBeGreaterThan(0);
    // RIFF....WEBP: the stored image itself.
    expect(strFromU8(files[`assets/${avatar.id}.webp`]!.subarray(8, 12))).toBe('WEBP');

    const activity = read(`${folder}/activity.csv`).trim().split('\r\n');
    expect(activity[0]).toBe('occurred_at,actor_email,actor_user_id,actor_token_id,entity,entity_id,action,changes');
    expect(activity.filter((line) => line.includes(',link,') && line.includes(',created,'))).toHaveLength(2);

    // The raw analytics: the export's columns, this page's events only, visitors as stored hashes.
    const events = read(`${folder}/analytics-events.csv`).trim().split('\r\n');
    expect(events[0]).toBe(EVENT_EXPORT_COLUMNS.join(','));
    const visitorColumn = EVENT_EXPORT_COLUMNS.indexOf('visitor_id');
    expect(events.slice(1)).toHaveLength(6);
    expect(new Set(events.slice(1).map((line) => line.split(',')[visitorColumn]))).toEqual(new Set(visitors));
    expect(events.slice(1).filter((line) => line.includes(',Docs,'))).toHaveLength(4);

    // No secret anywhere in the archive: password hash, TOTP secret, recovery codes, session and token
    // secrets or hashes, the link's own secret, the client address.
    const secrets = await asOwner(harness.database, async (client) => {
      const user = await client.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [owner.userId]);
      const hashes = await client.query<{ hash: Buffer }>(
        `SELECT token_hash AS hash FROM sessions WHERE user_id = $1 UNION ALL SELECT token_hash FROM api_tokens WHERE user_id = $1
         UNION ALL SELECT code_hash FROM recovery_codes WHERE user_id = $1 UNION ALL SELECT secret_encrypted FROM user_totp WHERE user_id = $1
         UNION ALL SELECT token_hash FROM account_exports WHERE user_id = $1`,
        [owner.userId],
      );
      return [user.rows[0]!.password_hash, ...hashes.rows.flatMap(({ hash }) => [hash.toString('hex'), hash.toString('base64'), hash.toString('base64url')])];
    });
    const sessionSecret = owner.cookie!.split('=')[1]!;
    const everything = Object.values(files)
      .map((bytes) => strFromU8(bytes))
      .join('\n');
    for (const secret of [...secrets, setup.body.secret, ...enabled.body.recoveryCodes, apiToken, sessionSecret, token, ADDRESS, 'scrypt$']) {
      expect(everything, 'a secret in the archive').not.toContain(secret);
    }
    expect(everything).not.toMatch(/\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/);
    expect(everything).not.toContain('9999999999');

    // Refused alike (404) without saying whether the export exists: a wrong secret, someone else's
    // session with the right one, an id that is no export. Without a session: 401.
    const wrong = await download(owner, exportId, token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')));
    const stranger = await download(colleague, exportId, token);
    const nothing = await download(owner, randomUUID(), token);
    const refusals = [wrong, stranger, nothing].map((refused) => ({ status: refused.status, error: (JSON.parse(strFromU8(refused.bytes)) as { error: { code: string; message: string } }).error }));
    expect(new Set(refusals.map(({ status, error }) => `${status} ${error.code} ${error.message}`)).size).toBe(1);
    expect(refusals[0]).toMatchObject({ status: 404, error: { code: 'NOT_FOUND' } });
    expect((await download(undefined, exportId, token)).status).toBe(401);
    expect(await list(colleague)).toEqual([]);
    // Each download, and each refusal, is in the security audit log.
    const audited = await asOwner(harness.database, (client) =>
      client.query<{ outcome: string }>("SELECT outcome FROM security_audit_log WHERE action = 'account.export_download' AND target = $1 ORDER BY id", [exportId]),
    );
    expect(audited.rows.map((row) => row.outcome)).toEqual(['success', 'denied', 'denied']);

    // Expired: the link answers 410 (to the right secret only), the list says so.
    await asOwner(harness.database, (client) => client.query("UPDATE account_exports SET expires_at = now() - interval '1 minute' WHERE id = $1", [exportId]));
    const expired = await download(owner, exportId, token);
    expect(expired.status).toBe(410);
    const gone = (JSON.parse(strFromU8(expired.bytes)) as { error: { code: string; message: string } }).error;
    expect(gone.code).toBe('GONE');
    expect(gone.message).toMatch(/expired on \d{4}-\d{2}-\d{2}/);
    expect((await download(owner, exportId, token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).status).toBe(404);
    expect((await list(owner))[0]).toMatchObject({ id: exportId, status: 'expired' });

    // The sweep deletes the archive at once and the row a month later.
    const objectKey = `exports/${exportId}.zip`;
    expect(await harness.storage.head(objectKey)).toBeDefined();
    expect(await sweepAccountExports(deps)).toEqual({ expiredObjectsDeleted: 1, rowsDeleted: 0, strayObjectsDeleted: 0 });
    expect(await harness.storage.head(objectKey)).toBeUndefined();
    expect((await download(owner, exportId, token)).status).toBe(410);
    expect(await sweepAccountExports(deps, new Date(Date.now() + EXPORT_ROW_KEPT_MS + 60_000))).toMatchObject({ rowsDeleted: 1 });
    expect((await download(owner, exportId, token)).status).toBe(404);
    expect(await list(owner)).toEqual([]);
  });

  it('tells the owner by mail when a build fails, and lets them ask again at once', async () => {
    const owner = await harness.newUser();
    await owner.newProfile();
    const asked = await owner.post<AccountExport>('/api/v1/account/exports');
    expect(asked.status).toBe(202);
    // Analytics are down: the archive cannot be completed.
    expect(await buildAccountExports({ ...deps, clickhouse: noAnalyticsStore })).toEqual({ built: 0, failed: 1 });
    const [failed] = await list(owner);
    expect(failed).toMatchObject({ id: asked.body.id, status: 'failed', expiresAt: null });
    expect(failed!.error).toMatch(/ask for a new one/);
    const mail = mailTo(owner.email!, 'account-export-failed')!;
    expect(mail.text).toMatch(/ask for a new export in Settings/);
    expect(mail.text).toContain(`${TEST_PUBLIC_URL}/dashboard/settings`);
    expect(mailTo(owner.email!, 'account-export-ready')).toBeUndefined();
    // Nothing half-written stays in storage.
    expect(await harness.storage.head(`exports/${asked.body.id}.zip`)).toBeUndefined();
    // A failure does not count against the hourly limit.
    expect((await owner.post('/api/v1/account/exports')).status).toBe(202);
    expect(await buildAccountExports(deps)).toEqual({ built: 1, failed: 0 });
  });

  it('takes over a build whose process died, gives up after repeated deaths, and never deletes a build in progress', async () => {
    const owner = await harness.newUser();
    const asked = await owner.post<AccountExport>('/api/v1/account/exports');
    // A claim two hours old: its process is presumed dead, and the request is built again.
    await asOwner(harness.database, (client) => client.query("UPDATE account_exports SET status = 'building', started_at = now() - interval '2 hours', attempts = 1 WHERE id = $1", [asked.body.id]));
    expect((await owner.delete(`/api/v1/account/exports/${asked.body.id}`)).status).toBe(409);
    expect(await buildAccountExports(deps)).toEqual({ built: 1, failed: 0 });
    expect((await list(owner))[0]).toMatchObject({ status: 'ready' });

    // Deleting a ready export removes its file at once; it stays listed, its link answers 410, and
    // deleting it does not make room for another export within the hour.
    const { token } = mailedLink(owner.email!);
    expect((await owner.delete(`/api/v1/account/exports/${asked.body.id}`)).status).toBe(204);
    expect(await harness.storage.head(`exports/${asked.body.id}.zip`)).toBeUndefined();
    expect((await list(owner))[0]).toMatchObject({ id: asked.body.id, status: 'deleted' });
    expect((await download(owner, asked.body.id, token)).status).toBe(410);
    expect((await owner.post('/api/v1/account/exports')).status).toBe(429);
    expect((await owner.delete(`/api/v1/account/exports/${asked.body.id}`)).status).toBe(404);

    const again = await harness.newUser();
    const stuck = await again.post<AccountExport>('/api/v1/account/exports');
    await asOwner(harness.database, (client) => client.query("UPDATE account_exports SET status = 'building', started_at = now() - interval '2 hours', attempts = $2 WHERE id = $1", [stuck.body.id, MAX_ATTEMPTS]));
    expect(await buildAccountExports(deps)).toEqual({ built: 0, failed: 1 });
    const [givenUp] = await list(again);
    expect(givenUp!.status).toBe('failed');
    expect(givenUp!.error).toMatch(/failed several times/);
  });

  it('runs the queue with the scheduler login’s grants only: no account data, no link hashes, no new requests', async () => {
    await expect(schedulerDb.query('SELECT email FROM users')).rejects.toThrow(/permission denied/);
    await expect(schedulerDb.query('SELECT token_hash FROM account_exports')).rejects.toThrow(/permission denied/);
    await expect(schedulerDb.query('SELECT size_bytes, error FROM account_exports')).rejects.toThrow(/permission denied/);
    await expect(schedulerDb.query('INSERT INTO account_exports (user_id) VALUES ($1)', [randomUUID()])).rejects.toThrow(/permission denied/);
  });

  it('sweeps archives no export names any more (a deleted account), after a grace period', async () => {
    const owner = await harness.newUser();
    const asked = await owner.post<AccountExport>('/api/v1/account/exports');
    await buildAccountExports(deps);
    expect((await owner.delete('/api/v1/auth/me', { password: owner.password })).status).toBe(204);
    const key = `exports/${asked.body.id}.zip`;
    expect(await harness.storage.head(key)).toBeDefined();
    expect((await sweepAccountExports(deps)).strayObjectsDeleted).toBe(0);
    expect((await sweepAccountExports(deps, new Date(Date.now() + 2 * 3_600_000))).strayObjectsDeleted).toBe(1);
    expect(await harness.storage.head(key)).toBeUndefined();
  });
});
