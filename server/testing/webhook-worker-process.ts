// The webhook delivery worker alone in its own process, for tests and benchmarks that SIGKILL it
// mid-run (or stop it with SIGTERM, which drains as the scheduler role does):
//   node --import tsx server/testing/webhook-worker-process.ts '<json options>'
// Prints "ready" once it listens for events.
import { z } from 'zod';
import { createLogger } from '../../lib/logger.js';
import { createRecordingMailer } from '../../lib/testing/mail.js';
import { createMetrics } from '../../lib/metrics.js';
import { createDatabase } from '../../lib/postgres/database.js';
import { installShutdownHandlers } from '../../lib/runtime/shutdown.js';
import { createWebhookSecretBox } from '../../lib/webhooks/webhook-secret.js';
import { createWebhookWorker } from '../../scheduler/webhooks/webhook-worker.js';

const options = z
  .object({
    schedulerUrl: z.string(),
    sessionSecret: z.string(),
    allowLoopback: z.boolean().default(true),
    settings: z.object({
      concurrency: z.number().int().positive().optional(),
      perEndpointConcurrency: z.number().int().positive().optional(),
      timeoutMs: z.number().positive().optional(),
      leaseMs: z.number().positive().optional(),
      pollIntervalMs: z.number().positive().optional(),
      schedule: z.object({ stepsMs: z.array(z.number()), windowMs: z.number(), maxRetryAfterMs: z.number() }).optional(),
    }),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const logger = createLogger('warn', { test: 'webhook-worker-process' });
const db = createDatabase({ url: options.schedulerUrl, applicationName: 'linkpulse-test-webhook-worker', logger, maxConnections: 20 });
const worker = createWebhookWorker(
  {
    db,
    secrets: createWebhookSecretBox(options.sessionSecret),
    policy: { allowLoopback: options.allowLoopback, allowPrivateNetworks: false },
    mailer: createRecordingMailer(),
    publicUrl: 'http://localhost',
    metrics: createMetrics(),
    logger,
  },
  Object.fromEntries(Object.entries(options.settings).filter(([, value]) => value !== undefined)),
);
await worker.start();
installShutdownHandlers(
  async () => {
    await worker.stop();
    await db.close();
  },
  { logger, timeoutMs: 20_000 },
);
process.stdout.write('ready\n');
