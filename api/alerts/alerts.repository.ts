// SQL for a profile's alerts, inside withUser() (RLS, migrations/0022): members read rules, firings
// and mail preferences; owners and editors write rules; each member writes their own preference.
import { ALERT_WEBHOOK_EVENT, type AlertChannel, type AlertKind } from '../../lib/alerts/alert-rules.js';
import type { Tx } from '../../lib/postgres/tenant.js';

export interface AlertRuleRow {
  id: string;
  kind: AlertKind;
  enabled: boolean;
  channels: AlertChannel[];
  spike_factor: string | null;
  min_views: number | null;
  drop_percent: number | null;
  link_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const RULE_COLUMNS = 'id, kind, enabled, channels, spike_factor, min_views, drop_percent, link_id, created_at, updated_at';

export async function listRules(tx: Tx, profileId: string): Promise<AlertRuleRow[]> {
  const { rows } = await tx.query<AlertRuleRow>(
    `SELECT ${RULE_COLUMNS} FROM alert_rules WHERE profile_id = $1
      ORDER BY array_position(ARRAY['traffic_spike', 'ctr_drop', 'star_milestone'], kind), link_id NULLS FIRST, created_at`,
    [profileId],
  );
  return rows;
}

export async function getRule(tx: Tx, profileId: string, ruleId: string): Promise<AlertRuleRow | undefined> {
  return (await tx.query<AlertRuleRow>(`SELECT ${RULE_COLUMNS} FROM alert_rules WHERE profile_id = $1 AND id = $2`, [profileId, ruleId])).rows[0];
}

export async function countCtrRules(tx: Tx, profileId: string): Promise<number> {
  return (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM alert_rules WHERE profile_id = $1 AND kind = 'ctr_drop'", [profileId])).rows[0]!.n;
}

export interface RuleFields {
  enabled: boolean;
  channels: readonly AlertChannel[];
  spikeFactor: number | null;
  minViews: number | null;
  dropPercent: number | null;
  linkId: string | null;
}

export async function insertRule(tx: Tx, rule: { profileId: string; kind: AlertKind; createdBy: string } & RuleFields): Promise<AlertRuleRow> {
  const { rows } = await tx.query<AlertRuleRow>(
    `INSERT INTO alert_rules (profile_id, kind, enabled, channels, spike_factor, min_views, drop_percent, link_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ${RULE_COLUMNS}`,
    [rule.profileId, rule.kind, rule.enabled, rule.channels, rule.spikeFactor, rule.minViews, rule.dropPercent, rule.linkId, rule.createdBy],
  );
  return rows[0]!;
}

export async function updateRule(tx: Tx, profileId: string, ruleId: string, fields: Omit<RuleFields, 'linkId'>): Promise<AlertRuleRow | undefined> {
  const { rows } = await tx.query<AlertRuleRow>(
    `UPDATE alert_rules SET enabled = $3, channels = $4, spike_factor = $5, min_views = $6, drop_percent = $7
      WHERE profile_id = $1 AND id = $2 RETURNING ${RULE_COLUMNS}`,
    [profileId, ruleId, fields.enabled, fields.channels, fields.spikeFactor, fields.minViews, fields.dropPercent],
  );
  return rows[0];
}

export async function deleteRule(tx: Tx, profileId: string, ruleId: string): Promise<boolean> {
  return (await tx.query('DELETE FROM alert_rules WHERE profile_id = $1 AND id = $2', [profileId, ruleId])).rowCount === 1;
}

export async function linkExists(tx: Tx, profileId: string, linkId: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM links WHERE profile_id = $1 AND id = $2', [profileId, linkId])).rowCount === 1;
}

/** Each member's choice about alert mail (members without a row have made none). */
export async function listMailPreferences(tx: Tx, profileId: string): Promise<Map<string, boolean>> {
  const { rows } = await tx.query<{ user_id: string; receive: boolean }>('SELECT user_id, receive FROM alert_mail_preferences WHERE profile_id = $1', [profileId]);
  return new Map(rows.map((row) => [row.user_id, row.receive]));
}

/** The caller's own choice (RLS: only their own row may be written). */
export async function setMailPreference(tx: Tx, profileId: string, userId: string, receive: boolean): Promise<void> {
  await tx.query(
    `INSERT INTO alert_mail_preferences (profile_id, user_id, receive) VALUES ($1, $2, $3)
     ON CONFLICT (profile_id, user_id) DO UPDATE SET receive = excluded.receive`,
    [profileId, userId, receive],
  );
}

/** Active endpoints of the profile subscribed to alert.triggered; null when the caller may not see endpoints (analysts, viewers). */
export async function countAlertEndpoints(tx: Tx, profileId: string, canSee: boolean): Promise<number | null> {
  if (!canSee) return null;
  const { rows } = await tx.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM webhook_endpoints WHERE profile_id = $1 AND status = 'active' AND $2 = ANY (event_types)",
    [profileId, ALERT_WEBHOOK_EVENT],
  );
  return rows[0]!.n;
}

export interface FiringRow {
  id: string;
  rule_id: string | null;
  kind: AlertKind;
  subject: string;
  window_start: Date | null;
  window_end: Date | null;
  fired_at: Date;
  summary: string;
  details: Record<string, unknown>;
  channels: AlertChannel[];
  webhook_status: 'not_requested' | 'enqueued' | 'no_endpoint';
  mail_status: 'not_requested' | 'pending' | 'sent' | 'no_recipients' | 'failed';
}

/** Firings newest first, `limit` of them, before the firing `before` (keyset on fired_at, id). */
export async function listFirings(tx: Tx, profileId: string, query: { before?: string | undefined; ruleId?: string | undefined; kind?: AlertKind | undefined; limit: number }): Promise<FiringRow[]> {
  const { rows } = await tx.query<FiringRow>(
    `SELECT id, rule_id, kind, subject, window_start, window_end, fired_at, summary, details, channels, webhook_status, mail_status
       FROM alert_firings f
      WHERE profile_id = $1
        AND ($2::uuid IS NULL OR (fired_at, id) < (SELECT fired_at, id FROM alert_firings WHERE profile_id = $1 AND id = $2))
        AND ($3::uuid IS NULL OR rule_id = $3) AND ($4::text IS NULL OR kind = $4)
      ORDER BY fired_at DESC, id DESC LIMIT $5`,
    [profileId, query.before ?? null, query.ruleId ?? null, query.kind ?? null, query.limit],
  );
  return rows;
}

/** Titles of the profile's links, for naming the link of a click-through alert. */
export async function linkTitles(tx: Tx, profileId: string): Promise<Map<string, string>> {
  const { rows } = await tx.query<{ id: string; title: string }>('SELECT id, title FROM links WHERE profile_id = $1', [profileId]);
  return new Map(rows.map((row) => [row.id, row.title]));
}
