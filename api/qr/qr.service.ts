// QR codes of a profile and of its links, drawn on request (lib/qr/qr-code.ts) for any member: SVG
// as drawn, PNG rasterised by resvg on libuv's thread pool. The code carries the page's or the link's
// URL marked as a scan (?trigger=qr). Nothing is stored: its ETag (a hash of everything drawn) lets the
// browser revalidate without a drawing, and the process keeps recent drawings by ETag (a large PNG with
// a logo costs tens of milliseconds of the thread pool scrypt and file I/O share), drawing at most
// RENDERS_AT_ONCE at a time, so repeated requests cannot keep that pool busy.
import { createHash } from 'node:crypto';
import { renderAsync } from '@resvg/resvg-js';
import sharp from 'sharp';
import { AppError, notFound } from '../../lib/errors.js';
import type { Database } from '../../lib/postgres/database.js';
import { asVisitor, withUser, type Tx } from '../../lib/postgres/tenant.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { drawQrCode, qrModuleColor, qrTargetUrl, type QrFormat } from '../../lib/qr/qr-code.js';
import { getProfile } from '../profiles/profiles.repository.js';
import { getLink } from '../links/links.repository.js';
import { LruMap } from '../../lib/lru-map.js';

/** Bump when the drawing changes, so browsers fetch codes again. */
const RENDERER_VERSION = 1;
/** The logo is drawn into a few dozen modules: 256 pixels is plenty at any size we render. */
const LOGO_PIXELS = 256;
/** Drawings kept per process, by ETag: the most recent, up to this many bytes. */
const CACHED_BYTES = 32 * 1024 * 1024;
/** Drawings made at once; others wait their turn. */
const RENDERS_AT_ONCE = 2;

export interface QrRequest {
  format: QrFormat;
  /** PNG width and height in pixels. */
  size: number;
  /** The profile's avatar in the centre. */
  logo: boolean;
  /** A colour for the modules; the profile's accent when absent. Made scannable either way. */
  color?: string | undefined;
}

export interface QrImage {
  etag: string;
  contentType: string;
  filename: string;
  /** Produces the bytes (only when the ETag did not match). */
  render(): Promise<Buffer>;
  /** The module colour used, and whether it differs from the one asked for (too light to scan). */
  color: string;
  colorAdjusted: boolean;
}

/** The avatar's stored object key: the caller's own image, or the one a visitor of the published page sees. */
async function avatarKey(db: Database, tx: Tx, assetId: string): Promise<string | undefined> {
  const own = await tx.query<{ object_key: string }>("SELECT object_key FROM assets WHERE id = $1 AND status = 'stored'", [assetId]);
  if (own.rows[0]) return own.rows[0].object_key;
  // Another member's upload is not the caller's to read (assets are per user), but a published page's avatar is public.
  const shown = await asVisitor(db, (visitor) => visitor.query<{ object_key: string }>('SELECT object_key FROM assets WHERE id = $1', [assetId]));
  return shown.rows[0]?.object_key;
}

export function createQrService(deps: { db: Database; storage: ObjectStorage; publicUrl: string }) {
  const { db } = deps;
  const drawn = new LruMap<string, Buffer>(1024, { maxWeight: CACHED_BYTES, weigh: (bytes) => bytes.length });
  /** Drawings under way by ETag: a second request for one waits for it instead of drawing it again. */
  const drawing = new Map<string, Promise<Buffer>>();
  let rendering = 0;
  const waiting: (() => void)[] = [];
  const inTurn = async <T>(work: () => Promise<T>): Promise<T> => {
    if (rendering >= RENDERS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
    rendering++;
    try {
      return await work();
    } finally {
      rendering--;
      waiting.shift()?.();
    }
  };
  /** The bytes of a drawing: kept, being made, or made now (in turn). */
  const cached = (etag: string, draw: () => Promise<Buffer>): Promise<Buffer> => {
    const kept = drawn.get(etag);
    if (kept) return Promise.resolve(kept);
    const underWay = drawing.get(etag);
    if (underWay) return underWay;
    const made = inTurn(draw)
      .then((bytes) => {
        drawn.set(etag, bytes);
        return bytes;
      })
      .finally(() => drawing.delete(etag));
    drawing.set(etag, made);
    return made;
  };

  const logoDataUrl = async (key: string): Promise<string> => {
    const object = await deps.storage.get(key);
    if (!object) throw new AppError('CONFLICT', 'The avatar image is not available right now; download the code without the logo', { details: { fields: [{ field: 'query.logo', message: 'the avatar is missing from storage' }] } });
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    // resvg embeds PNG and JPEG; stored avatars are WebP or AVIF.
    const png = await sharp(Buffer.concat(chunks)).resize(LOGO_PIXELS, LOGO_PIXELS, { fit: 'cover' }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  };

  /** The code of `target` (the profile, or one of its links) as the request asks. */
  const image = async (userId: string, profileId: string, linkId: string | undefined, request: QrRequest): Promise<QrImage> => {
    const found = await withUser(db, userId, async (tx) => {
      const profile = await getProfile(tx, profileId);
      if (!profile) throw notFound('No such profile');
      const link = linkId === undefined ? undefined : await getLink(tx, profileId, linkId);
      if (linkId !== undefined && !link) throw notFound('No such link');
      const logoKey = request.logo && profile.avatar_asset_id ? await avatarKey(db, tx, profile.avatar_asset_id) : undefined;
      return { profile, link, logoKey };
    });
    const { profile, link, logoKey } = found;
    if (request.logo && !logoKey) {
      throw new AppError('CONFLICT', 'This page has no avatar to put in the code: add one in the editor, or download the code without the logo', {
        details: { fields: [{ field: 'query.logo', message: 'the page has no avatar' }] },
      });
    }
    const url = qrTargetUrl(deps.publicUrl, link ? { linkId: link.id } : { handle: profile.handle });
    const asked = request.color ?? profile.accent_color;
    const { color, adjusted } = qrModuleColor(asked);
    const etag = `"${createHash('sha256')
      .update(JSON.stringify([RENDERER_VERSION, url, color, logoKey ?? null, request.format, request.format === 'png' ? request.size : 0]))
      .digest('base64url')
      .slice(0, 27)}"`;
    const name = link ? `${profile.handle}-${link.title}` : profile.handle;
    const filename = `qr-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60) || 'linkpulse'}.${request.format}`;
    return {
      etag,
      contentType: request.format === 'svg' ? 'image/svg+xml' : 'image/png',
      filename,
      color,
      colorAdjusted: adjusted,
      render: () =>
        cached(etag, async () => {
          const logo = logoKey ? await logoDataUrl(logoKey) : undefined;
          const { svg } = drawQrCode(url, { color, logo, title: `QR code for ${url}` });
          if (request.format === 'svg') return Buffer.from(svg);
          return (await renderAsync(svg, { fitTo: { mode: 'width', value: request.size }, font: { loadSystemFonts: false } })).asPng();
        }),
    };
  };

  return { image };
}

export type QrService = ReturnType<typeof createQrService>;
