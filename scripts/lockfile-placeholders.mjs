#!/usr/bin/env node
// Adds inert lockfile entries for optional dependencies that the registry does not serve.
//
// Why: chdb lists platform packages (@chdb/lib-darwin-*, @chdb/lib-linux-arm64-gnu) as optional
// dependencies that the registry answers 404 for. `npm install` leaves them out of package-lock.json,
// and since npm 11.16 `npm ci` then rejects that lockfile as "out of sync" (npm/cli#9846; npm 11.13
// wrote a placeholder instead). This restores those placeholders: { "optional": true } at the
// location npm resolves the package to. Packages the registry does serve are reported, not stubbed
// (run `npm install` to record them). Run after every `npm install`: npm run lockfile:placeholders
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const LOCKFILE = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(LOCKFILE, 'utf8'));
const packages = lock.packages;

/** Where Node's resolution would find `name` from the package at `location`, if anywhere. */
function resolvedLocation(location, name) {
  let base = location;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const index = base.lastIndexOf('/node_modules/');
    base = index === -1 ? '' : base.slice(0, index);
  }
}

function isServedByRegistry(name, spec) {
  try {
    execFileSync('npm', ['view', `${name}@${spec}`, 'version'], { stdio: ['ignore', 'pipe', 'pipe'] });
    return true;
  } catch (error) {
    if (String(error.stderr).includes('E404')) return false;
    throw new Error(`cannot ask the registry about ${name}: ${String(error.stderr).trim()}`);
  }
}

let added = 0;
const unrecorded = [];
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    if (resolvedLocation(location, name)) continue;
    if (isServedByRegistry(name, spec)) {
      unrecorded.push(`${name}@${spec} (optional dependency of ${location || 'the project'})`);
      continue;
    }
    packages[`${location ? `${location}/` : ''}node_modules/${name}`] = { optional: true };
    added += 1;
  }
}
if (added > 0) {
  // npm keeps the root entry first and the rest in key order.
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  writeFileSync(LOCKFILE, `${JSON.stringify(lock, null, 2)}\n`);
}
process.stdout.write(`lockfile: ${added} placeholder(s) added for optional dependencies the registry does not serve\n`);
if (unrecorded.length > 0) {
  process.stderr.write(`these optional dependencies exist but are missing from the lockfile; run npm install:\n  ${unrecorded.join('\n  ')}\n`);
  process.exit(1);
}
