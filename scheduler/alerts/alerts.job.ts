// The scheduler's `alerts` job (every 5 minutes): judges every enabled alert rule (lib/alerts/) and
// delivers what fired.
//
//   traffic_spike   one ClickHouse query per page of 1,000 rules: the page views of the current and
//                   the previous UTC hour, and of the same hours on the 28 days before, from
//                   traffic_hourly's rows for all links (never the raw events)
//   ctr_drop        one PostgreSQL read of the live links and one ClickHouse query per page of 500
//                   profiles: page views and link clicks over the last 24 whole hours and the 7 days
//                   before, from traffic_hourly
//   star_milestone  PostgreSQL only: github_repos as the GitHub sync keeps it, against the rule's mark
//        │
//        ▼  per firing, one transaction: alert_firings (unique per rule, subject and window) and, for
//           the webhook channel, enqueue_webhook_event('alert.triggered'): both or neither
//   mail            after the commit, firings whose mail is pending, claimed with a lease: composed
//                   for each recipient as that recipient (linkpulse_app, RLS), sent, recorded
//
// So an alert fires at most once per window even when two scheduler processes judge it at once (the
// unique key; a per-rule lock keeps the quiet period too) or one dies half-way (a transaction either
// recorded the firing with its event or left nothing, and the next run judges again). Mail is at least
// once: a process that dies between sending and recording repeats that recipient's mail.
import { randomUUID } from 'node:crypto';
import { judgeCtrDrop, judgeSpike, judgeStars } from '../../lib/alerts/alert-evaluation.js';
import { describeAlert, type AlertDetails, type AlertEventData } from '../../lib/alerts/alert-payload.js';
import { alertPageUrls, CTR_DROP, SPIKE, type AlertKind } from '../../lib/alerts/alert-rules.js';
import { queryClickThroughWindows } from '../../lib/analytics/click-through-windows.query.js';
import { queryHourOfDayViews } from '../../lib/analytics/hour-of-day-views.query.js';
import { ALL_LINKS } from '../../lib/analytics/query-plan.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import type { Logger } from '../../lib/logger.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import type { Database, DbClient } from '../../lib/postgres/database.js';
import { sendDueAlertMails } from './alert-mail.js';
import {
  enqueueAlertEvent,
  insertFiring,
  listCtrRules,
  listLiveLinks,
  listSpikeRules,
  listStarCards,
  lockRule,
  markStars,
  pruneFirings,
  raiseStarMark,
  type NewFiring,
} from './alerts.repository.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Rules per page (spike and star rules), profiles per page (click-through rules). */
const RULE_PAGE = 1_000;
const CTR_PROFILE_PAGE = 500;
/** How long the history of firings is kept. */
export const FIRING_RETENTION_DAYS = 400;

export interface AlertsDeps {
  /** Connected as linkpulse_scheduler. */
  db: Database;
  /** Connected as linkpulse_app: each mail is composed as its recipient (withUser). */
  appDb: Database;
  clickhouse: ClickHouse;
  mailer: Mailer;
  /** PUBLIC_URL, for the links in mails and events. */
  publicUrl: string;
  logger: Logger;
}

export interface AlertsReport {
  fired: Record<AlertKind, number>;
  /** Star rules' first looks at repositories (marked, nothing fired). */
  marked: number;
  mails: { sent: number; retrying: number; failed: number };
}

/** One pass: judge every enabled rule at `now`, deliver what fired and what is still due, prune old history. */
export async function runAlerts(deps: AlertsDeps, now = new Date()): Promise<AlertsReport> {
  const logger = deps.logger.child({ module: 'alerts' });
  const report: AlertsReport = { fired: { traffic_spike: 0, ctr_drop: 0, star_milestone: 0 }, marked: 0, mails: { sent: 0, retrying: 0, failed: 0 } };
  const fire = async (kind: AlertKind, firing: Omit<NewFiring, 'id' | 'summary'>, extra?: (client: DbClient) => Promise<void>) => {
    if (await recordFiring(deps, firing, extra)) report.fired[kind] += 1;
  };
  await judgeSpikes(deps, now, fire);
  await judgeClickThrough(deps, now, fire);
  report.marked = await judgeStarMilestones(deps, fire);
  if (Object.values(report.fired).some((count) => count > 0)) logger.info({ fired: report.fired }, 'alerts fired');
  report.mails = await sendDueAlertMails(deps, logger);
  const pruned = await pruneFirings(deps.db, new Date(now.getTime() - FIRING_RETENTION_DAYS * DAY_MS));
  if (pruned > 0) logger.info({ pruned }, 'old alert firings deleted');
  return report;
}

