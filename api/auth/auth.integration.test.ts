// Accounts end to end over HTTP: sign-up, login, sessions, CSRF, the password rule, password change,
// deletion, personal access tokens, and what the audit log records. Login throttling has its own file
// (login-throttle.integration.test.ts).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { uniqueName } from '../../lib/testing/wait-for.js';
import { ApiClient, TEST_ORIGIN, startApiHarness, testPasswordHasher, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness('auth');
});
afterAll(async () => {
  await harness?.close();
});

async function auditActions(userId: string): Promise<{ action: string; outcome: string }[]> {
  const owner = new pg.Client({ connectionString: harness.database.ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query<{ action: string; outcome: string; ip_hash: string | null }>(
      'SELECT action, outcome, ip_hash FROM security_audit_log WHERE actor_user_id = $1 OR target = $1::text ORDER BY id',
      [userId],
    );
    for (const row of rows) expect(row.ip_hash).toMatch(/^[0-9a-f]{32}$/);
    return rows.map(({ action, outcome }) => ({ action, outcome }));
  } finally {
    await owner.end();
  }
}

const email = () => `${uniqueName('person')}@example.com`;

describe('sign-up and login', () => {
  it('signs up, logs in with a __Host-less cookie on localhost http, and answers /me', async () => {
    const client = harness.client();
    const address = email();
    expect((await client.post('/api/v1/auth/signup', { email: address, password: 'a long passphrase' })).status).toBe(202);
    const login = await client.logIn(address.toUpperCase(), 'a long passphrase');
    expect(login.status).toBe(200);
    const [session, device, ...others] = login.headers.getSetCookie();
    expect(session).toMatch(/^lp_session=[A-Za-z0-9_-]{43}; Max-Age=2592000; Path=\/; Expires=[^;]*; HttpOnly; SameSite=Lax$/);
    expect(device).toMatch(/^lp_device=[0-9a-z]+\.[A-Za-z0-9_-]{32}; Max-Age=7776000; Path=\/api\/v1\/auth\/login; Expires=[^;]*; HttpOnly; SameSite=Lax$/);
    expect(others).toEqual([]);
    const me = await client.get<{ user: { email: string; role: string }; csrfToken: string; authenticatedWith: string }>('/api/v1/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ user: { email: address, role: 'creator' }, authenticatedWith: 'session', csrfToken: client.csrfToken });
  });

  it('answers sign-up for a taken address exactly as for a new one', async () => {
    const address = email();
    const first = await harness.client().post<{ message: string }>('/api/v1/auth/signup', { email: address, password: 'a long passphrase' });
    const second = await harness.client().post<{ message: string }>('/api/v1/auth/signup', { email: address.toUpperCase(), password: 'another long passphrase' });
    expect(second.status).toBe(first.status);
    expect(second.body).toEqual(first.body);
    // The original password still works: the second sign-up changed nothing.
    expect((await harness.client().logIn(address, 'a long passphrase')).status).toBe(200);
  });

  it('fails login for an unknown address and a wrong password identically, running the KDF once each', async () => {
    const client = await harness.newUser();
    const verify = vi.spyOn(testPasswordHasher, 'verify');
    const unknown = await harness.client().post<{ error: Record<string, unknown> }>('/api/v1/auth/login', { email: email(), password: 'whatever123' });
    expect(verify).toHaveBeenCalledTimes(1);
    const wrong = await harness.client().post<{ error: Record<string, unknown> }>('/api/v1/auth/login', { email: client.email, password: 'whatever123' });
    expect(verify).toHaveBeenCalledTimes(2);
    verify.mockRestore();
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = (body: { error: Record<string, unknown> }) => ({ ...body.error, requestId: undefined, timestamp: undefined });
    expect(strip(wrong.body)).toEqual(strip(unknown.body));
    expect(wrong.body.error).toMatchObject({ code: 'AUTH_FAILED', message: 'The email address or password is incorrect' });
  });

  it('rejects bad input with field details and unknown fields', async () => {
    const response = await harness.client().post<{ error: { code: string; details: { fields: { field: string }[] } } }>('/api/v1/auth/signup', {
      email: 'not-an-email',
      password: 'short',
      admin: true,
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_INPUT');
    expect(response.body.error.details.fields.map((f) => f.field).sort()).toEqual(['body', 'body.email', 'body.password']);
  });

  it('rotates the session at login and revokes it at logout, on the server', async () => {
    const client = await harness.newUser();
    const firstCookie = client.cookie!;
    await client.logIn(client.email!, client.password!);
    expect(client.cookie).not.toBe(firstCookie);
    const stale = new ApiClient(harness.url);
    stale.cookie = firstCookie;
    expect((await stale.get('/api/v1/auth/me')).status).toBe(401);

    const kept = client.cookie!;
    const logout = await client.post('/api/v1/auth/logout');
    expect(logout.status).toBe(204);
    expect(logout.headers.get('set-cookie')).toMatch(/^lp_session=; Path=\/; Expires=Thu, 01 Jan 1970/);
    const replay = new ApiClient(harness.url);
    replay.cookie = kept;
    expect((await replay.get('/api/v1/auth/me')).status).toBe(401);
    expect(await auditActions(client.userId!)).toEqual([
      { action: 'auth.signup', outcome: 'success' },
      { action: 'auth.login', outcome: 'success' },
      { action: 'auth.login', outcome: 'success' },
      { action: 'auth.logout', outcome: 'success' },
    ]);
  });
});

describe('the password rule', () => {
  type Refusal = { error: { code: string; message: string; details: { reason?: string; fields: { field: string; message: string }[] } } };

  it('refuses weak passwords at sign-up with the reason, and creates no account', async () => {
    const address = email();
    const local = address.split('@')[0]!;
    const cases = [
      ['passwordpassword', /^Repeated character patterns like "abcabcabc" are easy to guess\. /],
      ['aaaaaaaaaaaaaaaa', /^Repeated characters like "aaa" are easy to guess\. /],
      ['password1234', /^This is similar to a commonly used password\. Add more words that are less common\.$/],
      [address, /your email address/],
      [`${local}-rides-a-purple-bicycle`, /your email address/],
    ] as const;
    for (const [password, why] of cases) {
      const response = await harness.client().post<Refusal>('/api/v1/auth/signup', { email: address, password });
      expect(response.status, password).toBe(400);
      expect(response.body.error.code).toBe('INVALID_INPUT');
      // A reason a client (or the API fuzzer) can tell apart from a malformed request.
      expect(response.body.error.details.reason).toBe('weak_password');
      expect(response.body.error.details.fields).toHaveLength(1);
      const [field] = response.body.error.details.fields;
      expect(field?.field).toBe('body.password');
      expect(field?.message).toMatch(why);
      expect(response.body.error.message).toBe(`Choose a stronger password: ${field!.message}`);
    }
    expect((await harness.client().logIn(address, 'passwordpassword')).status).toBe(401);
    // The length limits stay: a short password is refused by the schema, as before.
    const short = await harness.client().post<Refusal>('/api/v1/auth/signup', { email: address, password: 'Xk#9q!2' });
    expect(short.body.error.details.fields).toEqual([{ field: 'body.password', message: 'use at least 10 characters' }]);
  });

  it('refuses a weak new password, keeping the old one', async () => {
    const client = await harness.newUser();
    const weak = await client.post<Refusal>('/api/v1/auth/password', { currentPassword: client.password, newPassword: client.email });
    expect(weak.status).toBe(400);
    expect(weak.body.error.details.fields.map((field) => field.field)).toEqual(['body.newPassword']);
    expect(weak.body.error.details.fields[0]?.message).toContain('your email address');
    const common = await client.post<Refusal>('/api/v1/auth/password', { currentPassword: client.password, newPassword: 'iloveyou123' });
    expect(common.body.error.details.fields[0]?.message).toMatch(/commonly used password\. /);
    expect((await client.get('/api/v1/auth/me')).status).toBe(200);
    expect((await harness.client().logIn(client.email!, client.password!)).status).toBe(200);
  });

  it('describes the rule in the OpenAPI document', async () => {
    const document = await harness.client().get<{ paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, { description?: string }> } } } } } }> }>(
      '/api/v1/openapi.json',
    );
    const password = document.body.paths['/api/v1/auth/signup']!.post.requestBody.content['application/json'].schema.properties.password;
    expect(password?.description).toMatch(/zxcvbn .* 3 of 4/);
  });
});

