// The process's real HTTP server (security headers, request ids, HTTPS redirect, error envelope)
// around a test's routes, with defaults for what a test does not care about.
import { createMetrics } from '../metrics.js';
import { startHttpServer, type HttpServerOptions, type RunningHttpServer } from '../runtime/http-server.js';
import type { Route } from '../runtime/role.js';
import { testLogger } from './services.js';

export function startTestHttpServer(routes: readonly Route[], options: Partial<Omit<HttpServerOptions, 'routes'>> = {}): Promise<RunningHttpServer> {
  return startHttpServer({
    host: '127.0.0.1',
    port: 0,
    roles: ['test'],
    readiness: async () => ({ status: 'ok', dependencies: {} }),
    metricsToken: undefined,
    publicUrl: 'http://localhost:3000',
    trustProxy: false,
    hstsPreload: false,
    logger: testLogger,
    metrics: createMetrics(),
    ...options,
    routes,
  });
}
