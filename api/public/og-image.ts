// GET|HEAD /og/<handle>/<key>.png: a published profile's Open Graph image (lib/profiles/og-image.ts).
// Drawn with satori (layout to SVG) and resvg (SVG to PNG) in the page's theme and accent, stored
// under og/<key>.png and served as immutable; concurrent requests for one key share one render.
// A key that is no longer the profile's (it changed since the link was shared) redirects to the
// current image, so old shares still show the profile. No visitor data, no database on a cache hit
// of the public profile; storage failing only costs a render.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderAsync } from '@resvg/resvg-js';
import satori from 'satori';
import sharp from 'sharp';
import { AppError, notFound } from '../../lib/errors.js';
import { sendError } from '../../lib/http/responses.js';
import type { Logger } from '../../lib/logger.js';
import { HANDLE_PATTERN } from '../../lib/profiles/handle.js';
import { OG_IMAGE_HEIGHT, OG_IMAGE_PREFIX, OG_IMAGE_WIDTH, ogImageContent, ogImageKey, type OgImageContent } from '../../lib/profiles/og-image.js';
import { pageTheme, resolvePalette } from '../../lib/profiles/page-themes.js';
import type { PublicProfiles } from '../../lib/public-profile.js';
import type { HttpHandler } from '../../lib/runtime/role.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { IMMUTABLE } from '../assets/asset-url.js';

const PATH = /^\/og\/([^/]{1,64})\/([0-9a-f]{32})\.png$/;
/** Renders at once per process, and renders that may wait for one: beyond that, 503 with Retry-After. */
const MAX_CONCURRENT_RENDERS = 2;
const MAX_WAITING_RENDERS = 16;

type Font = { name: string; data: Buffer; weight: 400 | 700; style: 'normal' };
let fonts: Promise<Font[]> | undefined;
/** Inter (SIL OFL, from @fontsource/inter): Latin, Latin Extended, Greek and Cyrillic, regular and bold. */
const loadFonts = () =>
  (fonts ??= (async () => {
    const require = createRequire(import.meta.url);
    const directory = require.resolve('@fontsource/inter/package.json').replace(/package\.json$/, 'files/');
    const files = ['latin', 'latin-ext', 'greek', 'cyrillic'].flatMap((subset) => ([400, 700] as const).map((weight) => ({ subset, weight })));
    return Promise.all(
      files.map(async ({ subset, weight }) => ({ name: 'Inter', weight, style: 'normal' as const, data: await readFile(`${directory}inter-${subset}-${weight}-normal.woff`) })),
    );
  })().catch((error: unknown) => {
    fonts = undefined; // A failed read is tried again by the next render.
    throw error;
  }));

/** A satori node: the element shape it takes, without React. */
type Node = { type: string; props: Record<string, unknown> & { style?: Record<string, unknown>; children?: Node | Node[] | string } };
const h = (type: string, style: Record<string, unknown>, children?: Node | Node[] | string, props: Record<string, unknown> = {}): Node => ({
  type,
  props: { ...props, style, ...(children === undefined ? {} : { children }) },
});

const clip = (text: string, length: number) => (text.length > length ? `${text.slice(0, length - 1).trimEnd()}…` : text);

/** The picture: avatar, name, handle, bio and the first links as buttons, in the page's light scheme. */
export async function renderOgImage(content: OgImageContent, avatarPng: Buffer | null): Promise<Buffer> {
  const theme = pageTheme(content.pageTheme);
  const palette = resolvePalette(theme, 'light', content.accentColor);
  const background =
    palette.backgrounds.length > 1 ? { backgroundImage: `linear-gradient(160deg, ${palette.backgrounds[0]}, ${palette.backgrounds[1]})` } : { backgroundColor: palette.backgrounds[0] };
  const radius = theme.radius >= 999 ? 999 : theme.radius * 16;
  const avatar = avatarPng
    ? h('img', { width: 180, height: 180, borderRadius: 90, objectFit: 'cover' }, undefined, { src: `data:image/png;base64,${avatarPng.toString('base64')}`, width: 180, height: 180 })
    : h(
        'div',
        { width: 180, height: 180, borderRadius: 90, display: 'flex', alignItems: 'center', justifyContent: 'center', backgroundColor: palette.buttonBackground ?? palette.surface, color: palette.buttonBackground ? palette.buttonText : palette.surfaceText, fontSize: 84, fontWeight: 700 },
        (content.displayName.trim()[0] ?? '@').toUpperCase(),
      );
  const button = (title: string) =>
    h(
      'div',
      {
        display: 'flex',
        flexShrink: 0,
        padding: '12px 24px',
        borderRadius: radius,
        fontSize: 24,
        fontWeight: 700,
        color: palette.buttonText,
        backgroundColor: palette.buttonBackground ?? 'transparent',
        border: `${theme.shadow === 'hard' ? 3 : 2}px solid ${palette.buttonBorder}`,
        boxShadow: theme.shadow === 'hard' ? `5px 5px 0 ${palette.border}` : undefined,
        whiteSpace: 'nowrap',
      },
      clip(title, 18),
    );
  const more = content.linkCount - content.linkTitles.length;
  const tree = h(
    'div',
    { width: OG_IMAGE_WIDTH, height: OG_IMAGE_HEIGHT, boxSizing: 'border-box', display: 'flex', flexDirection: 'column', justifyContent: 'space-between', padding: 72, fontFamily: 'Inter', color: palette.text, ...background },
    [
      h('div', { display: 'flex', alignItems: 'center', gap: 48 }, [
        avatar,
        h('div', { display: 'flex', flexDirection: 'column', flex: 1, minWidth: 0 }, [
          h('div', { fontSize: 68, fontWeight: 700, lineHeight: 1.1 }, clip(content.displayName, 40)),
          h('div', { fontSize: 34, color: palette.muted, marginTop: 8 }, `@${content.handle}`),
          ...(content.bio ? [h('div', { fontSize: 30, marginTop: 20, lineHeight: 1.35, color: palette.text }, clip(content.bio.replace(/\s+/g, ' '), 150))] : []),
        ]),
      ]),
      h('div', { display: 'flex', gap: 20, alignItems: 'center' }, [
        ...content.linkTitles.map(button),
        ...(more > 0 ? [h('div', { fontSize: 24, color: palette.muted, whiteSpace: 'nowrap' }, `+${more} more`)] : []),
      ]),
      h('div', { position: 'absolute', top: 32, right: 48, fontSize: 22, fontWeight: 700, color: palette.muted }, 'Linkpulse'),
    ],
  );
  // Layout runs on the main thread (median 5.6 ms, at most 12 ms over 20 renders here); rasterising,
  // the heavier part (~15 ms), on libuv's thread pool.
  const svg = await satori(tree as Parameters<typeof satori>[0], { width: OG_IMAGE_WIDTH, height: OG_IMAGE_HEIGHT, fonts: await loadFonts() });
  return (await renderAsync(svg, { fitTo: { mode: 'width', value: OG_IMAGE_WIDTH }, font: { loadSystemFonts: false } })).asPng();
}

