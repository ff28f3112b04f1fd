import { describe, expect, it } from 'vitest';
import { ClickHouseQueryError, insertSettings, serializeParams, toClickHouseError, toJsonEachRow } from './clickhouse.js';
import { splitStatements } from './migrate.js';

describe('ClickHouse values', () => {
  it('serializes dates as Unix seconds (with milliseconds when present) and bigints as strings', () => {
    expect(
      serializeParams({
        at: new Date('2024-05-01T10:11:12Z'),
        precise: new Date('2024-05-01T10:11:12.045Z'),
        big: 18446744073709551615n,
        text: "it's",
        list: ['a', 'b'],
      }),
    ).toEqual({ at: '1714558272', precise: '1714558272.045', big: '18446744073709551615', text: "it's", list: ['a', 'b'] });
  });

  it('refuses parameter names that are not identifiers', () => {
    expect(() => serializeParams({ 'bad name': 1 })).toThrow(/invalid ClickHouse parameter name/);
    expect(() => serializeParams({ d: new Date('nope') })).toThrow(/invalid Date/);
  });

  it('writes JSONEachRow with bigints as strings', async () => {
    expect(await toJsonEachRow([{ id: 1n, at: new Date('2024-01-01T00:00:00Z') }, { id: 2n }])).toBe('{"id":"1","at":"2024-01-01T00:00:00.000Z"}\n{"id":"2"}\n');
    expect(await toJsonEachRow([])).toBe('');
  });

  it('deduplicates the materialized views of an insert that carries a token', () => {
    // Explicit on both adapters: ClickHouse 24.7-26.1 default to 0, which counts a retried block
    // again in every view (chDB's engine defaults to 1, so the contract suite alone cannot tell).
    expect(insertSettings({ deduplicationToken: 'events_v1:0:10-19' })).toEqual({
      insert_deduplication_token: 'events_v1:0:10-19',
      deduplicate_blocks_in_dependent_materialized_views: 1,
    });
    expect(insertSettings({})).toEqual({});
  });

  it('recognises ClickHouse exceptions in error messages', () => {
    const error = toClickHouseError(new Error('Code: 60. DB::Exception: Unknown table x. (UNKNOWN_TABLE) (version 25.1.1)'));
    expect(error).toBeInstanceOf(ClickHouseQueryError);
    expect(error).toMatchObject({ code: 60, type: 'UNKNOWN_TABLE' });
    const other = new Error('socket hang up');
    expect(toClickHouseError(other)).toBe(other);
  });
});

describe('DDL statement splitting', () => {
  it('splits on semicolons outside strings, identifiers and comments', () => {
    const sql = `-- a comment; with a semicolon
      CREATE TABLE a (x String DEFAULT 'x;y', \`odd;name\` UInt8) ENGINE = Memory;
      /* block; comment */ CREATE VIEW v AS SELECT 'it\\'s;' AS s;

      ;`;
    expect(splitStatements(sql)).toEqual([
      "CREATE TABLE a (x String DEFAULT 'x;y', `odd;name` UInt8) ENGINE = Memory",
      "CREATE VIEW v AS SELECT 'it\\'s;' AS s",
    ]);
  });
});
