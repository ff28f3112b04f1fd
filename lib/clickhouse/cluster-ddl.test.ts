import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../paths.js';
import { ClusterDdlError, emptyClusterSchema, rewriteForCluster, rewriteMigrationsForCluster, type ClusterSchema } from './cluster-ddl.js';
import { loadClickHouseMigrations, splitStatements } from './migrate.js';

const OPTIONS = { cluster: 'linkpulse', database: 'analytics' };
const squash = (sql: string) => sql.replace(/\s+/g, ' ').trim();

async function rewrittenMigrations() {
  return rewriteMigrationsForCluster(await loadClickHouseMigrations(), OPTIONS);
}

/** The schema every real migration leaves behind, for statements a later file might hold. */
async function schemaAfterMigrations(): Promise<ClusterSchema> {
  const schema = emptyClusterSchema();
  for (const migration of await loadClickHouseMigrations()) for (const statement of migration.statements) rewriteForCluster(statement, OPTIONS, schema);
  return schema;
}

/** Storage tables as the single-node files create them (every MergeTree table). */
async function singleNodeStorageTables(): Promise<string[]> {
  const names: string[] = [];
  for (const migration of await loadClickHouseMigrations()) {
    for (const statement of migration.statements) {
      const match = /^CREATE TABLE IF NOT EXISTS (\w+)[\s\S]*\bENGINE = \w*MergeTree\b/.exec(statement);
      if (match) names.push(match[1]!);
    }
  }
  return names;
}

