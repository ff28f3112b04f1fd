// Secrets we hand out (session cookies, personal access tokens, password reset links) and what we keep of them: only an
// HMAC keyed with SESSION_SECRET, so a copy of the database yields no usable credential. CSRF tokens
// are derived from the session, so there is nothing extra to store and they die with it.
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'lp_pat_';
/** 32 random bytes in base64url. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What a mailed link is for: each purpose hashes apart, so one kind of link can never act as another. */
export type LinkPurpose = 'password-reset' | 'email-verification' | 'email-change' | 'team-invitation';

export interface Credentials {
  /** A new random secret and the hash to store for it. */
  newSessionToken(): { token: string; hash: Buffer };
  newApiToken(): { token: string; hash: Buffer; prefix: string };
  /** The stored hash of a presented session token, or undefined if it cannot be one of ours. */
  sessionTokenHash(token: string): Buffer | undefined;
  apiTokenHash(token: string): Buffer | undefined;
  /** Password reset and email confirmation links: a random secret, and its hash for that purpose. */
  newLinkToken(purpose: LinkPurpose): { token: string; hash: Buffer };
  linkTokenHash(purpose: LinkPurpose, token: string): Buffer | undefined;
  /** A TOTP secret encrypted for storage (AES-256-GCM, key derived from SESSION_SECRET), and back. */
  sealSecret(secret: string): Buffer;
  openSecret(sealed: Buffer): string;
  /** What is stored of a recovery code (case and dashes ignored). */
  recoveryCodeHash(code: string): Buffer;
  /** A short-lived proof that the password was right, for the second step of a two-factor login. */
  twoFactorChallenge(userId: string, expiresAt: number): string;
  /** The user a live challenge is for, or undefined (forged, expired). */
  readTwoFactorChallenge(challenge: string, now: number): string | undefined;
  /**
   * Proof that this browser gave a shared dashboard's password, until `expiresAt` (ms): bound to the
   * share and to its password's hash, so a new password (or deleting the share) ends every unlock.
   */
  shareUnlock(shareId: string, passwordHash: string, expiresAt: number): string;
  isValidShareUnlock(shareId: string, passwordHash: string, presented: string, now: number): boolean;
  /** A key for a value that must not be stored as it is (an address in the cache): its HMAC. */
  opaqueKey(value: string): string;
  csrfTokenFor(sessionId: string): string;
  isValidCsrfToken(sessionId: string, presented: string): boolean;
}

export function createCredentials(sessionSecret: string): Credentials {
  const mac = (purpose: string, value: string) => createHmac('sha256', sessionSecret).update(`${purpose}:${value}`).digest();
  const csrfTokenFor = (sessionId: string) => mac('csrf', sessionId).toString('base64url');
  const sealKey = mac('totp-secret-key', 'v1');
  return {
    newSessionToken() {
      const token = randomBytes(32).toString('base64url');
      return { token, hash: mac('session', token) };
    },
    newApiToken() {
      const secret = randomBytes(32).toString('base64url');
      const token = TOKEN_PREFIX + secret;
      return { token, hash: mac('api-token', token), prefix: token.slice(0, TOKEN_PREFIX.length + 4) };
    },
    sessionTokenHash: (token) => (SECRET_PATTERN.test(token) ? mac('session', token) : undefined),
    apiTokenHash: (token) => (token.startsWith(TOKEN_PREFIX) && SECRET_PATTERN.test(token.slice(TOKEN_PREFIX.length)) ? mac('api-token', token) : undefined),
    newLinkToken(purpose) {
      const token = randomBytes(32).toString('base64url');
      return { token, hash: mac(purpose, token) };
    },
    linkTokenHash: (purpose, token) => (SECRET_PATTERN.test(token) ? mac(purpose, token) : undefined),
    sealSecret(secret) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]);
    },
    openSecret(sealed) {
      const decipher = createDecipheriv('aes-256-gcm', sealKey, sealed.subarray(0, 12));
      decipher.setAuthTag(sealed.subarray(12, 28));
      return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    },
    recoveryCodeHash: (code) => mac('recovery-code', code.toLowerCase().replace(/[^a-z0-9]/g, '')),
    twoFactorChallenge(userId, expiresAt) {
      const payload = `${userId}.${expiresAt}`;
      return `${Buffer.from(payload).toString('base64url')}.${mac('2fa-challenge', payload).toString('base64url')}`;
    },
    readTwoFactorChallenge(challenge, now) {
      const [encoded, signature] = challenge.split('.');
      if (!encoded || !signature) return undefined;
      const payload = Buffer.from(encoded, 'base64url').toString('utf8');
      const expected = mac('2fa-challenge', payload);
      const presented = Buffer.from(signature, 'base64url');
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
      const [userId, expiresAt] = payload.split('.');
      return userId && Number(expiresAt) > now ? userId : undefined;
    },
    shareUnlock: (shareId, passwordHash, expiresAt) => `${expiresAt.toString(36)}.${mac('share-unlock', `${shareId}\n${passwordHash}\n${expiresAt}`).toString('base64url')}`,
    isValidShareUnlock(shareId, passwordHash, presented, now) {
      const [expiry, signature] = presented.split('.');
      const expiresAt = parseInt(expiry ?? '', 36);
      if (!signature || !Number.isSafeInteger(expiresAt) || expiresAt <= now) return false;
      const expected = mac('share-unlock', `${shareId}\n${passwordHash}\n${expiresAt}`);
      const actual = Buffer.from(signature, 'base64url');
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
    opaqueKey: (value) => mac('opaque-key', value).toString('base64url'),
    csrfTokenFor,
    isValidCsrfToken(sessionId, presented) {
      const expected = Buffer.from(csrfTokenFor(sessionId));
      const actual = Buffer.from(presented);
      return actual.length === expected.length && timingSafeEqual(actual, expected);
    },
  };
}
