// Every statement the runner would send to a cluster, checked by the ClickHouse parser itself (chDB's
// formatQuery): the rewrite works on text, so this is what catches a clause put where ClickHouse does
// not accept it. chDB cannot run ON CLUSTER statements (no Keeper, no distributed DDL queue), so this
// checks syntax and structure, not execution (clickhouse/README.md, "Running on a cluster").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testLogger } from '../testing/services.js';
import { createChdbAdapter } from './chdb-adapter.js';
import type { ClickHouse } from './clickhouse.js';
import { rewriteMigrationsForCluster } from './cluster-ddl.js';
import { loadClickHouseMigrations } from './migrate.js';

describe('the cluster rewrite of clickhouse/ as ClickHouse parses it', () => {
  let dataDir: string;
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-cluster-ddl-'));
    clickhouse = await createChdbAdapter({ path: dataDir, database: 'cluster_ddl_test', logger: testLogger });
  });
  afterAll(async () => {
    await clickhouse?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('parses every rewritten statement, each keeping its ON CLUSTER clause and its engine', async () => {
    const migrations = rewriteMigrationsForCluster(await loadClickHouseMigrations(), { cluster: 'linkpulse', database: 'analytics' });
    const statements = migrations.flatMap((migration) => migration.statements);
    for (const statement of statements) {
      const [row] = await clickhouse.query<{ formatted: string }>('SELECT formatQuery({sql:String}) AS formatted', { sql: statement });
      const formatted = row!.formatted.replace(/\s+/g, ' ');
      if (statement.startsWith('INSERT')) continue;
      expect(formatted, statement.slice(0, 80)).toContain(' ON CLUSTER linkpulse');
      const engine = /ENGINE = (\w+)/.exec(formatted)?.[1];
      if (engine) expect(engine).toMatch(/^(Replicated\w*MergeTree|Distributed)$/);
    }
  });
});
