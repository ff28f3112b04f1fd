// Guards README's promise that a clone works on its own: nothing the project runs may read files
// beside the repository (the team's shared folder next to the clone exists only on their machines).
// Test data lives in the repository or comes from a pinned npm package.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../lib/paths.js';

const CODE = /\.(?:[cm]?[jt]s|svelte|sh|json|ya?ml)$|^\.ci\/run$/;

describe('the repository', () => {
  it('has no code that reads the team’s shared folder beside the clone', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).split('\n').filter((file) => CODE.test(file));
    expect(files.length).toBeGreaterThan(100);
    const readers = files.filter((file) => /\.\.\/shared\b/.test(readFileSync(path.join(PROJECT_ROOT, file), 'utf8')));
    expect(readers).toEqual([]);
  });
});
