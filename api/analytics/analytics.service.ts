// The analytics API's rules: who may read a profile's analytics (its owner, through the RLS-scoped
// profile lookup, so another creator's profile is a 404), the default range and interval, the
// comparison period, and joining link titles from PostgreSQL to ClickHouse's counts.
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { listLinks } from '../links/links.repository.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { queryBots } from '../../lib/analytics/bots.query.js';
import { queryBreakdown, type BreakdownRow } from '../../lib/analytics/breakdown.query.js';
import { queryDailyByLink } from '../../lib/analytics/daily-by-link.query.js';
import { EXPORT_COLUMNS, exportEvents } from '../../lib/analytics/export-events.query.js';
import { queryHeatmap } from '../../lib/analytics/heatmap.query.js';
import { queryLinks } from '../../lib/analytics/links.query.js';
import type { AnalyticsFilters, AnalyticsScope, BreakdownColumn, Interval } from '../../lib/analytics/query-plan.js';
import { queryRealtime } from '../../lib/analytics/realtime.query.js';
import { querySummary } from '../../lib/analytics/summary.query.js';
import { queryTimeseries } from '../../lib/analytics/timeseries.query.js';
import { CONTENT_TYPES, formatRows, type ExportFormat } from './export-format.js';
import { previousPeriod, type TimeRange } from './range.js';

/** Top values per breakdown table (then one row for all the others). */
export const BREAKDOWN_LIMIT = 100;

/** What every read takes: a range already resolved and checked when the request was parsed (range.ts). */
export interface RangeInput {
  range: TimeRange;
  compare?: 'previous' | undefined;
  filters: AnalyticsFilters;
}

export function createAnalyticsService(deps: { db: Database; clickhouse: ClickHouse }) {
  const { db, clickhouse } = deps;
  const ownProfile = async (userId: string, profileId: string) => {
    const profile = await withUser(db, userId, (tx) => getProfile(tx, profileId));
    if (!profile) throw notFound('No such profile');
  };
  const scopeOf = (profileId: string, range: TimeRange, filters: AnalyticsFilters): AnalyticsScope => ({ profileId, ...range, filters });

  return {
    async summary(userId: string, profileId: string, input: RangeInput) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const current = await querySummary(clickhouse, scopeOf(profileId, range, input.filters));
      if (input.compare !== 'previous') return { range, current };
      const previousRange = previousPeriod(range);
      return { range, current, previous: { range: previousRange, ...(await querySummary(clickhouse, scopeOf(profileId, previousRange, input.filters))) } };
    },

    async timeseries(userId: string, profileId: string, input: RangeInput & { interval: Interval; timeZone: string }) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const points = await queryTimeseries(clickhouse, scopeOf(profileId, range, input.filters), input.interval, input.timeZone);
      const previous =
        input.compare === 'previous'
          ? await queryTimeseries(clickhouse, scopeOf(profileId, previousPeriod(range), input.filters), input.interval, input.timeZone)
          : undefined;
      return { range, interval: input.interval, timeZone: input.timeZone, points, ...(previous ? { previous } : {}) };
    },

    /** One table per entry of `tables`, each grouped by its columns. */
    async breakdowns<T extends string>(userId: string, profileId: string, input: RangeInput, tables: Record<T, readonly BreakdownColumn[]>) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const entries = await Promise.all(
        (Object.entries(tables) as [T, readonly BreakdownColumn[]][]).map(async ([name, columns]) => [name, await queryBreakdown(clickhouse, scope, columns, BREAKDOWN_LIMIT)] as const),
      );
      return { range, tables: Object.fromEntries(entries) as Record<T, BreakdownRow[]> };
    },

    async heatmap(userId: string, profileId: string, input: RangeInput) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const cells = await queryHeatmap(clickhouse, scopeOf(profileId, range, input.filters));
      return { range, cells, clicks: cells.reduce((sum, cell) => sum + cell.clicks, 0) };
    },

    async bots(userId: string, profileId: string, input: RangeInput) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const kinds = await queryBots(clickhouse, scopeOf(profileId, range, input.filters));
      const total = kinds.reduce((sum, kind) => sum + kind.events, 0);
      const bots = kinds.filter((kind) => kind.kind !== '').reduce((sum, kind) => sum + kind.events, 0);
      return { range, total, bots, filteredShare: total > 0 ? bots / total : null, kinds: kinds.map((kind) => ({ kind: kind.kind || 'human', events: kind.events })) };
    },

    /** A streamed download: raw events (with hashed visitor ids only) or per-day-and-link aggregates. */
    async export(userId: string, profileId: string, input: RangeInput & { format: ExportFormat; data: 'events' | 'daily'; timeZone: string }) {
      await ownProfile(userId, profileId);
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const pages: AsyncIterable<readonly object[]> =
        input.data === 'events'
          ? exportEvents(clickhouse, scope)
          : (async function* daily() {
              yield await queryDailyByLink(clickhouse, scope, input.timeZone);
            })();
      const columns = input.data === 'events' ? EXPORT_COLUMNS : ['day', 'link_id', 'views', 'visitors', 'clicks'];
      const stamp = (date: Date) => date.toISOString().slice(0, 10);
      return {
        contentType: CONTENT_TYPES[input.format],
        filename: `linkpulse-${input.data}-${stamp(range.from)}-${stamp(range.to)}.${input.format === 'csv' ? 'csv' : 'ndjson'}`,
        chunks: formatRows(pages, columns, input.format),
      };
    },

    async realtime(userId: string, profileId: string) {
      await ownProfile(userId, profileId);
      return queryRealtime(clickhouse, profileId, new Date());
    },

    async links(userId: string, profileId: string, input: RangeInput) {
      const titles = await withUser(db, userId, async (tx) => {
        if (!(await getProfile(tx, profileId))) throw notFound('No such profile');
        return new Map((await listLinks(tx, profileId)).map((link) => [link.id, link.title]));
      });
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const [summary, stats] = await Promise.all([querySummary(clickhouse, scope), queryLinks(clickhouse, scope)]);
      // The page's links nobody clicked in the range are an answer too (0 clicks, 0% CTR), after the
      // clicked ones, in page order; with a link filter, only that link.
      const clicked = new Set(stats.map((stat) => stat.linkId));
      const unclicked = [...titles.keys()]
        .filter((linkId) => !clicked.has(linkId) && (input.filters.link === undefined || input.filters.link === linkId))
        .map((linkId) => ({ linkId, clicks: 0, uniqueClicks: 0, uniqueClicksApproximate: false }));
      return {
        range,
        links: [...stats, ...unclicked].map((stat) => ({
          ...stat,
          title: titles.get(stat.linkId) ?? null,
          ctr: summary.views > 0 ? stat.clicks / summary.views : null,
        })),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
