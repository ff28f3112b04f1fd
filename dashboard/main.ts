// Composition root of the dashboard role: mounts the SvelteKit build (dashboard/build, written by
// dashboard/adapter.js) in the process's HTTP server. Public pages (/@handle) are answered from their
// prepared copy (prepared-pages.ts); static assets from build/client, listed once at start (hashed
// files under /_app/immutable are cached for a year); everything else goes to SvelteKit, with the
// request URL built from PUBLIC_URL and our services passed as `event.platform`.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Server as SvelteKitServer, SSRManifest } from '@sveltejs/kit';
import { getRequest, setResponse } from '@sveltejs/kit/node';
import serveStatic from 'serve-static';
import type { Config } from '../lib/config.js';
import { AppError } from '../lib/errors.js';
import { createClientAddressResolver } from '../lib/http/request-context.js';
import { DASHBOARD_BUILD_DIR } from '../lib/paths.js';
import { acceptedEncodings } from '../lib/http/negotiation.js';
import type { Logger } from '../lib/logger.js';
import type { Role } from '../lib/runtime/role.js';
import { publicPageCacheControl } from '../lib/public-profile.js';
import type { DashboardPlatform } from './platform.js';
import { createPreparedPages, publicPageHandle, sendPreparedPage } from './prepared-pages.js';

const BODY_SIZE_LIMIT = 1024 * 1024;

function setAssetHeaders(response: ServerResponse, file: string): void {
  const immutable = file.includes(`${path.sep}_app${path.sep}immutable${path.sep}`);
  response.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate');
  // Static files may be embedded by our own pages only.
  response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function serveDirectory(root: string) {
  return serveStatic(root, { index: false, fallthrough: true, redirect: false, dotfiles: 'ignore', setHeaders: setAssetHeaders });
}

/** The encodings the adapter wrote copies in (dashboard/adapter.js), preferred first. */
const ENCODINGS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;
/** The media types of the assets the adapter compresses (SvelteKit's builder.compress). */
const COMPRESSED_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=UTF-8',
  '.css': 'text/css; charset=UTF-8',
  '.json': 'application/json; charset=UTF-8',
  '.svg': 'image/svg+xml',
  '.html': 'text/html; charset=UTF-8',
  '.txt': 'text/plain; charset=UTF-8',
  '.xml': 'application/xml',
};

/**
 * The hashed build assets (/_app/immutable/…) from their precompressed copy when the browser accepts
 * one: the file's own type and cache headers, Content-Encoding, Vary. Anything else falls through to
 * the plain file.
 */
function servePrecompressed(root: string) {
  const servers = ENCODINGS.map(
    ([encoding, suffix]) =>
      [
        encoding,
        suffix,
        serveStatic(root, {
          index: false,
          fallthrough: true,
          redirect: false,
          dotfiles: 'ignore',
          setHeaders(response, file) {
            const original = file.slice(0, -suffix.length);
            setAssetHeaders(response, original);
            response.setHeader('Content-Type', COMPRESSED_TYPES[path.extname(original)] ?? 'application/octet-stream');
            response.setHeader('Content-Encoding', encoding);
            response.setHeader('Vary', 'Accept-Encoding');
          },
        }),
      ] as const,
  );
  return async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const url = request.url ?? '/';
    const pathname = url.split('?')[0] ?? '/';
    if (!pathname.startsWith('/_app/immutable/') || COMPRESSED_TYPES[path.extname(pathname)] === undefined) return false;
    const accepted = acceptedEncodings(request);
    for (const [encoding, suffix, serve] of servers) {
      if (!accepted.includes(encoding)) continue;
      request.url = `${pathname}${suffix}`;
      try {
        if (await runMiddleware(serve, request, response)) return true;
      } finally {
        request.url = url;
      }
    }
    return false;
  };
}

/**
 * The URL paths of the files under `root` (with `/name` for each `name.html` when `htmlExtension`),
 * listed once at start: the build never changes while the process runs, so a request for anything
 * else (a page) goes to SvelteKit without a lookup on disk.
 */
async function listFilePaths(root: string, options: { htmlExtension?: boolean } = {}): Promise<Set<string>> {
  const paths = new Set<string>();
  if (!existsSync(root)) return paths;
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const urlPath = `/${path.relative(root, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')}`;
    paths.add(urlPath);
    if (options.htmlExtension && urlPath.endsWith('.html')) paths.add(urlPath.slice(0, -'.html'.length));
  }
  return paths;
}

