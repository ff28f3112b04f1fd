import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { BREAKDOWN_COLUMNS, DISTINCT, statsQuery, toCount, toFlag, type AnalyticsScope, type BreakdownColumn } from './query-plan.js';

export interface BreakdownRow {
  /** The row's value per column; '' in every column of the `other` row. */
  values: Record<string, string>;
  views: number;
  visitors: number;
  /** Whether visitors is an estimate (query-plan.ts: VISITOR_SET_LIMIT). */
  visitorsApproximate: boolean;
  clicks: number;
  /**
   * The last row, present only when there are more values than the limit: everything beyond the top
   * values together, so the rows add up to the totals (views and clicks exactly; its visitors are the
   * distinct visitors of those values, each day's merged, not a sum of the values' counts).
   */
  other: boolean;
}

/**
 * Views, visitors and clicks per value of one or more columns, the largest first: the top `limit`
 * values, then one `other` row for the rest. The top values are ranked by their sums alone (no state
 * is read for that); then each UTC day's states are merged per top value, or into the other row,
 * counted, and the days summed (visitors are additive across UTC days: query-plan.ts, dailyTotals).
 */
export async function queryBreakdown(clickhouse: ClickHouse, scope: AnalyticsScope, columns: readonly BreakdownColumn[], limit: number): Promise<BreakdownRow[]> {
  for (const column of columns) if (!(BREAKDOWN_COLUMNS as readonly string[]).includes(column)) throw new Error(`not a breakdown column: ${column}`);
  const { union, params } = statsQuery(scope, { keys: columns });
  const keys = columns.join(', ');
  const tuple = columns.length === 1 ? keys : `(${keys})`;
  // Outer names differ from inner ones (out_*): a SELECT alias that shadows a column it reads is ambiguous.
  const outer = columns.map((column) => `out_${column}`).join(', ');
  const top = `SELECT ${keys} FROM (SELECT ${keys}, sum(n_views) AS value_views, sum(n_clicks) AS value_clicks FROM (${union}) GROUP BY ${keys})
                ORDER BY value_views DESC, value_clicks DESC, ${keys} LIMIT {limit:UInt32}`;
  const rows = await clickhouse.query<Record<string, string> & { visitors_approximate: number; is_other: number }>(
    `SELECT ${outer}, is_other, sum(day_views) AS views, sum(day_clicks) AS clicks, sum(day_visitors) AS visitors, max(day_estimated) AS visitors_approximate
       FROM (
         SELECT utc_day, ${tuple} NOT IN (${top}) AS is_other, ${columns.map((column) => `if(is_other, '', ${column}) AS out_${column}`).join(', ')},
                sum(n_views) AS day_views, sum(n_clicks) AS day_clicks,
                ${DISTINCT.count('s_visitor_set', 's_visitor_sketch')} AS day_visitors, ${DISTINCT.isEstimate('s_visitor_set')} AS day_estimated
           FROM (${union})
          GROUP BY utc_day, is_other, ${outer}
       )
      GROUP BY is_other, ${outer}
      ORDER BY is_other, views DESC, clicks DESC, ${outer}`,
    { ...params, limit },
  );
  return rows.map((row) => ({
    values: Object.fromEntries(columns.map((column) => [column, row[`out_${column}`] ?? ''])),
    views: toCount(row.views),
    visitors: toCount(row.visitors),
    visitorsApproximate: toFlag(row.visitors_approximate),
    clicks: toCount(row.clicks),
    other: toFlag(row.is_other),
  }));
}
