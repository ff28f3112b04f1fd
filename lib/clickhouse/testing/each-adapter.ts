// Test harness only: runs one suite against every analytics store adapter — chDB in this process,
// @clickhouse/client through the embedded engine's ClickHouse HTTP endpoint, and @clickhouse/client
// against CLICKHOUSE_URL (a ClickHouse server, or `linkpulse clickhouse-http` in CI) when set.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { describeWithService, realServices, testConfig, testLogger } from '../../testing/services.js';
import { createChdbAdapter } from '../chdb-adapter.js';
import type { ClickHouse } from '../clickhouse.js';
import { createClickHouseServerAdapter } from '../client-adapter.js';
import { startClickHouseHttpServer, type ClickHouseHttpServer } from '../http-server.js';

/** Opens an adapter working in `database` (created when missing). */
export type MakeClickHouse = (database: string) => Promise<ClickHouse>;

const WRITER = { name: 'writer', password: 'writer-password-123', readonly: false };

/** Call at the top level of a test file: `define` runs once per adapter, each in its own describe. */
export function describeEachClickHouse(title: string, define: (makeAdapter: MakeClickHouse) => void): void {
  // One chDB data directory for the file's process (chDB binds one per process), shared by the
  // embedded adapter and the HTTP endpoint; each suite works in its own database.
  let dataDir: string;
  let httpServer: ClickHouseHttpServer | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-ch-'));
  });
  afterAll(async () => {
    await httpServer?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe(`${title}: chDB (embedded engine)`, () => {
    define((database) => createChdbAdapter({ path: dataDir, database, logger: testLogger }));
  });

  describe(`${title}: @clickhouse/client over the embedded engine’s HTTP endpoint`, () => {
    define(async (database) => {
      httpServer ??= await startClickHouseHttpServer({
        path: dataDir,
        users: [WRITER],
        defaultDatabase: 'default',
        host: '127.0.0.1',
        port: 0,
        logger: testLogger,
      });
      return createClickHouseServerAdapter({ url: httpServer.url, user: WRITER.name, password: WRITER.password, database, logger: testLogger });
    });
  });

  describeWithService(`${title}: @clickhouse/client against CLICKHOUSE_URL`, realServices.clickhouse, () => {
    define((database) => {
      const server = testConfig.clickhouse!;
      return createClickHouseServerAdapter({ url: server.url, user: server.user, password: server.password, database, logger: testLogger });
    });
  });
}
