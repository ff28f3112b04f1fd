// Bodies over the limit are refused at once: a client that announces 10 GB (or streams a chunked
// body past the limit) gets its 413 while it has sent a few bytes, is told Connection: close, and
// the server closes the connection instead of reading the rest. The limits: 32 KB for JSON, the
// configured ASSET_MAX_UPLOAD_BYTES plus the multipart overhead for uploads. Who may call is checked
// first: an anonymous caller of a signed-in route gets its 401 just as promptly.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendPartialBody } from '../../lib/testing/raw-http.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { JSON_BODY_LIMIT_BYTES } from './json-body.js';
import { MULTIPART_OVERHEAD_BYTES } from './upload.js';

const TEN_GB = String(10 * 1024 ** 3);

let harness: ApiHarness;
let token: string;

beforeAll(async () => {
  harness = await startApiHarness('body-limits');
  const owner = await harness.newUser();
  token = (await owner.post<{ token: string }>('/api/v1/tokens', { name: 'limits', scopes: ['profiles:read', 'profiles:write'] })).body.token;
});
afterAll(async () => {
  await harness?.close();
});

const errorCode = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

describe('a request announcing a 10 GB body', () => {
  it('on a JSON route: 413 while the client has sent 10 bytes, then the server closes', async () => {
    const reply = await sendPartialBody(harness.url, '/api/v1/profiles', {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': TEN_GB },
      body: '{"handle":',
    });
    expect({ status: reply.status, code: errorCode(reply.body), connection: reply.headers.connection, sent: reply.bodyBytesSent }).toEqual({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
      connection: 'close',
      sent: 10,
    });
    await reply.closed;
  });

  it('on the upload route: 413 at once too', async () => {
    const reply = await sendPartialBody(harness.url, '/api/v1/assets', {
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/form-data; boundary=x', 'Content-Length': TEN_GB },
      body: '--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n',
    });
    expect({ status: reply.status, code: errorCode(reply.body), connection: reply.headers.connection }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', connection: 'close' });
    await reply.closed;
  });

  it('from an anonymous caller of a signed-in route: 401 at once, without reading the body', async () => {
    const reply = await sendPartialBody(harness.url, '/api/v1/profiles', { headers: { 'Content-Type': 'application/json', 'Content-Length': TEN_GB }, body: '{' });
    expect({ status: reply.status, code: errorCode(reply.body), connection: reply.headers.connection }).toEqual({ status: 401, code: 'UNAUTHORIZED', connection: 'close' });
    await reply.closed;
  });
});

describe('the limits', () => {
  it('refuse a chunked JSON body as soon as it passes 32 KB, without waiting for its end', async () => {
    const reply = await sendPartialBody(harness.url, '/api/v1/auth/login', {
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', Origin: 'http://localhost:3000' },
      body: `{"email":"${'a'.repeat(JSON_BODY_LIMIT_BYTES)}`,
    });
    expect({ status: reply.status, code: errorCode(reply.body), connection: reply.headers.connection }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE', connection: 'close' });
    await reply.closed;
  });

  it('let exactly 32 KB of JSON through to validation, and refuse one byte more', async () => {
    const sized = (bytes: number) => {
      const shell = '{"email":"","password":"x"}';
      return `{"email":"${'a'.repeat(bytes - shell.length)}","password":"x"}`;
    };
    const post = (body: string) => fetch(`${harness.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://localhost:3000' }, body });
    expect((await post(sized(JSON_BODY_LIMIT_BYTES))).status).toBe(400);
    expect((await post(sized(JSON_BODY_LIMIT_BYTES + 1))).status).toBe(413);
  });

  it('let an upload announce its file limit plus the multipart overhead, and refuse one byte more', async () => {
    const limit = harness.config.assets.maxUploadBytes + MULTIPART_OVERHEAD_BYTES;
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'multipart/form-data; boundary=x' };
    // A form of exactly `limit` bytes: a preamble (which multipart parsers skip), then a small file.
    const part = '\r\n--x\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nnot an image\r\n--x--\r\n';
    const atLimit = await fetch(`${harness.url}/api/v1/assets`, { method: 'POST', headers, body: ' '.repeat(limit - part.length) + part });
    // Read and judged by its bytes: not an image.
    expect(atLimit.status).toBe(415);
    const over = await sendPartialBody(harness.url, '/api/v1/assets', { headers: { ...headers, 'Content-Length': String(limit + 1) }, body: '\r\n' });
    expect(over.status).toBe(413);
    await over.closed;
  });
});
