// ESLint: typescript-eslint's type-aware recommended rules for the server code, eslint-plugin-svelte
// for the dashboard. `npm run lint` must pass with no warnings.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import svelteConfig from './dashboard/svelte.config.js';
import linkpulse from './scripts/eslint/layers.js';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'data/', 'coverage/', 'dashboard/build/', 'dashboard/.svelte-kit/', 'dashboard/src/lib/api/schema.d.ts'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        projectService: {
          allowDefaultProject: ['eslint.config.js', 'dashboard/svelte.config.js', 'dashboard/adapter.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      // Configuration is read once, in lib/config.ts.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read configuration through lib/config.ts.' }],
      // chDB's synchronous calls would block the event loop that ingest and the API share.
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'chdb', importNames: ['query', 'queryBind'], message: 'Use the asynchronous chDB APIs (Session.queryAsync / queryBindAsync).' }] },
      ],
    },
  },
  {
    // lib/ imports no role; a role imports lib/ and itself only (scripts/eslint/layers.js).
    files: ['**/*.ts', '**/*.js', '**/*.svelte'],
    plugins: { linkpulse },
    rules: { 'linkpulse/layers': 'error' },
  },
  {
    files: ['lib/config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...svelte.configs.recommended,
  {
    files: ['dashboard/**/*.svelte', 'dashboard/**/*.svelte.ts'],
    languageOptions: {
      globals: { ...globals.browser },
      parserOptions: { parser: tseslint.parser, svelteConfig },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Runs in visitors' browsers, as plain ES2017 script (no modules, no build step).
    files: ['ingest/tracker/tracker.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
  },
);
