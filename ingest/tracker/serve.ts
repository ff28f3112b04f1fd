// GET|HEAD /t.js (other methods are answered 405 by the server: ingest/main.ts): the tracker as an external script, which profile pages load with
// <script src="/t.js?v=…" defer> under `script-src 'self'`. The versioned URL is cached for a year;
// any other version answers with the current script, briefly cached, so a page rendered before a
// deploy still tracks.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { trackerScript } from './tracker-script.js';

export function serveTracker(request: IncomingMessage, response: ServerResponse): void {
  const tracker = trackerScript();
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (url.pathname !== '/t.js') {
    response.writeHead(404).end();
    return;
  }
  const current = `${url.pathname}${url.search}` === tracker.url;
  const etag = `"${tracker.url.slice(tracker.url.indexOf('=') + 1)}"`;
  const headers = {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Cache-Control': current ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
    ETag: etag,
  };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, headers).end();
    return;
  }
  response.writeHead(200, { ...headers, 'Content-Length': String(Buffer.byteLength(tracker.source)) });
  response.end(request.method === 'HEAD' ? undefined : tracker.source);
}
