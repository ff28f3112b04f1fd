// /api/v1/profiles/:profileId/analytics/*: the creator's analytics, read from ClickHouse.
import { z } from 'zod';
import { SKETCH_STANDARD_ERROR, VISITOR_SET_LIMIT, type AnalyticsFilters, type BreakdownColumn } from '../../lib/analytics/query-plan.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, Instant } from '../http/schemas.js';
import {
  CHANNEL_PATTERN,
  COUNTRY_PATTERN,
  DEVICE_CLASSES,
  INTERVALS,
  NAME_MAX_LENGTH,
  TRIGGERS,
  REFERRER_MAX_LENGTH,
  REFERRER_PATTERN,
  TIME_ZONE_MAX_LENGTH,
  canonicalTimeZone,
  type AnalyticsFilter,
} from '../../lib/analytics/analytics-params.js';
import { EXPORT_FORMATS } from '../../lib/export-format.js';
import { AB_TESTS_SHOWN, BREAKDOWN_LIMIT, type AnalyticsService, type PanelOutcome, type RangeInput } from './analytics.service.js';
import { MIN_EXPECTED_COUNT, MIN_VISITORS_PER_VARIANT, SAMPLE_RATIO_ALARM, SIGNIFICANCE_LEVEL } from '../../lib/analytics/ab-significance.js';
import { toErrorResponse } from '../../lib/errors.js';
import { requestIdOf } from '../../lib/http/request-context.js';
import { DEFAULT_RANGE_DAYS, EARLIEST_ANALYTICS_INSTANT, rangeProblems, resolveRange, type RangeQuery as RangeQueryFields, type TimeRange } from './range.js';

const TimeZone = z
  .string()
  .max(TIME_ZONE_MAX_LENGTH)
  .transform((value, ctx) => {
    const zone = canonicalTimeZone(value);
    if (zone === undefined) ctx.addIssue({ code: 'custom', input: value, message: 'an IANA time zone such as Europe/Berlin' });
    return zone ?? value;
  })
  .meta({
    id: 'TimeZone',
    description: 'An IANA time zone. The list names the canonical zones; aliases (US/Pacific) and any letter case are accepted too, and answered with the canonical name',
    enum: ['UTC', ...Intl.supportedValuesOf('timeZone')],
  });

const Filters = {
  country: z.string().regex(COUNTRY_PATTERN, 'an ISO 3166-1 alpha-2 code such as DE').optional(),
  device: z.enum(DEVICE_CLASSES).optional(),
  browser: z.string().min(1).max(NAME_MAX_LENGTH).optional(),
  os: z.string().min(1).max(NAME_MAX_LENGTH).optional(),
  channel: z.string().regex(CHANNEL_PATTERN).optional(),
  referrer: z.string().max(REFERRER_MAX_LENGTH).regex(REFERRER_PATTERN, 'a referring domain in lower case, such as news.ycombinator.com').optional(),
  trigger: z.enum(TRIGGERS).optional().describe('qr: visits that began with a scan of a Linkpulse QR code (?trigger=qr), and their clicks; link: all the others'),
  link: Id.optional(),
} satisfies Record<AnalyticsFilter, z.ZodType>;

const RANGE_RULES =
  `The range is [from, to): to defaults to now, from to ${DEFAULT_RANGE_DAYS} days before to. It must start at ${EARLIEST_ANALYTICS_INSTANT.toISOString()} or later, ` +
  `end at most a day after now, have from before to, and span at most 5 years; with compare=previous, the previous period (as long as the range, ending at from) ` +
  `must start at ${EARLIEST_ANALYTICS_INSTANT.toISOString()} or later too. A range that breaks a rule is refused (400, naming the field), never clamped.`;

const RangeFields = {
  from: Instant.optional().describe(`Start of the range (inclusive). ${RANGE_RULES}`),
  to: Instant.optional().describe('End of the range (exclusive); see from for the rules'),
  ...Filters,
};
const Compare = { compare: z.enum(['previous']).optional().describe('Also read the period of the same length just before the range') };

/**
 * Resolves a parsed query's range and checks it (rangeProblems). Used as a transform, not a refine:
 * zod runs an object's refinements even after a field failed a format check (those issues do not
 * abort), handing them the raw strings, while a transform runs only once every field parsed.
 */
