import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { ALL_LINKS, toCount } from './query-plan.js';

export interface HourViews {
  profileId: string;
  /** The UTC hour's start. */
  hour: Date;
  views: number;
}

/**
 * The page views of many profiles per UTC hour, only in the given hours of the day, over [from, to):
 * what the alerts job compares an hour with (the same hour of the day on the days before). Read from
 * traffic_hourly's rows for all links (bots and the creators' own visits left out), a few rows per
 * profile and hour; never from the raw events. Hours without views have no row.
 */
export async function queryHourOfDayViews(clickhouse: ClickHouse, scope: { profileIds: readonly string[]; hoursOfDay: readonly number[]; from: Date; to: Date }): Promise<HourViews[]> {
  if (scope.profileIds.length === 0 || scope.hoursOfDay.length === 0) return [];
  const rows = await clickhouse.query<{ profile: string; hour_start: string; views: string }>(
    `SELECT toString(profile_id) AS profile, toUnixTimestamp(hour) AS hour_start, sum(views) AS views
       FROM traffic_hourly
      WHERE profile_id IN {profiles:Array(UUID)} AND is_bot = 0 AND is_internal = 0 AND link_id = {allLinks:UUID}
        AND hour >= {from:DateTime('UTC')} AND hour < {to:DateTime('UTC')} AND toHour(hour) IN {hoursOfDay:Array(UInt8)}
      GROUP BY profile_id, hour
     HAVING views > 0`,
    { profiles: scope.profileIds, allLinks: ALL_LINKS, from: scope.from, to: scope.to, hoursOfDay: scope.hoursOfDay },
  );
  return rows.map((row) => ({ profileId: row.profile, hour: new Date(Number(row.hour_start) * 1000), views: toCount(row.views) }));
}
