import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The SvelteKit app's $lib, for unit tests of its modules (dashboard/src/lib/**/*.test.ts).
  resolve: { alias: { $lib: fileURLToPath(new URL('dashboard/src/lib', import.meta.url)) } },
  test: {
    include: ['{lib,server,ingest,api,consumers,scheduler,dashboard,scripts,bench}/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'dashboard/build/**', 'dashboard/.svelte-kit/**'],
    globalSetup: ['lib/testing/global-setup.ts'],
    // Each test file runs in its own process: chDB binds one data directory per process.
    pool: 'forks',
    isolate: true,
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
