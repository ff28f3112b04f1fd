// Composition root of the dashboard role: mounts the SvelteKit build (dashboard/build, written by
// dashboard/adapter.js) in the process's HTTP server. Static assets are served from build/client
// (hashed files under /_app/immutable are cached for a year); everything else goes to SvelteKit, with
// the request URL built from PUBLIC_URL and our services passed as `event.platform`.
import { existsSync } from 'node:fs';
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
import type { Role } from '../lib/runtime/role.js';
import type { DashboardPlatform } from './platform.js';

const BODY_SIZE_LIMIT = 1024 * 1024;

function serveDirectory(root: string) {
  return serveStatic(root, {
    index: false,
    fallthrough: true,
    redirect: false,
    dotfiles: 'ignore',
    setHeaders(response, file) {
      const immutable = file.includes(`${path.sep}_app${path.sep}immutable${path.sep}`);
      response.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate');
      // Static files may be embedded by our own pages only.
      response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    },
  });
}

function runMiddleware(middleware: ReturnType<typeof serveStatic>, request: IncomingMessage, response: ServerResponse): Promise<boolean> {
  return new Promise((resolve, reject) => {
    middleware(request, response, (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error('static file middleware failed')) : resolve(false)));
    response.once('finish', () => resolve(true));
  });
}

export async function createDashboardRole(config: Config, platform: DashboardPlatform): Promise<Role> {
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
  const clientAssets = serveDirectory(path.join(DASHBOARD_BUILD_DIR, 'client'));
  const prerendered = serveStatic(path.join(DASHBOARD_BUILD_DIR, 'prerendered'), { index: false, extensions: ['html'], fallthrough: true });
  const clientAddress = createClientAddressResolver(config.trustProxy);

  const handler = async (request: IncomingMessage, response: ServerResponse) => {
    if (request.method === 'GET' || request.method === 'HEAD') {
      if (await runMiddleware(clientAssets, request, response)) return;
      if (await runMiddleware(prerendered, request, response)) return;
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
