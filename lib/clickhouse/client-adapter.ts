// The analytics store on a ClickHouse server (or anything speaking its HTTP protocol, such as
// `linkpulse clickhouse-http`), through @clickhouse/client.
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClientLogger } from '@clickhouse/client';
import type { Logger } from '../logger.js';
import {
  COMMON_SETTINGS,
  ClickHouseQueryError,
  assertIdentifier,
  assertTableName,
  insertSettings,
  serializeParams,
  stringifyRow,
  toClickHouseError,
  type ClickHouse,
  type Row,
} from './clickhouse.js';
import { CLUSTER_SETTINGS, assertClusterName } from './cluster-tables.js';

export interface ClickHouseServerOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  logger: Logger;
  requestTimeoutMs?: number;
  /**
   * At most this many requests in flight from this process (CLICKHOUSE_MAX_CONNECTIONS); more wait
   * for a free connection. A server refuses queries beyond its own limit (max_concurrent_queries,
   * per user too) instead of queueing them, and one dashboard load asks for some twenty at once.
   */
  maxConnections?: number;
  /** CLICKHOUSE_CLUSTER: the schema is deployed on this cluster (cluster-tables.ts). */
  cluster?: string;
}

/** TOO_MANY_SIMULTANEOUS_QUERIES: the server is busy (other clients count too); a read may try again. */
const TOO_MANY_SIMULTANEOUS_QUERIES = 202;
/**
 * Pauses between tries of a read the server refused as busy: about 6 s in all. Under contention a read
 * can lose the race for a free slot several times in a row (CI saw four refusals within 1.6 s on a
 * loaded machine); a dashboard read is better late than failed.
 */
const BUSY_RETRY_DELAYS_MS = [50, 100, 200, 400, 800, 1_600, 3_200];

/**
 * The client logs every failed request itself; we rethrow those errors to the caller, so its own
 * log goes to our logger at debug level instead of the console.
 */
function clientLoggerClass(logger: Logger): new () => ClientLogger {
  const log = logger.child({ module: 'clickhouse-client' });
  const write = ({ message, args, err }: { message: string; args?: Record<string, unknown>; err?: Error }) =>
    log.debug({ ...args, err: err?.message }, message);
  return class implements ClientLogger {
    trace = write;
    debug = write;
    info = write;
    warn = write;
    error = write;
  };
}

function connect(options: ClickHouseServerOptions, database: string): ClickHouseClient {
  return createClient({
    log: { LoggerClass: clientLoggerClass(options.logger), level: ClickHouseLogLevel.WARN },
    url: options.url,
    username: options.user,
    password: options.password,
    database,
    application: 'linkpulse',
    request_timeout: options.requestTimeoutMs ?? 30_000,
    max_open_connections: options.maxConnections ?? 8,
    clickhouse_settings: options.cluster === undefined ? COMMON_SETTINGS : { ...COMMON_SETTINGS, ...CLUSTER_SETTINGS },
    json: { parse: JSON.parse, stringify: stringifyRow },
  });
}

async function rethrow<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    throw toClickHouseError(error);
  }
}

/** Runs a read again, after a short jittered pause, while the server says it is too busy to take it. */
async function retryWhileBusy<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const delay = BUSY_RETRY_DELAYS_MS[attempt];
      if (!(error instanceof ClickHouseQueryError && error.code === TOO_MANY_SIMULTANEOUS_QUERIES) || delay === undefined) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay / 2 + Math.random() * delay));
    }
  }
}

/** Connects, creating the database when it does not exist yet (the app owns its schema). */
export async function createClickHouseServerAdapter(options: ClickHouseServerOptions): Promise<ClickHouse> {
  assertIdentifier(options.database, 'database name');
  if (options.cluster !== undefined) assertClusterName(options.cluster);
  const bootstrap = connect(options, 'default');
  try {
    await rethrow(bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` }));
  } finally {
    await bootstrap.close();
  }
  const client = connect(options, options.database);
  return {
    kind: 'server',
    database: options.database,
    cluster: options.cluster,
    query<T extends Row = Row>(sql: string, params = {}) {
      return retryWhileBusy(async () => {
        const result = await rethrow(client.query({ query: sql, query_params: serializeParams(params), format: 'JSONEachRow' }));
        return rethrow(result.json<T>());
      });
    },
    async insert(table, rows, insertOptions = {}) {
      assertTableName(table);
      if (rows.length === 0) return;
      await rethrow(
        client.insert({
          table,
          values: rows,
          format: 'JSONEachRow',
          clickhouse_settings: insertSettings(insertOptions),
        }),
      );
    },
    async command(sql, params = {}) {
      await rethrow(client.command({ query: sql, query_params: serializeParams(params) }));
    },
    healthCheck: () => ({
      name: 'clickhouse',
      required: true,
      async check() {
        // ping() does not authenticate; a query proves credentials and the database too.
        await rethrow(client.query({ query: 'SELECT 1', format: 'JSONEachRow' }).then((result) => result.json()));
        return { state: 'ok', detail: 'clickhouse server' };
      },
    }),
    close: () => client.close(),
  };
}
