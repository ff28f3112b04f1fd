import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { heatmapQuery, toCount, type AnalyticsScope } from './query-plan.js';

export interface HeatmapCell {
  /** Left edge as a fraction of the content column's width, in steps of 0.01. */
  x: number;
  /** Top edge in CSS pixels, in steps of 16. */
  y: number;
  clicks: number;
}

/** Where tracked clicks landed (click_position rows), in 0.01 × 16 px cells. */
export async function queryHeatmap(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<HeatmapCell[]> {
  const { union, params } = heatmapQuery(scope);
  const rows = await clickhouse.query<{ x: string; y: string; n: string }>(
    `SELECT x_bucket AS x, y_bucket AS y, sum(n_clicks) AS n FROM (${union}) GROUP BY x, y ORDER BY y, x`,
    params,
  );
  return rows.map((row) => ({ x: toCount(row.x) / 100, y: toCount(row.y) * 16, clicks: toCount(row.n) }));
}
