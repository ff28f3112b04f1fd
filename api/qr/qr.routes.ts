// GET /api/v1/profiles/:profileId/qr and …/links/:linkId/qr: a profile's or a link's QR code, SVG or
// PNG, for any member of the profile (the dashboard's QR dialog shows and downloads them).
import { z } from 'zod';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id } from '../http/schemas.js';
import { MIN_QR_CONTRAST, QR_DEFAULT_PIXELS, QR_FORMATS, QR_MAX_PIXELS, QR_MIN_PIXELS } from '../../lib/qr/qr-code.js';
import type { QrService } from './qr.service.js';

const Flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const QrQuery = z.strictObject({
  format: z.enum(QR_FORMATS).default('svg').describe('svg (vector, for print) or png'),
  size: z.coerce.number().int().min(QR_MIN_PIXELS).max(QR_MAX_PIXELS).default(QR_DEFAULT_PIXELS).describe(`PNG width and height in pixels (${QR_MIN_PIXELS}-${QR_MAX_PIXELS}); ignored for SVG`),
  logo: Flag.default(false).describe('true: the page’s avatar in the centre (with error correction level H); 409 CONFLICT when the page has none'),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, 'a colour such as #2563eb')
    .optional()
    .describe(`The modules’ colour, default the page’s accent. One too light to scan on white (contrast below ${MIN_QR_CONTRAST}:1) is darkened until it passes: X-QR-Color says the colour drawn`),
  download: Flag.default(false).describe('true: served as an attachment with a file name'),
});

const IMAGE = { description: 'The image (revalidate with If-None-Match: the ETag changes with anything drawn)', contentTypes: ['image/svg+xml', 'image/png'] } as const;
const NOT_MODIFIED = { description: 'Not modified since the ETag sent in If-None-Match' } as const;

/** Does an If-None-Match header list this ETag (or *)? Weak validators compare equal (RFC 9110). */
function matchesEtag(header: string | undefined, etag: string): boolean {
  return header !== undefined && header.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()));
}

export function qrRoutes(service: QrService): RouteSpec[] {
  const answer = async (image: Awaited<ReturnType<QrService['image']>>, download: boolean, ifNoneMatch: string | undefined) => {
    const headers: Record<string, string> = {
      ETag: image.etag,
      // Members only, and the code follows the page (handle, accent, avatar): each use revalidates, cheaply.
      'Cache-Control': 'private, no-cache',
      'X-QR-Color': image.color,
      'X-Content-Type-Options': 'nosniff',
      // An SVG opened on its own must not run anything.
      'Content-Security-Policy': "default-src 'none'; img-src data:; frame-ancestors 'none'; sandbox",
    };
    if (matchesEtag(ifNoneMatch, image.etag)) return { status: 304, headers };
    const bytes = await image.render();
    return {
      status: 200,
      headers: {
        ...headers,
        'Content-Type': image.contentType,
        ...(download ? { 'Content-Disposition': `attachment; filename="${image.filename}"` } : {}),
      },
      stream: (async function* () {
        yield bytes;
      })(),
    };
  };
  return [
    defineRoute({
      method: 'get',
      path: '/profiles/:profileId/qr',
      operationId: 'getProfileQrCode',
      summary: 'The page’s QR code (its address with ?trigger=qr, so visits that begin with a scan count as scans), SVG or PNG',
      tag: 'profiles',
      access: 'user',
      scope: 'profiles:read',
      params: z.strictObject({ profileId: Id }),
      query: QrQuery,
      responses: { 200: IMAGE, 304: NOT_MODIFIED },
      // logo=true on a page without an avatar (or one missing from storage).
      errors: ['CONFLICT'],
      async handler({ auth, params, query, request }) {
        return answer(await service.image(auth.userId, params.profileId, undefined, query), query.download, request.headers['if-none-match']);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/profiles/:profileId/links/:linkId/qr',
      operationId: 'getLinkQrCode',
      summary: 'A link’s QR code (its /r/ address with ?trigger=qr: scans count apart from clicks), SVG or PNG',
      tag: 'links',
      access: 'user',
      scope: 'profiles:read',
      params: z.strictObject({ profileId: Id, linkId: Id }),
      query: QrQuery,
      responses: { 200: IMAGE, 304: NOT_MODIFIED },
      errors: ['CONFLICT'],
      async handler({ auth, params, query, request }) {
        return answer(await service.image(auth.userId, params.profileId, params.linkId, query), query.download, request.headers['if-none-match']);
      },
    }),
  ];
}
