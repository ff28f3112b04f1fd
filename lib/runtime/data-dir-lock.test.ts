import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir } from './data-dir-lock.js';

describe('DATA_DIR lock', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'linkpulse-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is exclusive, also within one process, and reusable after release', async () => {
    const lock = await lockDataDir(dir);
    expect(await readFile(path.join(dir, 'linkpulse.pid'), 'utf8')).toBe(`${process.pid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(/in use by process/);
    await lock.release();
    const again = await lockDataDir(dir);
    expect(again.tookOverStaleLock).toBe(false);
    await again.release();
  });

  it('refuses a lock held by another live process', async () => {
    await writeFile(path.join(dir, 'linkpulse.pid'), `${process.ppid}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('takes over a lock left by a dead process, or by a previous process with our pid', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(path.join(dir, 'linkpulse.pid'), `${dead}\n`);
    const lock = await lockDataDir(dir);
    expect(lock.tookOverStaleLock).toBe(true);
    await lock.release();
    // A container's PID 1 restarting finds its own pid in the file it left behind.
    await writeFile(path.join(dir, 'linkpulse.pid'), `${process.pid}\n`);
    const restarted = await lockDataDir(dir);
    expect(restarted.tookOverStaleLock).toBe(true);
    await restarted.release();
  });
});
