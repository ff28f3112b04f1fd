// The analytics store contract, run against every adapter: chDB in this process, @clickhouse/client
// through the embedded engine's ClickHouse HTTP endpoint, and @clickhouse/client against CLICKHOUSE_URL
// (a ClickHouse server, or `linkpulse clickhouse-http` in CI).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testLogger } from '../testing/services.js';
import { uniqueName } from '../testing/wait-for.js';
import { ClickHouseQueryError, type ClickHouse } from './clickhouse.js';
import { migrateClickHouse } from './migrate.js';
import { describeEachClickHouse, type MakeClickHouse } from './testing/each-adapter.js';

function clickHouseContract(makeAdapter: MakeClickHouse): void {
  let clickhouse: ClickHouse;
  beforeAll(async () => {
    clickhouse = await makeAdapter(uniqueName('test'));
  });
  afterAll(async () => {
    await clickhouse?.command(`DROP DATABASE IF EXISTS ${clickhouse.database}`).catch(() => undefined);
    await clickhouse?.close();
  });

  it('binds typed {name:Type} parameters without interpolating them', async () => {
    const tricky = "it's a \\ \"quote\"\ttab\nline'; DROP TABLE x; --";
    const [row] = await clickhouse.query(
      `SELECT {s:String} AS s, {n:UInt64} AS n, {d:DateTime} AS d, {ms:DateTime64(3)} AS ms,
              {tags:Array(String)} AS tags, {maybe:Nullable(String)} AS maybe, {flag:Bool} AS flag, {small:Int32} AS small`,
      {
        s: tricky,
        n: 18446744073709551615n,
        d: new Date('2024-05-01T10:11:12Z'),
        ms: new Date('2024-05-01T10:11:12.345Z'),
        tags: ["a'b", 'c\\d', 'e"f'],
        maybe: null,
        flag: true,
        small: -42,
      },
    );
    expect(row).toEqual({
      s: tricky,
      n: '18446744073709551615',
      d: '2024-05-01 10:11:12',
      ms: '2024-05-01 10:11:12.345',
      tags: ["a'b", 'c\\d', 'e"f'],
      maybe: null,
      flag: true,
      small: -42,
    });
  });

  it('inserts rows and reads them back in the same shape', async () => {
    const table = uniqueName('rows');
    await clickhouse.command(
      `CREATE TABLE ${table} (id UInt64, name String, at DateTime64(3, 'UTC'), tags Array(String), score Nullable(Float64))
       ENGINE = MergeTree ORDER BY id`,
    );
    await clickhouse.insert(table, [
      { id: 1n, name: 'Zoë ✓', at: new Date('2025-01-02T03:04:05.678Z'), tags: ['x'], score: 1.5 },
      { id: 18446744073709551614n, name: "O'Brien", at: new Date('2025-01-02T03:04:06Z'), tags: [], score: null },
    ]);
    const rows = await clickhouse.query(`SELECT id, name, at, tags, score FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { id: '1', name: 'Zoë ✓', at: '2025-01-02 03:04:05.678', tags: ['x'], score: 1.5 },
      { id: '18446744073709551614', name: "O'Brien", at: '2025-01-02 03:04:06.000', tags: [], score: null },
    ]);
  });

  it('stores an insert retried with the same deduplication token once', async () => {
    const table = uniqueName('dedup');
    await clickhouse.command(
      `CREATE TABLE ${table} (id UInt32, v String) ENGINE = MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100`,
    );
    const rows = [
      { id: 1, v: 'a' },
      { id: 2, v: 'b' },
    ];
    await clickhouse.insert(table, rows, { deduplicationToken: 'batch-1' });
    await clickhouse.insert(table, rows, { deduplicationToken: 'batch-1' });
    expect(await clickhouse.query(`SELECT count() AS c FROM ${table}`)).toEqual([{ c: '2' }]);
    await clickhouse.insert(table, rows, { deduplicationToken: 'batch-2' });
    expect(await clickhouse.query(`SELECT count() AS c FROM ${table}`)).toEqual([{ c: '4' }]);
  });

  it('completes materialized views on a retry with the same token, and never counts a block twice in them', async () => {
    const source = uniqueName('source');
    const gate = uniqueName('gate');
    const totals = uniqueName('totals');
    const window = 'SETTINGS non_replicated_deduplication_window = 100';
    await clickhouse.command(`CREATE TABLE ${source} (id UInt32, kind String) ENGINE = MergeTree ORDER BY id ${window}`);
    await clickhouse.command(`CREATE TABLE ${gate} (open UInt8) ENGINE = MergeTree ORDER BY open`);
    await clickhouse.command(
      `CREATE TABLE ${totals} (kind String, n SimpleAggregateFunction(sum, UInt64)) ENGINE = AggregatingMergeTree ORDER BY kind ${window}`,
    );
    // The view fails until the gate opens: the first attempt can store the source block and not the view's.
    await clickhouse.command(
      `CREATE MATERIALIZED VIEW ${totals}_mv TO ${totals} AS
       SELECT kind, count() AS n FROM ${source} WHERE throwIf((SELECT count() FROM ${gate}) = 0, 'view not ready') = 0 GROUP BY kind`,
    );
    const rows = [
      { id: 1, kind: 'a' },
      { id: 2, kind: 'a' },
      { id: 3, kind: 'b' },
    ];
    await expect(clickhouse.insert(source, rows, { deduplicationToken: 'batch-1' })).rejects.toBeInstanceOf(ClickHouseQueryError);
    await clickhouse.insert(gate, [{ open: 1 }]);
    await clickhouse.insert(source, rows, { deduplicationToken: 'batch-1' });
    await clickhouse.insert(source, rows, { deduplicationToken: 'batch-1' });
    expect(await clickhouse.query(`SELECT count() AS c FROM ${source}`)).toEqual([{ c: '3' }]);
    expect(await clickhouse.query(`SELECT kind, sum(n) AS n FROM ${totals} GROUP BY kind ORDER BY kind`)).toEqual([
      { kind: 'a', n: '2' },
      { kind: 'b', n: '1' },
    ]);
  });

  it('reports ClickHouse exceptions with their code and name', async () => {
    const missing = clickhouse.query('SELECT * FROM no_such_table_here');
    await expect(missing).rejects.toBeInstanceOf(ClickHouseQueryError);
    await expect(missing).rejects.toMatchObject({ code: 60, type: 'UNKNOWN_TABLE' });
    await expect(clickhouse.query('SELEC 1')).rejects.toMatchObject({ code: 62, type: 'SYNTAX_ERROR' });
    await expect(clickhouse.insert('no_such_table_here', [{ a: 1 }])).rejects.toMatchObject({ code: 60 });
  });

  it('applies schema migrations once, in order, and refuses an edited one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'linkpulse-chddl-'));
    try {
      await writeFile(
        path.join(dir, '0001_source.sql'),
        `-- the raw table; a ';' in a comment must not split
         CREATE TABLE IF NOT EXISTS source (id UInt32, kind String DEFAULT 'a;b') ENGINE = MergeTree ORDER BY id;
         CREATE TABLE IF NOT EXISTS totals (kind String, n UInt64) ENGINE = SummingMergeTree ORDER BY kind;`,
      );
      await writeFile(
        path.join(dir, '0002_view.sql'),
        'CREATE MATERIALIZED VIEW IF NOT EXISTS totals_mv TO totals AS SELECT kind, count() AS n FROM source GROUP BY kind;',
      );
      expect(await migrateClickHouse(clickhouse, { logger: testLogger, dir })).toEqual(['0001_source', '0002_view']);
      expect(await migrateClickHouse(clickhouse, { logger: testLogger, dir })).toEqual([]);
      await clickhouse.insert('source', [{ id: 1 }, { id: 2, kind: 'b' }]);
      expect(await clickhouse.query('SELECT kind, sum(n) AS n FROM totals GROUP BY kind ORDER BY kind')).toEqual([
        { kind: 'a;b', n: '1' },
        { kind: 'b', n: '1' },
      ]);
      await writeFile(path.join(dir, '0001_source.sql'), 'CREATE TABLE IF NOT EXISTS source2 (id UInt32) ENGINE = Memory;');
      await expect(migrateClickHouse(clickhouse, { logger: testLogger, dir })).rejects.toThrow(/changed after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports healthy', async () => {
    expect((await clickhouse.healthCheck().check()).state).toBe('ok');
  });
}

describeEachClickHouse('analytics store contract', clickHouseContract);
