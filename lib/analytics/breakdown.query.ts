import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { BREAKDOWN_COLUMNS, REMERGE, statsQuery, toCount, toFlag, type AnalyticsScope, type BreakdownColumn } from './query-plan.js';

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
   * distinct visitors of those values, not a sum).
   */
  other: boolean;
}

/**
 * Views, visitors and clicks per value of one or more columns, the largest first: the top `limit`
 * values, then one `other` row for the rest. One query: values are ranked over their merged states,
 * and the rest's states are merged again into the other row.
 */
export async function queryBreakdown(clickhouse: ClickHouse, scope: AnalyticsScope, columns: readonly BreakdownColumn[], limit: number): Promise<BreakdownRow[]> {
  for (const column of columns) if (!(BREAKDOWN_COLUMNS as readonly string[]).includes(column)) throw new Error(`not a breakdown column: ${column}`);
  const { union, params } = statsQuery(scope, { keys: columns });
  const keys = columns.join(', ');
  // Outer names differ from inner ones (out_*, value_*): a SELECT alias that shadows a column it reads is ambiguous.
  const outer = columns.map((column) => `out_${column}`);
  const rows = await clickhouse.query<Record<string, string> & { visitors_approximate: number; is_other: number }>(
    `SELECT ${columns.map((column) => `if(rank > {limit:UInt32}, '', ${column}) AS out_${column}`).join(', ')},
            rank > {limit:UInt32} AS is_other,
            sum(value_views) AS views, ${REMERGE.visitors} AS visitors, ${REMERGE.visitorsApproximate} AS visitors_approximate, sum(value_clicks) AS clicks
       FROM (
         SELECT ${keys}, sum(n_views) AS value_views, sum(n_clicks) AS value_clicks, ${REMERGE.states},
                row_number() OVER (ORDER BY value_views DESC, value_clicks DESC, ${keys}) AS rank
           FROM (${union})
          GROUP BY ${keys}
       )
      GROUP BY is_other, ${outer.join(', ')}
      ORDER BY is_other, views DESC, clicks DESC, ${outer.join(', ')}`,
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
