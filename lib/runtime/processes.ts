// What Linux says about another process (/proc/<pid>/stat), for locks and orphan clean-up after a
// crash: whether it still runs, when it started (a pid can be reused by another process), and its
// name. A zombie — dead, waiting for a parent to reap it — counts as gone, although kill(pid, 0) still
// succeeds on it; a container whose PID 1 does not reap orphans keeps zombies around for good.
import { readFileSync } from 'node:fs';

interface ProcStat {
  /** The command name, as the kernel keeps it (at most 15 characters). */
  name: string;
  /** R, S, D, … Z for a zombie, X for dead. */
  state: string;
  /** Clock ticks since boot: with the pid, identifies one process for its whole life. */
  startTime: string;
}

function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2, the name, is in parentheses and may itself hold spaces or parentheses.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { name: stat.slice(open + 1, close), state: fields[0] ?? '', startTime: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Whether the process runs: it exists and is not a zombie. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const state = processState(pid);
  return state !== 'Z' && state !== 'X';
}

/** The process's start time (clock ticks since boot), or '' where /proc is not available. */
export function processStartTime(pid: number): string {
  return procStat(pid)?.startTime ?? '';
}

/** The process's state letter (R, S, D, Z …), or undefined where /proc is not available or it is gone. */
export function processState(pid: number): string | undefined {
  return procStat(pid)?.state;
}

/** The process's command name, or undefined where /proc is not available or it is gone. */
export function processName(pid: number): string | undefined {
  return procStat(pid)?.name;
}
