// The account-export job: builds the exports accounts asked for (api/account-exports/), one at a
// time, oldest first. For each: claim the request (as linkpulse_scheduler), write the archive
// (account-archive.ts, reading as the account through the app role and RLS) straight into object
// storage while it is being built, record it as ready with the hash of a new link secret, and mail the
// link. A build that fails is recorded as failed and the account holder is told they may try again;
// the cause is logged. Runs when the API queues it (a new request) and every minute (a request whose
// queued run was lost, a build whose process died).
import { EXPORT_LINK_TTL_MS, exportLinkUrl, exportObjectKey, type ExportTokens } from '../../lib/account-exports/account-export.js';
import type { ClickHouse } from '../../lib/clickhouse/clickhouse.js';
import { formatBytes } from '../../lib/format-bytes.js';
import type { Logger } from '../../lib/logger.js';
import { accountExportFailedMail, accountExportReadyMail } from '../../lib/mail/account-mail.js';
import type { Mailer } from '../../lib/mail/mailer.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { readAccount } from './account-data.repository.js';
import { writeAccountArchive } from './account-archive.js';
import { claimNextExport, markExportFailed, markExportReady, type ClaimedExport } from './export-queue.repository.js';
import { createZipWriter } from './zip-writer.js';

/** A build not finished this long after its claim is presumed dead (its process stopped) and taken up again. */
export const BUILD_LEASE_MS = 60 * 60_000;
/** Builds of one request before it is given up as failed (a request that kills its process must not loop). */
export const MAX_ATTEMPTS = 3;
/** Requests built per run; the next run (a minute later, or queued) takes the rest. */
const BUILDS_PER_RUN = 10;

const FAILED_MESSAGE = 'The export could not be put together. Nothing was lost; please ask for a new one.';
const GAVE_UP_MESSAGE = 'The export failed several times. Please ask for a new one, and tell us if it keeps failing.';

export interface AccountExportDeps {
  /** Connected as linkpulse_scheduler: the queue. */
  db: Database;
  /** Connected as linkpulse_app: the account's data, read through withUser(). */
  appDb: Database;
  clickhouse: ClickHouse;
  storage: ObjectStorage;
  mailer: Mailer;
  /** Mints the links' secrets (with the key derived from SESSION_SECRET, not the secret itself). */
  tokens: ExportTokens;
  /** PUBLIC_URL, for the links in the mails. */
  publicUrl: string;
  logger: Logger;
}

export interface AccountExportRun {
  built: number;
  failed: number;
}

export async function buildAccountExports(deps: AccountExportDeps): Promise<AccountExportRun> {
  const logger = deps.logger.child({ module: 'account-export' });
  const run: AccountExportRun = { built: 0, failed: 0 };
  for (let i = 0; i < BUILDS_PER_RUN; i++) {
    const claim = await claimNextExport(deps.db, BUILD_LEASE_MS);
    if (!claim) break;
    if (claim.attempts > MAX_ATTEMPTS) {
      logger.error({ exportId: claim.id, attempts: claim.attempts - 1 }, 'account export given up after repeated failed builds');
      await fail(deps, logger, claim, GAVE_UP_MESSAGE);
      run.failed++;
      continue;
    }
    try {
      await buildOne(deps, logger, claim);
      run.built++;
    } catch (error) {
      logger.error({ err: error, exportId: claim.id, attempt: claim.attempts }, 'account export failed');
      // Only while the request is still this build's: a build that took it over owns the object now.
      if (await fail(deps, logger, claim, FAILED_MESSAGE)) await deps.storage.delete(exportObjectKey(claim.id)).catch(() => undefined);
      run.failed++;
    }
  }
  return run;
}

async function buildOne(deps: AccountExportDeps, logger: Logger, claim: ClaimedExport): Promise<void> {
  const started = performance.now();
  const key = exportObjectKey(claim.id);
  const zip = createZipWriter();
  // The upload reads the archive while it is written: neither waits for the other to finish, and
  // either one failing ends both (the upload then keeps nothing).
  const upload = deps.storage.putStream(key, zip.output, { contentType: 'application/zip' });
  const write = (async () => {
    try {
      const summary = await writeAccountArchive({ db: deps.appDb, clickhouse: deps.clickhouse, storage: deps.storage }, zip, claim.user_id, new Date());
      await zip.finish();
      return summary;
    } catch (error) {
      zip.abort(error);
      throw error;
    }
  })();
  const [written, stored] = await Promise.allSettled([write, upload]);
  // The upload's error first: when the archive failed, the upload failed with the same error; when the
  // upload failed, the archive only knows that its reader stopped.
  if (stored.status === 'rejected') throw stored.reason;
  if (written.status === 'rejected') throw written.reason;

  const { token, hash } = deps.tokens.newToken();
  const ready = await markExportReady(deps.db, claim, { objectKey: key, sizeBytes: stored.value.size, tokenHash: hash, ttlMs: EXPORT_LINK_TTL_MS });
  if (!ready) {
    // Another build took this request over (ours outlived its lease); its result stands.
    logger.warn({ exportId: claim.id }, 'account export finished after its claim was taken over; its result is dropped');
    return;
  }
  const email = await accountEmail(deps, claim.user_id);
  // The link's secret exists only in this mail: a mail server down for a moment must not waste the build.
  await sendWithRetries(deps.mailer, logger, accountExportReadyMail(email, { url: exportLinkUrl(deps.publicUrl, claim.id, token), size: formatBytes(stored.value.size), requestedAt: claim.requested_at, expiresAt: ready.expires_at }));
  logger.info({ exportId: claim.id, bytes: stored.value.size, ms: Math.round(performance.now() - started), ...written.value }, 'account export ready and mailed');
}

/** Waits between tries of a mail that could not be sent: about a minute and a half in all. */
const MAIL_RETRY_DELAYS_MS = [5_000, 20_000, 60_000];

async function sendWithRetries(mailer: Mailer, logger: Logger, mail: Parameters<Mailer['send']>[0]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mailer.send(mail);
      return;
    } catch (error) {
      const delay = MAIL_RETRY_DELAYS_MS[attempt];
      if (delay === undefined) throw error;
      logger.warn({ err: error, kind: mail.kind, retryInMs: delay }, 'account export mail not sent; trying again');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Records the failure and tells the account holder, as far as either is possible (each failure is
 * logged). False when the request is no longer this build's (another took it over).
 */
async function fail(deps: AccountExportDeps, logger: Logger, claim: ClaimedExport, message: string): Promise<boolean> {
  let recorded = false;
  try {
    recorded = await markExportFailed(deps.db, claim, message);
    if (recorded) await sendWithRetries(deps.mailer, logger, accountExportFailedMail(await accountEmail(deps, claim.user_id), `${deps.publicUrl}/dashboard/settings`));
  } catch (error) {
    logger.error({ err: error, exportId: claim.id }, 'could not record or announce a failed account export');
  }
  return recorded;
}

async function accountEmail(deps: AccountExportDeps, userId: string): Promise<string> {
  const account = await withUser(deps.appDb, userId, (tx) => readAccount(tx, userId));
  if (!account) throw new Error('the account no longer exists');
  return account.email;
}