describe('rewriteForCluster over every migration in clickhouse/', () => {
  it('runs every DDL statement ON CLUSTER, right after the object it names, and leaves inserts as they are', async () => {
    const migrations = await rewrittenMigrations();
    const statements = migrations.flatMap((migration) => migration.statements);
    expect(statements.length).toBeGreaterThan(20);
    for (const statement of statements) {
      if (/^INSERT\b/.test(statement)) {
        expect(statement).not.toMatch(/ON CLUSTER|_local\b/);
        continue;
      }
      expect(statement).toMatch(/^(CREATE|ALTER|DROP)\b/);
      expect(statement).toMatch(
        /^(?:CREATE (?:TABLE|MATERIALIZED VIEW) IF NOT EXISTS|ALTER TABLE|DROP (?:TABLE|VIEW) IF EXISTS) \w+ ON CLUSTER linkpulse\b/,
      );
      expect(statement.match(/ON CLUSTER/g)).toHaveLength(1);
    }
  });

  it('turns every MergeTree table into a replicated local table with a Distributed table of the same name over it', async () => {
    const statements = (await rewrittenMigrations()).flatMap((migration) => migration.statements).map(squash);
    const storage = await singleNodeStorageTables();
    expect(storage).toEqual(expect.arrayContaining(['events', 'traffic_hourly', 'traffic_daily', 'geo_daily', 'dimension_daily', 'utm_daily', 'heatmap_daily', 'insert_ledger']));
    for (const table of storage) {
      const local = statements.find((statement) => statement.startsWith(`CREATE TABLE IF NOT EXISTS ${table}_local ON CLUSTER linkpulse (`));
      expect(local, table).toBeDefined();
      expect(local).toMatch(new RegExp(`ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${table}_local', '\\{replica\\}'`));
      expect(local).not.toMatch(/non_replicated_deduplication_window/);
      const distributed = statements.find((statement) => statement.startsWith(`CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER`));
      expect(distributed).toMatch(new RegExp(`^CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER linkpulse AS ${table}_local ENGINE = Distributed\\(linkpulse, analytics, ${table}_local, cityHash64\\(`));
      // Every profile's rows on one shard: each table with a profile is sharded by it.
      if (local!.includes(' profile_id ')) expect(distributed).toContain(`cityHash64(profile_id))`);
    }
  });

  it('rewrites the key statements as designed (golden)', async () => {
    const statements = (await rewrittenMigrations()).flatMap((migration) => migration.statements).map(squash);
    expect(statements[0]).toContain(
      "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/events_local', '{replica}') PARTITION BY toYYYYMM(timestamp) ORDER BY (profile_id, toDate(timestamp), event_type, link_id, timestamp) TTL toDateTime(timestamp) + INTERVAL 400 DAY SETTINGS replicated_deduplication_window = 10000",
    );
    expect(statements[1]).toBe('CREATE TABLE IF NOT EXISTS events ON CLUSTER linkpulse AS events_local ENGINE = Distributed(linkpulse, analytics, events_local, cityHash64(profile_id))');
    expect(statements).toContain(
      "CREATE TABLE IF NOT EXISTS insert_ledger ON CLUSTER linkpulse AS insert_ledger_local ENGINE = Distributed(linkpulse, analytics, insert_ledger_local, cityHash64(consumer_group, topic, partition))",
    );
    expect(statements.find((statement) => statement.startsWith('CREATE TABLE IF NOT EXISTS insert_ledger_local'))).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/insert_ledger_local', '{replica}', recorded_at) ORDER BY (consumer_group, topic, partition)",
    );
    const view = statements.find((statement) => statement.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS link_stats_hourly_mv'));
    expect(view).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS link_stats_hourly_mv ON CLUSTER linkpulse TO link_stats_hourly_local AS SELECT .* FROM events_local GROUP BY /);
    const replacement = statements.find((statement) => statement.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly_mv'));
    expect(replacement).toMatch(/^CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly_mv ON CLUSTER linkpulse TO traffic_hourly_local AS SELECT .* FROM events_local ARRAY JOIN .* GROUP BY /);
    // 0007 drops the tables it replaces: both the Distributed table and the shards' tables.
    expect(statements).toContain('DROP TABLE IF EXISTS link_stats_hourly ON CLUSTER linkpulse SYNC');
    expect(statements).toContain('DROP TABLE IF EXISTS link_stats_hourly_local ON CLUSTER linkpulse SYNC');
    // 0006: the column on both tables (shards first), the backfill through the Distributed tables, the view's new query on local tables.
    const sixth = (await rewrittenMigrations()).find((migration) => migration.version === 6)!.statements.map(squash);
    expect(sixth.slice(0, 2)).toEqual([
      'ALTER TABLE link_stats_hourly_local ON CLUSTER linkpulse ADD COLUMN IF NOT EXISTS timed_clicks SimpleAggregateFunction(sum, UInt64) AFTER clicks',
      'ALTER TABLE link_stats_hourly ON CLUSTER linkpulse ADD COLUMN IF NOT EXISTS timed_clicks SimpleAggregateFunction(sum, UInt64) AFTER clicks',
    ]);
    const original = (await loadClickHouseMigrations()).find((migration) => migration.version === 6)!.statements;
    expect(sixth.filter((statement) => statement.startsWith('INSERT'))).toEqual(original.filter((statement) => statement.startsWith('INSERT')).map(squash));
    expect(sixth.find((statement) => statement.startsWith('ALTER TABLE link_stats_daily_mv'))).toMatch(
      /^ALTER TABLE link_stats_daily_mv ON CLUSTER linkpulse MODIFY QUERY SELECT .* FROM events_local GROUP BY profile_id, is_bot, is_internal, day, link_id$/,
    );
  });

  it('has every materialized view read and write shard-local tables only', async () => {
    const statements = (await rewrittenMigrations()).flatMap((migration) => migration.statements).map(squash);
    const isView = (statement: string) => /^(CREATE MATERIALIZED VIEW|ALTER TABLE \w+_mv )/.test(statement);
    const views = statements.filter(isView);
    const singleNodeViews = (await loadClickHouseMigrations()).flatMap((migration) => migration.statements).map(squash).filter(isView);
    expect(views.length).toBe(singleNodeViews.length);
    for (const view of views) {
      // (ARRAY JOIN names a column, not a table: 0008's view over the events' A/B test arrays.)
      for (const [, table] of view.matchAll(/(?<!ARRAY )\b(?:FROM|TO|JOIN) (\w+)/g)) expect(table, view.slice(0, 80)).toMatch(/_local$/);
    }
  });

  it('leaves the names the read path uses to Distributed tables, and names no local table it did not create', async () => {
    const statements = (await rewrittenMigrations()).flatMap((migration) => migration.statements).map(squash);
    const distributed = new Set(statements.flatMap((statement) => /^CREATE TABLE IF NOT EXISTS (\w+) ON CLUSTER \w+ AS \w+ ENGINE = Distributed\(/.exec(statement)?.[1] ?? []));
    const locals = new Set(statements.flatMap((statement) => /^CREATE TABLE IF NOT EXISTS (\w+_local) ON CLUSTER/.exec(statement)?.[1] ?? []));
    for (const statement of statements) for (const [name] of statement.matchAll(/\b\w+_local\b/g)) expect(locals, statement.slice(0, 80)).toContain(name);

    // The analytics reads, the consumers and the ledger name tables as on one server: all must be Distributed.
    const storage = await singleNodeStorageTables();
    const readers = [
      ...(await readdir(path.join(PROJECT_ROOT, 'lib/analytics'))).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts')).map((file) => path.join(PROJECT_ROOT, 'lib/analytics', file)),
      path.join(PROJECT_ROOT, 'consumers/write-batch.ts'),
      path.join(PROJECT_ROOT, 'consumers/insert-ledger.ts'),
    ];
    const used = new Set<string>();
    for (const file of readers) {
      const source = await readFile(file, 'utf8');
      expect(source, file).not.toMatch(/_local\b/);
      for (const table of storage) if (new RegExp(`\\b${table}\\b`).test(source)) used.add(table);
    }
    expect([...used].sort()).toEqual(['ab_test_daily', 'dimension_daily', 'events', 'geo_daily', 'heatmap_daily', 'insert_ledger', 'traffic_daily', 'traffic_hourly', 'utm_daily']);
    for (const table of used) expect(distributed).toContain(table);
  });
});

describe('rewriteForCluster: statements a later migration may hold', () => {
  // What clickhouse/0007 (being written elsewhere) does: new state columns, a new view query, a
  // backfill, then the old column dropped.
  const seventh = `
    ALTER TABLE traffic_daily ADD COLUMN IF NOT EXISTS visitors_exact AggregateFunction(uniqExact, UInt64) AFTER clickers,
      ADD COLUMN IF NOT EXISTS referrers AggregateFunction(groupUniqArray(10), String);
    ALTER TABLE traffic_daily_mv MODIFY QUERY
    SELECT profile_id, is_bot, is_internal, toDate(timestamp, 'UTC') AS day, link_id,
           countIf(event_type = 'view') AS views, uniqExactStateIf(visitor_id, event_type IN ('view', 'click')) AS visitors_exact
    FROM events GROUP BY profile_id, is_bot, is_internal, day, link_id;
    INSERT INTO traffic_daily (profile_id, is_bot, is_internal, day, link_id, visitors_exact)
    SELECT profile_id, is_bot, is_internal, toDate(timestamp, 'UTC') AS day, link_id, uniqExactStateIf(visitor_id, event_type IN ('view', 'click'))
    FROM events WHERE event_type IN ('view', 'click') GROUP BY profile_id, is_bot, is_internal, day, link_id
    SETTINGS insert_deduplicate = 0;
    ALTER TABLE traffic_daily DROP COLUMN IF EXISTS time_to_click;
  `;

  it('adds and drops AggregateFunction columns on both tables, in the order reads survive, and keeps the backfill cross-shard', async () => {
    const schema = await schemaAfterMigrations();
    const rewritten = splitStatements(seventh).flatMap((statement) => rewriteForCluster(statement, OPTIONS, schema)).map(squash);
    expect(rewritten).toEqual([
      'ALTER TABLE traffic_daily_local ON CLUSTER linkpulse ADD COLUMN IF NOT EXISTS visitors_exact AggregateFunction(uniqExact, UInt64) AFTER clickers, ADD COLUMN IF NOT EXISTS referrers AggregateFunction(groupUniqArray(10), String)',
      'ALTER TABLE traffic_daily ON CLUSTER linkpulse ADD COLUMN IF NOT EXISTS visitors_exact AggregateFunction(uniqExact, UInt64) AFTER clickers, ADD COLUMN IF NOT EXISTS referrers AggregateFunction(groupUniqArray(10), String)',
      expect.stringMatching(/^ALTER TABLE traffic_daily_mv ON CLUSTER linkpulse MODIFY QUERY SELECT .* FROM events_local GROUP BY/),
      squash(splitStatements(seventh)[2]!),
      // Dropped from the Distributed table first, so no read through it names a column a shard lost.
      'ALTER TABLE traffic_daily ON CLUSTER linkpulse DROP COLUMN IF EXISTS time_to_click',
      'ALTER TABLE traffic_daily_local ON CLUSTER linkpulse DROP COLUMN IF EXISTS time_to_click',
    ]);
  });

  it('keeps mutations, TTL and settings on the local tables, and the commas inside a command together', async () => {
    const schema = await schemaAfterMigrations();
    const rewrite = (sql: string) => rewriteForCluster(sql, OPTIONS, schema).map(squash);
    expect(rewrite('ALTER TABLE events MODIFY TTL toDateTime(timestamp) + INTERVAL 200 DAY')).toEqual([
      'ALTER TABLE events_local ON CLUSTER linkpulse MODIFY TTL toDateTime(timestamp) + INTERVAL 200 DAY',
    ]);
    expect(rewrite("ALTER TABLE events UPDATE country = 'DE', region = '' WHERE city = 'Berlin', MODIFY COLUMN city LowCardinality(String)")).toEqual([
      "ALTER TABLE events_local ON CLUSTER linkpulse UPDATE country = 'DE', region = '' WHERE city = 'Berlin', MODIFY COLUMN city LowCardinality(String)",
      'ALTER TABLE events ON CLUSTER linkpulse MODIFY COLUMN city LowCardinality(String)',
    ]);
    expect(rewrite("DELETE FROM heatmap_daily WHERE day < '2020-01-01'")).toEqual(["DELETE FROM heatmap_daily_local ON CLUSTER linkpulse WHERE day < '2020-01-01'"]);
    expect(rewrite('OPTIMIZE TABLE traffic_daily FINAL')).toEqual(['OPTIMIZE TABLE traffic_daily_local ON CLUSTER linkpulse FINAL']);
    expect(rewrite('TRUNCATE TABLE IF EXISTS geo_daily')).toEqual(['TRUNCATE TABLE IF EXISTS geo_daily_local ON CLUSTER linkpulse']);
  });

  it('drops both tables of a sharded table, and forgets it', async () => {
    const schema = await schemaAfterMigrations();
    expect(rewriteForCluster('DROP TABLE IF EXISTS heatmap_daily_mv', OPTIONS, schema)).toEqual(['DROP TABLE IF EXISTS heatmap_daily_mv ON CLUSTER linkpulse']);
    expect(rewriteForCluster('DROP TABLE IF EXISTS heatmap_daily', OPTIONS, schema)).toEqual([
      'DROP TABLE IF EXISTS heatmap_daily ON CLUSTER linkpulse SYNC',
      'DROP TABLE IF EXISTS heatmap_daily_local ON CLUSTER linkpulse SYNC',
    ]);
    expect(schema.sharded.has('heatmap_daily')).toBe(false);
    expect(rewriteForCluster('OPTIMIZE TABLE heatmap_daily', OPTIONS, schema)).toEqual(['OPTIMIZE TABLE heatmap_daily ON CLUSTER linkpulse']);
  });

  it('creates node-local tables and plain views ON CLUSTER without sharding them', () => {
    const schema = emptyClusterSchema();
    expect(rewriteForCluster('CREATE TABLE IF NOT EXISTS scratch (a UInt8) ENGINE = Memory', OPTIONS, schema)).toEqual([
      'CREATE TABLE IF NOT EXISTS scratch ON CLUSTER linkpulse (a UInt8) ENGINE = Memory',
    ]);
    rewriteForCluster('CREATE TABLE t (profile_id UUID, n UInt8) ENGINE = MergeTree() ORDER BY profile_id', OPTIONS, schema);
    expect(rewriteForCluster('CREATE VIEW IF NOT EXISTS v AS SELECT count() FROM t', OPTIONS, schema)).toEqual([
      'CREATE VIEW IF NOT EXISTS v ON CLUSTER linkpulse AS SELECT count() FROM t',
    ]);
    expect(schema.sharded.get('t')).toBe('cityHash64(profile_id)');
  });

  it('shards a table without profile_id by its sort key, and refuses one it cannot shard', () => {
    const schema = emptyClusterSchema();
    const [, distributed] = rewriteForCluster('CREATE TABLE k (a String, b UInt8) ENGINE = ReplacingMergeTree ORDER BY a SETTINGS index_granularity = 1024', OPTIONS, schema);
    expect(distributed).toBe('CREATE TABLE k ON CLUSTER linkpulse AS k_local\nENGINE = Distributed(linkpulse, analytics, k_local, cityHash64(a))');
    expect(() => rewriteForCluster('CREATE TABLE n (a String) ENGINE = MergeTree ORDER BY tuple()', OPTIONS, schema)).toThrow(ClusterDdlError);
  });

  it('refuses what it cannot deploy rather than guessing', async () => {
    const schema = await schemaAfterMigrations();
    const refuse = (sql: string, message: RegExp) => expect(() => rewriteForCluster(sql, OPTIONS, schema)).toThrow(message);
    refuse('RENAME TABLE events TO events_old', /RENAME is not supported on a cluster/);
    refuse('CREATE MATERIALIZED VIEW m ENGINE = MergeTree ORDER BY a AS SELECT a FROM events', /must write TO a table of its own/);
    refuse('ALTER TABLE analytics.events DROP COLUMN city', /qualified names are not supported/);
    refuse('ALTER TABLE events ON CLUSTER other DROP COLUMN city', /runner adds it/);
    refuse('SYSTEM STOP MERGES events', /SYSTEM is not supported/);
  });
});
