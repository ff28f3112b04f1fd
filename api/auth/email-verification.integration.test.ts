// Confirming an address over HTTP: sign-up mails a link (single-use, expiring, tied to the address it
// went to) that confirms the address and signs in; a new link on request (signed in, at most 5 an hour,
// 409 once confirmed); sign-up with a taken address tells its owner what to do, at most once an hour,
// and answers the sign-up exactly as for a new address.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingMailer } from '../../lib/testing/mail.js';
import { uniqueName, waitFor } from '../../lib/testing/wait-for.js';
import { startApiHarness, TEST_PUBLIC_URL, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let mailer: RecordingMailer;
beforeAll(async () => {
  harness = await startApiHarness('email-verification');
  mailer = harness.mailer as RecordingMailer;
});
afterAll(async () => {
  await harness?.close();
});

const PASSWORD = 'a calm and quiet passphrase';
const address = () => `${uniqueName('confirm')}@example.com`;
const mailsTo = (to: string, kind: string) => mailer.sent.filter((mail) => mail.to === to && mail.kind === kind);

/** The token of the newest confirmation link mailed to `to`. */
function confirmationToken(to: string): string {
  const mail = mailsTo(to, 'email-verification').at(-1);
  expect(mail).toBeDefined();
  const prefix = `${TEST_PUBLIC_URL}/verify-email#token=`;
  expect(mail!.text).toContain(prefix);
  return /^[A-Za-z0-9_-]{43}/.exec(mail!.text.slice(mail!.text.indexOf(prefix) + prefix.length))![0];
}

type Me = { user: { emailVerifiedAt: string | null } };
type Refusal = { error: { code: string; details?: { fields?: { field: string; message: string }[] } } };

describe('confirming an address', () => {
  it('mails a link at sign-up that confirms the address once and signs in', async () => {
    const email = address();
    const client = await harness.client().signUpAndLogIn(email, PASSWORD);
    expect((await client.get<Me>('/api/v1/auth/me')).body.user.emailVerifiedAt).toBeNull();
    const token = confirmationToken(email);
    expect(mailsTo(email, 'email-verification')[0]!.subject).toBe('Confirm your Linkpulse address');

    // Opened in another browser: no session needed, one is started.
    const other = harness.client();
    const confirmed = await other.post<{ user: { email: string; emailVerifiedAt: string } }>('/api/v1/auth/email-verification/confirm', { token });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.user.email).toBe(email);
    expect(Date.parse(confirmed.body.user.emailVerifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await other.get<Me>('/api/v1/auth/me')).body.user.emailVerifiedAt).toBe(confirmed.body.user.emailVerifiedAt);
    // What was signed in before the address was proven has ended (it may not have been its owner).
    expect((await client.get('/api/v1/auth/me')).status).toBe(401);

    const again = await harness.client().post<Refusal>('/api/v1/auth/email-verification/confirm', { token });
    expect(again.status).toBe(404);
    // Confirmed: no new link (the session the link started, with its CSRF token).
    other.csrfToken = (confirmed.body as unknown as { csrfToken: string }).csrfToken;
    expect((await other.post('/api/v1/auth/email-verification')).status).toBe(409);
  });

  it('sends a new link on request, at most 5 an hour, and refuses made-up, expired or password-reset tokens', async () => {
    const email = address();
    const client = await harness.client().signUpAndLogIn(email, PASSWORD);
    // The sign-up's link counts among the 5.
    for (let i = 0; i < 4; i++) expect((await client.post('/api/v1/auth/email-verification')).status).toBe(202);
    const limited = await client.post<Refusal>('/api/v1/auth/email-verification');
    expect(limited.status).toBe(429);
    expect(mailsTo(email, 'email-verification')).toHaveLength(5);
    expect((await harness.client().post('/api/v1/auth/email-verification')).status).toBe(401);

    for (const token of ['x', 'A'.repeat(43)]) {
      expect((await harness.client().post('/api/v1/auth/email-verification/confirm', { token })).status).toBe(404);
    }
    // A password reset link's token is no confirmation token (each purpose hashes apart).
    await harness.client().post('/api/v1/auth/password-reset', { email });
    const resetMail = await waitFor(() => mailsTo(email, 'password-reset').at(-1), { what: 'the reset mail' });
    const resetToken = /#token=([A-Za-z0-9_-]{43})/.exec(resetMail.text)![1]!;
    expect((await harness.client().post('/api/v1/auth/email-verification/confirm', { token: resetToken })).status).toBe(404);

    const token = confirmationToken(email);
    await owner("UPDATE email_verification_tokens SET expires_at = now() - interval '1 second' WHERE email = $1", [email]);
    expect((await harness.client().post('/api/v1/auth/email-verification/confirm', { token })).status).toBe(404);
  });

  it('confirms nothing with a link sent to an address the account no longer has', async () => {
    const email = address();
    await harness.client().signUpAndLogIn(email, PASSWORD);
    const token = confirmationToken(email);
    await owner('UPDATE users SET email = $1 WHERE email = $2', [`moved-${email}`, email]);
    expect((await harness.client().post('/api/v1/auth/email-verification/confirm', { token })).status).toBe(404);
  });

  it('tells the owner of a taken address about a sign-up attempt, once an hour, and answers it as any other', async () => {
    const email = address();
    const fresh = await harness.client().post('/api/v1/auth/signup', { email, password: PASSWORD });
    const taken = await harness.client().post('/api/v1/auth/signup', { email: email.toUpperCase(), password: 'another quiet passphrase' });
    const takenAgain = await harness.client().post('/api/v1/auth/signup', { email, password: 'yet another passphrase' });
    expect([taken.status, takenAgain.status]).toEqual([fresh.status, fresh.status]);
    expect(taken.body).toEqual(fresh.body);
    expect(mailsTo(email, 'email-verification')).toHaveLength(1);
    const attempts = mailer.sent.filter((mail) => mail.kind === 'signup-existing-account' && mail.to.toLowerCase() === email);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.subject).toBe('Someone tried to sign up with your address');
    expect(attempts[0]!.text).toContain(`${TEST_PUBLIC_URL}/login`);
    // The attempt changed nothing.
    expect((await harness.client().logIn(email, PASSWORD)).status).toBe(200);
  });
});

async function owner(sql: string, values: unknown[]): Promise<void> {
  const client = new pg.Client({ connectionString: harness.database.ownerUrl });
  await client.connect();
  try {
    await client.query(sql, values);
  } finally {
    await client.end();
  }
}
