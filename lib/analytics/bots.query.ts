import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { botsQuery, toCount, type AnalyticsScope } from './query-plan.js';

/** Traffic by bot kind ('' = people), for the "X% filtered" figure: every event but the creator's own. */
export async function queryBots(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<{ kind: string; events: number }[]> {
  const { union, params } = botsQuery(scope);
  const rows = await clickhouse.query<{ kind: string; n: string }>(`SELECT kind, sum(n_events) AS n FROM (${union}) GROUP BY kind ORDER BY n DESC, kind`, params);
  return rows.map((row) => ({ kind: row.kind, events: toCount(row.n) }));
}