function withRange<Q extends RangeQueryFields>(query: Q, ctx: z.RefinementCtx): Q & { range: TimeRange } {
  const now = Date.now();
  for (const problem of rangeProblems(query, now)) ctx.addIssue({ code: 'custom', input: query, path: [problem.field], message: problem.message });
  return { ...query, range: resolveRange(query, now) };
}

const RangeQuery = z.strictObject({ ...RangeFields, ...Compare }).transform(withRange);
/** A/B tests: a range only (each test is measured over its whole run, without filters). */
const AbTestsQuery = z.strictObject({ from: RangeFields.from, to: RangeFields.to }).transform(withRange);
const TimeseriesQuery = z.strictObject({ ...RangeFields, ...Compare, interval: z.enum(INTERVALS).default('day'), tz: TimeZone.default('UTC') }).transform(withRange);
const ExportQuery = z
  .strictObject({ ...RangeFields, format: z.enum(EXPORT_FORMATS).default('csv'), data: z.enum(['events', 'daily']).default('events'), tz: TimeZone.default('UTC') })
  .transform(withRange);

const toRangeInput = (query: { range: TimeRange; compare?: 'previous' | undefined } & AnalyticsFilters): RangeInput => ({
  range: query.range,
  compare: query.compare,
  filters: { country: query.country, device: query.device, browser: query.browser, os: query.os, channel: query.channel, referrer: query.referrer, trigger: query.trigger, link: query.link },
});

const Range = z.object({ from: z.iso.datetime(), to: z.iso.datetime() });
const ESTIMATE = `true when the count beside it is an estimate: each UTC day is counted on its own and the days summed, exactly for a day under ${VISITOR_SET_LIMIT.toLocaleString('en-US')} distinct visitors, within ±${(SKETCH_STANDARD_ERROR * 100).toFixed(1)}% (one standard error) for a busier one`;
const Approximate = z.boolean().describe(ESTIMATE);
const SummaryFigures = z.object({
  views: z.number().int(),
  visitors: z.number().int(),
  visitorsApproximate: Approximate,
  clicks: z.number().int(),
  uniqueClicks: z.number().int(),
  uniqueClicksApproximate: Approximate,
  ctr: z.number().nullable(),
  medianTimeToClickMs: z.number().int().nullable(),
});
const Point = z.object({ start: z.iso.datetime(), views: z.number().int(), visitors: z.number().int(), visitorsApproximate: Approximate, clicks: z.number().int() });
const Params = z.strictObject({ profileId: Id });
const iso = (range: { from: Date; to: Date }) => ({ from: range.from.toISOString(), to: range.to.toISOString() });

const BreakdownRow = z.object({
  values: z.record(z.string(), z.string()),
  views: z.number().int(),
  visitors: z.number().int(),
  visitorsApproximate: Approximate,
  clicks: z.number().int(),
  other: z.boolean().describe(`true for the last row, present when there are more values than the top ${BREAKDOWN_LIMIT}: all the others together (values ''), so the rows add up to the totals`),
});

/** The breakdown endpoints: name, description, and the tables each returns (grouped by these columns). */
const BREAKDOWNS = {
  geo: { summary: 'Countries, regions and cities', tables: { countries: ['country'], regions: ['country', 'region'], cities: ['country', 'city'] } },
  devices: { summary: 'Device classes, browsers and operating systems', tables: { devices: ['device'], browsers: ['browser'], os: ['os'] } },
  referrers: {
    summary: 'Referring sites, channels (developer channels included) and QR scans against the rest (trigger: qr, link)',
    tables: { channels: ['channel'], referrers: ['referrer_domain'], triggers: ['trigger'] },
  },
  utm: { summary: 'UTM campaigns', tables: { sources: ['utm_source'], mediums: ['utm_medium'], campaigns: ['utm_campaign'], combinations: ['utm_source', 'utm_medium', 'utm_campaign'] } },
} as const satisfies Record<string, { summary: string; tables: Record<string, readonly BreakdownColumn[]> }>;
type BreakdownName = keyof typeof BREAKDOWNS;
type BreakdownSpec = { summary: string; tables: Record<string, readonly BreakdownColumn[]> };
const BREAKDOWN_NAMES = Object.keys(BREAKDOWNS) as BreakdownName[];

