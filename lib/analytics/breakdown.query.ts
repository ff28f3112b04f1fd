import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { BREAKDOWN_COLUMNS, MERGE, statsQuery, toCount, type AnalyticsScope, type BreakdownColumn } from './query-plan.js';

export interface BreakdownRow {
  values: Record<string, string>;
  views: number;
  visitors: number;
  clicks: number;
}

/** Views, visitors and clicks per value of one or more columns, the largest first. */
export async function queryBreakdown(clickhouse: ClickHouse, scope: AnalyticsScope, columns: readonly BreakdownColumn[], limit: number): Promise<BreakdownRow[]> {
  for (const column of columns) if (!(BREAKDOWN_COLUMNS as readonly string[]).includes(column)) throw new Error(`not a breakdown column: ${column}`);
  const { union, params } = statsQuery(scope, { keys: columns });
  const rows = await clickhouse.query<Record<string, string>>(
    `SELECT ${columns.join(', ')}, ${MERGE.views} AS views, ${MERGE.visitors} AS visitors, ${MERGE.clicks} AS clicks
       FROM (${union})
      GROUP BY ${columns.join(', ')}
      ORDER BY views DESC, clicks DESC, ${columns.join(', ')}
      LIMIT {limit:UInt32}`,
    { ...params, limit },
  );
  return rows.map((row) => ({
    values: Object.fromEntries(columns.map((column) => [column, row[column] ?? ''])),
    views: toCount(row.views),
    visitors: toCount(row.visitors),
    clicks: toCount(row.clicks),
  }));
}
