// The analytics store on a ClickHouse server (or anything speaking its HTTP protocol, such as
// `linkpulse clickhouse-http`), through @clickhouse/client.
import { ClickHouseLogLevel, createClient, type ClickHouseClient, type Logger as ClientLogger } from '@clickhouse/client';
import type { Logger } from '../logger.js';
import {
  COMMON_SETTINGS,
  assertIdentifier,
  assertTableName,
  insertSettings,
  serializeParams,
  stringifyRow,
  toClickHouseError,
  type ClickHouse,
  type Row,
} from './clickhouse.js';

export interface ClickHouseServerOptions {
  url: string;
  user: string;
  password: string;
  database: string;
  logger: Logger;
  requestTimeoutMs?: number;
}

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
    max_open_connections: 10,
    clickhouse_settings: COMMON_SETTINGS,
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

/** Connects, creating the database when it does not exist yet (the app owns its schema). */
export async function createClickHouseServerAdapter(options: ClickHouseServerOptions): Promise<ClickHouse> {
  assertIdentifier(options.database, 'database name');
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
    async query<T extends Row = Row>(sql: string, params = {}) {
      const result = await rethrow(client.query({ query: sql, query_params: serializeParams(params), format: 'JSONEachRow' }));
      return rethrow(result.json<T>());
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
