// The process's HTTP server on loopback with dummy routes: the HTTPS redirect an https PUBLIC_URL
// turns on, which proxies may say that the client already used HTTPS, and the 405 for a method a
// route does not declare.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrustProxy } from '../config.js';
import { sendJson } from '../http/responses.js';
import { createMetrics, type Metrics } from '../metrics.js';
import type { RunningHttpServer } from './http-server.js';
import { startTestHttpServer } from '../testing/http-server.js';
import { rawRequest } from '../testing/raw-http.js';

const PUBLIC_URL = 'https://links.example.com';

/** node:http rather than fetch: it sends any Host header and request target, and never follows redirects. */
const send = (server: RunningHttpServer, target: string, options?: Parameters<typeof rawRequest>[2]) => rawRequest(server.url, target, options);

describe('the HTTPS redirect', () => {
  const metrics: Metrics[] = [];
  const servers: RunningHttpServer[] = [];

  async function start(publicUrl: string, trustProxy: TrustProxy, hstsPreload = false): Promise<RunningHttpServer> {
    const serverMetrics = createMetrics();
    metrics.push(serverMetrics);
    const server = await startTestHttpServer(
      [{ name: '/', prefix: '/', handler: (request, response) => sendJson(response, 200, { method: request.method, url: request.url }) }],
      { publicUrl, trustProxy, hstsPreload, metrics: serverMetrics },
    );
    servers.push(server);
    return server;
  }

  let behindTrustedProxy: RunningHttpServer;
  let trustingNobody: RunningHttpServer;
  beforeAll(async () => {
    // The tests connect from 127.0.0.1: the first server takes that peer for its TLS-terminating proxy.
    behindTrustedProxy = await start(PUBLIC_URL, ['loopback'], true);
    trustingNobody = await start(PUBLIC_URL, ['10.0.0.0/8']);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close(1_000)));
    for (const each of metrics) each.stop();
  });

  it('serves requests that a trusted proxy received over HTTPS', async () => {
    const reply = await send(behindTrustedProxy, '/api/v1?x=1', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ method: 'GET', url: '/api/v1?x=1' });
  });

  it('redirects requests that a trusted proxy received over plain HTTP', async () => {
    for (const headers of [{ 'X-Forwarded-Proto': 'http' }, {}] as Record<string, string>[]) {
      const reply = await send(behindTrustedProxy, '/api/v1?x=1', { headers });
      expect(reply.status).toBe(301);
      expect(reply.headers.location).toBe(`${PUBLIC_URL}/api/v1?x=1`);
    }
  });

  it('does not believe X-Forwarded-Proto from an untrusted peer', async () => {
    const reply = await send(trustingNobody, '/@someone?ref=a%20b', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`${PUBLIC_URL}/@someone?ref=a%20b`);
    expect(reply.body).toBe('');
  });

  it('keeps the method with 308 for anything but GET and HEAD', async () => {
    const post = await send(trustingNobody, '/api/v1/links', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' });
    expect(post.status).toBe(308);
    expect(post.headers.location).toBe(`${PUBLIC_URL}/api/v1/links`);
    expect((await send(trustingNobody, '/api/v1/links/1', { method: 'DELETE' })).status).toBe(308);
    const head = await send(trustingNobody, '/', { method: 'HEAD' });
    expect(head.status).toBe(301);
    expect(head.headers.location).toBe(`${PUBLIC_URL}/`);
  });

  it('takes the target from PUBLIC_URL, never from the Host header or the request target', async () => {
    const spoofedHost = await send(trustingNobody, '/login', { headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } });
    expect(spoofedHost.headers.location).toBe(`${PUBLIC_URL}/login`);
    const absoluteForm = await send(trustingNobody, 'http://evil.example/login?next=1');
    expect(absoluteForm.headers.location).toBe(`${PUBLIC_URL}/login?next=1`);
    const doubleSlash = await send(trustingNobody, '//evil.example/x');
    expect(new URL(doubleSlash.headers.location ?? '').host).toBe('links.example.com');
  });

  it('lets probes and scrapers through on plain HTTP', async () => {
    expect((await send(trustingNobody, '/healthz')).status).toBe(200);
    expect((await send(trustingNobody, '/readyz')).status).toBe(200);
    expect((await send(trustingNobody, '/metrics')).status).toBe(200);
    // Only the probes themselves: a path that merely starts like one is redirected.
    expect((await send(trustingNobody, '/healthzz')).status).toBe(301);
  });

  it('sets the security headers and the request id on the redirect', async () => {
    const reply = await send(trustingNobody, '/dashboard');
    expect(reply.status).toBe(301);
    expect(reply.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(reply.headers['x-content-type-options']).toBe('nosniff');
    expect(reply.headers['x-frame-options']).toBe('DENY');
    expect(reply.headers['content-security-policy']).toContain("default-src 'none'");
    expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('adds preload to Strict-Transport-Security when HSTS_PRELOAD is set', async () => {
    const reply = await send(behindTrustedProxy, '/', { headers: { 'X-Forwarded-Proto': 'https' } });
    expect(reply.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains; preload');
  });

  it('serves plain HTTP when PUBLIC_URL is http://', async () => {
    const plain = await start('http://localhost:3000', false);
    const reply = await send(plain, '/api/v1');
    expect(reply.status).toBe(200);
    expect(reply.headers.location).toBeUndefined();
  });
});

describe('the methods a route declares', () => {
  let server: RunningHttpServer;
  const metrics = createMetrics();
  beforeAll(async () => {
    server = await startTestHttpServer(
      [
        { name: '/read', prefix: '/read', methods: ['GET'], handler: (request, response) => sendJson(response, 200, { method: request.method }) },
        { name: '/', prefix: '/', handler: (request, response) => sendJson(response, 200, { method: request.method }) },
      ],
      { publicUrl: 'http://localhost:3000', trustProxy: false, metrics },
    );
  });
  afterAll(async () => {
    await server?.close(1_000);
    metrics.stop();
  });

  it('are the only ones that reach the handler: others get 405, Allow and the envelope', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']) {
      const reply = await send(server, '/read', { method });
      expect({ method, status: reply.status, allow: reply.headers.allow, code: (JSON.parse(reply.body) as { error: { code: string } }).error.code }).toEqual({
        method,
        status: 405,
        allow: 'GET, HEAD',
        code: 'METHOD_NOT_ALLOWED',
      });
    }
    expect((await send(server, '/read', { method: 'HEAD' })).status).toBe(200);
    expect((await send(server, '/healthz', { method: 'POST' })).status).toBe(405);
    expect((await send(server, '/healthz', { method: 'HEAD' })).status).toBe(200);
  });

  it('are not limited on a route that declares none (its own router decides)', async () => {
    expect(JSON.parse((await send(server, '/anything', { method: 'PUT' })).body)).toEqual({ method: 'PUT' });
  });
});
