// GET|HEAD /assets/<sha256> (mounted with methods: ['GET']; the server answers others 405): the stored images, streamed from object storage. The name is the hash of
// the bytes, so the ETag is the name, a matching If-None-Match is answered 304 without touching
// storage, and every cache may keep the file for a year. Served as an inert image: nosniff, and a CSP
// that forbids everything and sandboxes the document should a browser ever render one as a page.
// No database on this path: images keep loading while PostgreSQL is down.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../../lib/errors.js';
import { sendError } from '../../lib/http/responses.js';
import type { Logger } from '../../lib/logger.js';
import type { HttpHandler } from '../../lib/runtime/role.js';
import type { ObjectStorage } from '../../lib/storage/object-storage.js';
import { IMMUTABLE } from './asset-url.js';

const PATH = /^\/assets\/([0-9a-f]{64})$/;
const IMAGE_TYPES = new Set(['image/webp', 'image/avif']);
const STORAGE_RETRY_SECONDS = 30;

export function createAssetHandler(deps: { storage: ObjectStorage; logger: Logger }): HttpHandler {
  const logger = deps.logger.child({ module: 'asset-server' });
  return async (request: IncomingMessage, response: ServerResponse) => {
    try {
      const hash = PATH.exec(new URL(request.url ?? '/', 'http://localhost').pathname)?.[1];
      if (!hash) throw notFound('No such image');
      const etag = `"${hash}"`;
      response.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
      response.setHeader('X-Content-Type-Options', 'nosniff');
      // Public images: other sites may show them (an avatar in a README).
      response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      const conditional = request.headers['if-none-match'];
      if (conditional !== undefined && conditional.split(',').some((tag) => [etag, `W/${etag}`, '*'].includes(tag.trim()))) {
        response.writeHead(304, { ETag: etag, 'Cache-Control': IMMUTABLE });
        response.end();
        return;
      }
      let object;
      try {
        object = await deps.storage.get(`assets/${hash}`);
      } catch (error) {
        logger.warn({ err: error }, 'object storage unavailable; answering 503');
        throw new AppError('UNAVAILABLE', 'Image storage is unavailable; try again shortly', { retryAfterSeconds: STORAGE_RETRY_SECONDS, cause: error });
      }
      if (!object) throw notFound('No such image');
      response.writeHead(200, {
        'Content-Type': IMAGE_TYPES.has(object.contentType) ? object.contentType : 'application/octet-stream',
        'Content-Length': String(object.size),
        ETag: etag,
        'Cache-Control': IMMUTABLE,
      });
      if (request.method === 'HEAD') {
        object.body.destroy();
        response.end();
        return;
      }
      await pipeline(object.body, response);
    } catch (error) {
      sendError(request, response, error, logger);
    }
  };
}
