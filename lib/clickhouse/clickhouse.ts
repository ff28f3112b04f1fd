// The analytics store as the app sees it: a ClickHouse server through @clickhouse/client when
// CLICKHOUSE_URL is set, otherwise chDB (the ClickHouse engine in this process). Both are held to one
// contract suite (clickhouse.integration.test.ts). Values always travel as {name:Type} parameters
// or JSONEachRow rows, never interpolated into SQL.
import type { HealthCheck } from '../health.js';
import { mapInSlices } from '../runtime/slices.js';

export type QueryParamValue = string | number | bigint | boolean | Date | null | readonly (string | number | bigint | boolean | null)[];
export type QueryParams = Readonly<Record<string, QueryParamValue>>;
export type Row = Record<string, unknown>;

export interface InsertOptions {
  /**
   * Makes the insert idempotent: a retry with the same token inserts nothing (ClickHouse's
   * insert_deduplication_token; the table needs non_replicated_deduplication_window on MergeTree).
   * Materialized views fed by the insert are deduplicated with it (see insertSettings).
   */
  deduplicationToken?: string;
}

export interface ClickHouse {
  readonly kind: 'server' | 'embedded';
  readonly database: string;
  /**
   * The remote_servers cluster the schema is deployed on (CLICKHOUSE_CLUSTER), or undefined on one
   * server. On a cluster, statements that change stored rows name shard-local tables
   * (cluster-tables.ts); reads and inserts do not change.
   */
  readonly cluster?: string;
  /** Runs a SELECT and returns its rows (JSONEachRow; 64-bit integers as strings, times in UTC). */
  query<T extends Row = Row>(sql: string, params?: QueryParams): Promise<T[]>;
  insert(table: string, rows: readonly Row[], options?: InsertOptions): Promise<void>;
  /** Runs a statement that returns no rows (DDL, DELETE), with {name:Type} parameters. */
  command(sql: string, params?: QueryParams): Promise<void>;
  healthCheck(): HealthCheck;
  close(): Promise<void>;
}

/** Settings both adapters apply to every query, so results look the same on either engine. */
export const COMMON_SETTINGS = {
  output_format_json_quote_64bit_integers: 1,
  session_timezone: 'UTC',
  date_time_input_format: 'best_effort',
} as const;

/**
 * Settings for one insert, the same on both adapters. With a deduplication token, the materialized
 * views deduplicate too, so a retry neither counts a block twice in them nor leaves them short of
 * what a failed attempt did not write. Set explicitly because the default moved: ClickHouse 24.7 to
 * 26.1 default to 0, which re-inserts a deduplicated block into every view (double counts); 26.2 and
 * later (chDB 3.4) default to 1. Each view's target table needs its own
 * non_replicated_deduplication_window (clickhouse/README.md).
 */
export function insertSettings(options: InsertOptions): Record<string, string | number> {
  if (options.deduplicationToken === undefined) return {};
  return { insert_deduplication_token: options.deduplicationToken, deduplicate_blocks_in_dependent_materialized_views: 1 };
}

/** A ClickHouse exception with its numeric code and name, whichever adapter raised it. */
export class ClickHouseQueryError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly type: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ClickHouseQueryError';
  }
}

const EXCEPTION = /Code: (?<code>\d+)\. (?:DB::Exception: )?(?<message>[\s\S]+?)\s*\((?<type>[A-Z][A-Z0-9_]{2,})\)(?: \(version [^)]*\))?\.?\s*$/;

/** Normalises an error from either client into ClickHouseQueryError when it is a ClickHouse exception. */
export function toClickHouseError(error: unknown): unknown {
  if (error instanceof ClickHouseQueryError || !(error instanceof Error)) return error;
  const code = (error as { clickhouseCode?: unknown; code?: unknown }).clickhouseCode ?? (error as { code?: unknown }).code;
  const type = (error as { type?: unknown }).type;
  if (typeof type === 'string' && /^\d+$/.test(String(code))) {
    return new ClickHouseQueryError(error.message, Number(code), type, { cause: error });
  }
  const match = EXCEPTION.exec(error.message);
  if (match?.groups) {
    return new ClickHouseQueryError(error.message, Number(match.groups.code), match.groups.type!, { cause: error });
  }
  return error;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TABLE = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$/;

export function assertIdentifier(name: string, what = 'identifier'): void {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid ClickHouse ${what} ${JSON.stringify(name)}`);
}

export function assertTableName(table: string): void {
  if (!TABLE.test(table)) throw new Error(`invalid ClickHouse table name ${JSON.stringify(table)}`);
}

/**
 * Dates travel as Unix seconds (with milliseconds when present), which ClickHouse parses into both
 * DateTime and DateTime64; bigints as decimal strings. Both clients then see the same text.
 */
export function serializeParams(params: QueryParams): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    assertIdentifier(name, 'parameter name');
    result[name] = serializeParamValue(value);
  }
  return result;
}

function serializeParamValue(value: QueryParamValue): unknown {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new Error('invalid Date parameter');
    const seconds = Math.floor(ms / 1000);
    const millis = ms - seconds * 1000;
    return millis === 0 ? String(seconds) : `${seconds}.${String(millis).padStart(3, '0')}`;
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** JSON for ClickHouse rows: Dates as ISO-8601 (parsed best-effort), bigints as decimal strings. */
export function stringifyRow(row: unknown): string {
  try {
    return JSON.stringify(row);
  } catch (error) {
    // JSON.stringify refuses a BigInt; only rows holding one pay for the replacer (it is most of the
    // cost of serialising a batch of events, which hold none).
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  }
}

/** JSONEachRow text, encoded in slices (lib/runtime/slices.ts): a large insert does not hold the event loop. */
export async function toJsonEachRow(rows: readonly Row[]): Promise<string> {
  return (await mapInSlices(rows, (row) => `${stringifyRow(row)}\n`)).join('');
}

export function parseJsonEachRow<T>(text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line) rows.push(JSON.parse(line) as T);
  }
  return rows;
}
