// Two-factor authentication and sessions over HTTP: turning it on takes the password and a code from
// the new secret (a pending secret changes nothing at login); login then asks for a code after the
// password, accepts a code once and a recovery code once, and refuses wrong codes next to the field
// (429 after 10 in 15 minutes); turning it off takes the password. The session list names this
// session, and "log out everywhere else" ends every other one.
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingMailer } from '../../lib/testing/mail.js';
import { uniqueName, waitFor } from '../../lib/testing/wait-for.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
beforeAll(async () => {
  harness = await startApiHarness('two-factor');
});
afterAll(async () => {
  await harness?.close();
});

const PASSWORD = 'a calm and quiet passphrase';
/** A code `steps` time steps from now (each code is accepted once, so a second login uses the next step's). */
const codeFor = (secret: string, steps = 0) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + steps * 30 });

type Challenge = { twoFactorRequired: true; challenge: string };
type Refusal = { error: { code: string; details?: { fields?: { field: string }[] } } };

async function accountWithTwoFactor(): Promise<{ email: string; client: ApiClient; secret: string; recoveryCodes: string[] }> {
  const email = `${uniqueName('totp')}@example.com`;
  const client = await harness.client().signUpAndLogIn(email, PASSWORD);
  const setup = await client.post<{ secret: string; otpauthUrl: string }>('/api/v1/auth/two-factor/setup');
  expect(setup.status).toBe(200);
  const enabled = await client.post<{ recoveryCodes: string[] }>('/api/v1/auth/two-factor/enable', { password: PASSWORD, code: await codeFor(setup.body.secret) });
  expect(enabled.status).toBe(200);
  return { email, client, secret: setup.body.secret, recoveryCodes: enabled.body.recoveryCodes };
}

describe('two-factor authentication', () => {
  it('turns on only with the password and a code from the new secret, then shows ten recovery codes once', async () => {
    const email = `${uniqueName('totp')}@example.com`;
    const client = await harness.client().signUpAndLogIn(email, PASSWORD);
    const setup = await client.post<{ secret: string; otpauthUrl: string }>('/api/v1/auth/two-factor/setup');
    expect(setup.body.otpauthUrl).toMatch(/^otpauth:\/\/totp\/Linkpulse:.+\?.*secret=/);
    expect(decodeURIComponent(setup.body.otpauthUrl)).toContain(email);
    // Pending: login is as before.
    expect((await harness.client().logIn(email, PASSWORD)).status).toBe(200);

    const wrongCode = await client.post<Refusal>('/api/v1/auth/two-factor/enable', { password: PASSWORD, code: '000000' });
    expect(wrongCode.status).toBe(400);
    expect(wrongCode.body.error.details?.fields?.map((field) => field.field)).toEqual(['body.code']);
    expect((await client.post('/api/v1/auth/two-factor/enable', { password: 'not the password', code: await codeFor(setup.body.secret) })).status).toBe(401);

    const enabled = await client.post<{ recoveryCodes: string[] }>('/api/v1/auth/two-factor/enable', { password: PASSWORD, code: await codeFor(setup.body.secret) });
    expect(enabled.status).toBe(200);
    expect(enabled.body.recoveryCodes).toHaveLength(10);
    for (const code of enabled.body.recoveryCodes) expect(code).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    expect((await client.get<{ user: { twoFactorEnabled: boolean } }>('/api/v1/auth/me')).body.user.twoFactorEnabled).toBe(true);
    expect((await client.get('/api/v1/auth/two-factor')).body).toEqual({ enabled: true, recoveryCodesLeft: 10 });
    // On already: a new setup would strand the app's codes.
    expect((await client.post('/api/v1/auth/two-factor/setup')).status).toBe(409);
  });

  it('asks for a code after the password, takes each code once, and a recovery code once', async () => {
    const { email, secret, recoveryCodes } = await accountWithTwoFactor();
    const browser = harness.client();
    const first = await browser.post<Challenge>('/api/v1/auth/login', { email, password: PASSWORD });
    expect(first.status).toBe(200);
    expect(first.body.twoFactorRequired).toBe(true);
    expect(browser.cookie).toBeUndefined();

    const wrong = await browser.post<Refusal>('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: '123456' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.details?.fields?.map((field) => field.field)).toEqual(['body.code']);
    // The code that turned two-factor on was this step's: the next step's signs in.
    const code = await codeFor(secret, 1);
    const signedIn = await browser.post<{ csrfToken: string }>('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code });
    expect(signedIn.status).toBe(200);
    expect(browser.cookie).toBeDefined();
    expect((await browser.get('/api/v1/auth/me')).status).toBe(200);

    const replay = await harness.client().post<Challenge>('/api/v1/auth/login', { email, password: PASSWORD });
    expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: replay.body.challenge, code })).status).toBe(401);

    const recovery = recoveryCodes[3]!.toUpperCase();
    expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: replay.body.challenge, code: recovery })).status).toBe(200);
    expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: replay.body.challenge, code: recovery })).status).toBe(401);
    const owner = harness.client();
    const again = await owner.post<Challenge>('/api/v1/auth/login', { email, password: PASSWORD });
    await owner.post('/api/v1/auth/login/two-factor', { challenge: again.body.challenge, code: recoveryCodes[0]! });
    expect((await owner.get('/api/v1/auth/two-factor')).body).toEqual({ enabled: true, recoveryCodesLeft: 8 });
  });

  it('refuses a forged or foreign challenge, and more than 10 wrong codes in 15 minutes', async () => {
    const { email, secret } = await accountWithTwoFactor();
    const first = await harness.client().post<Challenge>('/api/v1/auth/login', { email, password: PASSWORD });
    const [payload, signature] = first.body.challenge.split('.');
    const forged = `${Buffer.from(`${Buffer.from(payload!, 'base64url').toString().split('.')[0]}.${Date.now() + 3_600_000}`).toString('base64url')}.${signature}`;
    expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: forged, code: await codeFor(secret, 1) })).status).toBe(401);
    expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: 'x.y', code: '123456' })).status).toBe(401);

    for (let i = 0; i < 10; i++) expect((await harness.client().post('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: '000000' })).status).toBe(401);
    const limited = await harness.client().post('/api/v1/auth/login/two-factor', { challenge: first.body.challenge, code: await codeFor(secret, 1) });
    expect(limited.status).toBe(429);
  });

  it('turns off only with the password, and login is one step again', async () => {
    const { email, client } = await accountWithTwoFactor();
    expect((await client.post('/api/v1/auth/two-factor/disable', { password: 'wrong password here' })).status).toBe(401);
    expect((await client.post('/api/v1/auth/two-factor/disable', { password: PASSWORD })).status).toBe(204);
    const login = await harness.client().logIn(email, PASSWORD);
    expect(login.status).toBe(200);
    expect(login.body.csrfToken).toBeDefined();
    expect((await client.post('/api/v1/auth/two-factor/recovery-codes', { password: PASSWORD })).status).toBe(409);
  });
});

