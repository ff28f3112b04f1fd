#!/usr/bin/env node
// The Linkpulse command line.
//   linkpulse start [--role all|ingest|api|consumers|scheduler|dashboard[,...]]
//   linkpulse migrate
//   linkpulse clickhouse-http
//   linkpulse admin grant|revoke <email>
//   linkpulse demo [--events <n>]
//   linkpulse analytics verify|rebuild [--from <date>] [--to <date>]
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ConfigError, loadConfig, type Config } from '../lib/config.js';
import { DEMO_CREDENTIALS } from '../lib/demo-account.js';
import { seedDemo } from './demo/seed-demo.js';
import { AnalyticsDataError, AnalyticsUsageError, rebuildCommand, verifyCommand } from './analytics-command.js';
import { createLogger } from '../lib/logger.js';
import { createMetrics } from '../lib/metrics.js';
import { lockDataDir } from '../lib/runtime/data-dir-lock.js';
import { createPlatform, startEmbeddedClickHouseHttp } from './platform.js';
import { ROLE_NAMES, type RoleName } from '../lib/runtime/role.js';
import { installShutdownHandlers } from '../lib/runtime/shutdown.js';
import { startProcess } from './start.js';
import { runningEmbeddedPostgresUrl, startEmbeddedPostgres } from '../lib/postgres/embedded.js';
import { migratePostgres } from '../lib/postgres/migrate.js';
import { loadOrCreateSecrets, secretsFile } from '../lib/secrets.js';
import { VERSION } from '../lib/version.js';

const USAGE = `Linkpulse ${VERSION}

Usage:
  linkpulse start [--role <roles>]   Run roles: all (default) or a comma-separated list of
                                     ingest, api, consumers, scheduler, dashboard
  linkpulse migrate                  Apply PostgreSQL and ClickHouse migrations, then exit
  linkpulse clickhouse-http          Serve the embedded ClickHouse engine over the ClickHouse HTTP
                                     protocol (CLICKHOUSE_HTTP_PORT; read-only analysts)
  linkpulse admin grant <email>      Make an account an admin (reads the security audit log and
  linkpulse admin revoke <email>     operational views); needs DATABASE_OWNER_URL in scaled mode
  linkpulse demo [--events <n>]      Start like \`start\`, then add a demo creator, a published @demo
                                     page and --events (300000) generated analytics events over 90
                                     days; prints the login. Idempotent. Not with NODE_ENV=production
  linkpulse analytics verify [--from <d>] [--to <d>]
                                     Compare every aggregate table with the raw events over
                                     closed periods (default: the last two UTC days); print each
                                     difference; exit 1 if there is one
  linkpulse analytics rebuild --from <d> --to <d>
                                     Recompute every aggregate table from the raw events over
                                     closed periods of the range (d: 2026-12-01 or an ISO date-time)
  linkpulse --version | --help

Configuration comes from environment variables; see README.md.`;

class UsageError extends Error {}
/** A command that ran but could not do what was asked; exits with its sysexits.h code. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

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

/** Everything `start` runs, plus a demo creator with a page and months of traffic (server/demo/). */
async function demo(config: Config, eventsOption: string | undefined): Promise<void> {
  // The account's password is printed in the README: never on a server others can reach.
  if (config.isProduction) throw new UsageError('demo creates an account with a published password; it refuses NODE_ENV=production');
  const events = eventsOption === undefined ? 300_000 : Number(eventsOption);
  if (!Number.isInteger(events) || events < 0) throw new UsageError(`--events must be a whole number (got "${eventsOption}")`);
  const running = await startProcess(config, [...ROLE_NAMES]);
  process.stdout.write(`Linkpulse is running at ${running.url}; seeding the demo…\n`);
  const seeded = await seedDemo({
    baseUrl: running.url,
    origin: new URL(config.publicUrl).origin,
    clickhouse: running.platform.clickhouse!,
    events,
    onProgress: (message) => process.stdout.write(`  ${message}\n`),
  });
  const site = config.publicUrl;
  process.stdout.write(
    [
      '',
      'The demo is ready:',
      `  log in      ${site}/login`,
      `              email ${DEMO_CREDENTIALS.email}   password ${DEMO_CREDENTIALS.password}`,
      `  public page ${site}/@${seeded.handle}`,
      `  analytics   ${site}/dashboard/${seeded.profileId}/analytics`,
      `  (${seeded.eventsTotal.toLocaleString('en-US')} events over 90 days; GitHub cards stay "pending" until the scheduler reaches api.github.com)`,
      '',
    ].join('\n'),
  );
}

