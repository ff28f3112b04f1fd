// The independent Standard Webhooks verifier (standard_webhooks_verifier.py, Python's standard library
// only, written from the specification) as a child process: tests check Linkpulse's signatures with
// code that shares nothing with lib/webhooks/signature.ts.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface VerifierRequest {
  secret: string;
  headers: Record<string, string | undefined>;
  body: string;
  /** Unix seconds the verifier takes for "now" (its clock otherwise). */
  now?: number;
}

export type VerifierResult = { ok: true } | { ok: false; reason: string };

const SCRIPT = fileURLToPath(new URL('standard_webhooks_verifier.py', import.meta.url));

/** Verifies each request with the Python verifier (one process for all of them), in order. */
export async function verifyWithPython(requests: readonly VerifierRequest[]): Promise<VerifierResult[]> {
  const child = spawn('python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const results: VerifierResult[] = [];
  const lines = createInterface({ input: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => results.push(JSON.parse(line) as VerifierResult));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`the Python verifier exited with ${code}: ${stderr}`))));
  });
  for (const request of requests) child.stdin.write(`${JSON.stringify(request)}\n`);
  child.stdin.end();
  await done;
  if (results.length !== requests.length) throw new Error(`the Python verifier answered ${results.length} of ${requests.length} requests: ${stderr}`);
  return results;
}
