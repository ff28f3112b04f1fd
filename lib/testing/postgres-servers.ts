// Shared by the global setup and the test files: how to reach the test PostgreSQL servers.

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
