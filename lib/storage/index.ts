import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createLocalStorage } from './local-storage.js';
import type { ObjectStorage } from './object-storage.js';
import { createS3Storage } from './s3-storage.js';

/** S3 when S3_BUCKET is set (the bucket is created if missing), otherwise DATA_DIR/assets. */
export async function createObjectStorage(config: Pick<Config, 's3' | 'dataDir'>, logger: Logger): Promise<ObjectStorage> {
  if (!config.s3) return createLocalStorage(path.join(config.dataDir, 'assets'));
  const storage = createS3Storage({ ...config.s3, logger });
  // A missing bucket is created; an unreachable service is not fatal here (readiness reports it).
  await storage.ensureBucket().catch((error: unknown) => logger.warn({ err: error instanceof Error ? error.message : error }, 'cannot reach S3 yet'));
  return storage;
}
