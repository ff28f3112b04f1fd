// The webhook engine as a process runs it (server/start.ts wires the scheduler role): a whole process
// on embedded defaults with WEBHOOK_ALLOW_LOOPBACK, an endpoint sealed with the process's own
// SESSION_SECRET, and a publish through the API arriving signed at a receiver on this machine.
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/testing/wait-for.js';
import { verifyWebhook } from '../../lib/webhooks/signature.js';
import { createWebhookSecretBox } from '../../lib/webhooks/webhook-secret.js';
import { ApiClient } from '../../server/testing/api-harness.js';
import { startSite, type Site } from '../../server/testing/site.js';
import { registerEndpoint, startTestReceiver, type TestReceiver } from './webhook-testing.js';

let site: Site | undefined;
let receiver: TestReceiver | undefined;
afterAll(async () => {
  await site?.stop();
  await receiver?.close();
});

describe('webhooks in a whole process', () => {
  it('delivers a signed profile.published to a registered endpoint', async () => {
    receiver = await startTestReceiver();
    site = await startSite('webhooks', ['api', 'scheduler'], { WEBHOOK_ALLOW_LOOPBACK: 'true' });
    const { origin, running } = site;
    const creator = await new ApiClient(origin, origin).signUpAndLogIn();
    const profile = await creator.newProfile();
    const box = createWebhookSecretBox(running.platform.config.sessionSecret!);
    const endpoint = await registerEndpoint(running.platform.db!, creator.userId!, profile.id, `${receiver.origin}/hooks`, ['profile.published'], box);
    expect((await creator.patch(`/api/v1/profiles/${profile.id}`, { published: true })).status).toBe(200);
    const request = await waitFor(() => receiver!.received.find((received) => received.path === '/hooks'), { what: 'the delivery', timeoutMs: 15_000 });
    const payload = verifyWebhook({ headers: request.headers, body: request.body }, endpoint.secret);
    expect(payload).toMatchObject({ type: 'profile.published', version: 1, data: { published: true, profile: { id: profile.id, handle: profile.handle } } });
  }, 60_000);
});
