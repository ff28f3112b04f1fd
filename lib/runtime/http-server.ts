// The one HTTP server of a Linkpulse process. Every role's routes are mounted here, so the same
// plumbing applies everywhere: request id, security headers, the HTTPS redirect, metrics, the error
// envelope, and /healthz, /readyz, /metrics. In embedded mode all five roles share it on one port.
import { timingSafeEqual, createHash } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TrustProxy } from '../config.js';
import { notFound } from '../errors.js';
import { isAllowed, methodNotAllowed } from '../http/methods.js';
import type { ReadinessReport } from '../health.js';
import { assignRequestId, createProtocolResolver, requestIdOf } from '../http/request-context.js';
import { sendError, sendJson } from '../http/responses.js';
import { createSecurityHeaders } from '../http/security-headers.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Route } from './role.js';

export interface HttpServerOptions {
  host: string;
  port: number;
  routes: readonly Route[];
  /** The roles served, for labels and /readyz. */
  roles: readonly string[];
  readiness(): Promise<ReadinessReport>;
  metricsToken: string | undefined;
  /** PUBLIC_URL without a trailing slash; when it is https://, plain-HTTP requests are redirected to it. */
  publicUrl: string;
  /** TRUST_PROXY: whose X-Forwarded-Proto tells whether the client used HTTPS. */
  trustProxy: TrustProxy;
  /** HSTS_PRELOAD. */
  hstsPreload: boolean;
  logger: Logger;
  metrics: Metrics;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (closing idle keep-alive sockets), then resolves. */
  close(deadlineMs: number): Promise<void>;
}

const isLoopback = (address: string | undefined) => address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';

function matches(route: Route, pathname: string): boolean {
  return route.prefix === '/' || pathname === route.prefix || pathname.startsWith(`${route.prefix}/`);
}

/**
 * /metrics is for the operator's scraper: with METRICS_TOKEN set it needs that bearer token;
 * without one, only direct loopback connections (no proxy in between) may read it.
 */
function canReadMetrics(request: IncomingMessage, token: string | undefined): boolean {
  if (token) {
    const supplied = createHash('sha256').update(request.headers.authorization ?? '').digest();
    return timingSafeEqual(supplied, createHash('sha256').update(`Bearer ${token}`).digest());
  }
  return isLoopback(request.socket.remoteAddress) && request.headers['x-forwarded-for'] === undefined;
}

/**
 * The request's path and query, appended to PUBLIC_URL: the target never takes its host from the
 * request (no Host header, no absolute-form request target), so it cannot point anywhere else.
 */
function httpsTarget(publicUrl: string, requestTarget: string | undefined): string {
  if (requestTarget?.startsWith('/')) return publicUrl + requestTarget;
  try {
    const url = new URL(requestTarget ?? '/');
    return publicUrl + url.pathname + url.search;
  } catch {
    return `${publicUrl}/`;
  }
}

function redirectToHttps(request: IncomingMessage, response: ServerResponse, publicUrl: string): void {
  // 308 keeps the method and body; browsers turn a 301 POST into a GET.
  const status = request.method === 'GET' || request.method === 'HEAD' ? 301 : 308;
  response.writeHead(status, { Location: httpsTarget(publicUrl, request.url), 'Content-Length': '0' }).end();
}

export async function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const { logger, metrics } = options;
  const roleLabel = options.roles.join('+');
  const applySecurityHeaders = createSecurityHeaders({ hstsPreload: options.hstsPreload });
  const isHttpsOnly = options.publicUrl.startsWith('https://');
  const protocolOf = createProtocolResolver(options.trustProxy);
  let draining = false;

  const builtIn: Route[] = [
    {
      name: '/healthz',
      prefix: '/healthz',
      methods: ['GET'],
      handler: (_request, response) => sendJson(response, 200, { status: 'ok' }),
    },
    {
      name: '/readyz',
      prefix: '/readyz',
      methods: ['GET'],
      handler: async (_request, response) => {
        const report = await options.readiness();
        const status = draining ? 'down' : report.status;
        sendJson(response, status === 'down' ? 503 : 200, { ...report, status, roles: options.roles, ...(draining ? { draining: true } : {}) });
      },
    },
    {
      name: '/metrics',
      prefix: '/metrics',
      methods: ['GET'],
      handler: async (request, response) => {
        if (!canReadMetrics(request, options.metricsToken)) throw notFound();
        const body = await metrics.registry.metrics();
        response.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' }).end(body);
      },
    },
  ];
  const routes = [...builtIn, ...options.routes];
  // Probes and scrapers speak plain HTTP inside the network, so they are never redirected.
  const isProbe = (route: Route | undefined) => route !== undefined && builtIn.includes(route);

  const server = http.createServer((request, response) => {
    const started = performance.now();
    assignRequestId(request, response);
    applySecurityHeaders(request, response);
    const pathname = (request.url ?? '/').split('?')[0] ?? '/';
    const route = routes.find((candidate) => matches(candidate, pathname));
    const routeName = route?.name ?? 'unmatched';
    response.on('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      metrics.httpRequests.inc({ role: roleLabel, method: request.method ?? 'GET', route: routeName, status: String(response.statusCode) });
      metrics.httpDuration.observe({ role: roleLabel, method: request.method ?? 'GET', route: routeName }, seconds);
      if (routeName !== '/healthz' && routeName !== '/readyz' && routeName !== '/metrics') {
        // No client address and no query string: neither may reach the logs.
        logger.info(
          { requestId: requestIdOf(request), method: request.method, route: routeName, status: response.statusCode, ms: Math.round(seconds * 1000) },
          'request',
        );
      }
    });
    if (draining) response.setHeader('Connection', 'close');
    Promise.resolve()
      .then(() => {
        if (isHttpsOnly && !isProbe(route) && protocolOf(request) !== 'https') return redirectToHttps(request, response, options.publicUrl);
        if (!route) throw notFound(`No route for ${pathname}`);
        if (route.methods && !isAllowed(request.method, route.methods)) throw methodNotAllowed(request.method, route.methods);
        return route.handler(request, response);
      })
      .catch((error: unknown) => sendError(request, response, error, logger));
  });
  // Behind a load balancer, keep-alive must outlast the balancer's idle timeout.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 60_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    async close(deadlineMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = setTimeout(() => server.closeAllConnections(), deadlineMs);
      deadline.unref();
      await closed;
      clearTimeout(deadline);
    },
  };
}
