// The embedded ClickHouse engine (chDB) with Linkpulse's schema, in a temporary directory, for a test
// file (chDB binds one data directory per process; vitest runs each file in its own process).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createChdbAdapter } from '../clickhouse/chdb-adapter.js';
import type { ClickHouse } from '../clickhouse/clickhouse.js';
import { migrateClickHouse } from '../clickhouse/migrate.js';
import { testLogger } from './services.js';

export interface TestClickHouse {
  clickhouse: ClickHouse;
  close(): Promise<void>;
}

export async function createTestClickHouse(label: string): Promise<TestClickHouse> {
  const dataDir = await mkdtemp(path.join(tmpdir(), `linkpulse-${label}-`));
  const clickhouse = await createChdbAdapter({ path: dataDir, database: 'analytics', logger: testLogger });
  await migrateClickHouse(clickhouse, { logger: testLogger });
  return {
    clickhouse,
    async close() {
      await clickhouse.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
