// The security headers every response carries (helmet). The default CSP is the strictest one, right
// for JSON, health and metrics responses; the dashboard's HTML replaces it with SvelteKit's nonce-based
// policy (dashboard/svelte.config.js).
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';

export const STRICT_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

export interface SecurityHeadersOptions {
  /** HSTS_PRELOAD: opt in to the browsers' preload list, which is hard to leave again. */
  hstsPreload: boolean;
}

/** Returns the function that sets the headers on a response (before anything is written). */
export function createSecurityHeaders(options: SecurityHeadersOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const middleware = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP_DIRECTIVES },
    // Two years, subdomains included: what the preload list requires, so HSTS_PRELOAD only adds the flag.
    strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true, preload: options.hstsPreload },
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  });
  // The headers depend on the options only, never on the request: helmet runs once, here, on a
  // recording response, and every response gets the same list (it was ~4 % of a public page's CPU).
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
  };
  // helmet only sets headers and calls next synchronously.
  middleware({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  headers.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
  return (_request, response) => {
    response.setHeaders(headers);
  };
}
