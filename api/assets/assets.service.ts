// Uploads: validate and re-encode (image.ts), reserve a 'pending' row within the quota, write the
// object, then mark the row 'stored'. The row never says 'stored' without its object: a failed write
// marks it 'failed' and answers 503; a failure after the write leaves 'pending', which the sweep
// (scheduler/asset-sweep.ts) removes with any object nothing refers to. Every refusal goes to the
// security audit log with its reason, never with the file's contents.
import type { Request } from 'express';
import type { AssetConfig } from '../../lib/config.js';
import { AppError, notFound } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import type { AuditLog } from '../audit/audit-log.js';
import { UploadRefused, type UploadedFile } from '../http/upload.js';
import { deleteAsset, getAsset, listAssets, reserveAsset, setAssetStatus, storageUsed, type AssetRow } from './assets.repository.js';
import { assetPath, IMMUTABLE } from './asset-url.js';
import { ImageRejected, processImage } from './image.js';
import { formatBytes } from '../../lib/format-bytes.js';

const STORAGE_RETRY_SECONDS = 30;

export interface Asset {
  id: string;
  /** Where the image is served: /assets/<sha256>. */
  url: string;
  contentType: string;
  size: number;
  width: number;
  height: number;
  status: AssetRow['status'];
  createdAt: string;
}

const toAsset = (row: AssetRow): Asset => ({
  id: row.id,
  url: assetPath(row.object_key),
  contentType: row.content_type,
  size: row.size_bytes,
  width: row.width,
  height: row.height,
  status: row.status,
  createdAt: row.created_at.toISOString(),
});

export interface AssetsDeps {
  db: Database;
  storage: ObjectStorage;
  audit: AuditLog;
  config: AssetConfig;
  logger: Logger;
  invalidateProfiles(handles: string[]): Promise<void>;
}

export function createAssetsService(deps: AssetsDeps) {
  const { db, storage, audit, config } = deps;
  const logger = deps.logger.child({ module: 'assets' });

  const storageUnavailable = (cause: unknown) => {
    logger.warn({ err: cause }, 'object storage unavailable; answering 503');
    return new AppError('UNAVAILABLE', 'Image storage is unavailable; try again shortly', { retryAfterSeconds: STORAGE_RETRY_SECONDS, cause });
  };

  const refuse = async (request: Request, userId: string, file: Partial<UploadedFile>, reason: string, extra: Record<string, string | number> = {}) => {
    await audit.record(request, {
      action: 'asset.reject',
      outcome: 'denied',
      actorUserId: userId,
      details: { reason, ...(file.declaredType ? { declaredType: file.declaredType } : {}), ...(file.size !== undefined ? { size: file.size } : {}), ...extra },
    });
  };

  return {
    /** Stores the upload (or finds the caller's identical one); `created` is false for a re-upload. */
    async upload(request: Request, userId: string, receive: () => Promise<UploadedFile>): Promise<{ asset: Asset; created: boolean }> {
      let file: UploadedFile;
      try {
        file = await receive();
      } catch (error) {
        if (error instanceof UploadRefused) await refuse(request, userId, {}, error.reason);
        throw error;
      }
      let image;
      try {
        image = await processImage(file.buffer, config);
      } catch (error) {
        if (error instanceof ImageRejected) await refuse(request, userId, file, error.reason, error.detectedType ? { detectedType: error.detectedType } : {});
        throw error;
      }

      const objectKey = `assets/${image.sha256}`;
      const reserved = await withUser(db, userId, (tx) =>
        reserveAsset(
          tx,
          userId,
          { objectKey, contentType: image.contentType, sizeBytes: image.body.length, width: image.width, height: image.height, validation: { input: image.input, uploadBytes: file.size } },
          config.quotaBytes,
        ),
      );
      if (reserved === 'over_quota') {
        await refuse(request, userId, file, 'quota_exceeded', { quotaBytes: config.quotaBytes });
        throw new AppError('CONFLICT', `Your images would exceed your storage quota of ${formatBytes(config.quotaBytes)}; delete some first`, {
          details: { reason: 'quota_exceeded', quotaBytes: config.quotaBytes },
        });
      }
      if (reserved.row.status === 'stored') return { asset: toAsset(reserved.row), created: false };

      try {
        // Another user may have stored the same image already: then there is nothing to write.
        if (!(await storage.head(objectKey))) {
          await storage.put(objectKey, image.body, { contentType: image.contentType, cacheControl: IMMUTABLE });
        }
      } catch (error) {
        // Only our own new row: a concurrent upload of the same image may still succeed with its row.
        if (reserved.created) {
          await withUser(db, userId, (tx) => setAssetStatus(tx, reserved.row.id, 'failed')).catch((failure: unknown) =>
            logger.warn({ err: failure, assetId: reserved.row.id }, 'could not mark the asset failed; the sweep will remove it'),
          );
        }
        throw storageUnavailable(error);
      }
      const stored = await withUser(db, userId, (tx) => setAssetStatus(tx, reserved.row.id, 'stored'));
      return { asset: toAsset(stored!), created: reserved.created };
    },

    async list(userId: string): Promise<{ assets: Asset[]; usedBytes: number; quotaBytes: number }> {
      return withUser(db, userId, async (tx) => ({
        assets: (await listAssets(tx)).map(toAsset),
        usedBytes: await storageUsed(tx),
        quotaBytes: config.quotaBytes,
      }));
    },

    async get(userId: string, assetId: string): Promise<Asset> {
      const row = await withUser(db, userId, (tx) => getAsset(tx, assetId));
      if (!row) throw notFound('No such image');
      return toAsset(row);
    },

    async remove(userId: string, assetId: string): Promise<void> {
      const deleted = await withUser(db, userId, (tx) => deleteAsset(tx, assetId));
      if (!deleted) throw notFound('No such image');
      if (deleted.handles.length > 0) await deps.invalidateProfiles(deleted.handles);
    },
  };
}

export type AssetsService = ReturnType<typeof createAssetsService>;
