// The tracker as pages embed it: tracker.js with its comment lines removed (the explanations stay in
// the source, not in every visitor's download), plus the SHA-256 a Content-Security-Policy can
// allow it by. Its size is checked by tracker.test.ts (< 2 KB gzipped).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths.js';

export interface TrackerScript {
  source: string;
  /** For script-src: 'sha256-…'. */
  cspHash: string;
  /** Where pages load it from: /t.js?v=<hash prefix>, so it can be cached for a year. */
  url: string;
}

/** Served by the ingest role (ingest/tracker/serve.ts). */
export const TRACKER_PATH = '/t.js';

let cached: TrackerScript | undefined;

export function trackerScript(): TrackerScript {
  if (cached) return cached;
  // From the source tree (also when running compiled code from dist/, which holds no .js copy).
  const file = path.join(PROJECT_ROOT, 'ingest', 'tracker', 'tracker.js');
  const source = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .map((line) => line.replace(/^\s+/, ''))
    .join('\n')
    .trim();
  const digest = createHash('sha256').update(source);
  const hex = digest.copy().digest('hex');
  cached = { source, cspHash: `'sha256-${digest.digest('base64')}'`, url: `${TRACKER_PATH}?v=${hex.slice(0, 16)}` };
  return cached;
}