// Each answer's schema and the function that shapes it, shared by its own endpoint and by the
// batched dashboard, so a panel of the batch is by construction what its endpoint answers.
const SummaryBody = z.object({ range: Range, current: SummaryFigures, previous: SummaryFigures.extend({ range: Range }).optional() });
const summaryBody = (result: Awaited<ReturnType<AnalyticsService['summary']>>) => ({
  range: iso(result.range),
  current: result.current,
  ...(result.previous ? { previous: { ...result.previous, range: iso(result.previous.range) } } : {}),
});
const TimeseriesBody = z.object({ range: Range, interval: z.enum(INTERVALS), timeZone: z.string(), points: z.array(Point), previous: z.array(Point).optional() });
const timeseriesBody = (result: Awaited<ReturnType<AnalyticsService['timeseries']>>) => ({ ...result, range: iso(result.range) });
const LinksBody = z.object({
  range: Range,
  links: z.array(
    z.object({ linkId: z.uuid(), title: z.string().nullable(), clicks: z.number().int(), uniqueClicks: z.number().int(), uniqueClicksApproximate: Approximate, ctr: z.number().nullable() }),
  ),
});
const linksBody = (result: Awaited<ReturnType<AnalyticsService['links']>>) => ({ ...result, range: iso(result.range) });
const breakdownBodySchema = (spec: BreakdownSpec) =>
  z.object({ range: Range, tables: z.object(Object.fromEntries(Object.keys(spec.tables).map((table) => [table, z.array(BreakdownRow)]))) });
const breakdownBody = (result: { range: TimeRange; tables: Record<string, unknown> }) => ({ range: iso(result.range), tables: result.tables });
const HeatmapBody = z.object({ range: Range, clicks: z.number().int(), cells: z.array(z.object({ x: z.number(), y: z.number().int(), clicks: z.number().int() })) });
const heatmapBody = (result: Awaited<ReturnType<AnalyticsService['heatmap']>>) => ({ ...result, range: iso(result.range) });
const BotsBody = z.object({
  range: Range,
  total: z.number().int(),
  bots: z.number().int(),
  filteredShare: z.number().nullable(),
  kinds: z.array(z.object({ kind: z.string(), events: z.number().int() })),
});
const botsBody = (result: Awaited<ReturnType<AnalyticsService['bots']>>) => ({ ...result, range: iso(result.range) });

/** How the A/B panel measures and decides, said once in the API document and in the dashboard. */
export const AB_TEST_METHOD =
  'Visitors are assigned a variant when they reach the page or the link (a hash of their daily visitor id and the test, so the same one all day); ' +
  'a variant\'s rate is its unique clickers over its assigned visitors (visitor-days). ' +
  `Verdict: two-sided two-proportion z-test of the leading variant against each other one, Bonferroni-corrected, significant below p = ${SIGNIFICANCE_LEVEL}; ` +
  `none before every variant has ${MIN_VISITORS_PER_VARIANT} assigned visitors and ${MIN_EXPECTED_COUNT} clickers and non-clickers. ` +
  `A split of visitors the weights cannot explain (chi-square p < ${SAMPLE_RATIO_ALARM}) is flagged as a sample ratio mismatch`;
