// A fresh, fully migrated database per test file, on the embedded server (npm test) or the real one
// (CI), connected as the unprivileged app role exactly as the app connects.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createDatabase, type Database } from '../postgres/database.js';
import { APP_ROLE, SCHEDULER_ROLE, migratePostgres } from '../postgres/migrate.js';
import {
  TEST_DATABASE_PREFIX,
  createTestDatabaseNamed,
  dropTestDatabases,
  withCredentials,
  withDatabase,
  type TestPostgresServer,
} from './postgres-servers.js';
import { testLogger } from './services.js';

export interface TestDatabase {
  server: TestPostgresServer['name'];
  name: string;
  /** Connection as the migrating owner login (for test setup that the app role may not do). */
  ownerUrl: string;
  /** Connection as linkpulse_app, the role the app runs as. */
  appUrl: string;
  /** Connection as linkpulse_scheduler, the scheduler role's login. */
  schedulerUrl: string;
  db: Database;
  drop(): Promise<void>;
}

/** 'default' is the real server when one is configured, else the embedded one. */
export function testPostgresServer(which: 'embedded' | 'real' | 'default' = 'default'): TestPostgresServer {
  const servers = inject('postgresServers');
  const server = which === 'embedded' ? servers.embedded : which === 'real' ? servers.real : (servers.real ?? servers.embedded);
  if (!server) throw new Error('no real PostgreSQL server is configured (DATABASE_URL, DATABASE_OWNER_URL)');
  return server;
}

export async function createTestDatabase(label: string, which: 'embedded' | 'real' | 'default' = 'default'): Promise<TestDatabase> {
  const server = testPostgresServer(which);
  const name = `${TEST_DATABASE_PREFIX}${server.runId}_${label.replace(/[^a-z0-9]/g, '_')}_${randomBytes(3).toString('hex')}`;
  await createTestDatabaseNamed(server, name);
  const ownerUrl = withDatabase(server.adminUrl, name);
  await migratePostgres({ ownerUrl, logger: testLogger });
  const appUrl = withCredentials(ownerUrl, APP_ROLE, server.appPassword);
  const db = createDatabase({ url: appUrl, applicationName: `linkpulse-test-${label}`, logger: testLogger });
  return {
    server: server.name,
    name,
    ownerUrl,
    appUrl,
    schedulerUrl: withCredentials(ownerUrl, SCHEDULER_ROLE, server.schedulerPassword),
    db,
    async drop() {
      await db.close();
      await dropTestDatabases(server, { exact: name });
    },
  };
}

/** Runs fn on a connection as the owner login (fixtures and checks the runtime roles may not do), then closes it. */
export async function asOwner<T>(database: Pick<TestDatabase, 'ownerUrl'>, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: database.ownerUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
