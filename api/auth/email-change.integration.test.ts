// Changing the address over HTTP: with the password, a link to each address; the change applies only
// when both are used (in either order, without a session), the new address is then confirmed, the old
// one told; a new request or a cancellation ends the pending one; another account taking the new
// address meanwhile leaves everything as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordingMailer } from '../../lib/testing/mail.js';
import { uniqueName } from '../../lib/testing/wait-for.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

let harness: ApiHarness;
let mailer: RecordingMailer;
beforeAll(async () => {
  harness = await startApiHarness('email-change');
  mailer = harness.mailer as RecordingMailer;
});
afterAll(async () => {
  await harness?.close();
});

const PASSWORD = 'a calm and quiet passphrase';
const address = (label: string) => `${uniqueName(label)}@example.com`;
const tokenOf = (to: string, kind: string) => /#token=([A-Za-z0-9_-]{43})/.exec(mailer.sent.filter((mail) => mail.to === to && mail.kind === kind).at(-1)!.text)![1]!;

type Me = { user: { email: string; emailVerifiedAt: string | null } };

async function account(): Promise<{ email: string; client: ApiClient }> {
  const email = address('before');
  return { email, client: await harness.client().signUpAndLogIn(email, PASSWORD) };
}

describe('changing the address', () => {
  it('applies only when both addresses confirm, in either order, then the new one is confirmed and the old one told', async () => {
    const { email, client } = await account();
    const next = address('after');
    expect((await client.post('/api/v1/auth/email-change', { newEmail: next, password: PASSWORD })).status).toBe(202);
    expect((await client.get('/api/v1/auth/email-change')).body).toMatchObject({ pending: { newEmail: next, currentConfirmed: false, newConfirmed: false } });

    const fromNew = await harness.client().post<{ applied: boolean; confirmed: string }>('/api/v1/auth/email-change/confirm', { token: tokenOf(next, 'email-change-new') });
    expect(fromNew.body).toEqual({ applied: false, confirmed: 'new', newEmail: next });
    expect((await client.get<Me>('/api/v1/auth/me')).body.user.email).toBe(email);

    const fromOld = await harness.client().post<{ applied: boolean; confirmed: string }>('/api/v1/auth/email-change/confirm', { token: tokenOf(email, 'email-change-old') });
    expect(fromOld.body).toEqual({ applied: true, confirmed: 'current', newEmail: next });
    const me = (await client.get<Me>('/api/v1/auth/me')).body.user;
    expect(me.email).toBe(next);
    expect(me.emailVerifiedAt).not.toBeNull();
    expect(mailer.sent.filter((mail) => mail.to === email && mail.kind === 'email-changed')).toHaveLength(1);
    // Log in with the new address only; the links are spent.
    expect((await harness.client().logIn(next, PASSWORD)).status).toBe(200);
    expect((await harness.client().logIn(email, PASSWORD)).status).toBe(401);
    expect((await harness.client().post('/api/v1/auth/email-change/confirm', { token: tokenOf(next, 'email-change-new') })).status).toBe(404);
    expect((await client.get('/api/v1/auth/email-change')).body).toEqual({ pending: null });
  });

  it('needs the password, refuses the current address, and a new request or a cancellation ends the pending one', async () => {
    const { email, client } = await account();
    expect((await client.post('/api/v1/auth/email-change', { newEmail: address('x'), password: 'not the password' })).status).toBe(401);
    const same = await client.post<{ error: { details: { fields: { field: string }[] } } }>('/api/v1/auth/email-change', { newEmail: email.toUpperCase(), password: PASSWORD });
    expect(same.status).toBe(400);
    expect(same.body.error.details.fields.map((field) => field.field)).toEqual(['body.newEmail']);

    const first = address('first');
    await client.post('/api/v1/auth/email-change', { newEmail: first, password: PASSWORD });
    const firstToken = tokenOf(first, 'email-change-new');
    const second = address('second');
    await client.post('/api/v1/auth/email-change', { newEmail: second, password: PASSWORD });
    expect((await harness.client().post('/api/v1/auth/email-change/confirm', { token: firstToken })).status).toBe(404);

    expect((await client.delete('/api/v1/auth/email-change')).status).toBe(204);
    expect((await harness.client().post('/api/v1/auth/email-change/confirm', { token: tokenOf(second, 'email-change-new') })).status).toBe(404);
    expect((await client.delete('/api/v1/auth/email-change')).status).toBe(404);
    expect((await harness.client().post('/api/v1/auth/email-change', { newEmail: address('y'), password: PASSWORD })).status).toBe(401);
  });

  it('leaves everything as it was when another account took the new address meanwhile', async () => {
    const { email, client } = await account();
    const contested = address('contested');
    await client.post('/api/v1/auth/email-change', { newEmail: contested, password: PASSWORD });
    await harness.client().post('/api/v1/auth/email-change/confirm', { token: tokenOf(email, 'email-change-old') });
    await harness.client().signUpAndLogIn(contested, 'someone else entirely here');
    const taken = await harness.client().post('/api/v1/auth/email-change/confirm', { token: tokenOf(contested, 'email-change-new') });
    expect(taken.status).toBe(409);
    expect((await client.get<Me>('/api/v1/auth/me')).body.user.email).toBe(email);
  });
});
