// A consumer in its own process, for tests that kill or signal a real process. It writes every
// message to a sink file (one line per message, fsynced) before its handler resolves, so the file is
// the ground truth of "written" when the parent compares it with what the group committed.
//   node --import tsx lib/testing/bus-consumer-process.ts '<json options>'
// mode "hang": after the first batch is written the handler never resolves (for SIGKILL tests).
// mode "slow": each batch takes delayMs (for SIGTERM drain tests). Shutdown is the app's own handler.
import { appendFile, open } from 'node:fs/promises';
import { z } from 'zod';
import { createLogger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { createDatabase } from '../postgres/database.js';
import { installShutdownHandlers } from '../runtime/shutdown.js';
import { createKafkaBus } from '../bus/kafka-bus.js';
import { createPostgresBus } from '../bus/postgres-bus.js';

const options = z
  .object({
    bus: z.enum(['postgres', 'kafka']),
    databaseUrl: z.string().optional(),
    brokers: z.array(z.string()).optional(),
    topic: z.string(),
    group: z.string(),
    sink: z.string(),
    mode: z.enum(['hang', 'slow']),
    delayMs: z.number().default(50),
    maxBatchSize: z.number().default(10),
  })
  .parse(JSON.parse(process.argv[2] ?? '{}'));

const logger = createLogger('warn', { test: 'bus-consumer-process' });
const metrics = createMetrics();
const db = options.databaseUrl ? createDatabase({ url: options.databaseUrl, applicationName: 'linkpulse-test-consumer', logger }) : undefined;
const bus =
  options.bus === 'kafka'
    ? createKafkaBus({ brokers: options.brokers ?? [], clientId: 'linkpulse-test', logger, metrics, sessionTimeoutMs: 6_000 })
    : createPostgresBus({ db: db!, logger, metrics, pollIntervalMs: 100 });

const sink = await open(options.sink, 'a');
const subscription = await bus.consume(
  options.topic,
  options.group,
  async (messages) => {
    await appendFile(sink, messages.map((m) => `${m.value.toString()}\n`).join(''));
    await sink.sync();
    process.stdout.write(`batch ${messages.length}\n`);
    if (options.mode === 'hang') await new Promise(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  },
  { maxBatchSize: options.maxBatchSize },
);
installShutdownHandlers(
  async () => {
    await subscription.stop();
    await bus.close();
    await db?.close();
    await sink.close();
  },
  { logger, timeoutMs: 20_000 },
);
process.stdout.write('ready\n');
