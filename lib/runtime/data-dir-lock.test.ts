import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait-for.js';
import { lockDataDir } from './data-dir-lock.js';
import { processStartTime as startTimeOf, processState } from './processes.js';

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
    expect(await readFile(path.join(dir, 'linkpulse.pid'), 'utf8')).toBe(`${process.pid} ${startTimeOf(process.pid)}\n`);
    await expect(lockDataDir(dir)).rejects.toThrow(/in use by process/);
    await lock.release();
    const again = await lockDataDir(dir);
    expect(again.tookOverStaleLock).toBe(false);
    await again.release();
  });

  it('refuses a lock held by another live process', async () => {
    await writeFile(path.join(dir, 'linkpulse.pid'), `${process.ppid}\n`);
    await expect(lockDataDir(dir, { waitMs: 300 })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
    await writeFile(path.join(dir, 'linkpulse.pid'), `${process.ppid} ${startTimeOf(process.ppid)}\n`);
    await expect(lockDataDir(dir, { waitMs: 300 })).rejects.toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('does not mistake another process that got the dead owner’s pid for the owner', async () => {
    await writeFile(path.join(dir, 'linkpulse.pid'), `${process.ppid} 1\n`);
    const lock = await lockDataDir(dir, { waitMs: 0 });
    expect(lock.tookOverStaleLock).toBe(true);
    await lock.release();
  });

  it('takes over at once from an owner that died but was not reaped yet (a zombie)', async () => {
    // A parent that forks a child which exits at once, and never waits for it.
    const parent = spawn('python3', ['-c', 'import os, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)']);
    try {
      const zombie = Number(await new Promise<string>((resolve) => parent.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      await waitFor(() => processState(zombie) === 'Z', { what: 'the child to be a zombie', intervalMs: 20 });
      await writeFile(path.join(dir, 'linkpulse.pid'), `${zombie} ${startTimeOf(zombie)}\n`);
      const lock = await lockDataDir(dir, { waitMs: 0 });
      expect(lock.tookOverStaleLock).toBe(true);
      await lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('waits for an owner that is still exiting, then takes over (a supervisor restarting a crashed process)', async () => {
    const dying = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 700)']);
    await new Promise((resolve) => dying.once('spawn', resolve));
    await writeFile(path.join(dir, 'linkpulse.pid'), `${dying.pid} ${startTimeOf(dying.pid!)}\n`);
    const lock = await lockDataDir(dir, { waitMs: 10_000 });
    expect(lock.tookOverStaleLock).toBe(true);
    expect(dying.exitCode).toBe(0);
    await lock.release();
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
