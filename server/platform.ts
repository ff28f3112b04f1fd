// Builds the backends a process needs, from configuration: a configured server when its variable is
// set, an embedded engine when not (docs/architecture.md, "Backends"). Only what the selected roles use is
// started. Everything opened is closed in reverse order, also when start-up fails half-way.
import path from 'node:path';
import { ALL_TOPICS } from '../lib/bus/topics.js';
import type { EventBus } from '../lib/bus/event-bus.js';
import { createEventBus } from '../lib/bus/index.js';
import { createCache } from '../lib/cache/index.js';
import type { Cache } from '../lib/cache/cache.js';
import { createChdbAdapter } from '../lib/clickhouse/chdb-adapter.js';
import type { ClickHouse } from '../lib/clickhouse/clickhouse.js';
import { createClickHouseServerAdapter } from '../lib/clickhouse/client-adapter.js';
import { startClickHouseHttpServer, type ClickHouseHttpServer, type ClickHouseHttpUser } from '../lib/clickhouse/http-server.js';
import { migrateClickHouse } from '../lib/clickhouse/migrate.js';
import { applyRawRetention } from '../lib/clickhouse/retention.js';
import type { Config } from '../lib/config.js';
import type { HealthCheck } from '../lib/health.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { createDatabase, type Database } from '../lib/postgres/database.js';
import { startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { APP_ROLE, SCHEDULER_ROLE, assertUnprivilegedRole, migratePostgres, pendingPostgresMigrations, type LoginRole } from '../lib/postgres/migrate.js';
import { loadOrCreateSecrets, type EmbeddedSecrets } from '../lib/secrets.js';
import { createObjectStorage } from '../lib/storage/index.js';
import type { ObjectStorage } from '../lib/storage/object-storage.js';
import { lockDataDir } from '../lib/runtime/data-dir-lock.js';
import type { RoleName } from '../lib/runtime/role.js';

/**
 * How a process uses a backend: not at all, 'optional' (its requests mostly work without it: /readyz
 * says degraded while it is down) or 'required' (its requests fail without it: /readyz answers 503,
 * so a load balancer sends them elsewhere).
 */
export type Need = false | 'optional' | 'required';

export interface PlatformNeeds {
  postgres: Need;
  /** A pool connected as linkpulse_scheduler, for the scheduler's jobs. */
  schedulerPostgres: Need;
  clickhouse: Need;
  bus: Need;
  cache: Need;
  storage: Need;
}

/** Which backends each role uses, and which of them its requests cannot do without. */
const ROLE_NEEDS: Record<RoleName, Partial<PlatformNeeds>> = {
  // Beacons and redirects are served from memory (link targets, salts) and need only the bus.
  ingest: { postgres: 'optional', bus: 'required', cache: 'optional' },
  // Every API request needs PostgreSQL (auth, RLS); only analytics needs ClickHouse, only uploads storage.
  api: { postgres: 'required', clickhouse: 'optional', cache: 'optional', storage: 'optional' },
  consumers: { bus: 'required', clickhouse: 'required' },
  // Agenda lives in PostgreSQL; the bus only tells the reconciler which periods the consumers finished.
  scheduler: { postgres: 'required', schedulerPostgres: 'required', clickhouse: 'optional', bus: 'optional', storage: 'optional' },
  // Public pages come from the cache when PostgreSQL is down.
  dashboard: { postgres: 'optional', cache: 'optional' },
};

const strongest = (a: Need, b: Need | undefined): Need => (a === 'required' || b === 'required' ? 'required' : a || b || false);

export function needsOf(roles: readonly RoleName[], config: Pick<Config, 'kafka'>): PlatformNeeds {
  const needs: PlatformNeeds = { postgres: false, schedulerPostgres: false, clickhouse: false, bus: false, cache: false, storage: false };
  for (const role of roles) {
    for (const backend of Object.keys(needs) as (keyof PlatformNeeds)[]) needs[backend] = strongest(needs[backend], ROLE_NEEDS[role][backend]);
  }
  // Without Kafka the bus is a PostgreSQL queue: PostgreSQL is then needed as much as the bus.
  if (needs.bus && !config.kafka) needs.postgres = strongest(needs.postgres, needs.bus);
  return needs;
}

/** The backend's own check, required or not as the process's roles need it. */
const checkAs = (check: HealthCheck, need: Need): HealthCheck => ({ ...check, required: need === 'required' });

export interface Platform {
  /** The configuration with embedded-mode secrets filled in. */
  config: Config;
  db: Database | undefined;
  /** Connected as linkpulse_scheduler; only with the scheduler role. */
  schedulerDb: Database | undefined;
  clickhouse: ClickHouse | undefined;
  bus: EventBus | undefined;
  cache: Cache | undefined;
  storage: ObjectStorage | undefined;
  clickhouseHttp: ClickHouseHttpServer | undefined;
  healthChecks: HealthCheck[];
  close(): Promise<void>;
}

export interface PlatformOptions {
  logger: Logger;
  metrics: Metrics;
  /** Application name prefix for database connections, e.g. linkpulse-api. */
  applicationName: string;
}

function loginPasswordFrom(url: string | undefined, role: LoginRole): Partial<Record<LoginRole, string>> {
  if (!url) return {};
  const parsed = new URL(url);
  return decodeURIComponent(parsed.username) === role && parsed.password ? { [role]: decodeURIComponent(parsed.password) } : {};
}

export async function createPlatform(baseConfig: Config, needs: PlatformNeeds, options: PlatformOptions): Promise<Platform> {
  const { logger, metrics } = options;
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  const healthChecks: HealthCheck[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) {
      await closer.close().catch((error: unknown) => logger.error({ err: error, what: closer.name }, 'error while closing'));
    }
    closers.length = 0;
  };

  try {
    const embeddedPostgres = needs.postgres && !baseConfig.databaseUrl;
    const embeddedClickHouse = needs.clickhouse && !baseConfig.clickhouse;
    const needsSecretsFile =
      embeddedPostgres || !baseConfig.sessionSecret || !baseConfig.hashSecret || (baseConfig.clickhouseHttp !== undefined && !baseConfig.clickhouseHttp.password);
    const secrets: EmbeddedSecrets | undefined = needsSecretsFile ? await loadOrCreateSecrets(baseConfig.dataDir) : undefined;
    const config: Config = {
      ...baseConfig,
      sessionSecret: baseConfig.sessionSecret ?? secrets?.sessionSecret,
      hashSecret: baseConfig.hashSecret ?? secrets?.hashSecret,
      clickhouseHttp: baseConfig.clickhouseHttp && {
        ...baseConfig.clickhouseHttp,
        password: baseConfig.clickhouseHttp.password ?? secrets?.clickhouseHttpPassword,
      },
    };

    if (embeddedPostgres || embeddedClickHouse) {
      const lock = await lockDataDir(config.dataDir);
      closers.push({ name: 'DATA_DIR lock', close: () => lock.release() });
    }

    let db: Database | undefined;
    let schedulerDb: Database | undefined;
    if (needs.postgres) {
      let appUrl = config.databaseUrl;
      let ownerUrl = config.databaseOwnerUrl;
      let schedulerUrl = config.schedulerDatabaseUrl;
      let loginPasswords: Partial<Record<LoginRole, string>> = { ...loginPasswordFrom(appUrl, APP_ROLE), ...loginPasswordFrom(schedulerUrl, SCHEDULER_ROLE) };
      if (embeddedPostgres) {
        const server = await startEmbeddedPostgres({ dataDir: config.dataDir, superuserPassword: secrets!.postgresSuperuserPassword, logger });
        closers.push({ name: 'embedded PostgreSQL', close: () => server.stop() });
        ownerUrl = server.superuserUrl();
        appUrl = server.urlFor(APP_ROLE, secrets!.postgresAppPassword);
        schedulerUrl = server.urlFor(SCHEDULER_ROLE, secrets!.postgresSchedulerPassword);
        loginPasswords = { [APP_ROLE]: secrets!.postgresAppPassword, [SCHEDULER_ROLE]: secrets!.postgresSchedulerPassword };
      }
      if (ownerUrl) {
        await migratePostgres({ ownerUrl, loginPasswords, logger });
      } else {
        const pending = await pendingPostgresMigrations(appUrl!);
        if (pending.length > 0) {
          throw new Error(`the PostgreSQL schema is behind (${pending.join(', ')} pending): run \`linkpulse migrate\` with DATABASE_OWNER_URL set`);
        }
      }
      await assertUnprivilegedRole(appUrl!);
      db = createDatabase({ url: appUrl!, applicationName: options.applicationName, logger });
      const pool = db;
      closers.push({ name: 'PostgreSQL pool', close: () => pool.close() });
      metrics.registerPool('postgres', () => pool.stats());
      healthChecks.push(checkAs(pool.healthCheck(), needs.postgres));
      if (needs.schedulerPostgres) {
        if (!schedulerUrl) throw new Error('the scheduler role needs SCHEDULER_DATABASE_URL (the linkpulse_scheduler login) next to DATABASE_URL');
        await assertUnprivilegedRole(schedulerUrl, 'SCHEDULER_DATABASE_URL');
        schedulerDb = createDatabase({ url: schedulerUrl, applicationName: `${options.applicationName}-scheduler`, logger });
        const schedulerPool = schedulerDb;
        closers.push({ name: 'PostgreSQL scheduler pool', close: () => schedulerPool.close() });
        metrics.registerPool('postgres_scheduler', () => schedulerPool.stats());
        healthChecks.push(checkAs(schedulerPool.healthCheck('postgres_scheduler'), needs.schedulerPostgres));
      }
    }

    let clickhouse: ClickHouse | undefined;
    let clickhouseHttp: ClickHouseHttpServer | undefined;
    if (needs.clickhouse) {
      clickhouse = config.clickhouse
        ? await createClickHouseServerAdapter({ ...config.clickhouse, database: config.clickhouseDatabase, logger })
        : await createChdbAdapter({ path: path.join(config.dataDir, 'clickhouse'), database: config.clickhouseDatabase, logger });
      const analytics = clickhouse;
      closers.push({ name: 'ClickHouse', close: () => analytics.close() });
      await migrateClickHouse(clickhouse, { logger });
      await applyRawRetention(clickhouse, config.analyticsRetentionDays, logger);
      healthChecks.push(checkAs(clickhouse.healthCheck(), needs.clickhouse));
      if (embeddedClickHouse && config.clickhouseHttp) {
        clickhouseHttp = await startEmbeddedClickHouseHttp(config, logger);
        const endpoint = clickhouseHttp;
        closers.push({ name: 'ClickHouse HTTP endpoint', close: () => endpoint.close() });
      }
    }

    let bus: EventBus | undefined;
    if (needs.bus) {
      bus = createEventBus(config, { db, logger, metrics });
      const eventBus = bus;
      closers.push({ name: 'event bus', close: () => eventBus.close() });
      await bus.ensureTopics(ALL_TOPICS);
      healthChecks.push(checkAs(bus.healthCheck(), needs.bus));
    }

    let cache: Cache | undefined;
    if (needs.cache) {
      cache = createCache(config, logger);
      const store = cache;
      closers.push({ name: 'cache', close: () => store.close() });
      healthChecks.push(checkAs(cache.healthCheck(), needs.cache));
    }

    let storage: ObjectStorage | undefined;
    if (needs.storage) {
      storage = await createObjectStorage(config, logger);
      const objects = storage;
      closers.push({ name: 'object storage', close: () => objects.close() });
      healthChecks.push(checkAs(storage.healthCheck(), needs.storage));
    }

    return { config, db, schedulerDb, clickhouse, bus, cache, storage, clickhouseHttp, healthChecks, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The embedded engine's ClickHouse HTTP endpoint (CLICKHOUSE_HTTP_PORT): analysts read-only, plus an optional writer. */
export async function startEmbeddedClickHouseHttp(config: Config, logger: Logger): Promise<ClickHouseHttpServer> {
  const http = config.clickhouseHttp;
  if (!http?.password) throw new Error('CLICKHOUSE_HTTP_PORT is set but no analyst password is available');
  const users: ClickHouseHttpUser[] = [{ name: http.user, password: http.password, readonly: true }];
  if (http.writerPassword) users.push({ name: http.writerUser, password: http.writerPassword, readonly: false });
  return startClickHouseHttpServer({
    path: path.join(config.dataDir, 'clickhouse'),
    users,
    defaultDatabase: config.clickhouseDatabase,
    host: http.host,
    port: http.port,
    logger,
  });
}
