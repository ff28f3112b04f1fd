// Shared by the global setup and the test files: how to reach the test PostgreSQL servers, and the
// only code that creates or drops test databases.
import pg from 'pg';

/** Every database the tests create starts with this; nothing else may ever be dropped by a test. */
export const TEST_DATABASE_PREFIX = 'linkpulse_test_';

export interface TestPostgresServer {
  name: 'embedded' | 'real';
  runId: string;
  /** A login that may create databases and roles (superuser in embedded mode, DATABASE_OWNER_URL in CI). */
  adminUrl: string;
  appPassword: string;
  schedulerPassword: string;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function withCredentials(url: string, user: string, password: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** The guard: refuses to touch a database whose name does not mark it as a test database. */
export function assertTestDatabaseName(name: string): void {
  if (!name.startsWith(TEST_DATABASE_PREFIX) || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error(`refusing to create or drop ${JSON.stringify(name)}: test databases must be named ${TEST_DATABASE_PREFIX}*`);
  }
}

/** Runs fn on a connection to the server's maintenance database (where databases are created and dropped). */
async function withAdmin<T>(server: Pick<TestPostgresServer, 'adminUrl'>, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(server.adminUrl, 'postgres') });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createTestDatabaseNamed(server: Pick<TestPostgresServer, 'adminUrl'>, name: string): Promise<void> {
  assertTestDatabaseName(name);
  await withAdmin(server, (client) => client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`));
}

/** Drops the named test databases, or with a prefix every test database whose name starts with it. */
export async function dropTestDatabases(server: Pick<TestPostgresServer, 'adminUrl'>, names: { exact: string } | { prefix: string }): Promise<void> {
  await withAdmin(server, async (client) => {
    const pattern = 'exact' in names ? names.exact : `${names.prefix}%`;
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [pattern]);
    for (const { datname } of rows) {
      assertTestDatabaseName(datname);
      await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(datname)} WITH (FORCE)`);
    }
  });
}
