// HTTP as fetch will not send it, for tests of the server's edges: any method (TRACE), and a request
// that announces a body it never finishes sending (a 10 GB Content-Length, an endless chunked body),
// to show that the server answers without waiting for it and then closes the connection.
import http, { type IncomingHttpHeaders } from 'node:http';
import net from 'node:net';

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request with node:http: any method, any headers (Host too), the request target sent as given
 * (absolute-form, //x), no redirects followed.
 */
export function rawRequest(baseUrl: string, target: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawReply> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: base.hostname, port: base.port, path: target, method: options.method ?? 'GET', headers: options.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}

export interface PartialReply extends RawReply {
  /** Bytes of the body the client had sent when the answer came: all it ever sends. */
  bodyBytesSent: number;
  /** Resolves when the server closes the connection (it never does if it waits for the body). */
  closed: Promise<void>;
}

/**
 * Sends a request head and only the first bytes of its body, then waits for the answer without
 * sending more. headers must announce the body: a Content-Length, or Transfer-Encoding: chunked
 * (then `body` is sent as one chunk and the final chunk never comes).
 */
export function sendPartialBody(baseUrl: string, path: string, options: { method?: string; headers: Record<string, string>; body: string }): Promise<PartialReply> {
  const url = new URL(path, baseUrl);
  const chunked = Object.entries(options.headers).some(([name, value]) => name.toLowerCase() === 'transfer-encoding' && value === 'chunked');
  const body = Buffer.from(options.body);
  const head = [`${options.method ?? 'POST'} ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`)];
  const payload = chunked ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]) : body;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    let answered = false;
    const closed = new Promise<void>((resolveClosed) => socket.once('close', () => resolveClosed()));
    // Writing nothing more, the client may still see a reset once the server closes: that is fine.
    socket.on('error', (error) => {
      if (!answered) reject(error);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const end = received.indexOf('\r\n\r\n');
      if (answered || end === -1) return;
      const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers: IncomingHttpHeaders = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      answered = true;
      resolve({
        status: Number(statusLine?.split(' ')[1]),
        headers,
        body: received.subarray(end + 4, end + 4 + length).toString('utf8'),
        bodyBytesSent: body.length,
        closed,
      });
    });
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    socket.write(payload);
  });
}