const AbVariantResult = z.object({
  variant: z.number().int().describe('1 for A, 2 for B, …'),
  letter: z.string(),
  url: z.string(),
  weight: z.number().int(),
  views: z.number().int().describe('Page views (and direct visits of the link) by visitors assigned to this variant'),
  visitors: z.number().int().describe('Visitors assigned to this variant (visitor-days)'),
  visitorsApproximate: Approximate,
  clicks: z.number().int(),
  uniqueClicks: z.number().int().describe('Visitors who clicked the tested link (visitor-days)'),
  uniqueClicksApproximate: Approximate,
  rate: z.number().nullable().describe('uniqueClicks / visitors, null without visitors'),
  interval: z.array(z.number()).length(2).nullable().describe('The rate’s 95% Wilson score interval'),
  liftOverFirst: z.number().nullable().describe('The rate relative to variant A’s, minus 1 (0.1 is 10% better); null for A'),
  pValueAgainstLeader: z.number().nullable().describe('Corrected p-value of the leader against this variant; null for the leader and before a verdict'),
});
const AbVerdict = z.discriminatedUnion('status', [
  z.object({ status: z.literal('collecting'), visitorsNeeded: z.number().int() }),
  z.object({ status: z.literal('no_difference'), leader: z.number().int(), pValue: z.number() }),
  z.object({ status: z.literal('winner'), winner: z.number().int(), pValue: z.number() }),
]);
const AbTestsBody = z.object({
  range: Range,
  method: z.string().describe('How the figures are measured and the verdict decided'),
  tests: z
    .array(
      z.object({
        id: z.uuid(),
        linkId: z.uuid(),
        linkTitle: z.string(),
        startedAt: z.iso.datetime(),
        endedAt: z.iso.datetime().nullable(),
        keptVariant: z.number().int().nullable(),
        variants: z.array(AbVariantResult),
        verdict: AbVerdict,
        sampleRatioPValue: z.number().nullable(),
        sampleRatioMismatch: z.boolean(),
      }),
    )
    .describe(`The tests that ran at some time in the range (the latest ${AB_TESTS_SHOWN}), each measured over its whole run; filters do not apply`),
});
const abTestsBody = (result: Awaited<ReturnType<AnalyticsService['abTests']>>) => ({
  range: iso(result.range),
  method: AB_TEST_METHOD,
  tests: result.tests.map((test) => ({ ...test, startedAt: test.startedAt.toISOString(), endedAt: test.endedAt?.toISOString() ?? null })),
});

/**
 * The batched dashboard's panels, in the order they are read: the analytics page's panels above the
 * fold first (overview, chart, top links, bots), then the breakdowns and the heatmap below it.
 */
export const DASHBOARD_PANELS = ['summary', 'timeseries', 'links', 'bots', 'geo', 'devices', 'referrers', 'utm', 'heatmap', 'abTests'] as const;
export type DashboardPanel = (typeof DASHBOARD_PANELS)[number];

const PANEL_BODIES = {
  summary: SummaryBody,
  timeseries: TimeseriesBody,
  links: LinksBody,
  bots: BotsBody,
  geo: breakdownBodySchema(BREAKDOWNS.geo),
  devices: breakdownBodySchema(BREAKDOWNS.devices),
  referrers: breakdownBodySchema(BREAKDOWNS.referrers),
  utm: breakdownBodySchema(BREAKDOWNS.utm),
  heatmap: HeatmapBody,
  abTests: AbTestsBody,
} satisfies Record<DashboardPanel, z.ZodType>;

const PanelError = z.object({
  status: z.number().int().describe('The HTTP status the panel’s own endpoint would have answered'),
  code: z.string().describe('The error catalogue’s code, as in the error envelope'),
  message: z.string(),
  requestId: z.string(),
});
/** One line of the batched answer: a panel's body, a panel's error, or the last line. */
export const DashboardLine = z.union([
  ...DASHBOARD_PANELS.map((panel) => z.object({ panel: z.literal(panel), body: PANEL_BODIES[panel] })),
  z.object({ panel: z.enum(DASHBOARD_PANELS), error: PanelError }),
  z.object({
    done: z.literal(true),
    panels: z.number().int().describe('Panel lines sent before this one'),
    errors: z.number().int().describe('How many of them were errors'),
  }),
]);
export const RealtimeBody = z.object({ activeVisitors: z.number().int(), minutes: z.array(z.object({ minute: z.iso.datetime(), views: z.number().int(), clicks: z.number().int() })) });
export const DashboardQuery = z
  .strictObject({
    ...RangeFields,
    ...Compare,
    interval: z.enum(INTERVALS).default('day'),
    tz: TimeZone.default('UTC'),
    heatmapDevice: z.enum(DEVICE_CLASSES).optional().describe('The heatmap panel’s device filter, in place of device (a page’s layout differs per device class); without it, the heatmap takes device like every panel'),
  })
  .transform(withRange);