describe('sessions', () => {
  it('lists the live sessions with this one marked, logs one out, and logs out everywhere else', async () => {
    const email = `${uniqueName('sessions')}@example.com`;
    const here = await harness.client().signUpAndLogIn(email, PASSWORD);
    const phone = harness.client();
    await phone.request('POST', '/api/v1/auth/login', { email, password: PASSWORD }, { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' });
    const laptop = harness.client();
    await laptop.logIn(email, PASSWORD);

    type Listed = { sessions: { id: string; device: string; current: boolean; lastSeenAt: string }[] };
    const listed = (await here.get<Listed>('/api/v1/auth/sessions')).body.sessions;
    expect(listed).toHaveLength(3);
    expect(listed.filter((session) => session.current)).toHaveLength(1);
    expect(listed.map((session) => session.device)).toContain('Safari on iOS');

    const phoneSession = (await phone.get<Listed>('/api/v1/auth/sessions')).body.sessions.find((session) => session.current)!;
    expect((await here.delete(`/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(204);
    expect((await phone.get('/api/v1/auth/me')).status).toBe(401);
    expect((await here.delete(`/api/v1/auth/sessions/${phoneSession.id}`)).status).toBe(404);

    // Another account's session is out of reach (404, not 403: its existence is not confirmed).
    const stranger = await harness.newUser();
    expect((await stranger.delete(`/api/v1/auth/sessions/${listed.find((session) => session.current)!.id}`)).status).toBe(404);

    const revoked = await here.post<{ revoked: number }>('/api/v1/auth/sessions/revoke-others');
    expect(revoked.body.revoked).toBe(1);
    expect((await laptop.get('/api/v1/auth/me')).status).toBe(401);
    expect((await here.get('/api/v1/auth/me')).status).toBe(200);
    expect((await here.get<Listed>('/api/v1/auth/sessions')).body.sessions).toHaveLength(1);
  });
});

describe('mailed links with two-factor on', () => {
  it('change the password or confirm the address without signing in: the code is still needed', async () => {
    const email = `${uniqueName('guarded')}@example.com`;
    const client = await harness.client().signUpAndLogIn(email, PASSWORD);
    const setup = await client.post<{ secret: string }>('/api/v1/auth/two-factor/setup');
    await client.post('/api/v1/auth/two-factor/enable', { password: PASSWORD, code: await codeFor(setup.body.secret) });
    const mailer = harness.mailer as RecordingMailer;

    await harness.client().post('/api/v1/auth/password-reset', { email });
    const reset = await waitFor(() => mailer.sent.filter((mail) => mail.to === email && mail.kind === 'password-reset').at(-1), { what: 'the reset mail' });
    const browser = harness.client();
    const changed = await browser.post<{ signedIn: boolean }>('/api/v1/auth/password-reset/confirm', { token: /#token=([A-Za-z0-9_-]{43})/.exec(reset.text)![1]!, newPassword: 'seven new lanterns by the harbour' });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ signedIn: false });
    expect(browser.cookie).toBeUndefined();
    const login = await harness.client().post<{ twoFactorRequired: boolean }>('/api/v1/auth/login', { email, password: 'seven new lanterns by the harbour' });
    expect(login.body.twoFactorRequired).toBe(true);
  });

  it('confirming an address ends whatever was signed in before it was proven', async () => {
    const email = `${uniqueName('squatted')}@example.com`;
    const squatter = await harness.client().signUpAndLogIn(email, PASSWORD);
    const token = await squatter.post<{ token: string }>('/api/v1/tokens', { name: 'kept', scopes: ['profiles:read'] });
    const mailer = harness.mailer as RecordingMailer;
    const mail = mailer.sent.filter((sent) => sent.to === email && sent.kind === 'email-verification').at(-1)!;
    const owner = harness.client();
    expect((await owner.post('/api/v1/auth/email-verification/confirm', { token: /#token=([A-Za-z0-9_-]{43})/.exec(mail.text)![1]! })).status).toBe(200);
    expect((await owner.get('/api/v1/auth/me')).status).toBe(200);
    expect((await squatter.get('/api/v1/auth/me')).status).toBe(401);
    expect((await harness.client().get('/api/v1/profiles', { authorization: `Bearer ${token.body.token}` })).status).toBe(401);
  });
});
