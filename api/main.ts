// Composition root of the api role.
import type { Cache } from '../lib/cache/cache.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Role } from '../lib/runtime/role.js';
import { createApiApp } from './app.js';

export interface ApiRoleDeps {
  cache: Cache;
  logger: Logger;
}

export function createApiRole(config: Config, deps: ApiRoleDeps): Role {
  const app = createApiApp(config, deps);
  return { name: 'api', routes: [{ name: '/api', prefix: '/api', handler: app }], healthChecks: [] };
}
