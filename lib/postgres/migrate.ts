// PostgreSQL schema management with node-pg-migrate (SQL files in migrations/).
//
// The migrating login (DATABASE_OWNER_URL, or the embedded superuser) runs the migrations that create
// roles (*_roles.sql); every other migration runs after SET ROLE linkpulse_owner, so all objects
// belong to a NOLOGIN owner and never to a role anything connects as. Then the login roles get their
// passwords (sent as SCRAM verifiers, so the plain password never reaches the server or its logs).
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import type { Logger } from '../logger.js';
import { POSTGRES_MIGRATIONS_DIR } from '../paths.js';

export const OWNER_ROLE = 'linkpulse_owner';
export const APP_ROLE = 'linkpulse_app';
/** NOLOGIN; the app switches to it (SET LOCAL ROLE) to read published profiles as an anonymous visitor. */
export const PUBLIC_READER_ROLE = 'linkpulse_public';
export const SCHEDULER_ROLE = 'linkpulse_scheduler';
export type LoginRole = typeof APP_ROLE | typeof SCHEDULER_ROLE;

const MIGRATIONS_TABLE = 'pgmigrations';
const MIGRATION_FILE = /^\d+_[a-z0-9_]+\.sql$/;
/** node-pg-migrate ignores files matching this (anchored by it): everything but NNNN_name.sql (e.g. README.md). */
const IGNORE_NON_MIGRATIONS = '(?!\\d+_[a-z0-9_]+\\.sql$).*';

export interface PostgresMigrationOptions {
  /** A login allowed to create roles (the *_roles migrations) and act as linkpulse_owner. */
  ownerUrl: string;
  /** Passwords to give the login roles, when known (from DATABASE_URL or embedded secrets). */
  loginPasswords?: Partial<Record<LoginRole, string>>;
  logger: Logger;
  dir?: string;
}

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's format (RFC 5803), as psql's \password computes it.
 * Only for printable-ASCII passwords, where the server's SASLprep normalisation is the identity.
 */
export function scramVerifier(password: string, salt = randomBytes(16), iterations = 4096): string {
  const saltedPassword = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', saltedPassword).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', saltedPassword).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

async function migrationNames(dir: string): Promise<string[]> {
  return (await readdir(dir))
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => path.basename(file, '.sql'));
}

/**
 * Migrations named NNNN_*_roles.sql (and 0001_roles.sql) create cluster-wide roles and role
 * memberships, so they run as the migrating login; every other migration runs as linkpulse_owner.
 */
const RUNS_AS_LOGIN = /(^|_)roles$/;

/** Applies every pending migration; safe to run concurrently (node-pg-migrate takes an advisory lock). */
export async function migratePostgres(options: PostgresMigrationOptions): Promise<string[]> {
  const logger = options.logger.child({ module: 'postgres-migrate' });
  const dir = options.dir ?? POSTGRES_MIGRATIONS_DIR;
  const client = new pg.Client({ connectionString: options.ownerUrl, application_name: 'linkpulse-migrate' });
  await client.connect();
  const migrationLogger = {
    debug: () => undefined,
    info: (message: string) => logger.debug(message),
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.error(message),
  };
  // One file at a time with `file`: node-pg-migrate re-reads the ledger under its advisory lock, so a
  // concurrent migrator that applied a file first makes this call a no-op instead of a second run.
  const run = (file: string) =>
    runner({
      dbClient: client,
      dir,
      direction: 'up',
      file,
      migrationsTable: MIGRATIONS_TABLE,
      ignorePattern: IGNORE_NON_MIGRATIONS,
      checkOrder: true,
      singleTransaction: true,
      advisoryLockMode: 'wait',
      logger: migrationLogger,
    });
  try {
    const applied: string[] = [];
    for (const name of await pendingMigrationNames(client, dir)) {
      const asLogin = RUNS_AS_LOGIN.test(name);
      if (!asLogin) await client.query(`SET ROLE ${OWNER_ROLE}`);
      applied.push(...(await run(name)).map((migration) => migration.name));
      if (!asLogin) await client.query('RESET ROLE');
    }
    // Processes starting together all set the logins' passwords: one at a time (concurrent ALTER ROLE
    // of one role fails with "tuple concurrently updated").
    await client.query('BEGIN');
    try {
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('linkpulse:login-passwords', 0))");
      for (const [role, password] of Object.entries(options.loginPasswords ?? {})) {
        if (!password) continue;
        const secret = /^[\x20-\x7e]+$/.test(password) ? scramVerifier(password) : password;
        await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} WITH LOGIN PASSWORD ${client.escapeLiteral(secret)}`);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
    if (applied.length > 0) logger.info({ applied }, 'PostgreSQL migrations applied');
    return applied;
  } finally {
    await client.end();
  }
}

async function pendingMigrationNames(client: pg.ClientBase, dir: string): Promise<string[]> {
  const exists = await client.query<{ present: boolean }>(`SELECT to_regclass('public.${MIGRATIONS_TABLE}') IS NOT NULL AS present`);
  const applied = new Set<string>();
  if (exists.rows[0]?.present) {
    const { rows } = await client.query<{ name: string }>(`SELECT name FROM public.${MIGRATIONS_TABLE}`);
    for (const row of rows) applied.add(row.name);
  }
  return (await migrationNames(dir)).filter((name) => !applied.has(name));
}

/** Migrations not yet applied to the database `url` points at (readable by the runtime roles). */
export async function pendingPostgresMigrations(url: string, dir = POSTGRES_MIGRATIONS_DIR): Promise<string[]> {
  const client = new pg.Client({ connectionString: url, application_name: 'linkpulse-schema-check' });
  await client.connect();
  try {
    return await pendingMigrationNames(client, dir);
  } finally {
    await client.end();
  }
}

/**
 * Refuses to run the app as a role that could bypass Row-Level Security: superuser, BYPASSRLS, or
 * the owner of any table (owners skip RLS unless FORCE is set, and FORCE is easy to forget).
 */
/** Refuses a connection whose role could bypass RLS; `variable` names the setting in the message. */
export async function assertUnprivilegedRole(url: string, variable = 'DATABASE_URL'): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'linkpulse-role-check' });
  await client.connect();
  try {
    const { rows } = await client.query<{ role: string; rolsuper: boolean; rolbypassrls: boolean; owned: string; inherits_visitor: boolean }>(
      `SELECT r.rolname AS role, r.rolsuper, r.rolbypassrls,
              (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind IN ('r', 'p', 'v', 'm')) AS owned,
              EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AND pg_has_role(current_user, $1, 'USAGE') AS inherits_visitor
         FROM pg_roles r WHERE r.rolname = current_user`,
      [PUBLIC_READER_ROLE],
    );
    const role = rows[0];
    if (!role) throw new Error('cannot read the current role');
    if (role.rolsuper || role.rolbypassrls || Number(role.owned) > 0) {
      throw new Error(
        `${variable} connects as ${role.role}, which is a superuser, has BYPASSRLS or owns tables; ` +
          `connect as the role the migrations created for it (${APP_ROLE}, ${SCHEDULER_ROLE}) so Row-Level Security applies`,
      );
    }
    // Inheriting the visitor role would apply its policies (everyone's published profiles) to every
    // signed-in query; the app must switch to it explicitly (SET LOCAL ROLE) instead.
    if (role.inherits_visitor) {
      throw new Error(`${variable} connects as ${role.role}, which inherits ${PUBLIC_READER_ROLE}; run \`linkpulse migrate\`, which stops the inheritance`);
    }
  } finally {
    await client.end();
  }
}
