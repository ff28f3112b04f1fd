// Object storage for uploaded assets: S3-compatible storage when S3_BUCKET is set (MinIO, AWS S3,
// R2...), otherwise files under DATA_DIR/assets. One contract suite (object-storage.integration.test.ts)
// holds both to the same behaviour.
import type { Readable } from 'node:stream';
import type { HealthCheck } from '../health.js';

export interface PutOptions {
  contentType: string;
  cacheControl?: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** Quoted, as in HTTP (the MD5 of the content for single-part uploads, as S3 does). */
  etag: string;
  lastModified: Date;
}

export interface ObjectMetadata extends ObjectInfo {
  contentType: string;
  cacheControl: string | undefined;
}

export interface StoredObject extends ObjectMetadata {
  body: Readable;
}

export interface ObjectStorage {
  readonly kind: 's3' | 'local';
  /** Creates or replaces the object; readers see the old object or the new one, never a mix. */
  put(key: string, body: Buffer, options: PutOptions): Promise<ObjectMetadata>;
  /**
   * The same for a body of unknown length (an archive being built), read as it comes with at most
   * one part in memory (S3: a multipart upload of STREAM_PART_BYTES parts). A body that throws leaves
   * no object (S3: the upload is aborted) and the error propagates.
   */
  putStream(key: string, body: AsyncIterable<Uint8Array>, options: PutOptions): Promise<ObjectMetadata>;
  get(key: string): Promise<StoredObject | undefined>;
  head(key: string): Promise<ObjectMetadata | undefined>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with prefix, in key order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  healthCheck(): HealthCheck;
  close(): Promise<void>;
}

/** The part size of streamed uploads to S3 (at least 5 MiB but for the last part; at most 10,000 parts: 80 GB). */
export const STREAM_PART_BYTES = 8 * 1024 * 1024;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

/**
 * Keys are path-like (segments of letters, digits, '.', '_', '-'), never start a segment with a dot
 * (so '..' cannot climb out of the local root) and are at most 512 characters.
 */
export function assertObjectKey(key: string): void {
  if (key.length > 512 || !KEY.test(key)) throw new Error(`invalid object key ${JSON.stringify(key)}`);
}

export function assertKeyPrefix(prefix: string): void {
  if (prefix !== '' && (prefix.length > 512 || !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(prefix) || prefix.includes('/.'))) {
    throw new Error(`invalid object key prefix ${JSON.stringify(prefix)}`);
  }
}
