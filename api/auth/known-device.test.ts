import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KNOWN_DEVICE_TTL_MS, createKnownDevices } from './known-device.js';

const sessionSecret = randomBytes(32).toString('base64url');
const at = (time: number) => createKnownDevices({ sessionSecret, publicUrl: 'https://linkpulse.example', now: () => time });
const now = Date.now();

describe('the known-device cookie', () => {
  it('recognises the account it was issued for, and no other', () => {
    const [ada, bob] = [randomUUID(), randomUUID()];
    const cookie = at(now).renew(undefined, ada);
    expect(at(now).recognize(cookie, ada)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(at(now).recognize(cookie, bob)).toBeUndefined();
    // Nothing in it names the account or the person.
    expect(cookie).not.toContain(ada);
    // Another instance with another SESSION_SECRET does not believe it.
    expect(createKnownDevices({ sessionSecret: randomBytes(32).toString('base64url'), publicUrl: 'https://linkpulse.example' }).recognize(cookie, ada)).toBeUndefined();
  });

  it('ignores forged, malformed and expired entries', () => {
    const ada = randomUUID();
    const cookie = at(now).renew(undefined, ada);
    const [issued] = cookie.split('.');
    for (const forged of [`${issued}.${'A'.repeat(32)}`, `${(Number.parseInt(issued!, 36) + 1).toString(36)}.${cookie.split('.')[1]}`, 'garbage', '', `${cookie}x`]) {
      expect(at(now).recognize(forged, ada), forged).toBeUndefined();
    }
    const old = at(now - KNOWN_DEVICE_TTL_MS - 1000).renew(undefined, ada);
    expect(at(now).recognize(old, ada)).toBeUndefined();
    expect(at(now - KNOWN_DEVICE_TTL_MS + 60_000).recognize(old, ada)).toBeDefined();
  });

  it('keeps the entries of up to five accounts, the latest login first, and renews its own', () => {
    const accounts = Array.from({ length: 6 }, () => randomUUID());
    let cookie: string | undefined;
    for (const [index, account] of accounts.entries()) cookie = at(now + index * 1000).renew(cookie, account);
    const later = at(now + 10_000);
    expect(accounts.map((account) => later.recognize(cookie, account) !== undefined)).toEqual([false, true, true, true, true, true]);
    const renewed = at(now + 20_000).renew(cookie, accounts[3]!);
    expect(renewed.split('~')).toHaveLength(5);
    expect(later.recognize(renewed, accounts[3]!)).not.toBe(later.recognize(cookie, accounts[3]!));
    expect(accounts.slice(1).every((account) => later.recognize(renewed, account) !== undefined)).toBe(true);
  });

  it('is HttpOnly, SameSite=Lax and sent only to the login route; Secure except on plain-http localhost', () => {
    const written: { name: string; value: string; options: Record<string, unknown> }[] = [];
    const response = { cookie: (name: string, value: string, options: Record<string, unknown>) => written.push({ name, value, options }) };
    at(now).set(response as never, 'v');
    createKnownDevices({ sessionSecret, publicUrl: 'http://localhost:3000' }).set(response as never, 'v');
    expect(written).toEqual([
      { name: '__Secure-lp_device', value: 'v', options: { httpOnly: true, secure: true, sameSite: 'lax', path: '/api/v1/auth/login', maxAge: KNOWN_DEVICE_TTL_MS } },
      { name: 'lp_device', value: 'v', options: { httpOnly: true, secure: false, sameSite: 'lax', path: '/api/v1/auth/login', maxAge: KNOWN_DEVICE_TTL_MS } },
    ]);
  });
});
