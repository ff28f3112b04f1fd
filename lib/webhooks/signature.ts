// Standard Webhooks signatures (https://www.standardwebhooks.com, spec 1.0, symmetric scheme): what
// the delivery worker puts on every attempt and what a receiver checks. Documented for receivers in
// docs/architecture.md ("Webhooks").
//
//   webhook-id         the event's id: the same on every retry and resend (receivers deduplicate on it)
//   webhook-timestamp  this attempt's time, Unix seconds (a receiver refuses one far from its clock)
//   webhook-signature  space-separated `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, one per
//                      valid secret: two while a rotated-away secret is still honoured (24 hours)
//
// The key is the bytes of the secret after `whsec_` (base64). The body is signed exactly as sent, so a
// receiver must verify the raw bytes before parsing them.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookSecretKey } from './webhook-secret.js';

/** The version of the JSON envelope (type, timestamp, version, data): bumped only for a breaking change. */
export const WEBHOOK_PAYLOAD_VERSION = 1;

/** How far a webhook-timestamp may be from the receiver's clock (the spec's usual five minutes). */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The body of a delivery: the event's envelope, minified, exactly as it is signed and sent. */
export function webhookBody(event: { type: string; occurredAt: Date; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), version: WEBHOOK_PAYLOAD_VERSION, data: event.data });
}

function signature(key: Buffer, id: string, timestamp: number, body: string): string {
  return createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
}

/**
 * The three headers of one attempt, signed with every secret given (`whsec_…`; the current one first,
 * then a rotated-away one still in its overlap).
 */
export function signWebhook(message: { id: string; timestamp: number; body: string }, secrets: readonly string[]): WebhookHeaders {
  // The spec forbids '.' in the id and timestamp: they delimit the signed content.
  if (message.id.includes('.') || !Number.isSafeInteger(message.timestamp)) throw new Error('a webhook id must not contain "." and the timestamp must be whole seconds');
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to be signed with');
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': secrets.map((secret) => `v1,${signature(webhookSecretKey(secret), message.id, message.timestamp, message.body)}`).join(' '),
  };
}

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

/**
 * A receiver's check (used by Linkpulse's tests, and the reference for receivers in TypeScript): the
 * headers are present, the timestamp is within `toleranceSeconds` of `now`, and one of the signatures
 * is this secret's over the raw body (compared in constant time). Returns the parsed body; throws
 * WebhookVerificationError otherwise. Deduplicating on webhook-id is the receiver's job.
 */
export function verifyWebhook(
  request: { headers: Readonly<Record<string, string | string[] | undefined>>; body: string },
  secret: string,
  options: { toleranceSeconds?: number; now?: Date } = {},
): { type: string; timestamp: string; version: number; data: unknown } {
  const header = (name: keyof WebhookHeaders) => {
    const value = request.headers[name];
    if (typeof value !== 'string' || value === '') throw new WebhookVerificationError(`missing ${name} header`);
    return value;
  };
  const id = header('webhook-id');
  const timestampText = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!/^\d{1,12}$/.test(timestampText)) throw new WebhookVerificationError('webhook-timestamp is not Unix seconds');
  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) throw new WebhookVerificationError('webhook-timestamp is too far from now (a replay?)');
  const expected = Buffer.from(signature(webhookSecretKey(secret), id, timestamp, request.body), 'base64');
  const matches = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('no valid signature');
  return JSON.parse(request.body) as { type: string; timestamp: string; version: number; data: unknown };
}
