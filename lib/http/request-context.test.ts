import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { assignRequestId, createClientAddressResolver, createProtocolResolver, requestIdOf } from './request-context.js';

function request(headers: Record<string, string>, remoteAddress = '10.0.0.5'): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const message = new IncomingMessage(socket);
  message.headers = headers;
  return message;
}

describe('request ids', () => {
  it('keeps a plain upstream id and echoes it', () => {
    const req = request({ 'x-request-id': 'edge-1234abcd' });
    const res = new ServerResponse(req);
    expect(assignRequestId(req, res)).toBe('edge-1234abcd');
    expect(res.getHeader('X-Request-Id')).toBe('edge-1234abcd');
    expect(requestIdOf(req)).toBe('edge-1234abcd');
  });

  it.each(['short', 'has space in it', 'line\nbreak-forged-log', 'x'.repeat(200)])('replaces an unsafe upstream id %j', (id) => {
    const req = request({ 'x-request-id': id });
    expect(assignRequestId(req, new ServerResponse(req))).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('client address', () => {
  const forwarded = { 'x-forwarded-for': '203.0.113.7, 10.0.0.9' };

  it('ignores X-Forwarded-For unless the proxy is trusted', () => {
    expect(createClientAddressResolver(false)(request(forwarded))).toBe('10.0.0.5');
  });

  it('walks X-Forwarded-For through trusted proxies only', () => {
    expect(createClientAddressResolver(['10.0.0.0/8'])(request(forwarded))).toBe('203.0.113.7');
    expect(createClientAddressResolver(1)(request(forwarded))).toBe('10.0.0.9');
    expect(createClientAddressResolver(['192.168.0.0/16'])(request(forwarded))).toBe('10.0.0.5');
  });
});

describe('client protocol', () => {
  const viaTlsProxy = { 'x-forwarded-proto': 'https' };

  it('ignores X-Forwarded-Proto unless the direct peer is trusted', () => {
    expect(createProtocolResolver(false)(request(viaTlsProxy))).toBe('http');
    expect(createProtocolResolver(['192.168.0.0/16'])(request(viaTlsProxy))).toBe('http');
  });

  it('believes X-Forwarded-Proto from a trusted peer', () => {
    expect(createProtocolResolver(['10.0.0.0/8'])(request(viaTlsProxy))).toBe('https');
    expect(createProtocolResolver(['loopback'])(request(viaTlsProxy, '127.0.0.1'))).toBe('https');
    expect(createProtocolResolver(true)(request(viaTlsProxy))).toBe('https');
    expect(createProtocolResolver(1)(request(viaTlsProxy))).toBe('https');
  });

  it('takes the first of several values, trimmed, in lower case', () => {
    const trusted = createProtocolResolver(true);
    expect(trusted(request({ 'x-forwarded-proto': ' HTTPS , http' }))).toBe('https');
    expect(trusted(request({ 'x-forwarded-proto': 'http, https' }))).toBe('http');
  });

  it("falls back to the connection's own scheme", () => {
    expect(createProtocolResolver(true)(request({}))).toBe('http');
    expect(createProtocolResolver(true)(request({ 'x-forwarded-proto': ' ' }))).toBe('http');
  });
});