type Fire = (kind: AlertKind, firing: Omit<NewFiring, 'id' | 'summary'>, extra?: (client: DbClient) => Promise<void>) => Promise<void>;

/** The firing and, for the webhook channel, its event, in one transaction; false when it was not new. */
async function recordFiring(deps: AlertsDeps, firing: Omit<NewFiring, 'id' | 'summary'>, extra?: (client: DbClient) => Promise<void>): Promise<boolean> {
  const details = firing.details as AlertDetails;
  const windowStart = firing.windowStart?.toISOString() ?? null;
  const id = randomUUID();
  return deps.db.transaction(async (client) => {
    await lockRule(client, firing.ruleId);
    const summary = describeAlert(details, { windowStart }).sentence;
    const inserted = await insertFiring(client, { ...firing, id, summary });
    if (!inserted) return false;
    await extra?.(client);
    if (inserted.channels.includes('webhook')) {
      const data: AlertEventData = {
        alert: { id: firing.ruleId, kind: details.kind },
        firing: { id, firedAt: inserted.firedAt.toISOString(), windowStart, windowEnd: firing.windowEnd?.toISOString() ?? null },
        profileId: inserted.profileId,
        summary,
        details,
        links: alertPageUrls(deps.publicUrl, inserted.profileId),
      };
      await enqueueAlertEvent(client, id, inserted.profileId, data);
    }
    return true;
  });
}

const startOfHour = (time: Date) => new Date(Math.floor(time.getTime() / HOUR_MS) * HOUR_MS);

/** The current hour so far and the last whole one, each against the same hour on the 28 days before. */
async function judgeSpikes(deps: AlertsDeps, now: Date, fire: Fire): Promise<void> {
  const current = startOfHour(now);
  const windows = [{ start: new Date(current.getTime() - HOUR_MS), complete: true }, { start: current, complete: false }];
  const from = new Date(windows[0]!.start.getTime() - SPIKE.baselineDays * DAY_MS);
  const to = new Date(current.getTime() + HOUR_MS);
  for (let after: string | null = null; ; ) {
    const rules = await listSpikeRules(deps.db, after, RULE_PAGE);
    if (rules.length === 0) return;
    const rows = await queryHourOfDayViews(deps.clickhouse, {
      profileIds: rules.map((rule) => rule.profileId),
      hoursOfDay: windows.map((window) => window.start.getUTCHours()),
      from,
      to,
    });
    const views = new Map(rows.map((row) => [`${row.profileId}@${row.hour.getTime()}`, row.views]));
    const viewsAt = (profileId: string, time: number) => views.get(`${profileId}@${time}`) ?? 0;
    for (const rule of rules) {
      for (const window of windows) {
        const start = window.start.getTime();
        const baseline = Array.from({ length: SPIKE.baselineDays }, (_, day) => viewsAt(rule.profileId, start - (day + 1) * DAY_MS));
        const hourViews = viewsAt(rule.profileId, start);
        const verdict = judgeSpike(hourViews, baseline, rule);
        if (!verdict.fires) continue;
        const details: AlertDetails = {
          kind: 'traffic_spike',
          views: hourViews,
          usualViews: verdict.usualViews,
          ratio: verdict.ratio,
          factor: rule.factor,
          minViews: rule.minViews,
          hourComplete: window.complete,
          baselineDays: SPIKE.baselineDays,
        };
        await fire('traffic_spike', {
          ruleId: rule.id,
          subject: '',
          windowKey: `hour:${window.start.toISOString()}`,
          windowStart: window.start,
          windowEnd: new Date(start + HOUR_MS),
          quietMs: SPIKE.quietMs,
          details,
        });
      }
    }
    if (rules.length < RULE_PAGE) return;
    after = rules.at(-1)!.id;
  }
}

