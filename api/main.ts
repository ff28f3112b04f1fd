// Composition root of the api role.
import type { Config } from '../lib/config.js';
import type { Role } from '../lib/runtime/role.js';
import { createApiApp, type ApiDeps } from './app.js';

export function createApiRole(config: Config, deps: ApiDeps): Role {
  const { app, assetHandler, ogImageHandler } = createApiApp(config, deps);
  return {
    name: 'api',
    // Background mail (reset links) finishes or is given up before the process exits.
    stop: () => deps.mailer.close(),
    routes: [
      { name: '/api', prefix: '/api', handler: app },
      { name: '/assets', prefix: '/assets', methods: ['GET'], handler: assetHandler },
      { name: '/og', prefix: '/og', methods: ['GET'], handler: ogImageHandler },
    ],
  };
}
