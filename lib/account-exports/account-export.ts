// "Download my data" (migrations/0017_account_exports.sql), the rules both sides share: the API
// (api/account-exports/: requests, the list, the download) and the scheduler, which builds the
// archive, mints the link's secret and mails it (scheduler/account-export/).
//
// A download needs two things: the account's own session (the API route is session-only and reads
// the row through RLS) and the secret of the mailed link. So a forwarded mail, or a mailbox someone
// else reads, opens nothing without the account, and someone who got into a signed-in browser can
// start an export (the owner is mailed) but not take the file without the mailbox. The secret is
// stored as an HMAC with a key of its own derived from SESSION_SECRET: the scheduler is handed that
// key, never the secret that also signs sessions and seals two-factor secrets.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a mailed link works; the archive is deleted when it stops working. */
export const EXPORT_LINK_TTL_MS = 7 * 24 * 60 * 60_000;
/** How long an expired or failed export stays listed ("expired", "failed") before its row goes. */
export const EXPORT_ROW_KEPT_MS = 30 * 24 * 60 * 60_000;
/** At most one export an hour per account (failed ones do not count: the creator may try again at once). */
export const EXPORT_REQUEST_INTERVAL_MS = 60 * 60_000;

/** Where archives live in object storage; the asset sweep never looks here, the export sweep does. */
export const EXPORT_PREFIX = 'exports/';
export const exportObjectKey = (exportId: string) => `${EXPORT_PREFIX}${exportId}.zip`;

/** The archive's name as the browser saves it. */
export const exportFilename = (finishedAt: Date) => `linkpulse-export-${finishedAt.toISOString().slice(0, 10)}.zip`;

/**
 * Where the mail's link leads: the settings page, which takes the secret out of the fragment (never
 * sent to a server, nor in a Referer) and offers the download to the signed-in account.
 */
export const exportLinkUrl = (publicUrl: string, exportId: string, token: string) => `${publicUrl}/dashboard/settings?export=${exportId}#token=${token}`;

/** 32 random bytes in base64url, as every mailed link's secret (api/auth/credentials.ts). */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** The key export links are hashed with, derived from SESSION_SECRET for this one purpose. */
export function exportTokenKey(sessionSecret: string): Buffer {
  return createHmac('sha256', sessionSecret).update('account-export-link-key:v1').digest();
}

export interface ExportTokens {
  /** A new link secret and what to store of it. */
  newToken(): { token: string; hash: Buffer };
  /** Whether `presented` is the secret whose hash is `stored` (constant time; false for anything malformed). */
  matches(presented: string, stored: Buffer): boolean;
}

export function createExportTokens(key: Buffer): ExportTokens {
  const hash = (token: string) => createHmac('sha256', key).update(token).digest();
  return {
    newToken() {
      const token = randomBytes(32).toString('base64url');
      return { token, hash: hash(token) };
    },
    matches(presented, stored) {
      if (!SECRET_PATTERN.test(presented)) return false;
      const candidate = hash(presented);
      return candidate.length === stored.length && timingSafeEqual(candidate, stored);
    },
  };
}
