// The analytics API's rules: who may read a profile's analytics (its owner, through the RLS-scoped
// profile lookup, so another creator's profile is a 404), the default range and interval, the
// comparison period, and joining link titles from PostgreSQL to ClickHouse's counts.
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { listAbTestsDuring, listLinks, type AbTestRow } from '../links/links.repository.js';
import { queryAbTests, type AbVariantFigures } from '../../lib/analytics/ab-test.query.js';
import { analyseAbTest } from '../../lib/analytics/ab-significance.js';
import { variantLetter } from '../../lib/links/ab-test.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { requireRole } from '../profiles/profiles.service.js';
import { queryBots } from '../../lib/analytics/bots.query.js';
import { queryBreakdown, type BreakdownRow } from '../../lib/analytics/breakdown.query.js';
import { queryDailyByLink, type DailyLinkRow } from '../../lib/analytics/daily-by-link.query.js';
import { EVENT_EXPORT_COLUMNS, exportEvents, withLinkTitles, type ExportRow } from '../../lib/analytics/export-events.query.js';
import { queryHeatmap } from '../../lib/analytics/heatmap.query.js';
import { queryLinks } from '../../lib/analytics/links.query.js';
import type { AnalyticsFilters, AnalyticsScope, BreakdownColumn, Interval } from '../../lib/analytics/query-plan.js';
import { queryRealtime } from '../../lib/analytics/realtime.query.js';
import { querySummary } from '../../lib/analytics/summary.query.js';
import { queryTimeseries } from '../../lib/analytics/timeseries.query.js';
import { CONTENT_TYPES, formatRows, type ExportFormat } from '../../lib/export-format.js';
import { previousPeriod, type TimeRange } from './range.js';

export const DAILY_EXPORT_COLUMNS = ['day', 'link_id', 'link_title', 'views', 'visitors', 'clicks'] as const;

/** Top values per breakdown table (then one row for all the others). */
export const BREAKDOWN_LIMIT = 100;

/** What every read takes: a range already resolved and checked when the request was parsed (range.ts). */
export interface RangeInput {
  range: TimeRange;
  compare?: 'previous' | undefined;
  filters: AnalyticsFilters;
}

/** The batched dashboard's panel reads running at once: the engine has 2 cores, and a panel's read may itself run several queries. */
export const DASHBOARD_CONCURRENCY = 2;

/** A/B tests shown at most, the latest first: those that ran at some time in the range. */
export const AB_TESTS_SHOWN = 10;

type AbTestOfRange = AbTestRow & { link_title: string };

/** One panel of a batched read: its body, or the error that failed it (the others go on). */
export type PanelOutcome<K extends string> = { panel: K; body: unknown } | { panel: K; error: unknown };

