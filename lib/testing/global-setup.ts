// Vitest global setup (runs once, in the main process). Starts one embedded PostgreSQL for the whole
// run, and prepares the real server too when DATABASE_URL/DATABASE_OWNER_URL are set: a first
// migration creates the cluster-wide roles and sets their passwords, so the per-file test databases
// (lib/testing/postgres.ts) never race to create them.
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { startEmbeddedPostgres } from '../postgres/embedded.js';
import { APP_ROLE, SCHEDULER_ROLE, migratePostgres } from '../postgres/migrate.js';
import { TEST_DATABASE_PREFIX, createTestDatabaseNamed, dropTestDatabases, withDatabase, type TestPostgresServer } from './postgres-servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresServers: { embedded: TestPostgresServer; real: TestPostgresServer | undefined };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  const logger = createLogger('warn', { test: 'global-setup' });
  const runId = randomBytes(3).toString('hex');

  // mkdtemp creates 0700 directories; embedded PostgreSQL may run as the unprivileged postgres user.
  const dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-test-'));
  await chmod(dataDir, 0o755);
  const embeddedPostgres = await startEmbeddedPostgres({ dataDir, superuserPassword: randomBytes(18).toString('base64url'), logger });
  const embedded: TestPostgresServer = {
    name: 'embedded',
    runId,
    adminUrl: embeddedPostgres.superuserUrl(),
    appPassword: randomBytes(18).toString('base64url'),
    schedulerPassword: randomBytes(18).toString('base64url'),
  };
  let real: TestPostgresServer | undefined;
  if (config.databaseOwnerUrl && config.databaseUrl) {
    const appPassword = decodeURIComponent(new URL(config.databaseUrl).password);
    const schedulerPassword = config.schedulerDatabaseUrl ? decodeURIComponent(new URL(config.schedulerDatabaseUrl).password) : appPassword;
    real = { name: 'real', runId, adminUrl: config.databaseOwnerUrl, appPassword, schedulerPassword };
  }

  for (const server of [embedded, real]) {
    if (!server) continue;
    const bootstrap = `${TEST_DATABASE_PREFIX}${runId}_bootstrap`;
    await createTestDatabaseNamed(server, bootstrap);
    await migratePostgres({
      ownerUrl: withDatabase(server.adminUrl, bootstrap),
      loginPasswords: { [APP_ROLE]: server.appPassword, [SCHEDULER_ROLE]: server.schedulerPassword },
      logger,
    });
  }
  project.provide('postgresServers', { embedded, real });

  return async () => {
    for (const server of [embedded, real]) {
      if (server) {
        await dropTestDatabases(server, { prefix: `${TEST_DATABASE_PREFIX}${runId}` }).catch((error: unknown) =>
          logger.warn({ err: error }, 'could not drop test databases'),
        );
      }
    }
    await embeddedPostgres.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
}
