// A profile's alerts: owners and editors set the rules (one traffic-spike rule, one star-milestone
// rule, click-through rules for every link or one link) with their thresholds and channels; every member
// reads them and the history of firings, and chooses for themselves whether they receive the mails.
// The scheduler's `alerts` job judges the rules (scheduler/alerts/); what they mean is lib/alerts/.
// Row-Level Security decides (migrations/0022); the service answers a clear 403 or 409 first.
import type pg from 'pg';
import { describeAlert, type AlertDetails } from '../../lib/alerts/alert-payload.js';
import { CTR_DROP, receivesAlertMail, SPIKE, type AlertChannel, type AlertKind, type AlertRuleSettings } from '../../lib/alerts/alert-rules.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser, type Tx } from '../../lib/postgres/tenant.js';
import { can } from '../../lib/profiles/roles.js';
import { listTeam } from '../members/members.repository.js';
import { getProfile, type ProfileRow } from '../profiles/profiles.repository.js';
import { requireRole } from '../profiles/profiles.service.js';
import {
  countAlertEndpoints,
  countCtrRules,
  deleteRule,
  getRule,
  insertRule,
  linkExists,
  linkTitles,
  listFirings,
  listMailPreferences,
  listRules,
  setMailPreference,
  updateRule,
  type AlertRuleRow,
  type FiringRow,
} from './alerts.repository.js';

export const FIRINGS_PAGE_SIZE = 50;

export type AlertRule = AlertRuleSettings & {
  id: string;
  enabled: boolean;
  channels: AlertChannel[];
  createdAt: string;
  updatedAt: string;
};

export interface AlertFiring {
  id: string;
  alertId: string | null;
  kind: AlertKind;
  firedAt: string;
  windowStart: string | null;
  windowEnd: string | null;
  title: string;
  summary: string;
  details: AlertDetails;
  webhook: FiringRow['webhook_status'];
  mail: FiringRow['mail_status'];
}

export interface AlertsOverview {
  rules: AlertRule[];
  canEdit: boolean;
  mail: { youReceive: boolean; recipients: { userId: string; email: string; role: string }[] };
  /** Active webhook endpoints subscribed to alert.triggered; null for a member who may not see endpoints. */
  webhookEndpoints: number | null;
}

export type NewAlertRule = (
  | { kind: 'traffic_spike'; factor?: number | undefined; minViews?: number | undefined }
  | { kind: 'ctr_drop'; linkId?: string | null | undefined; dropPercent?: number | undefined; minViews?: number | undefined }
  | { kind: 'star_milestone' }
) & { enabled?: boolean | undefined; channels?: AlertChannel[] | undefined };

export interface AlertRuleChanges {
  enabled?: boolean | undefined;
  channels?: AlertChannel[] | undefined;
  factor?: number | undefined;
  minViews?: number | undefined;
  dropPercent?: number | undefined;
}

const toRule = (row: AlertRuleRow): AlertRule => {
  const common = { id: row.id, enabled: row.enabled, channels: row.channels, createdAt: row.created_at.toISOString(), updatedAt: row.updated_at.toISOString() };
  switch (row.kind) {
    case 'traffic_spike':
      return { ...common, kind: row.kind, factor: Number(row.spike_factor), minViews: row.min_views! };
    case 'ctr_drop':
      return { ...common, kind: row.kind, linkId: row.link_id, dropPercent: row.drop_percent!, minViews: row.min_views! };
    case 'star_milestone':
      return { ...common, kind: row.kind };
  }
};

const toFiring = (row: FiringRow, titles: Map<string, string>): AlertFiring => {
  const details = row.details as AlertDetails;
  const windowStart = row.window_start?.toISOString() ?? null;
  const words = describeAlert(details, { windowStart, linkTitle: details.kind === 'ctr_drop' ? titles.get(details.linkId) : undefined });
  return {
    id: row.id,
    alertId: row.rule_id,
    kind: row.kind,
    firedAt: row.fired_at.toISOString(),
    windowStart,
    windowEnd: row.window_end?.toISOString() ?? null,
    title: words.title,
    summary: words.sentence,
    details,
    webhook: row.webhook_status,
    mail: row.mail_status,
  };
};

const conflict = (field: string, message: string) => new AppError('CONFLICT', `${field}: ${message}`, { details: { fields: [{ field, message }] } });

/** A second rule where a page may have one: 409 saying which. */
function ruleTaken(error: unknown, kind: AlertKind): never {
  const constraint = (error as pg.DatabaseError).code === '23505' ? (error as pg.DatabaseError).constraint : undefined;
  if (constraint === 'alert_rules_one_per_kind') throw new AppError('CONFLICT', `This page has a ${kind === 'traffic_spike' ? 'traffic spike' : 'star milestone'} alert already: change that one`);
  if (constraint === 'alert_rules_one_per_link') throw new AppError('CONFLICT', 'This page has a click-through alert for this link (or for every link) already: change that one');
  throw error;
}

