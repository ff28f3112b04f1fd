// Object storage going away and coming back, on a MinIO server of this test's own (so stopping it
// disturbs no other suite): uploads answer 503 UNAVAILABLE with Retry-After and leave no 'stored'
// row without its object, reads answer 503, the health check reports storage down, and once MinIO is
// back the next upload works without restarting anything.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createS3Storage } from '../../lib/storage/s3-storage.js';
import { freePort } from '../../lib/testing/ports.js';
import { describeWithService, testLogger } from '../../lib/testing/services.js';
import { waitFor } from '../../lib/testing/wait-for.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { png } from '../../lib/testing/attack-corpus.js';

/** Built by scripts/services.sh (up minio), which CI runs. */
const MINIO = path.join(homedir(), '.cache', 'linkpulse', 'bin', 'minio');
const USER = 'outage';
const PASSWORD = randomBytes(12).toString('hex');

describeWithService('uploads through an object storage outage', { configured: existsSync(MINIO), variable: 'the MinIO binary (scripts/services.sh up minio builds it)' }, () => {
  let dataDir: string;
  let port: number;
  let minio: ChildProcess | undefined;
  let harness: ApiHarness;

  const startMinio = async () => {
    const child = spawn(MINIO, ['server', '--quiet', '--address', `127.0.0.1:${port}`, dataDir], {
      env: { PATH: '/usr/bin:/bin', HOME: dataDir, MINIO_ROOT_USER: USER, MINIO_ROOT_PASSWORD: PASSWORD, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
      stdio: 'ignore',
    });
    minio = child;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`minio exited with ${child.exitCode}`);
        return (await fetch(`http://127.0.0.1:${port}/minio/health/ready`).catch(() => undefined))?.ok;
      },
      { what: `minio on port ${port}`, timeoutMs: 30_000 },
    );
  };
  const stopMinio = async () => {
    const child = minio;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  const rowsFor = async (userId: string) => {
    const client = new pg.Client({ connectionString: harness.database.ownerUrl });
    await client.connect();
    try {
      return (await client.query<{ object_key: string; status: string }>('SELECT object_key, status FROM assets WHERE user_id = $1 ORDER BY created_at', [userId])).rows;
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'linkpulse-minio-'));
    port = await freePort();
    await startMinio();
    const storage = createS3Storage({ endpoint: `http://127.0.0.1:${port}`, bucket: 'outage', region: 'us-east-1', accessKeyId: USER, secretAccessKey: PASSWORD, forcePathStyle: true, logger: testLogger });
    await storage.ensureBucket();
    harness = await startApiHarness('asset_outage', { storage });
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
    await stopMinio();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while storage is down, stores nothing half-way, and recovers by itself', async () => {
    const creator = await harness.newUser();
    const before = await creator.upload<{ url: string }>('/api/v1/assets', await png(31, 31));
    expect(before.status).toBe(201);

    await stopMinio();
    const down = await creator.upload<{ error: { code: string } }>('/api/v1/assets', await png(32, 32));
    expect({ status: down.status, code: down.body.error.code }).toEqual({ status: 503, code: 'UNAVAILABLE' });
    expect(Number(down.headers.get('retry-after'))).toBeGreaterThan(0);
    const read = await fetch(`${harness.url}${before.body.url}`);
    expect({ status: read.status, retryAfter: Number(read.headers.get('retry-after')) > 0 }).toEqual({ status: 503, retryAfter: true });
    await expect(harness.storage.healthCheck().check()).rejects.toThrow();
    // The refused upload's row says 'failed': no 'stored' row without its object.
    expect((await rowsFor(creator.userId!)).map((row) => row.status)).toEqual(['stored', 'failed']);

    await startMinio();
    const again = await creator.upload<{ url: string }>('/api/v1/assets', await png(32, 32));
    expect(again.status).toBe(201);
    expect((await fetch(`${harness.url}${again.body.url}`)).status).toBe(200);
    expect((await fetch(`${harness.url}${before.body.url}`)).status).toBe(200);
    expect((await rowsFor(creator.userId!)).map((row) => row.status)).toEqual(['stored', 'failed', 'stored']);
  }, 60_000);
});
