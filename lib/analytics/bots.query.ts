import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { scopeCondition, toCount, type AnalyticsScope } from './query-plan.js';

/** Traffic by bot kind ('' = people), for the "X% filtered" figure: every event but the creator's own. */
export async function queryBots(clickhouse: ClickHouse, scope: AnalyticsScope): Promise<{ kind: string; events: number }[]> {
  const { where, params } = scopeCondition(scope, { includeBots: true });
  const rows = await clickhouse.query<{ kind: string; n: string }>(
    `SELECT bot_kind AS kind, count() AS n FROM events
      WHERE ${where} AND event_type IN ('view', 'click')
      GROUP BY kind ORDER BY n DESC`,
    params,
  );
  return rows.map((row) => ({ kind: row.kind, events: toCount(row.n) }));
}
