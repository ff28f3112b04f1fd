// Linkpulse's signatures checked by a verifier that shares no code with them (Python's standard
// library, from the Standard Webhooks specification), and our own verifier's refusals.
import { describe, expect, it } from 'vitest';
import { verifyWithPython } from '../testing/standard-webhooks-verifier.js';
import { signWebhook, verifyWebhook, webhookBody, WebhookVerificationError } from './signature.js';
import { generateWebhookSecret } from './webhook-secret.js';

const now = Math.floor(Date.now() / 1000);
const body = webhookBody({ type: 'link.created', occurredAt: new Date('2026-01-02T03:04:05.678Z'), data: { link: { id: 'l1', title: 'Ünïcode ✓ "quoted"' } } });

describe('webhook signatures', () => {
  it('builds the envelope with type, timestamp, version and data', () => {
    expect(JSON.parse(body)).toEqual({ type: 'link.created', timestamp: '2026-01-02T03:04:05.678Z', version: 1, data: { link: { id: 'l1', title: 'Ünïcode ✓ "quoted"' } } });
  });

  it('is accepted by an independent verifier, with one secret and with both secrets of a rotation', async () => {
    const current = generateWebhookSecret();
    const previous = generateWebhookSecret();
    const one = signWebhook({ id: '0b4c6f6e-8f43-4a53-9a8c-9d8f3c1d2e10', timestamp: now, body }, [current]);
    const both = signWebhook({ id: '0b4c6f6e-8f43-4a53-9a8c-9d8f3c1d2e10', timestamp: now, body }, [current, previous]);
    expect(both['webhook-signature'].split(' ')).toHaveLength(2);
    const results = await verifyWithPython([
      { secret: current, headers: { ...one }, body },
      { secret: current, headers: { ...both }, body },
      { secret: previous, headers: { ...both }, body },
      // Refusals: another secret, a changed body, a changed id, an old timestamp.
      { secret: generateWebhookSecret(), headers: { ...both }, body },
      { secret: current, headers: { ...one }, body: body.replace('l1', 'l2') },
      { secret: current, headers: { ...one, 'webhook-id': 'another' }, body },
      { secret: current, headers: { ...one }, body, now: now + 3600 },
    ]);
    expect(results.map((result) => result.ok)).toEqual([true, true, true, false, false, false, false]);
  });

  it('verifies its own signatures and refuses tampering, replays and missing headers', () => {
    const secret = generateWebhookSecret();
    const headers = signWebhook({ id: 'evt_1', timestamp: now, body }, [generateWebhookSecret(), secret]);
    expect(verifyWebhook({ headers: { ...headers }, body }, secret).type).toBe('link.created');
    const refusal = (request: Parameters<typeof verifyWebhook>[0], options?: Parameters<typeof verifyWebhook>[2]) => {
      try {
        verifyWebhook(request, secret, options);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(WebhookVerificationError);
        return (error as Error).message;
      }
    };
    expect(refusal({ headers: { ...headers }, body: `${body} ` })).toMatch(/no valid signature/);
    expect(refusal({ headers: { ...headers }, body }, { now: new Date((now + 301) * 1000) })).toMatch(/too far/);
    expect(refusal({ headers: { ...headers, 'webhook-signature': undefined }, body })).toMatch(/missing webhook-signature/);
    expect(refusal({ headers: { ...headers, 'webhook-signature': 'v1a,AAAA v1,' }, body })).toMatch(/no valid signature/);
  });

  it('refuses ids that would make the signed content ambiguous', () => {
    expect(() => signWebhook({ id: 'a.b', timestamp: now, body }, [generateWebhookSecret()])).toThrow(/must not contain/);
    expect(() => signWebhook({ id: 'a', timestamp: now, body }, [])).toThrow(/at least one secret/);
  });
});