export function createAlertsService(deps: { db: Database }) {
  /** The profile as the caller sees it (404 for a stranger), with their role checked for `action`. */
  const onProfile = <T>(userId: string, profileId: string, action: 'read' | 'edit', fn: (tx: Tx, profile: ProfileRow) => Promise<T>) =>
    withUser(deps.db, userId, async (tx) => {
      const profile = await getProfile(tx, profileId);
      if (!profile) throw notFound('No such profile');
      requireRole(profile, action);
      return fn(tx, profile);
    });
  const noRule = () => notFound('No such alert on this page');

  return {
    async overview(userId: string, profileId: string): Promise<AlertsOverview> {
      return onProfile(userId, profileId, 'read', async (tx, profile) => {
        const canEdit = can(profile.role, 'edit');
        const [rules, team, preferences, webhookEndpoints] = [await listRules(tx, profileId), await listTeam(tx, profileId), await listMailPreferences(tx, profileId), await countAlertEndpoints(tx, profileId, canEdit)];
        const recipients = team.filter((member) => receivesAlertMail(member.role, preferences.get(member.user_id))).map((member) => ({ userId: member.user_id, email: member.email, role: member.role }));
        return { rules: rules.map(toRule), canEdit, mail: { youReceive: recipients.some((member) => member.userId === userId), recipients }, webhookEndpoints };
      });
    },

    async create(userId: string, profileId: string, input: NewAlertRule): Promise<AlertRule> {
      return onProfile(userId, profileId, 'edit', async (tx) => {
        const linkId = input.kind === 'ctr_drop' ? (input.linkId ?? null) : null;
        if (input.kind === 'ctr_drop') {
          if (linkId !== null && !(await linkExists(tx, profileId, linkId))) throw conflict('body.linkId', 'is not a link of this page');
          if ((await countCtrRules(tx, profileId)) >= CTR_DROP.maxRulesPerProfile) {
            throw new AppError('CONFLICT', `A page has at most ${CTR_DROP.maxRulesPerProfile} click-through alerts: use the one for every link, or delete one first`);
          }
        }
        const row = await insertRule(tx, {
          profileId,
          kind: input.kind,
          createdBy: userId,
          enabled: input.enabled ?? true,
          channels: input.channels ?? ['mail'],
          spikeFactor: input.kind === 'traffic_spike' ? (input.factor ?? SPIKE.factor.default) : null,
          minViews: input.kind === 'traffic_spike' ? (input.minViews ?? SPIKE.minViews.default) : input.kind === 'ctr_drop' ? (input.minViews ?? CTR_DROP.minViews.default) : null,
          dropPercent: input.kind === 'ctr_drop' ? (input.dropPercent ?? CTR_DROP.dropPercent.default) : null,
          linkId,
        }).catch((error: unknown) => ruleTaken(error, input.kind));
        return toRule(row);
      });
    },

    /** Changes the given fields; a threshold the rule's kind does not have is a 409 naming it. */
    async update(userId: string, profileId: string, ruleId: string, changes: AlertRuleChanges): Promise<AlertRule> {
      return onProfile(userId, profileId, 'edit', async (tx) => {
        const rule = await getRule(tx, profileId, ruleId);
        if (!rule) throw noRule();
        if (changes.factor !== undefined && rule.kind !== 'traffic_spike') throw conflict('body.factor', 'only a traffic spike alert has a factor');
        if (changes.dropPercent !== undefined && rule.kind !== 'ctr_drop') throw conflict('body.dropPercent', 'only a click-through alert has a drop percentage');
        if (changes.minViews !== undefined && rule.kind === 'star_milestone') throw conflict('body.minViews', 'a star milestone alert has no minimum of views');
        const updated = await updateRule(tx, profileId, ruleId, {
          enabled: changes.enabled ?? rule.enabled,
          channels: changes.channels ?? rule.channels,
          spikeFactor: changes.factor ?? (rule.spike_factor === null ? null : Number(rule.spike_factor)),
          minViews: changes.minViews ?? rule.min_views,
          dropPercent: changes.dropPercent ?? rule.drop_percent,
        });
        if (!updated) throw noRule();
        return toRule(updated);
      });
    },

    remove: (userId: string, profileId: string, ruleId: string) =>
      onProfile(userId, profileId, 'edit', async (tx) => {
        if (!(await deleteRule(tx, profileId, ruleId))) throw noRule();
      }),

    /** A page of the history, newest first; `next` is the `before` of the following page (null at the end). */
    async firings(userId: string, profileId: string, query: { before?: string | undefined; alertId?: string | undefined; kind?: AlertKind | undefined }) {
      return onProfile(userId, profileId, 'read', async (tx) => {
        const rows = await listFirings(tx, profileId, { before: query.before, ruleId: query.alertId, kind: query.kind, limit: FIRINGS_PAGE_SIZE + 1 });
        const titles = rows.some((row) => row.kind === 'ctr_drop') ? await linkTitles(tx, profileId) : new Map<string, string>();
        const shown = rows.slice(0, FIRINGS_PAGE_SIZE).map((row) => toFiring(row, titles));
        return { firings: shown, next: rows.length > FIRINGS_PAGE_SIZE ? shown.at(-1)!.id : null };
      });
    },

    /** The caller's own choice: whether they receive this page's alert mail (any member may choose). */
    setMail: (userId: string, profileId: string, receive: boolean) =>
      onProfile(userId, profileId, 'read', async (tx) => {
        await setMailPreference(tx, profileId, userId, receive);
        return { youReceive: receive };
      }),
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
