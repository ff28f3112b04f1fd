// Guards `npm ci` on a fresh machine: every optional dependency in the lockfile must resolve to an
// entry (a real package or a placeholder), or npm ci rejects the lockfile (npm/cli#9846).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../lib/paths.js';

interface LockEntry {
  optionalDependencies?: Record<string, string>;
}

describe('package-lock.json', () => {
  it('records every optional dependency, so that npm ci accepts it (run `npm run lockfile:placeholders` if this fails)', () => {
    const lock = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
    const missing: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      for (const name of Object.keys(entry.optionalDependencies ?? {})) {
        let base = location;
        let found = false;
        for (;;) {
          if (lock.packages[base ? `${base}/node_modules/${name}` : `node_modules/${name}`]) {
            found = true;
            break;
          }
          if (!base) break;
          const index = base.lastIndexOf('/node_modules/');
          base = index === -1 ? '' : base.slice(0, index);
        }
        if (!found) missing.push(`${name} (from ${location || 'the project'})`);
      }
    }
    expect(missing).toEqual([]);
  });
});
