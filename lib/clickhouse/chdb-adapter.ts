// The analytics store in this process: chDB runs the ClickHouse engine on a data directory
// (DATA_DIR/clickhouse). Only asynchronous chDB calls are used (they run on libuv's thread pool), so
// analytics work never blocks the event loop that ingest and the API share.
import { Session } from 'chdb';
import type { Logger } from '../logger.js';
import {
  COMMON_SETTINGS,
  assertIdentifier,
  assertTableName,
  insertSettings,
  parseJsonEachRow,
  serializeParams,
  toClickHouseError,
  toJsonEachRow,
  type ClickHouse,
  type Row,
} from './clickhouse.js';

export interface ChdbOptions {
  /** Data directory; one per process (chDB binds a single data path per process). */
  path: string;
  database: string;
  logger: Logger;
}

/** COMMON_SETTINGS as clickhouse-local command-line arguments, applied to a connection when it opens. */
export const CHDB_CONNECTION_ARGS = Object.entries(COMMON_SETTINGS).map(([name, value]) => `--${name}=${value}`);

export async function createChdbAdapter(options: ChdbOptions): Promise<ClickHouse> {
  assertIdentifier(options.database, 'database name');
  const session = new Session(options.path, { connectionArgs: CHDB_CONNECTION_ARGS });
  // Closing a chDB connection while an operation runs on it aborts the engine, so close() waits for
  // every operation this adapter started.
  const inFlight = new Set<Promise<unknown>>();
  const track = async <T>(operation: Promise<T>): Promise<T> => {
    inFlight.add(operation);
    try {
      return await operation;
    } catch (error) {
      throw toClickHouseError(error);
    } finally {
      inFlight.delete(operation);
    }
  };
  await track(session.queryAsync(`CREATE DATABASE IF NOT EXISTS ${options.database}`));
  await track(session.queryAsync(`USE ${options.database}`));
  let closed = false;

  return {
    kind: 'embedded',
    database: options.database,
    async query<T extends Row = Row>(sql: string, params = {}) {
      const result = await track(
        Object.keys(params).length > 0
          ? session.queryBindAsync(sql, serializeParams(params), { format: 'JSONEachRow' })
          : session.queryAsync(sql, { format: 'JSONEachRow' }),
      );
      return parseJsonEachRow<T>(result.text());
    },
    async insert(table, rows, insertOptions = {}) {
      assertTableName(table);
      if (rows.length === 0) return;
      // Encoding yields to the event loop, so it is tracked too: close() waits for it and its insert.
      await track(
        (async () =>
          session.insert({
            table,
            values: Buffer.from(await toJsonEachRow(rows)),
            format: 'JSONEachRow',
            settings: insertSettings(insertOptions),
          }))(),
      );
    },
    async command(sql, params = {}) {
      await track(Object.keys(params).length > 0 ? session.queryBindAsync(sql, serializeParams(params)) : session.queryAsync(sql));
    },
    healthCheck: () => ({
      name: 'clickhouse',
      required: true,
      async check() {
        await track(session.queryAsync('SELECT 1'));
        return { state: 'ok', detail: 'embedded (chDB)' };
      },
    }),
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...inFlight]);
      session.close();
    },
  };
}
