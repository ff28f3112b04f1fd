// Per-variant figures of A/B tests of links, from ab_test_daily (clickhouse/0008): each test over its
// whole life (a test's events carry its id only while it runs), so a read takes every row of its id:
// a few rows per day of the test, whatever the profile's traffic. Bots and the creator's own visits are
// left out, as everywhere. Dimension filters do not apply (the table has no dimensions).
//
// Per variant: views and visitors assigned to it (page views, and direct visits to the tested link),
// clicks on the tested link and unique clickers. Distinct counts are counted per UTC day and summed,
// as every read does (query-plan.ts, dailyTotals): a visitor id lives one day, so the units are
// visitor-days, each assigned on its own.
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { DISTINCT, toCount, toFlag } from './query-plan.js';

export interface AbVariantFigures {
  testId: string;
  /** 1-based, as events record it. */
  variant: number;
  views: number;
  visitors: number;
  visitorsApproximate: boolean;
  clicks: number;
  uniqueClicks: number;
  uniqueClicksApproximate: boolean;
}

/** The figures of each variant of the given tests of one profile (variants without events are absent). */
export async function queryAbTests(clickhouse: ClickHouse, profileId: string, testIds: readonly string[]): Promise<AbVariantFigures[]> {
  if (testIds.length === 0) return [];
  const rows = await clickhouse.query<{
    test: string;
    variant: number;
    views: string;
    clicks: string;
    visitors: string;
    visitors_approximate: number;
    unique_clicks: string;
    unique_clicks_approximate: number;
  }>(
    `SELECT toString(test_id) AS test, variant, sum(d_views) AS views, sum(d_clicks) AS clicks,
            sum(d_visitors) AS visitors, max(d_visitors_estimated) AS visitors_approximate,
            sum(d_clickers) AS unique_clicks, max(d_clickers_estimated) AS unique_clicks_approximate
       FROM (
         SELECT test_id, day, variant, sum(views) AS d_views, sum(clicks) AS d_clicks,
                ${DISTINCT.count('visitor_set', 'visitor_sketch')} AS d_visitors, ${DISTINCT.isEstimate('visitor_set')} AS d_visitors_estimated,
                ${DISTINCT.count('clicker_set', 'clicker_sketch')} AS d_clickers, ${DISTINCT.isEstimate('clicker_set')} AS d_clickers_estimated
           FROM ab_test_daily
          WHERE profile_id = {profile:UUID} AND is_bot = 0 AND is_internal = 0 AND test_id IN {tests:Array(UUID)}
          GROUP BY test_id, day, variant
       )
      GROUP BY test_id, variant
      ORDER BY test_id, variant`,
    { profile: profileId, tests: testIds },
  );
  return rows.map((row) => ({
    testId: row.test,
    variant: Number(row.variant),
    views: toCount(row.views),
    visitors: toCount(row.visitors),
    visitorsApproximate: toFlag(row.visitors_approximate),
    clicks: toCount(row.clicks),
    uniqueClicks: toCount(row.unique_clicks),
    uniqueClicksApproximate: toFlag(row.unique_clicks_approximate),
  }));
}
