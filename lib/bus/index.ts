// Picks the event bus: Kafka when KAFKA_BROKERS is configured, otherwise the PostgreSQL queue.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Database } from '../postgres/database.js';
import type { EventBus } from './event-bus.js';
import { createKafkaBus } from './kafka-bus.js';
import { createPostgresBus } from './postgres-bus.js';

export function createEventBus(config: Pick<Config, 'kafka'>, deps: { db: Database | undefined; logger: Logger; metrics: Metrics }): EventBus {
  if (config.kafka) return createKafkaBus({ ...config.kafka, logger: deps.logger, metrics: deps.metrics });
  if (!deps.db) throw new Error('the PostgreSQL event bus needs a database');
  return createPostgresBus({ db: deps.db, logger: deps.logger, metrics: deps.metrics });
}
