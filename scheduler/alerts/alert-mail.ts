// The alerts job's mail step: firings whose mail is pending (recorded by their firing's transaction),
// claimed with a lease so two processes never send one at once. Each recipient's mail is composed as
// that recipient (linkpulse_app, withUser): RLS gives their address and the page and link names only
// while they are on the team, and the scheduler's login reads no team data of its own. A failure is
// retried with growing waits (about 4.5 hours in all), then given up and logged; recipients already
// mailed are remembered, so a retry mails only the others.
import { describeAlert, alertAnalyticsQuery, type AlertDetails } from '../../lib/alerts/alert-payload.js';
import { alertPageUrls } from '../../lib/alerts/alert-rules.js';
import type { Logger } from '../../lib/logger.js';
import { alertTriggeredMail } from '../../lib/mail/account-mail.js';
import type { Mail, Mailer } from '../../lib/mail/mailer.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { claimDueMails, mailRecipients, recordMailSent, settleMail, type MailDue } from './alerts.repository.js';

/** How long a claimed mail is left to the process sending it before another may. */
const LEASE_MS = 10 * 60_000;
const BATCH = 50;
/** The wait after each failed attempt; past the last, the mail is given up. */
const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000, 3 * 60 * 60_000];

export interface AlertMailDeps {
  db: Database;
  appDb: Database;
  mailer: Mailer;
  publicUrl: string;
}

export async function sendDueAlertMails(deps: AlertMailDeps, logger: Logger): Promise<{ sent: number; retrying: number; failed: number }> {
  const outcome = { sent: 0, retrying: 0, failed: 0 };
  for (;;) {
    const due = await claimDueMails(deps.db, BATCH, LEASE_MS);
    if (due.length === 0) return outcome;
    const recipients = await mailRecipients(deps.db, [...new Set(due.map((firing) => firing.profileId))]);
    for (const firing of due) {
      const everyone = recipients.get(firing.profileId) ?? [];
      if (everyone.length === 0 && firing.sentTo.length === 0) {
        await settleMail(deps.db, firing.id, { status: 'no_recipients' });
        continue;
      }
      let failures = 0;
      for (const userId of everyone.filter((candidate) => !firing.sentTo.includes(candidate))) {
        try {
          const mail = await composeFor(deps, firing, userId);
          // No mail: they left the team (or the page is gone) since it fired.
          if (mail) await deps.mailer.send(mail);
          await recordMailSent(deps.db, firing.id, userId);
        } catch (error) {
          failures += 1;
          logger.warn({ firing: firing.id, attempt: firing.attempts, err: describeError(error) }, 'alert mail could not be sent; retrying later');
        }
      }
      if (failures === 0) {
        await settleMail(deps.db, firing.id, { status: 'sent' });
        outcome.sent += 1;
      } else if (firing.attempts > RETRY_DELAYS_MS.length) {
        await settleMail(deps.db, firing.id, { status: 'failed' });
        outcome.failed += 1;
        logger.error({ firing: firing.id, attempts: firing.attempts }, 'alert mail given up');
      } else {
        await settleMail(deps.db, firing.id, { status: 'pending', retryAt: new Date(Date.now() + RETRY_DELAYS_MS[firing.attempts - 1]!) });
        outcome.retrying += 1;
      }
    }
    if (due.length < BATCH) return outcome;
  }
}

/** The mail for one recipient, read as them; undefined when they can no longer see the page. */
async function composeFor(deps: AlertMailDeps, firing: MailDue, userId: string): Promise<Mail | undefined> {
  const details = firing.details as AlertDetails;
  const context = await withUser(deps.appDb, userId, async (tx) => {
    const { rows } = await tx.query<{ email: string; display_name: string; handle: string }>(
      'SELECT u.email, p.display_name, p.handle FROM users u CROSS JOIN profiles p WHERE u.id = $1 AND p.id = $2',
      [userId, firing.profileId],
    );
    const title =
      details.kind === 'ctr_drop' ? (await tx.query<{ title: string }>('SELECT title FROM links WHERE id = $1 AND profile_id = $2', [details.linkId, firing.profileId])).rows[0]?.title : undefined;
    return rows[0] && { ...rows[0], title };
  });
  if (!context) return undefined;
  const windowStart = firing.windowStart?.toISOString() ?? null;
  const words = describeAlert(details, { windowStart, linkTitle: context.title });
  const urls = alertPageUrls(deps.publicUrl, firing.profileId);
  const query = alertAnalyticsQuery(details, windowStart);
  return alertTriggeredMail(context.email, {
    pageName: context.display_name,
    handle: context.handle,
    title: words.title,
    sentence: words.sentence,
    thresholds: words.rule,
    firedAt: firing.firedAt,
    analyticsUrl: query ? `${urls.analytics}?${query}` : urls.analytics,
    settingsUrl: urls.settings,
  });
}

/** An error's kind without its text: an SMTP server's answer may echo addresses. */
function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}${(error as Error & { code?: string }).code ? `: ${(error as Error & { code?: string }).code}` : ''}`;
  return 'unknown error';
}
