#!/usr/bin/env node
// The Linkpulse command line.
//   linkpulse start [--role all|ingest|api|consumers|scheduler|dashboard[,...]]
//   linkpulse migrate
//   linkpulse clickhouse-http
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { lockDataDir } from './data-dir-lock.js';
import { createPlatform, startEmbeddedClickHouseHttp } from './platform.js';
import { ROLE_NAMES, type RoleName } from './role.js';
import { installShutdownHandlers } from './shutdown.js';
import { startProcess } from './start.js';
import { loadOrCreateSecrets, secretsFile } from '../secrets.js';
import { VERSION } from '../version.js';

const USAGE = `Linkpulse ${VERSION}

Usage:
  linkpulse start [--role <roles>]   Run roles: all (default) or a comma-separated list of
                                     ingest, api, consumers, scheduler, dashboard
  linkpulse migrate                  Apply PostgreSQL and ClickHouse migrations, then exit
  linkpulse clickhouse-http          Serve the embedded ClickHouse engine over the ClickHouse HTTP
                                     protocol (CLICKHOUSE_HTTP_PORT; read-only analysts)
  linkpulse --version | --help

Configuration comes from environment variables; see README.md.`;

class UsageError extends Error {}

function parseRoles(value: string | undefined): RoleName[] {
  if (value === undefined || value === 'all') return [...ROLE_NAMES];
  const roles = value.split(',').map((role) => role.trim());
  for (const role of roles) {
    if (!(ROLE_NAMES as readonly string[]).includes(role)) {
      throw new UsageError(`unknown role "${role}" (expected all, or some of ${ROLE_NAMES.join(', ')})`);
    }
  }
  return [...new Set(roles)] as RoleName[];
}

async function start(config: Config, roleOption: string | undefined): Promise<void> {
  const running = await startProcess(config, parseRoles(roleOption));
  process.stdout.write(`Linkpulse is running at ${running.url}\n`);
}

async function migrate(config: Config): Promise<void> {
  if (config.databaseUrl && !config.databaseOwnerUrl) {
    throw new UsageError('migrate needs DATABASE_OWNER_URL (a login that may create roles and tables) next to DATABASE_URL');
  }
  const logger = createLogger(config.logLevel, { command: 'migrate' });
  // Starting the backends applies the migrations (PostgreSQL as the owner, then ClickHouse).
  const platform = await createPlatform(
    config,
    { postgres: true, clickhouse: true, bus: false, cache: false, storage: false },
    { logger, metrics: createMetrics(), applicationName: 'linkpulse-migrate' },
  );
  await platform.close();
  process.stdout.write('migrations are up to date\n');
}

async function clickhouseHttp(config: Config): Promise<void> {
  if (config.clickhouse) throw new UsageError('clickhouse-http serves the embedded engine; unset CLICKHOUSE_URL');
  if (!config.clickhouseHttp) throw new UsageError('set CLICKHOUSE_HTTP_PORT (and CLICKHOUSE_HTTP_PASSWORD) to choose where to listen');
  const logger = createLogger(config.logLevel, { command: 'clickhouse-http' });
  const lock = await lockDataDir(config.dataDir);
  let password = config.clickhouseHttp.password;
  if (!password) {
    password = (await loadOrCreateSecrets(config.dataDir)).clickhouseHttpPassword;
    process.stdout.write(`analyst password generated in ${secretsFile(config.dataDir)} (clickhouseHttpPassword)\n`);
  }
  const server = await startEmbeddedClickHouseHttp({ ...config, clickhouseHttp: { ...config.clickhouseHttp, password } }, logger);
  process.stdout.write(`ClickHouse HTTP endpoint at ${server.url} (user ${config.clickhouseHttp.user}, read-only)\n`);
  installShutdownHandlers(
    async () => {
      await server.close();
      await lock.release();
    },
    { logger, timeoutMs: config.shutdownTimeoutMs },
  );
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.role !== undefined && command !== 'start') throw new UsageError('--role applies to `linkpulse start` only');
  const config = loadConfig();
  switch (command) {
    case 'start':
      return start(config, values.role);
    case 'migrate':
      return migrate(config);
    case 'clickhouse-http':
      return clickhouseHttp(config);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`linkpulse: ${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'))) {
    process.stderr.write(`linkpulse: ${error.message}\n\n${USAGE}\n`);
    process.exit(64); // EX_USAGE
  }
  process.stderr.write(`linkpulse: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