async function migrate(config: Config): Promise<void> {
  if (config.databaseUrl && !config.databaseOwnerUrl) {
    throw new UsageError('migrate needs DATABASE_OWNER_URL (a login that may create roles and tables) next to DATABASE_URL');
  }
  const logger = createLogger(config.logLevel, { command: 'migrate' });
  // Starting the backends applies the migrations (PostgreSQL as the owner, then ClickHouse).
  const platform = await createPlatform(
    config,
    { postgres: 'required', schedulerPostgres: false, clickhouse: 'required', bus: false, cache: false, storage: false },
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

/**
 * Runs fn with a URL of the migrating login: DATABASE_OWNER_URL in scaled mode; in embedded mode the
 * superuser of the server a running process started on DATA_DIR, or of one started here for fn.
 */
async function withOwnerDatabase(config: Config, fn: (ownerUrl: string) => Promise<void>): Promise<void> {
  if (config.databaseUrl) {
    if (!config.databaseOwnerUrl) throw new UsageError('this command needs DATABASE_OWNER_URL next to DATABASE_URL');
    return fn(config.databaseOwnerUrl);
  }
  const secrets = await loadOrCreateSecrets(config.dataDir);
  const running = await runningEmbeddedPostgresUrl(config.dataDir, secrets.postgresSuperuserPassword);
  if (running) return fn(running);
  const lock = await lockDataDir(config.dataDir);
  const logger = createLogger(config.logLevel, { command: 'admin' });
  try {
    const server = await startEmbeddedPostgres({ dataDir: config.dataDir, superuserPassword: secrets.postgresSuperuserPassword, logger });
    try {
      await migratePostgres({ ownerUrl: server.superuserUrl(), logger });
      await fn(server.superuserUrl());
    } finally {
      await server.stop();
    }
  } finally {
    await lock.release();
  }
}

async function admin(config: Config, action: string | undefined, email: string | undefined): Promise<void> {
  if ((action !== 'grant' && action !== 'revoke') || !email) throw new UsageError('usage: linkpulse admin grant|revoke <email>');
  await withOwnerDatabase(config, async (ownerUrl) => {
    const client = new pg.Client({ connectionString: ownerUrl, application_name: 'linkpulse-admin' });
    await client.connect();
    try {
      const { rows } = await client.query<{ found: boolean }>('SELECT admin_set_role($1, $2) AS found', [email, action === 'grant' ? 'admin' : 'creator']);
      if (!rows[0]?.found) throw new CommandError(`no account has the email address ${email}`, 67); // EX_NOUSER
    } finally {
      await client.end();
    }
  });
  process.stdout.write(action === 'grant' ? `${email} is now an admin\n` : `${email} is no longer an admin\n`);
}

/** `linkpulse analytics verify|rebuild`: opens ClickHouse, the bus (which periods are closed) and PostgreSQL (the maintenance lock). */
async function analytics(config: Config, action: string | undefined, options: { from?: string; to?: string }): Promise<void> {
  if (action !== 'verify' && action !== 'rebuild') throw new UsageError('usage: linkpulse analytics verify|rebuild [--from <date>] [--to <date>]');
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { command: `analytics ${action}` });
  const platform = await createPlatform(
    config,
    { postgres: 'required', schedulerPostgres: false, clickhouse: 'required', bus: 'required', cache: false, storage: false },
    { logger, metrics: createMetrics(), applicationName: 'linkpulse-analytics' },
  );
  try {
    const deps = {
      clickhouse: platform.clickhouse!,
      bus: platform.bus!,
      // Embedded: this process holds DATA_DIR, so no other can be rebuilding.
      db: config.databaseUrl ? platform.db : undefined,
      group: config.eventsConsumerGroup,
      retentionDays: config.analyticsRetentionDays,
      write: (line: string) => process.stdout.write(`${line}\n`),
    };
    const exitCode = await (action === 'verify' ? verifyCommand(deps, options) : rebuildCommand(deps, options));
    if (exitCode !== 0) process.exitCode = exitCode;
  } catch (error) {
    if (error instanceof AnalyticsUsageError) throw new UsageError(error.message);
    if (error instanceof AnalyticsDataError) throw new CommandError(error.message, 65); // EX_DATAERR
    throw error;
  } finally {
    await platform.close();
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      events: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
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
  if (values.events !== undefined && command !== 'demo') throw new UsageError('--events applies to `linkpulse demo` only');
  if ((values.from !== undefined || values.to !== undefined) && command !== 'analytics') throw new UsageError('--from and --to apply to `linkpulse analytics` only');
  const config = loadConfig();
  switch (command) {
    case 'start':
      return start(config, values.role);
    case 'migrate':
      return migrate(config);
    case 'clickhouse-http':
      return clickhouseHttp(config);
    case 'admin':
      return admin(config, positionals[1], positionals[2]);
    case 'demo':
      return demo(config, values.events);
    case 'analytics':
      return analytics(config, positionals[1], { from: values.from, to: values.to });
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
  if (error instanceof CommandError) {
    process.stderr.write(`linkpulse: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`linkpulse: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
