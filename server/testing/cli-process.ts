// The linkpulse CLI as a real child process for tests, with exactly the environment given (plus
// PATH and HOME), its output collected line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { waitFor } from '../../lib/testing/wait-for.js';

export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

/**
 * With `processGroup`, the child leads a process group of its own (with everything it starts, such
 * as embedded PostgreSQL), which killProcessGroup() ends at once, as a supervisor or the OOM killer would.
 */
export function linkpulse(args: string[], env: Record<string, string>, options: { processGroup?: boolean } = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'server/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
    detached: options.processGroup ?? false,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env }, // eslint-disable-line no-restricted-properties -- a child process needs PATH and HOME
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(...chunk.toString().split('\n').filter(Boolean)));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(...chunk.toString().split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr, exited };
}

/** SIGKILLs every process of a group started with `processGroup` (await `exited` to see the leader gone). */
export function killProcessGroup(cli: CliProcess): void {
  if (cli.child.pid === undefined) return;
  try {
    process.kill(-cli.child.pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** The URL a `linkpulse start` process announces; fails early, with its stderr, if it exits instead. */
export async function runningUrl(cli: CliProcess, timeoutMs = 90_000): Promise<string> {
  const line = await waitFor(() => cli.stdout.find((l) => l.startsWith('Linkpulse is running at')) ?? (cli.child.exitCode !== null ? 'exited' : undefined), {
    what: 'the process to start',
    timeoutMs,
  });
  if (line === 'exited') throw new Error(`the process exited with ${cli.child.exitCode}: ${cli.stderr.slice(-10).join(' | ')}`);
  return line.replace('Linkpulse is running at ', '').trim();
}
