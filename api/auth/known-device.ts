// The known-device cookie: this browser logged into an account before. The login throttle
// (login-throttle.ts) gives such a browser a back-off lane of its own and spares it the slow-down that
// guesses from elsewhere put on the account, so a stranger's guesses cannot lock the owner out. It
// grants nothing else: the password is checked as always.
//
// The value holds, for up to five accounts (a shared or a work-and-personal browser), the issue time
// and an HMAC over (account id, issue time) under a key derived from SESSION_SECRET:
// `<issued, base36 seconds>.<mac>` joined by `~`. No email, no IP, no account id: an entry is checked
// against the account being logged into. Every successful login renews its entry, so the cookie lasts
// 90 days from the last login. HttpOnly, SameSite=Lax, sent only to the login route; Secure (and
// __Secure-) unless PUBLIC_URL is plain-http localhost, like the session cookie.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import { isLocalPlainHttp } from '../../lib/http/session-cookie-name.js';
import { readCookie } from './session-cookie.js';

export const KNOWN_DEVICE_TTL_MS = 90 * 24 * 60 * 60 * 1000;
const MAX_ACCOUNTS = 5;
const MAC_LENGTH = 32;
/** Issue times ahead of this instance's clock by more than this are not believed (clocks of instances differ a little). */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const ENTRY = /^([0-9a-z]{1,10})\.([A-Za-z0-9_-]{32})$/;

export interface KnownDevices {
  name: string;
  /** The cookie's value in the request. */
  read(request: Request): string | undefined;
  /** The device's id (its entry's MAC) when the cookie holds a valid, unexpired entry for this account. */
  recognize(cookie: string | undefined, accountId: string): string | undefined;
  /** The cookie after a successful login: a fresh entry for this account first, then other accounts' unexpired ones. */
  renew(cookie: string | undefined, accountId: string): string;
  set(response: Response, value: string): void;
}

export interface KnownDevicesOptions {
  sessionSecret: string;
  publicUrl: string;
  now?: () => number;
}

export function createKnownDevices(options: KnownDevicesOptions): KnownDevices {
  const now = options.now ?? Date.now;
  const secure = !isLocalPlainHttp(options.publicUrl);
  const name = secure ? '__Secure-lp_device' : 'lp_device';
  const cookieOptions = { httpOnly: true, secure, sameSite: 'lax', path: '/api/v1/auth/login', maxAge: KNOWN_DEVICE_TTL_MS } as const;
  // A key of its own, so a MAC made here can never pass for a session or CSRF token, nor the reverse.
  const key = createHmac('sha256', options.sessionSecret).update('linkpulse known-device cookie v1').digest();
  const macOf = (accountId: string, issued: string) => createHmac('sha256', key).update(`${accountId}\n${issued}`).digest('base64url').slice(0, MAC_LENGTH);

  const entries = (cookie: string | undefined) =>
    (cookie ?? '')
      .split('~')
      .slice(0, MAX_ACCOUNTS)
      .flatMap((entry) => {
        const match = ENTRY.exec(entry);
        if (!match) return [];
        const issuedAt = parseInt(match[1]!, 36) * 1000;
        const age = now() - issuedAt;
        return age <= KNOWN_DEVICE_TTL_MS && age >= -CLOCK_SKEW_MS ? [{ entry, issued: match[1]!, mac: match[2]! }] : [];
      });
  const isFor = (accountId: string) => (candidate: { issued: string; mac: string }) =>
    timingSafeEqual(Buffer.from(candidate.mac), Buffer.from(macOf(accountId, candidate.issued)));

  return {
    name,
    read: (request) => readCookie(request, name),
    recognize(cookie, accountId) {
      return entries(cookie).find(isFor(accountId))?.mac;
    },
    renew(cookie, accountId) {
      const issued = Math.floor(now() / 1000).toString(36);
      const others = entries(cookie).filter((candidate) => !isFor(accountId)(candidate));
      return [`${issued}.${macOf(accountId, issued)}`, ...others.map((candidate) => candidate.entry)].slice(0, MAX_ACCOUNTS).join('~');
    },
    set: (response, value) => void response.cookie(name, value, cookieOptions),
  };
}
