// Password reset over HTTP: a link mailed only to an account's address, with the same answer for any
// address; single-use and expiring; a new password that follows the password rule; every old session
// ended; no more than 5 links an hour per account; what the audit log records. The mail itself goes
// through a RecordingMailer here (lib/mail has its own tests, and the browser test sends through SMTP).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingMailer } from '../../lib/testing/mail.js';
import { uniqueName, waitFor } from '../../lib/testing/wait-for.js';
import { startApiHarness, TEST_PUBLIC_URL, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let mailer: RecordingMailer;
beforeAll(async () => {
  harness = await startApiHarness('password-reset');
  mailer = harness.mailer as RecordingMailer;
});
afterAll(async () => {
  await harness?.close();
});

const PASSWORD = 'an old and quiet passphrase';
const NEW_PASSWORD = 'seven new lanterns by the harbour';

async function account() {
  const email = `${uniqueName('reset')}@example.com`;
  const client = await harness.client().signUpAndLogIn(email, PASSWORD);
  return { email, client };
}

/** The token of the newest reset link mailed to `email` (the request's work runs after its answer). */
async function tokenMailedTo(email: string): Promise<string> {
  const mail = await waitFor(() => mailer.sent.filter((sent) => sent.to === email && sent.kind === 'password-reset').at(-1), { what: `a reset mail to ${email}` });
  const prefix = `${TEST_PUBLIC_URL}/reset-password#token=`;
  expect(mail.text).toContain(prefix);
  const token = /^[A-Za-z0-9_-]{43}/.exec(mail.text.slice(mail.text.indexOf(prefix) + prefix.length));
  expect(token).not.toBeNull();
  return token![0];
}

async function owner<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: harness.database.ownerUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describe('password reset', () => {
  it('answers the same for any address, and mails a link only to an account’s own address', async () => {
    const { email } = await account();
    const before = mailer.sent.filter((sent) => sent.kind === 'password-reset').length;
    const known = await harness.client().post('/api/v1/auth/password-reset', { email: email.toUpperCase() });
    const unknown = await harness.client().post('/api/v1/auth/password-reset', { email: `${uniqueName('nobody')}@example.com` });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(Object.keys(known.body)).toEqual(Object.keys(unknown.body));
    await waitFor(() => mailer.sent.some((sent) => sent.kind === 'password-reset' && sent.to === email), { what: 'the reset mail' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const resets = mailer.sent.filter((sent) => sent.kind === 'password-reset');
    expect(resets.length).toBe(before + 1);
    const mail = resets.at(-1)!;
    expect({ to: mail.to, subject: mail.subject, kind: mail.kind }).toEqual({ to: email, subject: 'Reset your Linkpulse password', kind: 'password-reset' });
    expect(mail.html).toContain(`${TEST_PUBLIC_URL}/reset-password#token=`);
    expect(mail.text).not.toContain(PASSWORD);
  });

  it('sets a new password with the link once, ends every other session and starts a new one', async () => {
    const { email, client: oldSession } = await account();
    await harness.client().post('/api/v1/auth/password-reset', { email });
    const token = await tokenMailedTo(email);

    const browser = harness.client();
    const reset = await browser.post<{ user: { email: string }; csrfToken: string }>('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(reset.status).toBe(200);
    expect(reset.body.user.email).toBe(email);
    expect(browser.cookie).toBeDefined();
    expect((await browser.get('/api/v1/auth/me')).status).toBe(200);
    expect((await oldSession.get('/api/v1/auth/me')).status).toBe(401);
    expect((await harness.client().logIn(email, PASSWORD)).status).toBe(401);
    expect((await harness.client().logIn(email, NEW_PASSWORD)).status).toBe(200);

    const again = await harness.client().post<{ error: { code: string; message: string } }>('/api/v1/auth/password-reset/confirm', {
      token,
      newPassword: 'another long passphrase entirely',
    });
    expect(again.status).toBe(404);
    expect(again.body.error.message).toMatch(/expired or was already used/);
  });

  it('refuses a weak password next to the field and leaves the link usable; refuses a made-up or expired link', async () => {
    const { email } = await account();
    await harness.client().post('/api/v1/auth/password-reset', { email });
    const token = await tokenMailedTo(email);
    const weak = await harness.client().post<{ error: { details: { fields: { field: string }[] } } }>('/api/v1/auth/password-reset/confirm', { token, newPassword: 'password1234' });
    expect(weak.status).toBe(400);
    expect(weak.body.error.details.fields.map((field) => field.field)).toEqual(['body.newPassword']);
    // Another account's address in the password is refused too (the rule knows whose link it is).
    const own = await harness.client().post('/api/v1/auth/password-reset/confirm', { token, newPassword: `${email.split('@')[0]} orchard` });
    expect(own.status).toBe(400);

    for (const madeUp of ['x', 'A'.repeat(43), `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`]) {
      const refused = await harness.client().post('/api/v1/auth/password-reset/confirm', { token: madeUp, newPassword: NEW_PASSWORD });
      expect(refused.status).toBe(404);
    }

    await owner((client) => client.query("UPDATE password_reset_tokens SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT id FROM users WHERE email = $1)", [email]));
    const expired = await harness.client().post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    expect(expired.status).toBe(404);
    expect((await harness.client().logIn(email, PASSWORD)).status).toBe(200);
  });

  it('mails at most 5 links an hour per account, and a new one leaves the earlier ones working until one is used', async () => {
    const { email } = await account();
    for (let i = 0; i < 7; i++) expect((await harness.client().post('/api/v1/auth/password-reset', { email })).status).toBe(202);
    await waitFor(() => mailer.sent.filter((sent) => sent.to === email && sent.kind === 'password-reset').length >= 5, { what: 'five reset mails' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const links = mailer.sent.filter((sent) => sent.to === email && sent.kind === 'password-reset');
    expect(links.length).toBe(5);
    const first = /#token=([A-Za-z0-9_-]{43})/.exec(links[0]!.text)![1]!;
    const last = /#token=([A-Za-z0-9_-]{43})/.exec(links[4]!.text)![1]!;
    expect((await harness.client().post('/api/v1/auth/password-reset/confirm', { token: first, newPassword: NEW_PASSWORD })).status).toBe(200);
    // Using one ends them all.
    expect((await harness.client().post('/api/v1/auth/password-reset/confirm', { token: last, newPassword: 'yet another quiet passphrase' })).status).toBe(404);
  });

  it('records requests and resets in the audit log, never the address or the token', async () => {
    const { email, client } = await account();
    await harness.client().post('/api/v1/auth/password-reset', { email });
    const token = await tokenMailedTo(email);
    await harness.client().post('/api/v1/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD });
    const rows = await owner(async (db) => (await db.query<{ action: string; outcome: string; details: unknown; target: string }>('SELECT action, outcome, details, target FROM security_audit_log WHERE target = $1 ORDER BY id', [client.userId])).rows);
    expect(rows.map((row) => `${row.action} ${row.outcome}`)).toEqual(['auth.signup success', 'auth.login success', 'auth.password_reset_request success', 'auth.password_reset success']);
    expect(JSON.stringify(rows)).not.toContain(email);
    expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('validates its input at the edge', async () => {
    expect((await harness.client().post('/api/v1/auth/password-reset', { email: 'not an address' })).status).toBe(400);
    expect((await harness.client().post('/api/v1/auth/password-reset', {})).status).toBe(400);
    expect((await harness.client().post('/api/v1/auth/password-reset/confirm', { token: '', newPassword: NEW_PASSWORD })).status).toBe(400);
    expect((await harness.client().post('/api/v1/auth/password-reset/confirm', { token: 'x'.repeat(101), newPassword: NEW_PASSWORD })).status).toBe(400);
  });
});
