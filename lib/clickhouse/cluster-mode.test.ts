// The migration runner and the statements that change stored rows, on a cluster, against a recording
// stand-in for the engine (no ClickHouse cluster runs here: see clickhouse/README.md, "Running on a
// cluster", for what was and was not tried against real servers).
import { describe, expect, it } from 'vitest';
import { testLogger } from '../testing/services.js';
import type { ClickHouse, QueryParams, Row } from './clickhouse.js';
import { mutationTarget, mutationTargetOfStored, onCluster, readableTableName, storedTableName } from './cluster-tables.js';
import { listAggregateTables, rebuildAggregateTable } from './aggregates.js';
import { loadClickHouseMigrations, migrateClickHouse } from './migrate.js';
import { applyRawRetention } from './retention.js';
import { expireProfileRows } from './expire-profile-rows.js';

interface Recorded {
  commands: string[];
  inserts: { table: string; rows: readonly Row[] }[];
}

/** A ClickHouse that records what it is asked; `answer` supplies the rows of each query. */
function recordingClickHouse(cluster: string | undefined, answer: (sql: string, params?: QueryParams) => Row[] = () => []): ClickHouse & Recorded {
  const commands: string[] = [];
  const inserts: { table: string; rows: readonly Row[] }[] = [];
  return {
    kind: 'server',
    database: 'analytics',
    cluster,
    commands,
    inserts,
    query: <T extends Row = Row>(sql: string, params?: QueryParams) => Promise.resolve(answer(sql, params) as T[]),
    insert(table, rows) {
      inserts.push({ table, rows });
      return Promise.resolve();
    },
    command(sql) {
      commands.push(sql.replace(/\s+/g, ' ').trim());
      return Promise.resolve();
    },
    healthCheck: () => ({ name: 'clickhouse', required: true, check: () => Promise.resolve({ state: 'ok' as const }) }),
    close: () => Promise.resolve(),
  };
}

describe('the table mapping', () => {
  it('names the same tables as before on one server, and the local tables ON CLUSTER on a cluster', () => {
    const single = { cluster: undefined };
    const cluster = { cluster: 'linkpulse' };
    expect(mutationTarget(single, 'events')).toBe('events');
    expect(mutationTarget(cluster, 'events')).toBe('events_local ON CLUSTER linkpulse');
    expect(mutationTargetOfStored(cluster, 'heatmap_daily_local')).toBe('heatmap_daily_local ON CLUSTER linkpulse');
    expect(storedTableName(cluster, 'events')).toBe('events_local');
    expect(readableTableName(cluster, 'traffic_daily_local')).toBe('traffic_daily');
    expect(readableTableName(single, 'traffic_daily')).toBe('traffic_daily');
    expect(onCluster(single)).toBe('');
    expect(() => onCluster({ cluster: 'x; DROP' })).toThrow(/invalid ClickHouse cluster name/);
  });
});

