import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE_VERIFICATION_SNIPPET } from './verification-snippet';

type Verify = (secret: string, headers: Record<string, string | undefined>, rawBody: string) => boolean;

/** A delivery signed as Standard Webhooks says, independently of the snippet. */
function signed(secrets: string[], body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const id = randomUUID();
  const signatures = secrets.map((secret) => `v1,${createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatures.join(' ') };
}
const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

describe('the verification snippet shown with a new secret', () => {
  let directory: string;
  let verify: Verify;
  beforeAll(async () => {
    // The exact text a creator copies, run as the ES module they would save it as.
    directory = await mkdtemp(path.join(tmpdir(), 'lp-snippet-'));
    const file = path.join(directory, 'verify.mjs');
    await writeFile(file, NODE_VERIFICATION_SNIPPET);
    ({ verifyWebhook: verify } = (await import(pathToFileURL(file).href)) as { verifyWebhook: Verify });
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const body = JSON.stringify({ type: 'webhook.test', timestamp: new Date().toISOString(), version: 1, data: { message: 'héllo' } });

  it('accepts a delivery signed with the secret, also beside a second signature during a rotation', () => {
    const secret = newSecret();
    expect(verify(secret, signed([secret], body), body)).toBe(true);
    expect(verify(secret, signed([newSecret(), secret], body), body)).toBe(true);
  });

  it('refuses another secret, a changed body, a stale timestamp and missing headers', () => {
    const secret = newSecret();
    expect(verify(secret, signed([newSecret()], body), body)).toBe(false);
    expect(verify(secret, signed([secret], body), body.replace('héllo', 'hello'))).toBe(false);
    expect(verify(secret, signed([secret], body, Math.floor(Date.now() / 1000) - 3600), body)).toBe(false);
    expect(verify(secret, { ...signed([secret], body), 'webhook-signature': undefined }, body)).toBe(false);
    expect(verify(secret, { ...signed([secret], body), 'webhook-id': undefined }, body)).toBe(false);
    expect(verify(secret, { ...signed([secret], body), 'webhook-signature': 'v2,abc v1' }, body)).toBe(false);
  });
});