export function analyticsRoutes(service: AnalyticsService): RouteSpec[] {
  const common = { tag: 'analytics', access: 'user', scope: 'analytics:read', params: Params } as const;
  const breakdownRoutes = BREAKDOWN_NAMES.map((name) => [name, BREAKDOWNS[name] as BreakdownSpec] as const).map(([name, spec]) =>
    defineRoute({
      ...common,
      method: 'get',
      path: `/profiles/:profileId/analytics/${name}`,
      operationId: `getAnalytics${name[0]!.toUpperCase()}${name.slice(1)}`,
      summary: `${spec.summary}: views, visitors and clicks per value (the top ${BREAKDOWN_LIMIT} of each table, then one row for all the others)`,
      query: RangeQuery,
      responses: { 200: { description: 'One table per grouping', schema: breakdownBodySchema(spec) } },
      async handler({ auth, params, query }) {
        return { status: 200, body: breakdownBody(await service.breakdowns(auth.userId, params.profileId, toRangeInput(query), spec.tables)) };
      },
    }),
  );
  return [
    ...breakdownRoutes,
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/heatmap',
      operationId: 'getAnalyticsHeatmap',
      summary: 'Where on the page tracked clicks landed, in cells of 1% of the width × 16 px (filter by device for one layout)',
      query: RangeQuery,
      responses: { 200: { description: 'Cells with clicks', schema: HeatmapBody } },
      async handler({ auth, params, query }) {
        return { status: 200, body: heatmapBody(await service.heatmap(auth.userId, params.profileId, toRangeInput(query))) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/ab-tests',
      operationId: 'getAnalyticsAbTests',
      summary: `A/B tests of the profile’s links that ran in the range: each variant’s visitors, clicks, unique clicks, rate and a verdict. ${AB_TEST_METHOD}`,
      query: AbTestsQuery,
      responses: { 200: { description: 'Tests, the latest first', schema: AbTestsBody } },
      async handler({ auth, params, query }) {
        return { status: 200, body: abTestsBody(await service.abTests(auth.userId, params.profileId, { range: query.range, filters: {} })) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/bots',
      operationId: 'getAnalyticsBots',
      summary: 'Traffic by bot kind, and the share filtered out of every other figure',
      query: RangeQuery,
      responses: { 200: { description: 'Bot share', schema: BotsBody } },
      async handler({ auth, params, query }) {
        return { status: 200, body: botsBody(await service.bots(auth.userId, params.profileId, toRangeInput(query))) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/export',
      operationId: 'exportAnalytics',
      summary: 'Download raw events (hashed visitor ids only; bots marked) or per-day-and-link figures as CSV or NDJSON, streamed',
      query: ExportQuery,
      responses: { 200: { description: 'The file, streamed', contentTypes: ['text/csv', 'application/x-ndjson'] } },
      async handler({ auth, params, query }) {
        const file = await service.export(auth.userId, params.profileId, {
          ...toRangeInput({ ...query, compare: undefined }),
          format: query.format,
          data: query.data,
          timeZone: query.tz,
        });
        return {
          status: 200,
          headers: { 'Content-Type': file.contentType, 'Content-Disposition': `attachment; filename="${file.filename}"` },
          stream: file.chunks,
        };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/realtime',
      operationId: 'getAnalyticsRealtime',
      summary: 'The last 30 minutes per minute, and visitors active in the last 5 minutes',
      responses: {
        200: {
          description: 'Realtime',
          schema: RealtimeBody,
        },
      },
      async handler({ auth, params }) {
        return { status: 200, body: await service.realtime(auth.userId, params.profileId) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/summary',
      operationId: 'getAnalyticsSummary',
      summary: 'Views, unique visitors, clicks, unique clicks, CTR and median time-to-click (bots and your own visits excluded)',
      query: RangeQuery,
      responses: { 200: { description: 'Figures for the range, and the previous period with compare=previous', schema: SummaryBody } },
      async handler({ auth, params, query }) {
        return { status: 200, body: summaryBody(await service.summary(auth.userId, params.profileId, toRangeInput(query))) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/timeseries',
      operationId: 'getAnalyticsTimeseries',
      summary: 'Views, visitors and clicks per hour, day, week or month in a time zone',
      query: TimeseriesQuery,
      responses: {
        200: {
          description: 'Every bucket of the range, empty ones included (start in UTC); with compare=previous also the previous period',
          schema: TimeseriesBody,
        },
      },
      async handler({ auth, params, query }) {
        return { status: 200, body: timeseriesBody(await service.timeseries(auth.userId, params.profileId, { ...toRangeInput(query), interval: query.interval, timeZone: query.tz })) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/links',
      operationId: 'getAnalyticsLinks',
      summary: 'Clicks, unique clicks and click-through rate per link (the page’s links without clicks last, with 0)',
      query: RangeQuery,
      responses: { 200: { description: 'Links by clicks', schema: LinksBody } },
      async handler({ auth, params, query }) {
        return { status: 200, body: linksBody(await service.links(auth.userId, params.profileId, toRangeInput(query))) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/profiles/:profileId/analytics/dashboard',
      operationId: 'getAnalyticsDashboard',
      summary:
        'Every panel of the analytics page in one request, streamed as NDJSON: one line per panel as soon as it is read ({"panel":"summary","body":…}, ' +
        'the body exactly what the panel’s own endpoint answers for the same query), a failed panel as its own error line ({"panel":"geo","error":{status,code,message,requestId}}) ' +
        'while the others go on, and a last line {"done":true,"panels":n,"errors":m}. Ownership and the query are checked before the stream starts (404, 400). ' +
        `Panels are read in this order, two at a time: ${DASHBOARD_PANELS.join(', ')}. Realtime is not part of it (poll its own endpoint)`,
      query: DashboardQuery,
      responses: {
        200: {
          description: 'NDJSON: each line one of the shapes of this schema, in the order the panels finish; the done line last (a stream without it was cut short)',
          schema: DashboardLine,
          contentTypes: ['application/x-ndjson'],
        },
      },
      async handler({ auth, params, query, request }) {
        const outcomes = await service.dashboard(auth.userId, params.profileId, (reads) => dashboardTasks(reads, query, DASHBOARD_PANELS));
        return { status: 200, headers: { 'Content-Type': 'application/x-ndjson; charset=utf-8' }, stream: dashboardLines(outcomes, requestIdOf(request)) };
      },
    }),
  ];
}

type ProfileReads = Parameters<Parameters<AnalyticsService['dashboard']>[2]>[0];

/** The reads of the batch's `panels` (in DASHBOARD_PANELS' order) for a parsed DashboardQuery; shared with api/shares. */
export function dashboardTasks(reads: ProfileReads, query: z.output<typeof DashboardQuery>, panels: readonly DashboardPanel[]) {
  const input = toRangeInput(query);
  const heatmapInput = query.heatmapDevice === undefined ? input : { ...input, filters: { ...input.filters, device: query.heatmapDevice } };
  const breakdown = (name: BreakdownName) => {
    const tables: BreakdownSpec['tables'] = BREAKDOWNS[name].tables;
    return async () => breakdownBody(await reads.breakdowns(input, tables));
  };
  const tasks: Record<DashboardPanel, () => Promise<unknown>> = {
    summary: async () => summaryBody(await reads.summary(input)),
    timeseries: async () => timeseriesBody(await reads.timeseries({ ...input, interval: query.interval, timeZone: query.tz })),
    links: async () => linksBody(await reads.links(input)),
    bots: async () => botsBody(await reads.bots(input)),
    geo: breakdown('geo'),
    devices: breakdown('devices'),
    referrers: breakdown('referrers'),
    utm: breakdown('utm'),
    heatmap: async () => heatmapBody(await reads.heatmap(heatmapInput)),
    abTests: async () => abTestsBody(await reads.abTests(input)),
  };
  return DASHBOARD_PANELS.filter((panel) => panels.includes(panel)).map((panel) => [panel, tasks[panel]] as const);
}

/** The batch's outcomes as NDJSON lines (a failed panel's error as the envelope would say it), then the done line. */
export async function* dashboardLines(outcomes: AsyncIterable<PanelOutcome<DashboardPanel>>, requestId: string): AsyncGenerator<string> {
  let panels = 0;
  let errors = 0;
  for await (const outcome of outcomes) {
    panels++;
    if ('body' in outcome) {
      yield `${JSON.stringify({ panel: outcome.panel, body: outcome.body })}\n`;
      continue;
    }
    errors++;
    const failure = toErrorResponse(outcome.error, requestId);
    const { code, message } = failure.body.error;
    yield `${JSON.stringify({ panel: outcome.panel, error: { status: failure.status, code, message, requestId } })}\n`;
  }
  yield `${JSON.stringify({ done: true, panels, errors })}\n`;
}