describe('migrateClickHouse on a cluster', () => {
  it('creates the database and a cluster-wide ledger ON CLUSTER, runs every rewritten statement once, and records each file', async () => {
    const clickhouse = recordingClickHouse('linkpulse');
    const applied = await migrateClickHouse(clickhouse, { logger: testLogger });
    const files = await loadClickHouseMigrations();
    expect(applied).toHaveLength(files.length);
    expect(clickhouse.commands[0]).toBe('CREATE DATABASE IF NOT EXISTS analytics ON CLUSTER linkpulse');
    expect(clickhouse.commands[1]).toMatch(
      /^CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER linkpulse \(.*\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/\{database\}\/schema_migrations', '\{shard\}-\{replica\}', applied_at\) ORDER BY version$/,
    );
    expect(clickhouse.commands[2]).toBe('SYSTEM SYNC REPLICA schema_migrations');
    const ddl = clickhouse.commands.slice(3);
    expect(ddl.filter((sql) => !sql.startsWith('INSERT')).every((sql) => sql.includes(' ON CLUSTER linkpulse'))).toBe(true);
    expect(ddl).toContain('CREATE TABLE IF NOT EXISTS events ON CLUSTER linkpulse AS events_local ENGINE = Distributed(linkpulse, analytics, events_local, cityHash64(profile_id))');
    expect(clickhouse.inserts.map((insert) => insert.table)).toEqual(files.map(() => 'schema_migrations'));
  });

  it('applies nothing that the replicated ledger records, whichever node recorded it', async () => {
    const files = await loadClickHouseMigrations();
    const clickhouse = recordingClickHouse('linkpulse', (sql) =>
      sql.includes('FROM schema_migrations') ? files.map((file) => ({ version: file.version, name: file.name, checksum: file.checksum })) : [],
    );
    expect(await migrateClickHouse(clickhouse, { logger: testLogger })).toEqual([]);
    expect(clickhouse.commands).toHaveLength(3);
  });

  it('runs the files unchanged on one server', async () => {
    const clickhouse = recordingClickHouse(undefined);
    await migrateClickHouse(clickhouse, { logger: testLogger });
    expect(clickhouse.commands.join('\n')).not.toMatch(/ON CLUSTER|_local|Replicated|SYNC REPLICA/);
  });
});

describe('raw retention on a cluster', () => {
  it('reads and changes the TTL of the shard-local events tables ON CLUSTER', async () => {
    const asked: QueryParams[] = [];
    const clickhouse = recordingClickHouse('linkpulse', (_sql, params) => {
      if (params) asked.push(params);
      return [{ ddl: 'CREATE TABLE analytics.events_local … TTL toDateTime(timestamp) + toIntervalDay(400) SETTINGS …' }];
    });
    await applyRawRetention(clickhouse, 180, testLogger);
    expect(asked).toEqual([{ table: 'events_local' }]);
    expect(clickhouse.commands).toEqual([
      'ALTER TABLE events_local ON CLUSTER linkpulse MODIFY TTL toDateTime(timestamp) + INTERVAL 180 DAY SETTINGS materialize_ttl_after_modify = 0',
    ]);
  });
});

describe('the reconciler on a cluster', () => {
  // What system.tables says on a node of the cluster: the view reads and writes the local tables.
  const catalogue = (sql: string): Row[] => {
    if (sql.includes("engine = 'MaterializedView'")) {
      return [
        {
          name: 'traffic_daily_mv',
          as_select:
            "SELECT profile_id, toDate(timestamp, 'UTC') AS day, countIf(event_type = 'view') AS views FROM analytics.events_local GROUP BY profile_id, day",
          create_table_query: 'CREATE MATERIALIZED VIEW analytics.traffic_daily_mv TO analytics.traffic_daily_local (…) AS SELECT …',
        },
      ];
    }
    if (sql.includes('system.columns')) {
      return [
        { table: 'traffic_daily_mv', name: 'profile_id', type: 'UUID' },
        { table: 'traffic_daily_mv', name: 'day', type: 'Date' },
        { table: 'traffic_daily_mv', name: 'views', type: 'UInt64' },
        { table: 'traffic_daily_local', name: 'profile_id', type: 'UUID' },
        { table: 'traffic_daily_local', name: 'day', type: 'Date' },
        { table: 'traffic_daily_local', name: 'views', type: 'SimpleAggregateFunction(sum, UInt64)' },
      ];
    }
    return [];
  };

  it('finds the views over the local events, deletes a slice from the local table ON CLUSTER and inserts it through the Distributed one from every shard', async () => {
    const clickhouse = recordingClickHouse('linkpulse', catalogue);
    const [aggregate] = await listAggregateTables(clickhouse);
    expect(aggregate).toMatchObject({ view: 'traffic_daily_mv', table: 'traffic_daily', storedTable: 'traffic_daily_local', period: 'day', counts: ['views'] });
    await rebuildAggregateTable(clickhouse, aggregate!, { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-02T00:00:00Z'), profiles: ['p'] });
    const [remove, insert] = clickhouse.commands;
    expect(remove).toMatch(/^DELETE FROM traffic_daily_local ON CLUSTER linkpulse WHERE day >= /);
    expect(insert).toMatch(/^INSERT INTO traffic_daily \(profile_id, day, views\) SELECT profile_id, day, views FROM \(SELECT .* FROM \(SELECT \* FROM analytics\.events WHERE timestamp >= /);
    expect(insert).not.toMatch(/events_local/);
  });

  it('does not take a view over the local events for one over events on one server', async () => {
    expect(await listAggregateTables(recordingClickHouse(undefined, catalogue))).toEqual([]);
  });
});

describe('a profile’s retention on a cluster', () => {
  // The catalogue of a node lists the shard-local tables; some profiles have rows before their cutoff.
  const answer = (sql: string, params?: QueryParams): Row[] => {
    if (sql.includes('system.columns')) {
      return [
        { table: 'events_local', columns: ['timestamp', 'profile_id', 'event_type'] },
        { table: 'traffic_hourly_local', columns: ['profile_id', 'hour', 'views'] },
        { table: 'geo_daily_local', columns: ['profile_id', 'day', 'country'] },
      ];
    }
    if (sql.startsWith('SELECT DISTINCT profile_id FROM geo_daily ')) return [];
    return sql.startsWith('SELECT DISTINCT') ? [{ profile_id: (params?.p1 as string[])[0] }] : [];
  };

  it('asks every shard through the Distributed tables and deletes from the local tables ON CLUSTER, one DELETE per table for every cutoff', async () => {
    const clickhouse = recordingClickHouse('linkpulse', answer);
    const asked: string[] = [];
    const query = clickhouse.query.bind(clickhouse);
    clickhouse.query = <T extends Row = Row>(sql: string, params?: QueryParams) => {
      asked.push(sql.replace(/\s+/g, ' '));
      return query<T>(sql, params);
    };
    const deleted = await expireProfileRows(clickhouse, [
      { before: new Date('2026-11-05T00:00:00Z'), profiles: ['a', 'b'] },
      { before: new Date('2026-09-06T00:00:00Z'), profiles: ['c'] },
    ]);
    expect(asked.filter((sql) => sql.startsWith('SELECT DISTINCT')).map((sql) => sql.split(' WHERE ')[0])).toEqual([
      'SELECT DISTINCT profile_id FROM events',
      'SELECT DISTINCT profile_id FROM traffic_hourly',
      'SELECT DISTINCT profile_id FROM geo_daily',
    ]);
    expect(clickhouse.commands).toEqual([
      "DELETE FROM events_local ON CLUSTER linkpulse WHERE (profile_id IN {p1:Array(UUID)} AND timestamp < {c1:DateTime64(3, 'UTC')})",
      "DELETE FROM traffic_hourly_local ON CLUSTER linkpulse WHERE (profile_id IN {p1:Array(UUID)} AND hour < {c1:DateTime('UTC')})",
    ]);
    expect(deleted).toEqual({ events: ['c'], traffic_hourly: ['c'] });
  });

  it('refuses a cutoff that is not a UTC midnight', async () => {
    await expect(expireProfileRows(recordingClickHouse(undefined, answer), [{ before: new Date('2026-11-05T01:00:00Z'), profiles: ['a'] }])).rejects.toThrow(/UTC midnight/);
  });
});