describe('CSRF', () => {
  it('requires the CSRF token and a same-origin request for cookie-authenticated changes', async () => {
    const client = await harness.newUser();
    const body = { handle: uniqueName('c').replaceAll('_', '-'), displayName: 'X' };
    const noToken = await client.request('POST', '/api/v1/profiles', body, { 'x-csrf-token': '' });
    expect(noToken.status).toBe(403);
    const crossSite = await client.request('POST', '/api/v1/profiles', body, { origin: 'https://evil.example' });
    expect(crossSite.status).toBe(403);
    const forged = await client.request('POST', '/api/v1/profiles', body, { 'x-csrf-token': 'A'.repeat(43) });
    expect(forged.status).toBe(403);
    const noOrigin = await fetch(`${harness.url}/api/v1/profiles`, {
      method: 'POST',
      headers: { cookie: client.cookie!, 'x-csrf-token': client.csrfToken!, 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify(body),
    });
    expect(noOrigin.status).toBe(201);
    const audit = await auditActions(client.userId!);
    expect(audit.filter((entry) => entry.action === 'permission.denied')).toHaveLength(3);
  });

  it('refuses a cross-site login form post', async () => {
    const response = await harness.client().request('POST', '/api/v1/auth/login', { email: email(), password: 'x' }, { origin: 'https://evil.example' });
    expect(response.status).toBe(403);
  });
});

describe('password change and account deletion', () => {
  it('changes the password, signs out other sessions and keeps this one working', async () => {
    const client = await harness.newUser();
    const other = new ApiClient(harness.url);
    await other.logIn(client.email!, client.password!);
    const wrong = await client.post('/api/v1/auth/password', { currentPassword: 'not it at all', newPassword: 'a brand new password' });
    expect(wrong.status).toBe(401);
    const changed = await client.post<{ csrfToken: string }>('/api/v1/auth/password', { currentPassword: client.password, newPassword: 'a brand new password' });
    expect(changed.status).toBe(200);
    client.csrfToken = changed.body.csrfToken;
    expect((await client.get('/api/v1/auth/me')).status).toBe(200);
    expect((await other.get('/api/v1/auth/me')).status).toBe(401);
    expect((await harness.client().logIn(client.email!, client.password!)).status).toBe(401);
    expect((await harness.client().logIn(client.email!, 'a brand new password')).status).toBe(200);
  });

  it('deletes the account with its profiles and links, and queues their analytics for erasure', async () => {
    const client = await harness.newUser();
    const profile = await client.newProfile({ published: true });
    await client.newLink(profile.id);
    expect((await client.delete('/api/v1/auth/me', { password: 'wrong password' })).status).toBe(401);
    expect((await client.delete('/api/v1/auth/me', { password: client.password })).status).toBe(204);
    expect((await client.get('/api/v1/auth/me')).status).toBe(401);
    expect((await harness.client().logIn(client.email!, client.password!)).status).toBe(401);
    expect((await harness.client().get(`/api/v1/public/profiles/${profile.handle}`)).status).toBe(404);
    const owner = new pg.Client({ connectionString: harness.database.ownerUrl });
    await owner.connect();
    try {
      const counts = await owner.query<{ users: number; profiles: number; links: number; erasures: number }>(
        `SELECT (SELECT count(*)::int FROM users WHERE id = $1) AS users, (SELECT count(*)::int FROM profiles WHERE user_id = $1) AS profiles,
                (SELECT count(*)::int FROM links WHERE user_id = $1) AS links, (SELECT count(*)::int FROM analytics_erasures WHERE profile_id = $2) AS erasures`,
        [client.userId, profile.id],
      );
      expect(counts.rows[0]).toEqual({ users: 0, profiles: 0, links: 0, erasures: 1 });
    } finally {
      await owner.end();
    }
  });
});

describe('personal access tokens', () => {
  it('creates a scoped token shown once, authenticates with it, and revokes it', async () => {
    const client = await harness.newUser();
    const created = await client.post<{ id: string; token: string; prefix: string }>('/api/v1/tokens', { name: 'CI', scopes: ['profiles:read'] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^lp_pat_[A-Za-z0-9_-]{43}$/);
    expect(created.body.token.startsWith(created.body.prefix)).toBe(true);
    const list = await client.get<{ tokens: Record<string, unknown>[] }>('/api/v1/tokens');
    expect(JSON.stringify(list.body)).not.toContain(created.body.token);

    const bearer = { authorization: `Bearer ${created.body.token}` };
    const script = harness.client();
    expect((await script.get('/api/v1/profiles', bearer)).status).toBe(200);
    // No CSRF token needed for bearer requests, but the scope must allow the change.
    const write = await script.request('POST', '/api/v1/profiles', { handle: uniqueName('t').replaceAll('_', '-'), displayName: 'X' }, bearer);
    expect(write.status).toBe(403);
    // Tokens cannot manage tokens or the account.
    expect((await script.request('GET', '/api/v1/tokens', undefined, bearer)).status).toBe(403);

    const used = await client.get<{ tokens: { id: string; lastUsedAt: string | null; revokedAt: string | null }[] }>('/api/v1/tokens');
    const token = used.body.tokens.find((candidate) => candidate.id === created.body.id);
    expect(token?.lastUsedAt).toMatch(/^\d{4}-/);
    expect(token?.revokedAt).toBeNull();

    expect((await client.delete(`/api/v1/tokens/${created.body.id}`)).status).toBe(204);
    const revoked = await script.get<{ error: { code: string } }>('/api/v1/profiles', bearer);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('AUTH_FAILED');
    expect((await client.delete(`/api/v1/tokens/${created.body.id}`)).status).toBe(404);
    const audit = await auditActions(client.userId!);
    expect(audit).toContainEqual({ action: 'token.create', outcome: 'success' });
    expect(audit).toContainEqual({ action: 'token.revoke', outcome: 'success' });
    expect(audit).toContainEqual({ action: 'permission.denied', outcome: 'denied' });
  });

  it('treats a malformed bearer token as failed authentication', async () => {
    const response = await harness.client().get<{ error: { code: string } }>('/api/v1/profiles', { authorization: 'Bearer nope' });
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('AUTH_FAILED');
  });
});

describe('admins', () => {
  it('lets an admin read the audit log and refuses creators', async () => {
    const creator = await harness.newUser();
    const denied = await creator.get('/api/v1/admin/audit-log');
    expect(denied.status).toBe(403);
    const owner = new pg.Client({ connectionString: harness.database.ownerUrl });
    await owner.connect();
    try {
      await owner.query("SELECT admin_set_role($1, 'admin')", [creator.email]);
    } finally {
      await owner.end();
    }
    const log = await creator.get<{ entries: { action: string }[] }>('/api/v1/admin/audit-log?limit=500');
    expect(log.status).toBe(200);
    expect(log.body.entries.map((entry) => entry.action)).toContain('permission.denied');
  });
});

it('uses the site origin constant the harness sends', () => {
  expect(TEST_ORIGIN).toBe('http://localhost:3000');
});
