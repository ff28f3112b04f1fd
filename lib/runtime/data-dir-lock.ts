// One process owns DATA_DIR at a time: embedded PostgreSQL and chDB cannot share their data
// directories between processes. The lock file records the owner's pid; a lock left by a dead
// process is taken over (and anything it left running is its orphan, safe to stop).
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface DataDirLock {
  /** True when the previous owner died without releasing the lock (its children may still run). */
  tookOverStaleLock: boolean;
  release(): Promise<void>;
}

/** Directories locked by this process. A lock file with our own pid that is not in here is stale:
 * a previous process with the same pid (a container's PID 1 after a restart) left it behind. */
const heldByThisProcess = new Set<string>();

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const directory = path.resolve(dataDir);
  // Traversable (not listable) by others: embedded PostgreSQL may run as the unprivileged postgres user.
  await mkdir(directory, { recursive: true, mode: 0o711 });
  const file = path.join(directory, 'linkpulse.pid');
  if (heldByThisProcess.has(directory)) {
    throw new Error(`DATA_DIR ${directory} is in use by process ${process.pid} (this process); give each instance its own DATA_DIR`);
  }
  let tookOverStaleLock = false;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      heldByThisProcess.add(directory);
      return {
        tookOverStaleLock,
        async release() {
          heldByThisProcess.delete(directory);
          const owner = await readFile(file, 'utf8').catch(() => '');
          if (owner.trim() === String(process.pid)) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isProcessAlive(owner)) {
        throw new Error(`DATA_DIR ${directory} is in use by process ${owner}; stop it first, or give this instance its own DATA_DIR`);
      }
      await unlink(file).catch(() => undefined);
      tookOverStaleLock = true;
    }
  }
  throw new Error(`could not lock DATA_DIR ${directory}`);
}
