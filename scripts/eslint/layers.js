// ESLint rule `linkpulse/layers`: which top-level folder may import which (docs/architecture.md,
// "Layers"). Every relative import, re-export and dynamic import() is resolved against the importing
// file, so the rule holds at any folder depth.
//   lib/                    shared code; imports lib/ only: nothing in it knows which role it runs in
//   api/ ingest/ consumers/ scheduler/ dashboard/
//                           the roles; each imports lib/ and itself, never another role. Their tests
//                           may also use server/testing/ (whole-site harnesses that wire several roles)
//   server/                 the composition root (CLI, process start-up, the role table, the demo):
//                           lib/ and every role
//   bench/ e2e/ scripts/    measure and drive the whole product: anything
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ROLES = new Set(['api', 'ingest', 'consumers', 'scheduler', 'dashboard']);
const TEST_FILE = /\.test\.ts$/;

/** Why `from` may not import `to` (repository-relative paths), or undefined when it may. */
function violation(from, to) {
  const [fromTop] = from.split('/');
  const [toTop] = to.split('/');
  if (fromTop === toTop || !toTop || toTop === '..') return undefined;
  if (fromTop === 'lib') return toTop === 'node_modules' ? undefined : `lib/ is shared by every role and imports only lib/, not ${toTop}/`;
  if (ROLES.has(fromTop)) {
    if (toTop === 'lib' || toTop === 'node_modules') return undefined;
    if (TEST_FILE.test(from) && to.startsWith('server/testing/')) return undefined;
    if (ROLES.has(toTop)) return `the ${fromTop} role may not import the ${toTop} role's internals: move what both need to lib/, or wire it in server/`;
    return `the ${fromTop} role imports lib/ and itself only, not ${toTop}/${toTop === 'server' ? ' (tests may use server/testing/)' : ''}`;
  }
  if (fromTop === 'server' && ['bench', 'e2e', 'scripts'].includes(toTop)) return `server/ may not import ${toTop}/`;
  return undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
const layers = {
  meta: {
    type: 'problem',
    docs: { description: 'lib/ imports no role, and no role imports another role (see scripts/eslint/layers.js)' },
    schema: [],
    messages: { layer: '{{why}} ({{source}})' },
  },
  create(context) {
    const root = ROOT;
    const from = path.relative(root, context.filename).split(path.sep).join('/');
    const check = (node) => {
      const source = node?.type === 'Literal' && typeof node.value === 'string' ? node.value : undefined;
      if (!source?.startsWith('.')) return;
      const to = path.relative(root, path.resolve(path.dirname(context.filename), source)).split(path.sep).join('/');
      const why = violation(from, to);
      if (why) context.report({ node, messageId: 'layer', data: { why, source } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

export default { rules: { layers } };
