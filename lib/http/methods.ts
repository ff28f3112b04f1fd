// The methods a resource answers, for 405 Method Not Allowed and the Allow header (RFC 9110 §15.5.6):
// one rule for the API router (api/http/route.ts) and the process's own routes
// (lib/runtime/http-server.ts). HEAD is listed wherever GET is: every GET handler serves it.
import { AppError } from '../errors.js';

const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The Allow list for a resource's methods, upper case, in a stable order, HEAD added to GET. */
export function allowList(methods: Iterable<string>): string[] {
  const allowed = new Set([...methods].map((method) => method.toUpperCase()));
  if (allowed.has('GET')) allowed.add('HEAD');
  const rank = (method: string) => (ORDER.includes(method) ? ORDER.indexOf(method) : ORDER.length);
  return [...allowed].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** Each route's allowed methods as a set, made on its first request rather than on every one. */
const allowedSets = new WeakMap<readonly string[], Set<string>>();

/** Whether a request method is one of a resource's methods (HEAD counts as GET). */
export function isAllowed(method: string | undefined, methods: readonly string[]): boolean {
  let allowed = allowedSets.get(methods);
  if (!allowed) {
    allowed = new Set(allowList(methods));
    allowedSets.set(methods, allowed);
  }
  return allowed.has((method ?? 'GET').toUpperCase());
}

export function methodNotAllowed(method: string | undefined, methods: readonly string[]): AppError {
  const allowed = allowList(methods);
  return new AppError('METHOD_NOT_ALLOWED', `${method ?? 'This method'} is not allowed here; this resource answers ${allowed.join(', ')}`, { allowedMethods: allowed });
}
