// What a request says it accepts or already holds: content codings and ETags.
import type { IncomingMessage } from 'node:http';

/** The content codings a request accepts ("gzip, deflate, br;q=1.0"), lower case, without those refused with q=0. */
export function acceptedEncodings(request: IncomingMessage): string[] {
  return String(request.headers['accept-encoding'] ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase().split(';'))
    .filter(([, q]) => !/^\s*q=0(\.0*)?\s*$/.test(q ?? ''))
    .map(([coding]) => coding!);
}

/** Whether an If-None-Match header names this ETag: one of a list, weak or strong, or *. */
export function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const value = candidate.trim().replace(/^W\//, '');
    return value === '*' || value === etag;
  });
}
