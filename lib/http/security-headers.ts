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

const middleware = helmet({
  contentSecurityPolicy: { useDefaults: false, directives: STRICT_CSP_DIRECTIVES },
  strictTransportSecurity: { maxAge: 63_072_000, includeSubDomains: true },
  referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
  crossOriginOpenerPolicy: { policy: 'same-origin' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  xFrameOptions: { action: 'deny' },
});

export function applySecurityHeaders(request: IncomingMessage, response: ServerResponse): void {
  // helmet only sets headers and calls next synchronously.
  middleware(request, response, () => undefined);
  response.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
}
