// A webhook endpoint's signing secret, in the Standard Webhooks format (`whsec_` + base64 of the key
// bytes). The API makes one and shows it once; the database keeps it sealed (AES-256-GCM with a key
// derived from SESSION_SECRET, separate from the one for TOTP secrets), and only the delivery worker
// opens it to sign.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
/** 32 random bytes: the HMAC-SHA256 key (Standard Webhooks: 24 to 64 bytes). */
const SECRET_BYTES = 32;

export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** The key bytes a `whsec_…` secret stands for (the HMAC key of a signature). */
export function webhookSecretKey(secret: string): Buffer {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error('not a webhook secret');
  return Buffer.from(secret.slice(WEBHOOK_SECRET_PREFIX.length), 'base64');
}

export interface WebhookSecretBox {
  seal(secret: string): Buffer;
  open(sealed: Buffer): string;
}

export function createWebhookSecretBox(sessionSecret: string): WebhookSecretBox {
  const key = createHmac('sha256', sessionSecret).update('webhook-secret-key:v1').digest();
  return {
    seal(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    open(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
