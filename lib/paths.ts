// Locations inside the installed project, valid both from TypeScript sources (tsx, vitest) and from
// the compiled dist/ tree.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let directory = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(directory, 'package.json')) && existsSync(path.join(directory, 'migrations'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) throw new Error('cannot locate the Linkpulse project root (package.json + migrations/)');
    directory = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot();
export const POSTGRES_MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'migrations');
export const CLICKHOUSE_MIGRATIONS_DIR = path.join(PROJECT_ROOT, 'clickhouse');
export const DASHBOARD_BUILD_DIR = path.join(PROJECT_ROOT, 'dashboard', 'build');
