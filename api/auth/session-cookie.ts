// The session cookie (named by lib/http/session-cookie-name.ts): HttpOnly, Secure, SameSite=Lax, Path=/,
// no Domain, so it cannot be set by a sibling subdomain or read by scripts; without Secure only for
// local development on plain-http localhost.
import type { Request, Response } from 'express';
import { isLocalPlainHttp, sessionCookieName } from '../../lib/http/session-cookie-name.js';

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface SessionCookie {
  name: string;
  read(request: Request): string | undefined;
  set(response: Response, token: string): void;
  clear(response: Response): void;
}

/** The raw value of one cookie of the request. */
export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

export function createSessionCookie(publicUrl: string): SessionCookie {
  const secure = !isLocalPlainHttp(publicUrl);
  const name = sessionCookieName(publicUrl);
  const options = { httpOnly: true, secure, sameSite: 'lax', path: '/' } as const;
  return {
    name,
    read: (request) => readCookie(request, name),
    set: (response, token) => void response.cookie(name, token, { ...options, maxAge: SESSION_TTL_MS }),
    clear: (response) => void response.clearCookie(name, options),
  };
}
