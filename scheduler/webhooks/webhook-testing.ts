// Helpers the webhook tests share: an endpoint registered as the app registers one (through RLS, the
// secret sealed), and a receiver that records every request and answers as a test tells it.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Database } from '../../lib/postgres/database.js';
import { withUser } from '../../lib/postgres/tenant.js';
import { createWebhookSecretBox, generateWebhookSecret, type WebhookSecretBox } from '../../lib/webhooks/webhook-secret.js';

export const testSecretBox: WebhookSecretBox = createWebhookSecretBox('webhook-tests-session-secret-0123456789');

export interface RegisteredEndpoint {
  id: string;
  secret: string;
}

/** Registers an endpoint for `profileId` as the user `userId` (the app role, RLS), as the API does. */
export async function registerEndpoint(
  appDb: Database,
  userId: string,
  profileId: string,
  url: string,
  eventTypes: readonly string[],
  box: WebhookSecretBox = testSecretBox,
): Promise<RegisteredEndpoint> {
  const secret = generateWebhookSecret();
  const id = await withUser(appDb, userId, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      'INSERT INTO webhook_endpoints (profile_id, url, event_types, secret_encrypted, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [profileId, url, eventTypes, box.seal(secret), userId],
    );
    return rows[0]!.id;
  });
  return { id, secret };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/** What the receiver does with one request: answer (status, headers, body) after a delay, or never. */
export type ReceiverAnswer = { status: number; headers?: Record<string, string>; body?: string; delayMs?: number } | 'hang';

export interface TestReceiver {
  /** http://127.0.0.1:<port> */
  origin: string;
  port: number;
  received: ReceivedRequest[];
  /** Decides each answer (200 by default); called with the request and how many came to its path before it. */
  answer: (request: ReceivedRequest, seenOnPath: number) => ReceiverAnswer;
  close(): Promise<void>;
}

export async function startTestReceiver(): Promise<TestReceiver> {
  const hanging = new Set<() => void>();
  const receiver: TestReceiver = {
    origin: '',
    port: 0,
    received: [],
    answer: () => ({ status: 200, body: 'ok' }),
    close: async () => undefined,
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const received: ReceivedRequest = { path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      const seen = receiver.received.filter((earlier) => earlier.path === path).length;
      receiver.received.push(received);
      const answer = receiver.answer(received, seen);
      if (answer === 'hang') {
        const end = () => response.destroy();
        hanging.add(end);
        response.on('close', () => hanging.delete(end));
        return;
      }
      const send = () => {
        if (response.destroyed) return;
        response.writeHead(answer.status, answer.headers ?? {});
        response.end(answer.body ?? '');
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  receiver.port = port;
  receiver.origin = `http://127.0.0.1:${port}`;
  receiver.close = async () => {
    for (const end of hanging) end();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