export function createAnalyticsService(deps: { db: Database; clickhouse: ClickHouse; logger: Logger }) {
  const { db, clickhouse, logger } = deps;
  const ownProfile = async (userId: string, profileId: string) => {
    const profile = await withUser(db, userId, (tx) => getProfile(tx, profileId));
    if (!profile) throw notFound('No such profile');
  };
  /** Titles of the profile's links by id, read through RLS: a 404 for a profile the caller is not a member of. */
  const linkTitles = (userId: string, profileId: string, action: 'read' | 'export' = 'read') =>
    withUser(db, userId, async (tx) => {
      const profile = await getProfile(tx, profileId);
      if (!profile) throw notFound('No such profile');
      requireRole(profile, action);
      return new Map((await listLinks(tx, profileId)).map((link) => [link.id, link.title]));
    });
  const scopeOf = (profileId: string, range: TimeRange, filters: AnalyticsFilters): AnalyticsScope => ({ profileId, ...range, filters });
  /** The profile's A/B tests that ran in the range, read through RLS (members read them). */
  const abTestsDuring = (userId: string, profileId: string) => (range: TimeRange) =>
    withUser(db, userId, (tx) => listAbTestsDuring(tx, profileId, range, AB_TESTS_SHOWN));

  /** The reads of one profile, once the caller's ownership has been checked (ClickHouse has no RLS). */
  const readsOf = (profileId: string, titles: () => Promise<Map<string, string>>, abTests: (range: TimeRange) => Promise<AbTestOfRange[]> = async () => []) => ({
    /**
     * The A/B tests that ran at some time in the range, each measured over its whole life (not just the
     * range: a test's figures describe one split), with each variant's figures, rate and the verdict
     * (lib/analytics/ab-significance.ts). Filters do not apply.
     */
    async abTests(input: RangeInput) {
      const { range } = input;
      const tests = await abTests(range);
      const figures = await queryAbTests(
        clickhouse,
        profileId,
        tests.map((test) => test.id),
      );
      return { range, tests: tests.map((test) => describeAbTest(test, figures)) };
    },

    async summary(input: RangeInput) {
      const { range } = input;
      const current = await querySummary(clickhouse, scopeOf(profileId, range, input.filters));
      if (input.compare !== 'previous') return { range, current };
      const previousRange = previousPeriod(range);
      return { range, current, previous: { range: previousRange, ...(await querySummary(clickhouse, scopeOf(profileId, previousRange, input.filters))) } };
    },

    async timeseries(input: RangeInput & { interval: Interval; timeZone: string }) {
      const { range } = input;
      const points = await queryTimeseries(clickhouse, scopeOf(profileId, range, input.filters), input.interval, input.timeZone);
      const previous =
        input.compare === 'previous'
          ? await queryTimeseries(clickhouse, scopeOf(profileId, previousPeriod(range), input.filters), input.interval, input.timeZone)
          : undefined;
      return { range, interval: input.interval, timeZone: input.timeZone, points, ...(previous ? { previous } : {}) };
    },

    /** One table per entry of `tables`, each grouped by its columns. */
    async breakdowns<T extends string>(input: RangeInput, tables: Record<T, readonly BreakdownColumn[]>) {
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const entries = await Promise.all(
        (Object.entries(tables) as [T, readonly BreakdownColumn[]][]).map(async ([name, columns]) => [name, await queryBreakdown(clickhouse, scope, columns, BREAKDOWN_LIMIT)] as const),
      );
      return { range, tables: Object.fromEntries(entries) as Record<T, BreakdownRow[]> };
    },

    async heatmap(input: RangeInput) {
      const { range } = input;
      const cells = await queryHeatmap(clickhouse, scopeOf(profileId, range, input.filters));
      return { range, cells, clicks: cells.reduce((sum, cell) => sum + cell.clicks, 0) };
    },

    async bots(input: RangeInput) {
      const { range } = input;
      const kinds = await queryBots(clickhouse, scopeOf(profileId, range, input.filters));
      const total = kinds.reduce((sum, kind) => sum + kind.events, 0);
      const bots = kinds.filter((kind) => kind.kind !== '').reduce((sum, kind) => sum + kind.events, 0);
      return { range, total, bots, filteredShare: total > 0 ? bots / total : null, kinds: kinds.map((kind) => ({ kind: kind.kind || 'human', events: kind.events })) };
    },

    async links(input: RangeInput) {
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const [titlesById, summary, stats] = await Promise.all([titles(), querySummary(clickhouse, scope), queryLinks(clickhouse, scope)]);
      // The page's links nobody clicked in the range are an answer too (0 clicks, 0% CTR), after the
      // clicked ones, in page order; with a link filter, only that link.
      const clicked = new Set(stats.map((stat) => stat.linkId));
      const unclicked = [...titlesById.keys()]
        .filter((linkId) => !clicked.has(linkId) && (input.filters.link === undefined || input.filters.link === linkId))
        .map((linkId) => ({ linkId, clicks: 0, uniqueClicks: 0, uniqueClicksApproximate: false }));
      return {
        range,
        links: [...stats, ...unclicked].map((stat) => ({
          ...stat,
          title: titlesById.get(stat.linkId) ?? null,
          ctr: summary.views > 0 ? stat.clicks / summary.views : null,
        })),
      };
    },
  });
  type ProfileReads = ReturnType<typeof readsOf>;
  /** The reads of a profile the caller owns, checked first (links read their titles in the same transaction). */
  const ownedReads = async (userId: string, profileId: string): Promise<ProfileReads> => {
    await ownProfile(userId, profileId);
    return readsOf(
      profileId,
      () => linkTitles(userId, profileId),
      abTestsDuring(userId, profileId),
    );
  };

  type PanelTasks<K extends string> = (reads: ProfileReads) => readonly (readonly [K, () => Promise<unknown>])[];
  /** The panels' reads of one profile, at most DASHBOARD_CONCURRENCY at once, each outcome as it settles. */
  const batch = <K extends string>(profileId: string, titles: Map<string, string>, panels: PanelTasks<K>, abTests?: (range: TimeRange) => Promise<AbTestOfRange[]>) => {
    const tasks = panels(readsOf(profileId, async () => titles, abTests));
    const log = (panel: K, error: unknown) => {
      if (!(error instanceof AppError) || error.code === 'INTERNAL_ERROR') logger.error({ err: error, panel, profileId }, 'analytics dashboard panel failed');
    };
    return settleWithLimit(tasks, DASHBOARD_CONCURRENCY, log);
  };

  return {
    async summary(userId: string, profileId: string, input: RangeInput) {
      return (await ownedReads(userId, profileId)).summary(input);
    },

    async timeseries(userId: string, profileId: string, input: RangeInput & { interval: Interval; timeZone: string }) {
      return (await ownedReads(userId, profileId)).timeseries(input);
    },

    /** One table per entry of `tables`, each grouped by its columns. */
    async breakdowns<T extends string>(userId: string, profileId: string, input: RangeInput, tables: Record<T, readonly BreakdownColumn[]>) {
      return (await ownedReads(userId, profileId)).breakdowns(input, tables);
    },

    async heatmap(userId: string, profileId: string, input: RangeInput) {
      return (await ownedReads(userId, profileId)).heatmap(input);
    },

    async bots(userId: string, profileId: string, input: RangeInput) {
      return (await ownedReads(userId, profileId)).bots(input);
    },

    async abTests(userId: string, profileId: string, input: RangeInput) {
      return (await ownedReads(userId, profileId)).abTests(input);
    },

    async links(userId: string, profileId: string, input: RangeInput) {
      // Ownership and titles in one transaction: a 404 before any ClickHouse read.
      const titles = await linkTitles(userId, profileId);
      return readsOf(profileId, async () => titles).links(input);
    },

    /**
     * Several panels of one profile in one request (the dashboard's batch): ownership checked once,
     * before anything is read (a 404 is thrown here, before the caller starts answering), then the
     * panels' reads in the order given, at most DASHBOARD_CONCURRENCY at once, each outcome yielded
     * as soon as it settles. A panel that fails yields its error and the others go on; an error that
     * is not ours to explain is logged here. Stopping the iteration (the client left) starts no more reads.
     */
    async dashboard<K extends string>(userId: string, profileId: string, panels: PanelTasks<K>) {
      return batch(profileId, await linkTitles(userId, profileId), panels, abTestsDuring(userId, profileId));
    },

    /**
     * The same batch for a shared dashboard (api/shares): the caller has checked the share's token
     * and read the profile's link titles with it.
     */
    sharedDashboard: <K extends string>(profileId: string, titles: Map<string, string>, panels: PanelTasks<K>) => batch(profileId, titles, panels),

    sharedRealtime: (profileId: string) => queryRealtime(clickhouse, profileId, new Date()),

    /** A streamed download: raw events (with hashed visitor ids only) or per-day-and-link aggregates. */
    async export(userId: string, profileId: string, input: RangeInput & { format: ExportFormat; data: 'events' | 'daily'; timeZone: string }) {
      // Viewers see the dashboard; downloads are for the owner, editors and analysts.
      const titles = await linkTitles(userId, profileId, 'export');
      const { range } = input;
      const scope = scopeOf(profileId, range, input.filters);
      const rows: AsyncIterable<readonly (ExportRow | DailyLinkRow)[]> =
        input.data === 'events'
          ? exportEvents(clickhouse, scope)
          : (async function* daily() {
              yield await queryDailyByLink(clickhouse, scope, input.timeZone);
            })();
      // Each link named as the creator titled it.
      const pages = withLinkTitles(rows, titles);
      const columns = input.data === 'events' ? EVENT_EXPORT_COLUMNS : DAILY_EXPORT_COLUMNS;
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
  };
}

/** One test as the A/B panel shows it: its variants (with zeros for those without events), their figures and the verdict. */
function describeAbTest(test: AbTestOfRange, figures: readonly AbVariantFigures[]) {
  const variants = test.variants.map((variant, index) => {
    const found = figures.find((row) => row.testId === test.id && row.variant === index + 1);
    return {
      variant: index + 1,
      letter: variantLetter(index + 1),
      url: variant.url,
      weight: variant.weight,
      views: found?.views ?? 0,
      visitors: found?.visitors ?? 0,
      visitorsApproximate: found?.visitorsApproximate ?? false,
      clicks: found?.clicks ?? 0,
      uniqueClicks: found?.uniqueClicks ?? 0,
      uniqueClicksApproximate: found?.uniqueClicksApproximate ?? false,
    };
  });
  const analysis = analyseAbTest(
    variants.map((variant) => ({ visitors: variant.visitors, clickers: Math.min(variant.uniqueClicks, variant.visitors) })),
    variants.map((variant) => variant.weight),
  );
  return {
    id: test.id,
    linkId: test.link_id,
    linkTitle: test.link_title,
    startedAt: test.started_at,
    endedAt: test.ended_at,
    keptVariant: test.kept_variant,
    variants: variants.map((variant, index) => ({ ...variant, ...analysis.variants[index]! })),
    verdict: analysis.verdict,
    sampleRatioPValue: analysis.sampleRatioPValue,
    sampleRatioMismatch: analysis.sampleRatioMismatch,
  };
}

/**
 * Runs `tasks` in their order, at most `limit` at once, yielding each one's outcome as it settles
 * (so the first tasks, started first, tend to arrive first). Once the consumer stops iterating, no
 * further task starts; those already running finish unobserved.
 */
export async function* settleWithLimit<K extends string>(
  tasks: readonly (readonly [K, () => Promise<unknown>])[],
  limit: number,
  onError: (panel: K, error: unknown) => void = () => undefined,
): AsyncGenerator<PanelOutcome<K>> {
  const settled: PanelOutcome<K>[] = [];
  let wake: (() => void) | undefined;
  let next = 0;
  let running = 0;
  let stopped = false;
  const start = () => {
    while (!stopped && running < limit && next < tasks.length) {
      const [panel, run] = tasks[next++]!;
      running++;
      // A task that throws synchronously is a failed panel too, not a broken batch.
      Promise.resolve()
        .then(run)
        .then(
          (body) => settled.push({ panel, body }),
          (error: unknown) => {
            onError(panel, error);
            settled.push({ panel, error });
          },
        )
        .finally(() => {
          running--;
          start();
          wake?.();
        });
    }
  };
  try {
    start();
    while (settled.length > 0 || running > 0) {
      if (settled.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      while (settled.length > 0) yield settled.shift()!;
    }
  } finally {
    stopped = true;
  }
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
