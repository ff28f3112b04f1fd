// Composition root of the ingest role: the tracking beacon (POST /e) and the redirect (GET /r/:linkId).
// Start-up loads link targets and salts before any route is served; shutdown flushes events that
// are still waiting for their batch.
import { serveTracker } from './tracker/serve.js';
import { TOPICS } from '../lib/bus/topics.js';
import type { EventBus } from '../lib/bus/event-bus.js';
import type { Cache } from '../lib/cache/cache.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Database } from '../lib/postgres/database.js';
import type { Role } from '../lib/runtime/role.js';
import { createIngestHandlers, ingestRoutes } from './ingest.js';
import { createLinkTargets } from './link-targets.js';
import { createBusBreaker } from './bus-breaker.js';
import { createBatchingPublisher } from './publisher.js';
import { createVisitorIds } from './visitor-ids.js';
import { createVisitorSalts } from './visitor-salts.js';

export interface IngestRoleDeps {
  db: Database;
  bus: EventBus;
  cache: Cache;
  logger: Logger;
  metrics: Metrics;
}

export function createIngestRole(config: Pick<Config, 'publicUrl' | 'trustProxy' | 'hashSecret'>, deps: IngestRoleDeps): Role {
  if (!config.hashSecret) throw new Error('ingest needs HASH_SECRET (generated in embedded mode)');
  const links = createLinkTargets({ db: deps.db, logger: deps.logger });
  const salts = createVisitorSalts({ db: deps.db, logger: deps.logger });
  const breaker = createBusBreaker({ topic: TOPICS.events.name, probe: deps.bus.healthCheck(), metrics: deps.metrics, logger: deps.logger });
  const publisher = createBatchingPublisher(deps.bus, TOPICS.events.name, breaker);
  const handlers = createIngestHandlers({
    links,
    visitorIds: createVisitorIds({ salts, cache: deps.cache }),
    publisher,
    cache: deps.cache,
    metrics: deps.metrics,
    logger: deps.logger,
    hashSecret: config.hashSecret,
    trustProxy: config.trustProxy,
    origin: new URL(config.publicUrl).origin,
  });
  return {
    name: 'ingest',
    routes: [
      ...ingestRoutes(handlers),
      { name: '/t.js', prefix: '/t.js', methods: ['GET'], handler: serveTracker },
    ],
    async start() {
      await Promise.all([links.start(), salts.start()]);
    },
    async stop() {
      salts.stop();
      breaker.stop();
      await publisher.flush();
      await links.stop();
    },
  };
}
