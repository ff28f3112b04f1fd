// Starts a Linkpulse process with the given roles: backends (server/platform.ts), each role's
// composition root, one HTTP server, and graceful shutdown. `npm start` runs every role here.
import { createApiRole } from '../api/main.js';
import { createConsumersRole } from '../consumers/main.js';
import { createDashboardRole } from '../dashboard/main.js';
import { createIngestRole } from '../ingest/main.js';
import { trackerScript } from '../ingest/tracker/tracker-script.js';
import { DEMO_CREDENTIALS } from '../lib/demo-account.js';
import { exportTokenKey } from '../lib/account-exports/account-export.js';
import { createMailer } from '../lib/mail/mailer.js';
import { createPublicProfiles } from '../api/public/public-profile.service.js';
import { createSchedulerRole } from '../scheduler/main.js';
import { createWebhookSecretBox } from '../lib/webhooks/webhook-secret.js';
import type { Config } from '../lib/config.js';
import type { PublicProfiles } from '../lib/public-profile.js';
import { runHealthChecks, type ReadinessReport } from '../lib/health.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { createMetrics, type Metrics } from '../lib/metrics.js';
import { startHttpServer } from '../lib/runtime/http-server.js';
import { createPlatform, needsOf, type Platform } from './platform.js';
import type { Role, RoleName } from '../lib/runtime/role.js';
import { installShutdownHandlers } from '../lib/runtime/shutdown.js';

export interface RunningProcess {
  url: string;
  platform: Platform;
  stop(reason: string): Promise<void>;
}

async function createRoles(
  names: readonly RoleName[],
  platform: Platform,
  readiness: () => Promise<ReadinessReport>,
  logger: Logger,
  metrics: Metrics,
): Promise<Role[]> {
  const { config } = platform;
  const roles: Role[] = [];
  // One cache of published profiles per process, shared by the API's public route and the pages the
  // dashboard renders, so an edit through the API invalidates what the dashboard serves.
  let publicProfiles: PublicProfiles | undefined;
  const sharedPublicProfiles = () => (publicProfiles ??= createPublicProfiles({ db: platform.db!, cache: platform.cache!, logger }));
  // Mount order matters: specific prefixes first, the dashboard's catch-all last.
  for (const name of (['ingest', 'api', 'consumers', 'scheduler', 'dashboard'] as const).filter((role) => names.includes(role))) {
    switch (name) {
      case 'ingest':
        roles.push(createIngestRole(config, { db: platform.db!, bus: platform.bus!, cache: platform.cache!, logger, metrics }));
        break;
      case 'api':
        roles.push(
          createApiRole(config, {
            db: platform.db!,
            clickhouse: platform.clickhouse!,
            cache: platform.cache!,
            storage: platform.storage!,
            publicProfiles: sharedPublicProfiles(),
            mailer: createMailer(config.mail, logger),
            logger,
            metrics,
          }),
        );
        break;
      case 'consumers':
        roles.push(createConsumersRole(config, { bus: platform.bus!, clickhouse: platform.clickhouse!, metrics, logger }));
        break;
      case 'scheduler':
        if (!config.sessionSecret) throw new Error('the scheduler role needs SESSION_SECRET (generated in embedded mode): account export links are hashed, and webhook secrets opened, with keys derived from it');
        roles.push(
          createSchedulerRole({
            db: platform.schedulerDb!,
            appDb: platform.db!,
            clickhouse: platform.clickhouse!,
            bus: platform.bus!,
            storage: platform.storage!,
            github: config.github,
            analytics: { consumerGroup: config.eventsConsumerGroup, retentionDays: config.analyticsRetentionDays },
            activityRetentionDays: config.activityRetentionDays,
            mailer: createMailer(config.mail, logger),
            publicUrl: config.publicUrl,
            exportTokenKey: exportTokenKey(config.sessionSecret),
            webhooks: config.webhooks,
            webhookSecrets: createWebhookSecretBox(config.sessionSecret),
            metrics,
            logger,
          }),
        );
        break;
      case 'dashboard':
        roles.push(
          await createDashboardRole(config, {
            roles: names,
            readiness,
            publicProfiles: sharedPublicProfiles(),
            trackerUrl: trackerScript().url,
            demoAccount: config.isProduction ? undefined : DEMO_CREDENTIALS,
          }, logger),
        );
        break;
    }
  }
  return roles;
}

export async function startProcess(config: Config, roleNames: readonly RoleName[], options: { installSignalHandlers?: boolean } = {}): Promise<RunningProcess> {
  const started = performance.now();
  const logger = createLogger(config.logLevel, { roles: roleNames.join(',') });
  const metrics = createMetrics();
  const platform = await createPlatform(config, needsOf(roleNames, config), {
    logger,
    metrics,
    applicationName: `linkpulse-${roleNames.length === 5 ? 'all' : roleNames.join('-')}`,
  });
  let roles: Role[] = [];
  try {
    const readiness = () => runHealthChecks(platform.healthChecks);
    roles = await createRoles(roleNames, platform, readiness, logger, metrics);
    for (const role of roles) await role.start?.();
    const server = await startHttpServer({
      host: platform.config.host,
      port: platform.config.port,
      routes: roles.flatMap((role) => role.routes),
      roles: roleNames,
      readiness,
      metricsToken: platform.config.metricsToken,
      publicUrl: platform.config.publicUrl,
      trustProxy: platform.config.trustProxy,
      hstsPreload: platform.config.hstsPreload,
      logger,
      metrics,
    });

    let stopping: Promise<void> | undefined;
    const stop = (reason: string) => {
      stopping ??= (async () => {
        logger.info({ reason }, 'stopping');
        // Stop taking requests first, then finish background work, then close the backends.
        await server.close(Math.max(1_000, platform.config.shutdownTimeoutMs - 5_000));
        for (const role of [...roles].reverse()) await role.stop?.();
        await platform.close();
        metrics.stop();
      })();
      return stopping;
    };
    if (options.installSignalHandlers !== false) {
      installShutdownHandlers(stop, { logger, timeoutMs: platform.config.shutdownTimeoutMs });
    }
    const url = platform.config.host === '0.0.0.0' ? `http://localhost:${server.port}` : server.url;
    logger.info({ url, ms: Math.round(performance.now() - started) }, 'Linkpulse is ready');
    return { url, platform, stop };
  } catch (error) {
    for (const role of [...roles].reverse()) await role.stop?.().catch(() => undefined);
    await platform.close();
    metrics.stop();
    throw error;
  }
}
