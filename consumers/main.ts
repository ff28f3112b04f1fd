// Composition root of the consumers role: events_v1 → enrichment → ClickHouse (events.consumer.ts).
// The geo database is opened at start-up (GEOIP_CITY_DB, or the bundled DB-IP Lite City database).
import type { EventBus } from '../lib/bus/event-bus.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { Role } from '../lib/runtime/role.js';
import { createEventsConsumer, type EventsConsumer } from './events.consumer.js';
import { createEnricher } from './steps/enrich.step.js';
import { createGeoResolver, type GeoResolver } from './steps/resolve-geo.step.js';

export interface ConsumersRoleDeps {
  bus: EventBus;
  clickhouse: ClickHouse;
  metrics: Metrics;
  logger: Logger;
}

export function createConsumersRole(config: Pick<Config, 'geoipCityDb' | 'eventsConsumerGroup'>, deps: ConsumersRoleDeps): Role {
  let geo: GeoResolver | undefined;
  let consumer: EventsConsumer | undefined;
  return {
    name: 'consumers',
    routes: [],
    async start() {
      geo = await createGeoResolver(config.geoipCityDb ? { cityDatabasePath: config.geoipCityDb } : {});
      consumer = createEventsConsumer({ ...deps, group: config.eventsConsumerGroup, enricher: createEnricher({ geo }) });
      await consumer.start();
    },
    async stop() {
      await consumer?.stop();
      geo?.close();
    },
  };
}