/** The decoded path of a request URL, as serve-static resolves it; undefined when it does not decode. */
function decodedPathname(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent((url ?? '/').split('?')[0] ?? '/');
  } catch {
    return undefined;
  }
}

function runMiddleware(middleware: ReturnType<typeof serveStatic>, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    middleware(request, response, (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error('static file middleware failed')) : resolve(false)));
    response.once('finish', () => resolve(true));
  });
}

export async function createDashboardRole(config: Config, platform: DashboardPlatform, logger: Logger): Promise<Role> {
  const serverEntry = path.join(DASHBOARD_BUILD_DIR, 'server', 'index.js');
  if (!existsSync(serverEntry)) {
    throw new Error(`the dashboard is not built (${serverEntry} is missing): run \`npm run build\``);
  }
  const { Server } = (await import(pathToFileURL(serverEntry).href)) as { Server: new (manifest: SSRManifest) => SvelteKitServer };
  const { manifest } = (await import(pathToFileURL(path.join(DASHBOARD_BUILD_DIR, 'server', 'manifest.js')).href)) as {
    manifest: SSRManifest;
  };
  const server = new Server(manifest);
  // No environment reaches the app through $env: configuration comes from config.ts via the platform.
  await server.init({ env: {} });
  const clientDir = path.join(DASHBOARD_BUILD_DIR, 'client');
  const prerenderedDir = path.join(DASHBOARD_BUILD_DIR, 'prerendered');
  const [clientFiles, prerenderedFiles] = await Promise.all([listFilePaths(clientDir), listFilePaths(prerenderedDir, { htmlExtension: true })]);
  const clientAssets = serveDirectory(clientDir);
  const compressedAssets = servePrecompressed(clientDir);
  const prerendered = serveStatic(prerenderedDir, { index: false, extensions: ['html'], fallthrough: true });
  const clientAddress = createClientAddressResolver(config.trustProxy);
  const dashboardLogger = logger.child({ module: 'dashboard' });
  const preparedPages = createPreparedPages({
    render: (handle) =>
      server.respond(new Request(new URL(`/@${handle}`, config.publicUrl), { headers: { accept: 'text/html' } }), {
        platform,
        getClientAddress: () => {
          throw new Error('a page shared by every visitor cannot depend on one visitor’s address');
        },
      }),
    onUnshareable: (reason) => dashboardLogger.warn({ reason }, 'public pages cannot be prepared; rendering each request'),
  });

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      // The fast path of the most requested page: a published profile, prepared once per version. On
      // the path as sent (a handle needs no decoding; SvelteKit does not decode %40 into @ either).
      const handle = publicPageHandle((request.url ?? '/').split('?')[0] ?? '/');
      if (handle !== undefined) {
        try {
          const page = await platform.publicProfiles.get(handle);
          const prepared = page.body ? await preparedPages.get(handle, page.etag) : undefined;
          if (prepared) return sendPreparedPage(request, response, prepared, publicPageCacheControl(page.freshness));
        } catch (error) {
          // SvelteKit renders the page, or its error page, as it would without the fast path.
          dashboardLogger.warn({ err: error }, 'a public page could not be prepared; rendering it');
        }
      }
      const pathname = decodedPathname(request.url);
      if (pathname !== undefined && clientFiles.has(pathname)) {
        if (await compressedAssets(request, response)) return;
        if (await runMiddleware(clientAssets, request, response)) return;
      }
      if (pathname !== undefined && prerenderedFiles.has(pathname) && (await runMiddleware(prerendered, request, response))) return;
    }
    let webRequest: Request;
    try {
      // The origin comes from PUBLIC_URL, never from the Host header a client chose.
      webRequest = await getRequest({ base: config.publicUrl, request, bodySizeLimit: BODY_SIZE_LIMIT });
    } catch (error) {
      throw new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large', { cause: error });
    }
    const webResponse = await server.respond(webRequest, { platform, getClientAddress: () => clientAddress(request) });
    // A 304 carries no policy of SvelteKit's, and browsers merge a 304's headers into the cached page:
    // the strict default CSP set for every response would then replace the page's own and block its
    // stylesheets and the tracker on every revalidated visit. Without one, the cached policy stays.
    if (webResponse.status === 304) response.removeHeader('Content-Security-Policy');
    await setResponse(response, webResponse);
  };

  return { name: 'dashboard', routes: [{ name: 'dashboard', prefix: '/', handler }] };
}
