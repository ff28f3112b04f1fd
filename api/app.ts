// The Express application behind /api. Security headers and the request id are applied by the
// process's HTTP server (lib/runtime/http-server.ts) before a request gets here.
import express, { type Express } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Cache } from '../lib/cache/cache.js';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import { VERSION } from '../lib/version.js';
import { errorHandler, notFoundHandler } from './error-handler.js';

export interface ApiDeps {
  cache: Cache;
  logger: Logger;
}

/** Requests per client address per minute across every API route, shared by all instances via Redis. */
const API_REQUESTS_PER_MINUTE = 300;

export function createApiApp(config: Pick<Config, 'trustProxy'>, deps: ApiDeps): Express {
  const logger = deps.logger.child({ module: 'api' });
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: API_REQUESTS_PER_MINUTE,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      store: deps.cache.rateLimitStore('rl:api:'),
      // If the shared store is down, serve rather than fail every request; readiness reports it.
      passOnStoreError: true,
      handler: (_request, _response, next, options) =>
        next(new AppError('RATE_LIMIT', 'Too many requests; slow down and retry later', { retryAfterSeconds: options.windowMs / 1000 })),
    }),
  );
  app.use(express.json({ limit: '100kb' }));

  const v1 = express.Router();
  v1.get('/', (_request, response) => {
    response.set('Cache-Control', 'no-store').json({ name: 'Linkpulse API', version: VERSION });
  });
  app.use('/api/v1', v1);

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;
}
