// The linkpulse CLI as a real child process for tests, with exactly the environment given (plus
// PATH and HOME), its output collected line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../paths.js';
import { waitFor } from './wait-for.js';

export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
}

export function linkpulse(args: string[], env: Record<string, string>): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'lib/runtime/cli.ts'), ...args], {
    cwd: PROJECT_ROOT,
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

/** The URL a `linkpulse start` process announces; fails early, with its stderr, if it exits instead. */
export async function runningUrl(cli: CliProcess, timeoutMs = 90_000): Promise<string> {
  const line = await waitFor(() => cli.stdout.find((l) => l.startsWith('Linkpulse is running at')) ?? (cli.child.exitCode !== null ? 'exited' : undefined), {
    what: 'the process to start',
    timeoutMs,
  });
  if (line === 'exited') throw new Error(`the process exited with ${cli.child.exitCode}: ${cli.stderr.slice(-10).join(' | ')}`);
  return line.replace('Linkpulse is running at ', '').trim();
}
