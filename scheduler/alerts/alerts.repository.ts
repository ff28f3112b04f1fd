// The alerts job's SQL, as linkpulse_scheduler (migrations/0022_alerts.sql): the enabled rules, which
// links are live and which repositories each page shows, the firings and their mail. Rules are read
// in pages, so one run's memory does not grow with the number of profiles.
import { ALERT_WEBHOOK_EVENT, type AlertChannel } from '../../lib/alerts/alert-rules.js';
import type { Database, DbClient } from '../../lib/postgres/database.js';

export interface SpikeRule {
  id: string;
  profileId: string;
  factor: number;
  minViews: number;
}

export interface CtrRule {
  id: string;
  profileId: string;
  /** null: every link of the page. */
  linkId: string | null;
  dropPercent: number;
  minViews: number;
}

/** Enabled traffic-spike rules after `afterId`, by id (one per profile). */
export async function listSpikeRules(db: Database, afterId: string | null, limit: number): Promise<SpikeRule[]> {
  const { rows } = await db.query<{ id: string; profile_id: string; spike_factor: string; min_views: number }>(
    `SELECT id, profile_id, spike_factor, min_views FROM alert_rules
      WHERE kind = 'traffic_spike' AND enabled AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [afterId, limit],
  );
  return rows.map((row) => ({ id: row.id, profileId: row.profile_id, factor: Number(row.spike_factor), minViews: row.min_views }));
}

/** Profiles with an enabled click-through rule after `afterProfileId`, and all their enabled click-through rules. */
export async function listCtrRules(db: Database, afterProfileId: string | null, profileLimit: number): Promise<CtrRule[]> {
  const { rows } = await db.query<{ id: string; profile_id: string; link_id: string | null; drop_percent: number; min_views: number }>(
    `SELECT id, profile_id, link_id, drop_percent, min_views FROM alert_rules
      WHERE kind = 'ctr_drop' AND enabled AND profile_id IN (
        SELECT DISTINCT profile_id FROM alert_rules WHERE kind = 'ctr_drop' AND enabled AND ($1::uuid IS NULL OR profile_id > $1) ORDER BY profile_id LIMIT $2)
      ORDER BY profile_id, id`,
    [afterProfileId, profileLimit],
  );
  return rows.map((row) => ({ id: row.id, profileId: row.profile_id, linkId: row.link_id, dropPercent: row.drop_percent, minViews: row.min_views }));
}

/** The links of these profiles that were shown through the whole recent window and still are: enabled, started by `from`, not ended at `now`. */
export async function listLiveLinks(db: Database, profileIds: readonly string[], from: Date, now: Date): Promise<{ id: string; profileId: string }[]> {
  const { rows } = await db.query<{ id: string; profile_id: string }>(
    `SELECT id, profile_id FROM links
      WHERE profile_id = ANY ($1::uuid[]) AND enabled AND (starts_at IS NULL OR starts_at <= $2) AND (ends_at IS NULL OR ends_at > $3)`,
    [profileIds, from, now],
  );
  return rows.map((row) => ({ id: row.id, profileId: row.profile_id }));
}

export interface StarCard {
  ruleId: string;
  profileId: string;
  repoId: string;
  fullName: string;
  stars: number;
  /** The rule's mark for this repository; undefined before its first look. */
  mark: number | undefined;
}

/**
 * Enabled star rules after `afterId` (a page of them), each with every synced repository its page shows
 * (several links to one repository count once) and the rule's mark for it.
 */
export async function listStarCards(db: Database, afterId: string | null, limit: number): Promise<{ ruleIds: string[]; cards: StarCard[] }> {
  const rules = await db.query<{ id: string }>(`SELECT id FROM alert_rules WHERE kind = 'star_milestone' AND enabled AND ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2`, [afterId, limit]);
  const ruleIds = rules.rows.map((row) => row.id);
  if (ruleIds.length === 0) return { ruleIds, cards: [] };
  const { rows } = await db.query<{ rule_id: string; profile_id: string; repo_id: string; owner: string; name: string; stars: number; mark: string | null }>(
    `SELECT r.id AS rule_id, r.profile_id, g.id AS repo_id, g.owner, g.name, g.stars, m.milestone AS mark
       FROM alert_rules r
       JOIN (SELECT DISTINCT profile_id, github_repo_id FROM links WHERE github_repo_id IS NOT NULL) l ON l.profile_id = r.profile_id
       JOIN github_repos g ON g.id = l.github_repo_id
       LEFT JOIN alert_star_marks m ON m.rule_id = r.id AND m.repo_id = g.id
      WHERE r.id = ANY ($1::uuid[]) AND g.status = 'ok' AND g.stars IS NOT NULL`,
    [ruleIds],
  );
  return {
    ruleIds,
    cards: rows.map((row) => ({
      ruleId: row.rule_id,
      profileId: row.profile_id,
      repoId: row.repo_id,
      fullName: `${row.owner}/${row.name}`,
      stars: row.stars,
      mark: row.mark === null ? undefined : Number(row.mark),
    })),
  };
}

/** Remembers the milestone a repository had when a rule first looked at it (a second process doing the same changes nothing). */
export async function markStars(db: Database, marks: readonly { ruleId: string; repoId: string; milestone: number }[]): Promise<void> {
  if (marks.length === 0) return;
  await db.query(
    `INSERT INTO alert_star_marks (rule_id, repo_id, milestone)
     SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) ON CONFLICT (rule_id, repo_id) DO NOTHING`,
    [marks.map((mark) => mark.ruleId), marks.map((mark) => mark.repoId), marks.map((mark) => mark.milestone)],
  );
}

/** Raises a rule's mark for a repository, in the transaction of the firing it belongs to. */
export async function raiseStarMark(client: DbClient, ruleId: string, repoId: string, milestone: number): Promise<void> {
  await client.query(
    `INSERT INTO alert_star_marks (rule_id, repo_id, milestone) VALUES ($1, $2, $3)
     ON CONFLICT (rule_id, repo_id) DO UPDATE SET milestone = greatest(alert_star_marks.milestone, excluded.milestone)`,
    [ruleId, repoId, milestone],
  );
}

export interface NewFiring {
  id: string;
  ruleId: string;
  subject: string;
  windowKey: string;
  windowStart: Date | null;
  windowEnd: Date | null;
  /** No firing of the rule for the same subject with a window starting less than this far from this one's (ms); null: none. */
  quietMs: number | null;
  summary: string;
  details: object;
}

/**
 * Records a firing of an enabled rule, unless one exists for its rule, subject and window (the unique
 * key: at most once, across processes and restarts) or within its quiet period. Returns what the
 * delivery needs, or undefined when nothing was recorded. Run inside the firing's transaction, after
 * lockRule: two processes judging the same rule wait for each other, so the quiet period holds too.
 */
export async function insertFiring(client: DbClient, firing: NewFiring): Promise<{ profileId: string; channels: AlertChannel[]; firedAt: Date } | undefined> {
  const { rows } = await client.query<{ profile_id: string; channels: AlertChannel[]; fired_at: Date }>(
    `INSERT INTO alert_firings (id, profile_id, rule_id, kind, subject, window_key, window_start, window_end, summary, details, channels, webhook_status, mail_status, mail_next_attempt_at)
     SELECT $1, r.profile_id, r.id, r.kind, $3, $4, $5, $6, $7, $8, r.channels, 'not_requested',
            CASE WHEN 'mail' = ANY (r.channels) THEN 'pending' ELSE 'not_requested' END, CASE WHEN 'mail' = ANY (r.channels) THEN now() END
       FROM alert_rules r
      WHERE r.id = $2 AND r.enabled
        AND ($9::bigint IS NULL OR NOT EXISTS (
          SELECT 1 FROM alert_firings f
           WHERE f.rule_id = r.id AND f.subject = $3
             AND f.window_start > $5::timestamptz - $9::bigint * interval '1 millisecond' AND f.window_start < $5::timestamptz + $9::bigint * interval '1 millisecond'))
     ON CONFLICT (rule_id, subject, window_key) DO NOTHING
     RETURNING profile_id, channels, fired_at`,
    [firing.id, firing.ruleId, firing.subject, firing.windowKey, firing.windowStart, firing.windowEnd, firing.summary, firing.details, firing.quietMs],
  );
  const row = rows[0];
  return row && { profileId: row.profile_id, channels: row.channels, firedAt: row.fired_at };
}

/** Serialises the firings of one rule across processes until the transaction ends. */
export async function lockRule(client: DbClient, ruleId: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`alert-rule:${ruleId}`]);
}

/** Writes the alert.triggered event (only if an active endpoint subscribes) and records what became of it. */
export async function enqueueAlertEvent(client: DbClient, firingId: string, profileId: string, data: object): Promise<'enqueued' | 'no_endpoint'> {
  const { rows } = await client.query<{ event_id: string | null }>('SELECT enqueue_webhook_event($1, $2, $3) AS event_id', [profileId, ALERT_WEBHOOK_EVENT, data]);
  const eventId = rows[0]?.event_id ?? null;
  const status = eventId === null ? 'no_endpoint' : 'enqueued';
  await client.query('UPDATE alert_firings SET webhook_status = $2, webhook_event_id = $3 WHERE id = $1', [firingId, status, eventId]);
  return status;
}

export interface MailDue {
  id: string;
  profileId: string;
  kind: string;
  subject: string;
  windowStart: Date | null;
  firedAt: Date;
  details: Record<string, unknown>;
  attempts: number;
  sentTo: string[];
}

/**
 * Claims firings whose mail is due: each gets a lease (its next attempt pushed `leaseMs` ahead) and
 * counts an attempt, so another process leaves it alone, and a process that dies mid-send hands it on
 * when the lease ends.
 */
export async function claimDueMails(db: Database, limit: number, leaseMs: number): Promise<MailDue[]> {
  const { rows } = await db.query<{
    id: string;
    profile_id: string;
    kind: string;
    subject: string;
    window_start: Date | null;
    fired_at: Date;
    details: Record<string, unknown>;
    mail_attempts: number;
    mail_sent_to: string[];
  }>(
    `UPDATE alert_firings SET mail_next_attempt_at = now() + $2::bigint * interval '1 millisecond', mail_attempts = mail_attempts + 1
      WHERE id IN (SELECT id FROM alert_firings WHERE mail_status = 'pending' AND mail_next_attempt_at <= now() ORDER BY mail_next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
      RETURNING id, profile_id, kind, subject, window_start, fired_at, details, mail_attempts, mail_sent_to`,
    [limit, leaseMs],
  );
  return rows.map((row) => ({
    id: row.id,
    profileId: row.profile_id,
    kind: row.kind,
    subject: row.subject,
    windowStart: row.window_start,
    firedAt: row.fired_at,
    details: row.details,
    attempts: row.mail_attempts,
    sentTo: row.mail_sent_to,
  }));
}

/** Who of each team receives alert mail (user ids; alert_mail_recipients, migrations/0022). */
export async function mailRecipients(db: Database, profileIds: readonly string[]): Promise<Map<string, string[]>> {
  const recipients = new Map<string, string[]>();
  if (profileIds.length === 0) return recipients;
  const { rows } = await db.query<{ profile_id: string; user_id: string }>('SELECT profile_id, user_id FROM alert_mail_recipients($1::uuid[]) ORDER BY user_id', [profileIds]);
  for (const row of rows) recipients.set(row.profile_id, [...(recipients.get(row.profile_id) ?? []), row.user_id]);
  return recipients;
}

/** One recipient done: a retry after a failure for another mails only those not done yet. */
export async function recordMailSent(db: Database, firingId: string, userId: string): Promise<void> {
  await db.query('UPDATE alert_firings SET mail_sent_to = array_append(mail_sent_to, $2) WHERE id = $1 AND NOT ($2 = ANY (mail_sent_to))', [firingId, userId]);
}

/** The mail's outcome: done (sent, or nobody to send to), given up, or due again at `retryAt`. */
export async function settleMail(db: Database, firingId: string, outcome: { status: 'sent' | 'no_recipients' | 'failed' } | { status: 'pending'; retryAt: Date }): Promise<void> {
  await db.query('UPDATE alert_firings SET mail_status = $2, mail_next_attempt_at = $3 WHERE id = $1', [firingId, outcome.status, outcome.status === 'pending' ? outcome.retryAt : null]);
}

/** Deletes firings older than `before` (the history's retention), in batches; returns how many. */
export async function pruneFirings(db: Database, before: Date, batch = 5_000): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await db.query('DELETE FROM alert_firings WHERE id IN (SELECT id FROM alert_firings WHERE fired_at < $1 LIMIT $2)', [before, batch]);
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return total;
  }
}
