// The session cookie: __Host-lp_session (HttpOnly, Secure, SameSite=Lax, Path=/, no Domain), so it
// cannot be set by a sibling subdomain or read by scripts. Only when PUBLIC_URL is plain-http
// localhost (local development) is it sent without Secure, under a name without the __Host- prefix
// (browsers refuse __Host- cookies that are not Secure).
import type { Request, Response } from 'express';

export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface SessionCookie {
  name: string;
  read(request: Request): string | undefined;
  set(response: Response, token: string): void;
  clear(response: Response): void;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Local development (plain-http PUBLIC_URL on a loopback host): the one case cookies go without Secure. */
export function isLocalPlainHttp(publicUrl: string): boolean {
  const url = new URL(publicUrl);
  return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
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
  const name = secure ? '__Host-lp_session' : 'lp_session';
  const options = { httpOnly: true, secure, sameSite: 'lax', path: '/' } as const;
  return {
    name,
    read: (request) => readCookie(request, name),
    set: (response, token) => void response.cookie(name, token, { ...options, maxAge: SESSION_TTL_MS }),
    clear: (response) => void response.clearCookie(name, options),
  };
}
