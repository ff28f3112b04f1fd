// /api/v1/account/exports: "Download my data". Session only: an export is the whole account, so a
// personal access token (scoped to profiles and analytics) cannot ask for one or fetch it.
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id } from '../http/schemas.js';
import type { AccountExportsService } from './account-exports.service.js';

const AccountExport = z
  .object({
    id: z.uuid(),
    status: z
      .enum(['pending', 'building', 'ready', 'expired', 'deleted', 'failed'])
      .describe('pending: waiting for the builder; building; ready: the mailed link works until expiresAt; expired or deleted: the file is gone; failed: ask again'),
    requestedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    expiresAt: z.iso.datetime().nullable().describe('When the download link stops working and the file is deleted'),
    sizeBytes: z.number().int().min(0).nullable().describe('The ZIP file’s size'),
    error: z.string().nullable().describe('Why it failed, in words for the account holder'),
  })
  .meta({ id: 'AccountExport' });

const ExportParams = z.strictObject({ exportId: Id });

export function accountExportRoutes(service: AccountExportsService): RouteSpec[] {
  const common = { tag: 'account', access: 'session' } as const;
  return [
    defineRoute({
      ...common,
      method: 'post',
      path: '/account/exports',
      operationId: 'requestAccountExport',
      summary:
        'Ask for a copy of your data: a ZIP of your account, pages, links, images, memberships, activity logs and raw analytics, built in the background and mailed as a link that works for 7 days. One at a time (409 while one is waiting or being built) and one an hour (429; failed ones do not count)',
      errors: ['CONFLICT'],
      responses: { 202: { description: 'Accepted: it is being put together, and a mail follows', schema: AccountExport } },
      async handler({ auth, request }) {
        return { status: 202, body: await service.request(request, auth.userId) };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/account/exports',
      operationId: 'listAccountExports',
      summary: 'Your recent export requests, newest first, with how each went',
      responses: { 200: { description: 'Newest first', schema: z.object({ exports: z.array(AccountExport) }) } },
      async handler({ auth }) {
        return { status: 200, body: { exports: await service.list(auth.userId) } };
      },
    }),
    defineRoute({
      ...common,
      method: 'get',
      path: '/account/exports/:exportId/download',
      operationId: 'downloadAccountExport',
      summary:
        'The ZIP file, for the account that asked for it with the secret of the mailed link. 404 for a wrong secret or someone else’s export, alike; 410 once the link has expired or the export was deleted (the file is gone then)',
      params: ExportParams,
      query: z.strictObject({ token: z.string().min(1).max(100).describe('The secret from the mailed link (its #token=…)') }),
      errors: ['GONE'],
      responses: { 200: { description: 'The archive, as an attachment', contentTypes: ['application/zip'] } },
      async handler({ auth, params, query, request }) {
        const download = await service.download(request, auth.userId, params.exportId, query.token, { withBody: request.method !== 'HEAD' });
        return {
          status: 200,
          headers: {
            'Content-Type': 'application/zip',
            'Content-Length': String(download.size),
            'Content-Disposition': `attachment; filename="${download.filename}"`,
          },
          ...(download.object ? { stream: download.object.body } : {}),
        };
      },
    }),
    defineRoute({
      ...common,
      method: 'delete',
      path: '/account/exports/:exportId',
      operationId: 'deleteAccountExport',
      summary:
        'Delete an export’s file now, rather than when its link expires; it stays listed as deleted (and still counts for the one-an-hour limit). 409 while it is waiting or being built; 404 once deleted',
      params: ExportParams,
      errors: ['CONFLICT'],
      responses: { 204: { description: 'Deleted' } },
      async handler({ auth, params }) {
        await service.remove(auth.userId, params.exportId);
        return { status: 204 };
      },
    }),
  ];
}