export function createOgImageHandler(deps: { publicProfiles: Pick<PublicProfiles, 'get'>; storage: ObjectStorage; logger: Logger }): HttpHandler {
  const logger = deps.logger.child({ module: 'og-image' });
  const rendering = new Map<string, Promise<Buffer>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  /** Runs `work` in one of the render slots; a finished render hands its slot straight to the next in line. */
  const withRenderSlot = async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= MAX_CONCURRENT_RENDERS) {
      if (waiting.length >= MAX_WAITING_RENDERS) throw new AppError('UNAVAILABLE', 'Too many images are being drawn; try again shortly', { retryAfterSeconds: 5 });
      await new Promise<void>((resolve) => waiting.push(resolve));
    } else {
      running++;
    }
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };

  const avatarPng = async (avatarUrl: string | null): Promise<Buffer | null> => {
    if (!avatarUrl) return null;
    const object = await deps.storage.get(avatarUrl.replace(/^\//, ''));
    if (!object) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    // satori embeds PNG and JPEG; stored avatars are WebP or AVIF.
    return sharp(Buffer.concat(chunks)).resize(360, 360, { fit: 'cover' }).png().toBuffer();
  };

  /**
   * The stored image, or a fresh render stored for next time under og/<profile>/<key>.png, the
   * profile's earlier pictures deleted (their URLs redirect here): one object per profile, however
   * often it changes. Storage trouble costs only the render.
   */
  const image = (profileId: string, key: string, content: OgImageContent): Promise<Buffer> => {
    let flight = rendering.get(key);
    if (!flight) {
      flight = (async () => {
        const folder = `${OG_IMAGE_PREFIX}${profileId}/`;
        const objectKey = `${folder}${key}.png`;
        try {
          const stored = await deps.storage.get(objectKey);
          if (stored) {
            const chunks: Buffer[] = [];
            for await (const chunk of stored.body) chunks.push(chunk as Buffer);
            return Buffer.concat(chunks);
          }
        } catch (error) {
          logger.warn({ err: error }, 'object storage unavailable; rendering the image without its cache');
        }
        const png = await withRenderSlot(async () => renderOgImage(content, await avatarPng(content.avatarUrl).catch(() => null)));
        try {
          await deps.storage.put(objectKey, png, { contentType: 'image/png', cacheControl: IMMUTABLE });
          for await (const object of deps.storage.list(folder)) if (object.key !== objectKey) await deps.storage.delete(object.key);
        } catch (error) {
          logger.warn({ err: error }, 'could not store a rendered Open Graph image');
        }
        return png;
      })().finally(() => rendering.delete(key));
      rendering.set(key, flight);
    }
    return flight;
  };

  return async (request: IncomingMessage, response: ServerResponse) => {
    try {
      const match = PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname);
      const handle = match?.[1]?.toLowerCase();
      if (!match || !handle || !HANDLE_PATTERN.test(handle)) throw notFound('No such image');
      const { body } = await deps.publicProfiles.get(handle);
      if (!body) throw notFound('No published profile has this handle');
      const content = ogImageContent(body);
      const key = ogImageKey(content);
      response.setHeader('X-Content-Type-Options', 'nosniff');
      response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      if (match[2] !== key || match[1] !== handle) {
        // The profile changed since this URL was shared: its current picture, briefly cacheable.
        response.writeHead(302, { Location: `/og/${handle}/${key}.png`, 'Cache-Control': 'public, max-age=300' });
        response.end();
        return;
      }
      const etag = `"${key}"`;
      if (request.headers['if-none-match']?.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()))) {
        response.writeHead(304, { ETag: etag, 'Cache-Control': IMMUTABLE });
        response.end();
        return;
      }
      const png = await image(body.profile.id, key, content);
      response.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': String(png.length), ETag: etag, 'Cache-Control': IMMUTABLE });
      response.end(request.method === 'HEAD' ? undefined : png);
    } catch (error) {
      sendError(request, response, error, logger);
    }
  };
}
