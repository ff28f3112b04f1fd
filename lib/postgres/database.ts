// The relational database as the app sees it: a pg Pool connected as an unprivileged role.
// The same code serves both backends; only the URL differs (a configured server, or embedded
// PostgreSQL started by this process). Tenant-scoped access (RLS context per transaction) is built
// on transaction() by the API layer.
import pg from 'pg';
import type { HealthCheck } from '../health.js';
import type { Logger } from '../logger.js';
import type { PoolStats } from '../metrics.js';

export type Row = pg.QueryResultRow;
export type DbClient = pg.PoolClient;

export interface Database {
  /** One statement on any pooled connection (no tenant context: system tables only). */
  query<R extends Row = Row>(text: string, values?: readonly unknown[]): Promise<pg.QueryResult<R>>;
  /** Runs fn between BEGIN and COMMIT on one connection; rolls back when fn throws. */
  transaction<T>(fn: (client: DbClient) => Promise<T>): Promise<T>;
  /** A dedicated connection (LISTEN, long transactions). The caller must release() it. */
  connect(): Promise<DbClient>;
  /** The pg Pool itself, for libraries that take one (Agenda's backend); closed by close() only. */
  readonly pool: pg.Pool;
  stats(): PoolStats;
  healthCheck(name?: string): HealthCheck;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  /** Shown in pg_stat_activity, e.g. linkpulse-api. */
  applicationName: string;
  maxConnections?: number;
  /** Server-side cap on any single statement, in ms. */
  statementTimeoutMs?: number;
  logger: Logger;
}

export function createDatabase(options: DatabaseOptions): Database {
  const logger = options.logger.child({ module: 'postgres' });
  const pool = new pg.Pool({
    connectionString: options.url,
    application_name: options.applicationName,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // A transaction left open by a crashed handler must not hold locks forever.
    idle_in_transaction_session_timeout: 60_000,
  });
  // pool.end() resolves once it has asked its idle clients to end, before their connections are
  // closed; close() also waits for those, so that an embedded server stopped next finds none open.
  const connected = new Set<pg.Client>();
  pool.on('connect', (client) => {
    connected.add(client);
    client.once('end', () => connected.delete(client));
  });
  let closing: Promise<void> | undefined;
  // An idle client losing its connection emits on the pool; without a listener that crashes the process.
  pool.on('error', (error: Error & { client?: unknown }) => {
    // pg-pool attaches the whole client (connection parameters, buffers) to the error: not for logs.
    delete error.client;
    if (closing) logger.debug({ err: error }, 'PostgreSQL connection failed while closing');
    else logger.warn({ err: error }, 'idle PostgreSQL connection failed');
  });

  return {
    query: (text, values) => pool.query(text, values as unknown[] | undefined),
    async transaction(fn) {
      const client = await pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw error;
      } finally {
        // A connection whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
        client.release(broken);
      }
    },
    connect: () => pool.connect(),
    pool,
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    healthCheck: (name = 'postgres') => ({
      name,
      required: true,
      async check() {
        await pool.query('SELECT 1');
        return pool.waitingCount > 0 ? { state: 'degraded', detail: `${pool.waitingCount} queries waiting for a connection` } : { state: 'ok' };
      },
    }),
    close() {
      closing ??= (async () => {
        const open = [...connected];
        await pool.end();
        await Promise.all(open.filter((client) => connected.has(client)).map((client) => new Promise((ended) => client.once('end', ended))));
      })();
      return closing;
    },
  };
}

// Node socket errors, PostgreSQL's connection-exception class (08…), and server states that refuse
// or drop connections: shutting down (57P01-57P03), too many connections (53300).
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error|Connection refused/;

/** Whether an error means PostgreSQL cannot be reached right now (worth a retry), not that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return UNAVAILABLE_CODES.has(code) || code.startsWith('08') || UNAVAILABLE_MESSAGES.test(error.message);
}
