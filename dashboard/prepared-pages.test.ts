import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createPreparedPages, publicPageHandle, sendPreparedPage, type PreparedPage } from './prepared-pages.js';

const HTML = '<!doctype html><html><body>' + 'Ada’s links '.repeat(200) + '</body></html>';
const POLICY = "default-src 'self'; script-src 'self'; frame-ancestors 'none'";

function rendered(etag: string, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(status === 200 ? HTML : 'Not found', {
    status,
    headers: { 'content-type': 'text/html', etag, 'cache-control': 'public, max-age=0, s-maxage=60', 'content-security-policy': POLICY, ...headers },
  });
}

describe('publicPageHandle', () => {
  it('takes /@handle in lower case and nothing else', () => {
    expect(publicPageHandle('/@ada-dev')).toBe('ada-dev');
    for (const other of ['/@Ada', '/@ada/', '/@ada/theme.css', '/ada', '/@a', '/@', '/login', '/@ada%20x', '/%40ada']) expect(publicPageHandle(other), other).toBeUndefined();
  });
});

describe('prepared pages', () => {
  it('renders a version once, for every concurrent visitor, and again once the profile changed', async () => {
    const renders: string[] = [];
    let etag = '"v1"';
    const pages = createPreparedPages({ render: async () => (renders.push(etag), rendered(etag)), onUnshareable: () => undefined });
    const first = await Promise.all(Array.from({ length: 20 }, () => pages.get('ada', '"v1"')));
    expect(renders).toEqual(['"v1"']);
    expect(new Set(first).size).toBe(1);
    expect(first[0]!.etag).toBe('"v1"');
    // The per-response headers are left to each response.
    expect(first[0]!.headers.map(([name]) => name).sort()).toEqual(['content-security-policy', 'content-type']);
    etag = '"v2"';
    expect((await pages.get('ada', '"v2"'))?.etag).toBe('"v2"');
    expect(renders).toEqual(['"v1"', '"v2"']);
  });

  it('serves nothing it may not share: another status, a cookie, a nonce in the policy, or a render newer than asked', async () => {
    const reasons: string[] = [];
    const cases: [string, Response][] = [
      ['status 404', rendered('"a"', {}, 404)],
      ['it sets a cookie', rendered('"a"', { 'set-cookie': 'session=1' })],
      ['its policy carries a nonce', rendered('"a"', { 'content-security-policy': "script-src 'self' 'nonce-abc'" })],
      ['no ETag', new Response(HTML, { headers: { 'content-type': 'text/html' } })],
    ];
    for (const [reason, response] of cases) {
      const pages = createPreparedPages({ render: async () => response, onUnshareable: (why) => reasons.push(why) });
      expect(await pages.get('ada', '"a"'), reason).toBeUndefined();
    }
    expect(reasons).toEqual(['status 404', 'it sets a cookie', 'its policy carries a nonce', 'no ETag']);
    const raced = createPreparedPages({ render: async () => rendered('"newer"'), onUnshareable: () => undefined });
    expect(await raced.get('ada', '"older"')).toBeUndefined();
    // ...and not kept over the version asked for: the next request for "newer" renders its own.
    expect((await raced.get('ada', '"newer"'))?.etag).toBe('"newer"');
  });

  it('remembers a version it may not share, so that version is not rendered again', async () => {
    let renders = 0;
    const pages = createPreparedPages({ render: async () => (renders++, rendered('"v1"', { 'set-cookie': 'a=1' })), onUnshareable: () => undefined });
    expect(await pages.get('ada', '"v1"')).toBeUndefined();
    expect(await pages.get('ada', '"v1"')).toBeUndefined();
    expect(renders).toBe(1);
    // A failed render is not remembered: the next request tries again.
    let failures = 0;
    const failing = createPreparedPages({ render: async () => (failures++, rendered('"v1"', {}, 500)), onUnshareable: () => undefined });
    await failing.get('ada', '"v1"');
    await failing.get('ada', '"v1"');
    expect(failures).toBe(2);
  });

  it('keeps its copies within a byte budget', async () => {
    const pages = createPreparedPages({ render: async () => rendered('"v"'), onUnshareable: () => undefined, maxBytes: 1 });
    // Heavier than the whole budget: served, not kept.
    expect((await pages.get('ada', '"v"'))?.etag).toBe('"v"');
    let renders = 0;
    const counted = createPreparedPages({ render: async () => (renders++, rendered('"v"')), onUnshareable: () => undefined, maxBytes: 1 });
    await counted.get('ada', '"v"');
    await counted.get('ada', '"v"');
    expect(renders).toBe(2);
  });

  it('keeps the most recently served pages up to its limit', async () => {
    let renders = 0;
    const pages = createPreparedPages({ render: async () => (renders++, rendered('"v"')), onUnshareable: () => undefined, maxPages: 2 });
    await pages.get('a', '"v"');
    await pages.get('b', '"v"');
    await pages.get('a', '"v"'); // a is now the most recent
    await pages.get('c', '"v"'); // b goes
    expect(renders).toBe(3);
    await pages.get('a', '"v"');
    expect(renders).toBe(3);
    await pages.get('b', '"v"');
    expect(renders).toBe(4);
  });
});

