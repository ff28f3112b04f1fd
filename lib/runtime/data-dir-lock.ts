// One process owns DATA_DIR at a time: embedded PostgreSQL and chDB cannot share their data
// directories between processes. The lock file records the owner's pid and start time; a lock left
// by a dead process is taken over (and anything it left running is its orphan, safe to stop).
//
// A supervisor restarts a crashed process at once, while the dead one may still be tearing down, or
// lingering as a zombie nobody has reaped yet (kill(pid, 0) still succeeds on a zombie). So the owner
// counts as alive only if /proc shows it running with the start time it recorded (a pid reused by
// another process does not count), and a live owner is waited for a few seconds before giving up.
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive, processStartTime } from './processes.js';

export interface DataDirLock {
  /** True when the previous owner died without releasing the lock (its children may still run). */
  tookOverStaleLock: boolean;
  release(): Promise<void>;
}

export interface DataDirLockOptions {
  /** How long to wait for a live owner to exit before refusing (default 10 s). */
  waitMs?: number;
}

/** Directories locked by this process. A lock file with our own pid that is not in here is stale:
 * a previous process with the same pid (a container's PID 1 after a restart) left it behind. */
const heldByThisProcess = new Set<string>();
const POLL_MS = 100;

/** Whether the lock's owner still runs: alive, and the same process (the start time it recorded). */
function isOwnerAlive(pid: number, startTime: string | undefined): boolean {
  if (!isProcessAlive(pid)) return false;
  const current = processStartTime(pid);
  // Without /proc (not Linux) liveness is all we know.
  return !current || !startTime || current === startTime;
}

function parseLockFile(text: string): { pid: number; startTime: string | undefined } {
  const [pid, startTime] = text.trim().split(/\s+/);
  return { pid: Number(pid), startTime: startTime || undefined };
}

export async function lockDataDir(dataDir: string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
  const directory = path.resolve(dataDir);
  // Traversable (not listable) by others: embedded PostgreSQL may run as the unprivileged postgres user.
  await mkdir(directory, { recursive: true, mode: 0o711 });
  const file = path.join(directory, 'linkpulse.pid');
  if (heldByThisProcess.has(directory)) {
    throw new Error(`DATA_DIR ${directory} is in use by process ${process.pid} (this process); give each instance its own DATA_DIR`);
  }
  const ownStartTime = processStartTime(process.pid);
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  let tookOverStaleLock = false;
  for (;;) {
    try {
      await writeFile(file, `${process.pid} ${ownStartTime}\n`, { flag: 'wx', mode: 0o644 });
      heldByThisProcess.add(directory);
      return {
        tookOverStaleLock,
        async release() {
          heldByThisProcess.delete(directory);
          const owner = parseLockFile(await readFile(file, 'utf8').catch(() => ''));
          if (owner.pid === process.pid) await unlink(file).catch(() => undefined);
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = parseLockFile(await readFile(file, 'utf8').catch(() => ''));
      const live = Number.isInteger(owner.pid) && owner.pid > 0 && owner.pid !== process.pid && isOwnerAlive(owner.pid, owner.startTime);
      if (live) {
        // Perhaps a crashed process still exiting: give it a moment before refusing.
        if (Date.now() >= deadline) {
          throw new Error(`DATA_DIR ${directory} is in use by process ${owner.pid}; stop it first, or give this instance its own DATA_DIR`);
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        continue;
      }
      if (tookOverStaleLock && Date.now() >= deadline) throw new Error(`could not lock DATA_DIR ${directory}: cannot replace ${file}`);
      await unlink(file).catch(() => undefined);
      tookOverStaleLock = true;
    }
  }
}
