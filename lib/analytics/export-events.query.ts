import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { NO_LINK } from '../events/analytics-row.js';
import { scopeCondition, type AnalyticsScope } from './query-plan.js';

/** What a raw-event export holds: no address or prefix exists to export, and the visitor is a daily keyed hash. */
export const EXPORT_COLUMNS = [
  'timestamp',
  'event_type',
  'source',
  'link_id',
  'visitor_id',
  'is_bot',
  'bot_kind',
  'country',
  'region',
  'city',
  'device',
  'browser',
  'os',
  'referrer_domain',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'click_x',
  'click_y',
  'time_to_click_ms',
] as const;
export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number>;

/**
 * The raw events of a scope in time order, page by page (keyset pagination on timestamp and event
 * id), so an export of millions of rows never holds more than one page in memory. Bot traffic is
 * included, marked by is_bot and bot_kind.
 */
export async function* exportEvents(clickhouse: ClickHouse, scope: AnalyticsScope, pageSize = 10_000): AsyncGenerator<ExportRow[]> {
  const { where, params } = scopeCondition(scope, { includeBots: true });
  let after: { ts: number; id: string } | undefined;
  for (;;) {
    const rows = await clickhouse.query<ExportRow & { ts: string; id: string }>(
      // No alias may shadow a column the WHERE clause reads (ClickHouse resolves aliases there too).
      `SELECT toUnixTimestamp64Milli(timestamp) AS ts, toString(event_id) AS id,
              ${EXPORT_COLUMNS.filter((column) => column !== 'timestamp').join(', ')}
         FROM events
        WHERE ${where} ${after ? 'AND (toUnixTimestamp64Milli(timestamp), event_id) > ({afterTs:Int64}, {afterId:UUID})' : ''}
        ORDER BY timestamp, event_id
        LIMIT {pageSize:UInt32}`,
      { ...params, pageSize, ...(after ? { afterTs: after.ts, afterId: after.id } : {}) },
    );
    if (rows.length === 0) return;
    yield rows.map(
      (row) => Object.fromEntries(EXPORT_COLUMNS.map((column) => [column, column === 'timestamp' ? new Date(Number(row.ts)).toISOString() : row[column]])) as ExportRow,
    );
    if (rows.length < pageSize) return;
    const last = rows[rows.length - 1]!;
    after = { ts: Number(last.ts), id: last.id };
  }
}

/** The columns of a downloaded export (the API's, the account export's): each link's title beside its id. */
export const EVENT_EXPORT_COLUMNS = EXPORT_COLUMNS.flatMap((column) => (column === 'link_id' ? ['link_id', 'link_title'] : [column]));

/**
 * Pages of rows with each link named as the creator titled it (`titles`: link id → title, read from
 * PostgreSQL); a page view's row has no link (an empty id, not the nil id).
 */
export async function* withLinkTitles<Row extends { link_id: string | number }>(
  pages: AsyncIterable<readonly Row[]>,
  titles: ReadonlyMap<string, string>,
): AsyncGenerator<(Row & { link_title: string })[]> {
  for await (const page of pages) {
    yield page.map((row) => (row.link_id === NO_LINK ? { ...row, link_id: '', link_title: '' } : { ...row, link_title: titles.get(String(row.link_id)) ?? '(a deleted link)' }));
  }
}