describe('sendPreparedPage', () => {
  let server: http.Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  async function serve(page: PreparedPage): Promise<string> {
    server = http.createServer((request, response) => {
      // The process's strict default policy, which the page's own replaces (and a 304 drops).
      response.setHeader('Content-Security-Policy', "default-src 'none'");
      sendPreparedPage(request, response, page, 'public, max-age=0, s-maxage=42, stale-while-revalidate=60');
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/@ada`;
  }

  async function fetchRaw(url: string, headers: Record<string, string>, method = 'GET') {
    return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      http
        .request(url, { method, headers }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject)
        .end();
    });
  }

  it('sends the smallest copy the browser accepts, the same page in each, with the page’s own headers', async () => {
    const pages = createPreparedPages({ render: async () => rendered('"v1"'), onUnshareable: () => undefined });
    const url = await serve((await pages.get('ada', '"v1"'))!);
    const decode = { br: brotliDecompressSync, gzip: gunzipSync, identity: (body: Buffer) => body };
    for (const [accepted, encoding] of [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['br;q=0, gzip', 'gzip'],
      ['identity', 'identity'],
    ] as const) {
      const response = await fetchRaw(url, { 'accept-encoding': accepted });
      expect(response.status).toBe(200);
      expect(response.headers['content-encoding'], accepted).toBe(encoding === 'identity' ? undefined : encoding);
      expect(Number(response.headers['content-length'])).toBe(response.body.length);
      expect(decode[encoding](response.body).toString()).toBe(HTML);
      expect(response.headers).toMatchObject({
        'content-type': 'text/html',
        'content-security-policy': POLICY,
        // A strong tag names one representation's bytes: the compressed copies carry the weak form.
        etag: encoding === 'identity' ? '"v1"' : 'W/"v1"',
        'cache-control': 'public, max-age=0, s-maxage=42, stale-while-revalidate=60',
        vary: 'Accept-Encoding',
      });
    }
    const brotli = await fetchRaw(url, { 'accept-encoding': 'br' });
    expect(brotli.body.length).toBeLessThan(HTML.length / 4);
  });

  it('answers 304 without a policy when the browser holds this version, and HEAD without a body', async () => {
    const pages = createPreparedPages({ render: async () => rendered('"v1"'), onUnshareable: () => undefined });
    const url = await serve((await pages.get('ada', '"v1"'))!);
    for (const held of ['"v1"', 'W/"v1"', '"v0", "v1"']) {
      const response = await fetchRaw(url, { 'if-none-match': held });
      expect(response.status, held).toBe(304);
      expect(response.headers['content-security-policy']).toBeUndefined();
      expect(response.headers.etag).toBe('"v1"'); // no accept-encoding: the identity copy's tag
      expect(response.body.length).toBe(0);
    }
    expect((await fetchRaw(url, { 'if-none-match': '"v0"' })).status).toBe(200);
    const head = await fetchRaw(url, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers['content-encoding']).toBe('gzip');
  });
});
