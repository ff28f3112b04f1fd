// "Download my data" for the signed-in account: ask for an export (one at a time, one an hour; the
// scheduler builds it and mails a link), see how the requests went, download one with the mailed
// link's secret, delete one. The rules both sides share are in lib/account-exports/account-export.ts.
//
// A refused download says the same for an export that does not exist, another account's, a wrong
// secret and a failed build (404); only the right secret learns that its link has expired (410).
import type { Request } from 'express';
import type pg from 'pg';
import { EXPORT_REQUEST_INTERVAL_MS, exportFilename, type ExportTokens } from '../../lib/account-exports/account-export.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { ObjectStorage, StoredObject } from '../../lib/storage/object-storage.js';
import type { AuditLog } from '../audit/audit-log.js';
import { findOpenExport, getExportForDownload, insertExportRequest, listExports, markExportDeleted, secondsUntilNextRequest, type ExportRow } from './account-exports.repository.js';

/** How many requests the list shows (rows go 30 days after they expire or fail). */
export const EXPORTS_LISTED = 20;

export interface AccountExport {
  id: string;
  /** `expired`: it was ready, and its link's time is over; `deleted`: the account deleted it. Either way the file is gone. */
  status: 'pending' | 'building' | 'ready' | 'expired' | 'deleted' | 'failed';
  requestedAt: string;
  finishedAt: string | null;
  expiresAt: string | null;
  sizeBytes: number | null;
  error: string | null;
}

const toAccountExport = (row: ExportRow): AccountExport => ({
  id: row.id,
  status: row.deleted_at ? 'deleted' : row.status === 'ready' && row.expired ? 'expired' : row.status,
  requestedAt: row.requested_at.toISOString(),
  finishedAt: row.finished_at?.toISOString() ?? null,
  expiresAt: row.expires_at?.toISOString() ?? null,
  sizeBytes: row.size_bytes === null ? null : Number(row.size_bytes),
  error: row.error,
});

const WRONG_LINK = 'No such export, or the download link is not right: open the link in the mail we sent, logged in to the account that asked for the export.';

export interface ExportDownload {
  filename: string;
  size: number;
  /** Absent for HEAD: whether the link works, without reading the file. */
  object?: StoredObject;
}

export function createAccountExportsService(deps: { db: Database; storage: ObjectStorage; tokens: ExportTokens; audit: AuditLog; logger: Logger }) {
  const { db, storage, tokens, audit } = deps;
  const logger = deps.logger.child({ module: 'account-exports' });
  return {
    async request(request: Request, userId: string): Promise<AccountExport> {
      const created = await withUser(db, userId, async (tx) => {
        if (await findOpenExport(tx)) throw new AppError('CONFLICT', 'Your data is being exported already: we will mail you a link when it is ready.');
        const wait = await secondsUntilNextRequest(tx, EXPORT_REQUEST_INTERVAL_MS);
        if (wait > 0) {
          const minutes = Math.ceil(wait / 60);
          throw new AppError('RATE_LIMIT', `You can ask for one export an hour. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or use the link of your last export.`, {
            retryAfterSeconds: wait,
          });
        }
        return insertExportRequest(tx, userId);
      }).catch((error: unknown) => {
        // Two requests at once: the unique index lets one through.
        if ((error as pg.DatabaseError).code === '23505' && (error as pg.DatabaseError).constraint === 'account_exports_one_open') {
          throw new AppError('CONFLICT', 'Your data is being exported already: we will mail you a link when it is ready.');
        }
        throw error;
      });
      await audit.record(request, { action: 'account.export_request', outcome: 'success', target: created.id });
      return toAccountExport(created);
    },

    async list(userId: string): Promise<AccountExport[]> {
      return (await withUser(db, userId, (tx) => listExports(tx, EXPORTS_LISTED))).map(toAccountExport);
    },

    /** The archive, once the secret is checked; `withBody: false` checks without opening it (HEAD). */
    async download(request: Request, userId: string, exportId: string, token: string, options: { withBody: boolean }): Promise<ExportDownload> {
      const row = await withUser(db, userId, (tx) => getExportForDownload(tx, exportId));
      if (!row || row.status !== 'ready' || !row.token_hash || !tokens.matches(token, row.token_hash)) {
        await audit.record(request, { action: 'account.export_download', outcome: 'denied', target: exportId });
        throw notFound(WRONG_LINK);
      }
      const gone = () =>
        row.deleted_at
          ? new AppError('GONE', `You deleted this export on ${row.deleted_at.toISOString().slice(0, 10)}. Ask for a new one in Settings.`)
          : new AppError('GONE', `This download link expired on ${row.expires_at!.toISOString().slice(0, 10)} and the file was deleted. Ask for a new export in Settings.`);
      if (row.deleted_at || row.expired || !row.object_key) throw gone();
      const filename = exportFilename(row.finished_at!);
      const size = Number(row.size_bytes);
      if (!options.withBody) {
        if (!(await storage.head(row.object_key))) throw gone();
        return { filename, size };
      }
      const object = await storage.get(row.object_key);
      if (!object) {
        logger.error({ exportId }, 'a ready export has no archive in object storage');
        throw gone();
      }
      await audit.record(request, { action: 'account.export_download', outcome: 'success', target: exportId });
      return { filename, size: object.size, object };
    },

    async remove(userId: string, exportId: string): Promise<void> {
      const result = await withUser(db, userId, (tx) => markExportDeleted(tx, exportId));
      if (result.unfinished) throw new AppError('CONFLICT', 'This export is being put together right now; delete it once it is ready.');
      if (!result.deleted) throw notFound('No such export, or it is deleted already');
      // The sweep deletes objects no row names, should this fail.
      if (result.objectKey) await storage.delete(result.objectKey);
    },
  };
}

export type AccountExportsService = ReturnType<typeof createAccountExportsService>;
