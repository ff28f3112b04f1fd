// Object storage on any S3-compatible service through @aws-sdk/client-s3 (path-style addressing for
// MinIO and friends). Transient failures are retried by the SDK (standard mode: exponential backoff
// with jitter); anything else propagates to the caller.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../config.js';
import type { Logger } from '../logger.js';
import { assertKeyPrefix, assertObjectKey, STREAM_PART_BYTES, type ObjectMetadata, type ObjectStorage } from './object-storage.js';

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.name === 'NotFound' || error.name === 'NoSuchKey' || error.name === 'NoSuchBucket' || error.$metadata.httpStatusCode === 404)
  );
}

/** The metadata S3 returns for GetObject and HeadObject, in our shape. */
function toMetadata(
  key: string,
  result: { ContentLength?: number; ETag?: string; LastModified?: Date; ContentType?: string; CacheControl?: string },
): ObjectMetadata {
  return {
    key,
    size: result.ContentLength ?? 0,
    etag: result.ETag ?? '',
    lastModified: result.LastModified ?? new Date(0),
    contentType: result.ContentType ?? 'application/octet-stream',
    cacheControl: result.CacheControl,
  };
}

export interface S3StorageOptions extends S3Config {
  logger: Logger;
}

export function createS3Storage(options: S3StorageOptions): ObjectStorage & { ensureBucket(): Promise<void> } {
  const logger = options.logger.child({ module: 's3-storage' });
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle,
    ...(options.accessKeyId && options.secretAccessKey
      ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
      : {}),
    maxAttempts: 4,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: 3_000, requestTimeout: 30_000 },
  });
  const Bucket = options.bucket;

  const storage: ObjectStorage & { ensureBucket(): Promise<void> } = {
    kind: 's3',
    /** Creates the bucket when it does not exist (a fresh MinIO); production buckets usually exist. */
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await client.send(new CreateBucketCommand({ Bucket })).catch((createError: unknown) => {
          if (!(createError instanceof S3ServiceException && createError.name === 'BucketAlreadyOwnedByYou')) throw createError;
        });
        logger.info({ bucket: Bucket }, 'created S3 bucket');
      }
    },
    async put(key, body, putOptions) {
      assertObjectKey(key);
      const result = await client.send(
        new PutObjectCommand({
          Bucket,
          Key: key,
          Body: body,
          ContentType: putOptions.contentType,
          CacheControl: putOptions.cacheControl,
          ContentLength: body.length,
          // The service verifies the bytes it received against this digest.
          ContentMD5: createHash('md5').update(body).digest('base64'),
        }),
      );
      return {
        key,
        size: body.length,
        etag: result.ETag ?? `"${createHash('md5').update(body).digest('hex')}"`,
        lastModified: new Date(),
        contentType: putOptions.contentType,
        cacheControl: putOptions.cacheControl,
      };
    },
    // Parts of STREAM_PART_BYTES, one in memory at a time; a body that fits in one part is a plain put.
    // An upload that fails is aborted; one whose process dies stays incomplete until the bucket's
    // lifecycle rule (AbortIncompleteMultipartUpload) removes it: readers never see it either way.
    async putStream(key, body, putOptions) {
      assertObjectKey(key);
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      let size = 0;
      let uploadId: string | undefined;
      const parts: { ETag: string; PartNumber: number }[] = [];
      const uploadPart = async () => {
        const part = Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
        uploadId ??= (await client.send(new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: putOptions.contentType, CacheControl: putOptions.cacheControl })))
          .UploadId;
        if (!uploadId) throw new Error('S3 returned no upload id');
        const PartNumber = parts.length + 1;
        const result = await client.send(
          new UploadPartCommand({ Bucket, Key: key, UploadId: uploadId, PartNumber, Body: part, ContentLength: part.length, ContentMD5: createHash('md5').update(part).digest('base64') }),
        );
        parts.push({ ETag: result.ETag ?? '', PartNumber });
      };
      try {
        for await (const chunk of body) {
          pending.push(chunk);
          pendingBytes += chunk.byteLength;
          size += chunk.byteLength;
          if (pendingBytes >= STREAM_PART_BYTES) await uploadPart();
        }
        if (uploadId === undefined) return await storage.put(key, Buffer.concat(pending), putOptions);
        if (pendingBytes > 0) await uploadPart();
        const done = await client.send(new CompleteMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
        const metadata: ObjectMetadata = { key, size, etag: done.ETag ?? '""', lastModified: new Date(), contentType: putOptions.contentType, cacheControl: putOptions.cacheControl };
        return metadata;
      } catch (error) {
        if (uploadId !== undefined) {
          await client.send(new AbortMultipartUploadCommand({ Bucket, Key: key, UploadId: uploadId })).catch((abortError: unknown) => {
            logger.warn({ err: abortError, key }, 'could not abort a failed multipart upload; the bucket lifecycle rule removes it');
          });
        }
        throw error;
      }
    },
    async get(key) {
      assertObjectKey(key);
      try {
        const result = await client.send(new GetObjectCommand({ Bucket, Key: key }));
        if (!(result.Body instanceof Readable)) throw new Error('S3 returned no readable body');
        return { ...toMetadata(key, result), body: result.Body };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async head(key) {
      assertObjectKey(key);
      try {
        return toMetadata(key, await client.send(new HeadObjectCommand({ Bucket, Key: key })));
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async delete(key) {
      assertObjectKey(key);
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async *list(prefix) {
      assertKeyPrefix(prefix);
      let ContinuationToken: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken }));
        for (const item of page.Contents ?? []) {
          if (!item.Key) continue;
          yield { key: item.Key, size: item.Size ?? 0, etag: item.ETag ?? '', lastModified: item.LastModified ?? new Date(0) };
        }
        ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (ContinuationToken);
    },
    healthCheck: () => ({
      name: 'storage',
      required: true,
      async check() {
        await client.send(new HeadBucketCommand({ Bucket }));
        return { state: 'ok', detail: 's3' };
      },
    }),
    async close() {
      client.destroy();
    },
  };
  return storage;
}