/** Each live link's clicks per view over the last 24 whole hours against the 7 days before. */
async function judgeClickThrough(deps: AlertsDeps, now: Date, fire: Fire): Promise<void> {
  const to = startOfHour(now);
  const recentFrom = new Date(to.getTime() - CTR_DROP.recentHours * HOUR_MS);
  const baselineFrom = new Date(recentFrom.getTime() - CTR_DROP.baselineHours * HOUR_MS);
  for (let after: string | null = null; ; ) {
    const rules = await listCtrRules(deps.db, after, CTR_PROFILE_PAGE);
    if (rules.length === 0) return;
    const profileIds = [...new Set(rules.map((rule) => rule.profileId))];
    const links = await listLiveLinks(deps.db, profileIds, recentFrom, now);
    // A link's own rule, else its page's rule for every link.
    const byLink = new Map(rules.flatMap((rule) => (rule.linkId === null ? [] : [[rule.linkId, rule] as const])));
    const byPage = new Map(rules.flatMap((rule) => (rule.linkId === null ? [[rule.profileId, rule] as const] : [])));
    const judged = links.flatMap((link) => {
      const rule = byLink.get(link.id) ?? byPage.get(link.profileId);
      return rule ? [{ rule, linkId: link.id, profileId: link.profileId }] : [];
    });
    if (judged.length > 0) {
      const rows = await queryClickThroughWindows(deps.clickhouse, { profileIds, linkIds: judged.map((item) => item.linkId), baselineFrom, recentFrom, to });
      const traffic = new Map(rows.map((row) => [`${row.profileId}@${row.linkId}`, row]));
      for (const { rule, linkId, profileId } of judged) {
        const page = traffic.get(`${profileId}@${ALL_LINKS}`);
        const link = traffic.get(`${profileId}@${linkId}`);
        const recent = { views: page?.recent.views ?? 0, clicks: link?.recent.clicks ?? 0 };
        const baseline = { views: page?.baseline.views ?? 0, clicks: link?.baseline.clicks ?? 0 };
        const verdict = judgeCtrDrop(recent, baseline, rule);
        if (!verdict.fires) continue;
        const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;
        await fire('ctr_drop', {
          ruleId: rule.id,
          subject: linkId,
          windowKey: `24h:${to.toISOString()}`,
          windowStart: recentFrom,
          windowEnd: to,
          quietMs: CTR_DROP.quietMs,
          details: {
            kind: 'ctr_drop',
            linkId,
            recent: { hours: CTR_DROP.recentHours, ...recent, clicksPerView: round(verdict.recentRate, 4) },
            baseline: { hours: CTR_DROP.baselineHours, ...baseline, clicksPerView: round(verdict.baselineRate, 4) },
            dropPercent: round(verdict.dropPercent, 1),
            thresholdPercent: rule.dropPercent,
            minViews: rule.minViews,
            z: round(verdict.z, 2),
          } satisfies AlertDetails,
        });
      }
    }
    if (profileIds.length < CTR_PROFILE_PAGE) return;
    after = profileIds.at(-1)!;
  }
}

/** Each repository card against the rule's mark: a first look marks it, a new milestone fires once. Returns the first looks. */
async function judgeStarMilestones(deps: AlertsDeps, fire: Fire): Promise<number> {
  let marked = 0;
  for (let after: string | null = null; ; ) {
    const { ruleIds, cards } = await listStarCards(deps.db, after, RULE_PAGE);
    if (ruleIds.length === 0) return marked;
    const firstLooks: { ruleId: string; repoId: string; milestone: number }[] = [];
    for (const card of cards) {
      const verdict = judgeStars(card.stars, card.mark);
      if (verdict.action === 'mark') firstLooks.push({ ruleId: card.ruleId, repoId: card.repoId, milestone: verdict.milestone });
      if (verdict.action !== 'fire') continue;
      await fire(
        'star_milestone',
        {
          ruleId: card.ruleId,
          subject: card.repoId,
          windowKey: `stars:${verdict.milestone}`,
          windowStart: null,
          windowEnd: null,
          quietMs: null,
          details: {
            kind: 'star_milestone',
            repository: { id: card.repoId, fullName: card.fullName, url: `https://github.com/${card.fullName}` },
            stars: card.stars,
            milestone: verdict.milestone,
          } satisfies AlertDetails,
        },
        (client) => raiseStarMark(client, card.ruleId, card.repoId, verdict.milestone),
      );
    }
    await markStars(deps.db, firstLooks);
    marked += firstLooks.length;
    if (ruleIds.length < RULE_PAGE) return marked;
    after = ruleIds.at(-1)!;
  }
}
