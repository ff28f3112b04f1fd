// ClickHouse schema management: ordered files clickhouse/NNNN_description.sql, applied in order and
// recorded in schema_migrations (in the analytics database). ClickHouse DDL is not transactional, so
// every statement must be idempotent (IF NOT EXISTS): a file that failed half-way is simply re-run.
// An applied file must never change; the runner refuses to continue if its checksum differs.
// The same files run on chDB and on a ClickHouse server; names are unqualified (the current database).
// On a cluster (CLICKHOUSE_CLUSTER) every statement is rewritten for it first (cluster-ddl.ts), and
// schema_migrations is one table replicated to every node, so each migration runs once for the whole
// cluster whichever node the runner reaches.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { CLICKHOUSE_MIGRATIONS_DIR } from '../paths.js';
import { ClickHouseQueryError, type ClickHouse } from './clickhouse.js';
import { rewriteMigrationsForCluster } from './cluster-ddl.js';
import { onCluster } from './cluster-tables.js';

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export interface ClickHouseMigration {
  version: number;
  name: string;
  checksum: string;
  statements: string[];
}

/** Splits SQL on semicolons outside quotes, backticks and comments; drops empty statements. */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (let i = 0; i < sql.length; i += 1) {
    const char = sql[i]!;
    const next = sql[i + 1];
    if (quote) {
      current += char;
      if (char === '\\') {
        current += next ?? '';
        i += 1;
      } else if (char === quote) {
        quote = undefined;
      }
    } else if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
      current += '\n';
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 1;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
      current += char;
    } else if (char === ';') {
      statements.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  statements.push(current);
  return statements.map((statement) => statement.trim()).filter(Boolean);
}

export async function loadClickHouseMigrations(dir = CLICKHOUSE_MIGRATIONS_DIR): Promise<ClickHouseMigration[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.sql')).sort();
  const migrations: ClickHouseMigration[] = [];
  for (const file of files) {
    const match = FILE.exec(file);
    if (!match) throw new Error(`clickhouse/${file}: migration files are named NNNN_description.sql`);
    const text = await readFile(path.join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new Error(`clickhouse/${file}: version ${version} is used twice`);
    migrations.push({
      version,
      name: match[2]!,
      checksum: createHash('sha256').update(text).digest('hex'),
      statements: splitStatements(text),
    });
  }
  return migrations;
}

/**
 * The ledger of applied migrations. On a cluster: one replicated table whose Keeper path has no
 * {shard}, so every node of every shard is a replica of it and holds every record (replica names
 * combine shard and replica, which are unique together).
 */
export function schemaMigrationsTableDdl(clickhouse: Pick<ClickHouse, 'cluster'>): string {
  const engine =
    clickhouse.cluster === undefined
      ? 'ReplacingMergeTree(applied_at)'
      : "ReplicatedReplacingMergeTree('/clickhouse/tables/{database}/schema_migrations', '{shard}-{replica}', applied_at)";
  return `CREATE TABLE IF NOT EXISTS schema_migrations${onCluster(clickhouse)} (
       version UInt32,
       name String,
       checksum String,
       applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = ${engine} ORDER BY version`;
}

/** The migrations as they run here: rewritten for the cluster when there is one. */
async function migrationsFor(clickhouse: Pick<ClickHouse, 'cluster' | 'database'>, dir: string | undefined): Promise<ClickHouseMigration[]> {
  const migrations = await loadClickHouseMigrations(dir);
  return clickhouse.cluster === undefined ? migrations : rewriteMigrationsForCluster(migrations, { cluster: clickhouse.cluster, database: clickhouse.database });
}

export async function migrateClickHouse(clickhouse: ClickHouse, options: { logger: Logger; dir?: string }): Promise<string[]> {
  const logger = options.logger.child({ module: 'clickhouse-migrate' });
  const migrations = await migrationsFor(clickhouse, options.dir);
  if (clickhouse.cluster !== undefined) {
    // The adapter created the database on the node it reached; the other nodes need it too.
    await clickhouse.command(`CREATE DATABASE IF NOT EXISTS ${clickhouse.database}${onCluster(clickhouse)}`);
  }
  await clickhouse.command(schemaMigrationsTableDdl(clickhouse));
  // This node's replica must have fetched every record another node's run wrote before we read it.
  if (clickhouse.cluster !== undefined) await clickhouse.command('SYSTEM SYNC REPLICA schema_migrations');
  const applied = new Map(
    (await clickhouse.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations FINAL')).map(
      (row) => [Number(row.version), row],
    ),
  );
  const done: string[] = [];
  for (const migration of migrations) {
    const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
    const previous = applied.get(migration.version);
    if (previous) {
      if (previous.checksum !== migration.checksum) {
        throw new Error(`clickhouse/${label}.sql changed after it was applied; add a new migration instead of editing it`);
      }
      continue;
    }
    for (const statement of migration.statements) await clickhouse.command(statement);
    await clickhouse.insert('schema_migrations', [{ version: migration.version, name: migration.name, checksum: migration.checksum }]);
    done.push(label);
  }
  if (done.length > 0) logger.info({ applied: done }, 'ClickHouse migrations applied');
  return done;
}

/** Migrations in clickhouse/ that the database has not applied yet. */
export async function pendingClickHouseMigrations(clickhouse: ClickHouse, dir?: string): Promise<string[]> {
  const migrations = await migrationsFor(clickhouse, dir);
  const rows = await clickhouse.query<{ version: number }>('SELECT version FROM schema_migrations FINAL').catch((error: unknown) => {
    // No ledger yet means nothing was applied; any other failure is real.
    if (error instanceof ClickHouseQueryError && error.type === 'UNKNOWN_TABLE') return [] as { version: number }[];
    throw error;
  });
  const applied = new Set(rows.map((row) => Number(row.version)));
  return migrations.filter((m) => !applied.has(m.version)).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
}
