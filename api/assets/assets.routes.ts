// /api/v1/assets: upload an image (multipart), list, read and delete the caller's images. The images
// themselves are served at /assets/<sha256> (serve.ts), outside the API.
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { receiveUpload } from '../http/upload.js';
import type { AssetsService } from './assets.service.js';
import { ACCEPTED_TYPES } from './image.js';
import { formatBytes } from '../../lib/format-bytes.js';

const UPLOAD_FIELD = 'file';

const Asset = z
  .object({
    id: z.uuid(),
    url: z.string().describe('Path of the image, /assets/<sha256 of its bytes>; immutable'),
    contentType: z.enum(['image/webp', 'image/avif']),
    size: z.number().int(),
    width: z.number().int(),
    height: z.number().int(),
    status: z.enum(['pending', 'stored', 'failed', 'deleted']),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Asset' });

const AssetParams = z.strictObject({ assetId: z.uuid() });

export function assetRoutes(service: AssetsService, options: { maxUploadBytes: number }): RouteSpec[] {
  return [
    defineRoute({
      method: 'post',
      path: '/assets',
      operationId: 'uploadAsset',
      summary: 'Upload an image (PNG, JPEG, WebP, GIF or AVIF); it is re-encoded, stripped of metadata and stored under the SHA-256 of the result',
      tag: 'assets',
      access: 'user',
      scope: 'profiles:write',
      upload: {
        field: UPLOAD_FIELD,
        description:
          `The image, at most ${formatBytes(options.maxUploadBytes)} (${options.maxUploadBytes} bytes) and 40 megapixels. Its bytes decide its type, never its name or declared type: ` +
          'anything but a PNG, JPEG, WebP, GIF or AVIF image is refused (415), and so is a truncated or corrupt one (400)',
        contentTypes: ACCEPTED_TYPES,
      },
      responses: {
        201: { description: 'Stored', schema: Asset },
        200: { description: 'You had uploaded this image already: the existing one', schema: Asset },
      },
      async handler({ auth, request, response }) {
        const { asset, created } = await service.upload(request, auth.userId, () => receiveUpload(request, response, { field: UPLOAD_FIELD, maxBytes: options.maxUploadBytes }));
        return { status: created ? 201 : 200, body: asset, headers: { Location: `/api/v1/assets/${asset.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets',
      operationId: 'listAssets',
      summary: 'The caller’s images and storage quota',
      tag: 'assets',
      access: 'user',
      scope: 'profiles:read',
      responses: { 200: { description: 'Images, newest first', schema: z.object({ assets: z.array(Asset), usedBytes: z.number().int(), quotaBytes: z.number().int() }) } },
      async handler({ auth }) {
        return { status: 200, body: await service.list(auth.userId) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/assets/:assetId',
      operationId: 'getAsset',
      summary: 'One of the caller’s images (404 for anyone else’s)',
      tag: 'assets',
      access: 'user',
      scope: 'profiles:read',
      params: AssetParams,
      responses: { 200: { description: 'The image’s record', schema: Asset } },
      async handler({ auth, params }) {
        return { status: 200, body: await service.get(auth.userId, params.assetId) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/assets/:assetId',
      operationId: 'deleteAsset',
      summary: 'Delete an image; profiles showing it lose their avatar; the stored file goes at the next sweep unless someone else uploaded it too',
      tag: 'assets',
      access: 'user',
      scope: 'profiles:write',
      params: AssetParams,
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.assetId);
        return { status: 204 };
      },
    }),
  ];
}
