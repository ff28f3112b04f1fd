// The layering rule on imports the repository must never contain (and some it must allow).
import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import { PROJECT_ROOT } from '../../lib/paths.js';
import linkpulse from './layers.js';

RuleTester.describe = describe;
RuleTester.it = it;
const tester = new RuleTester({ languageOptions: { parser: tseslint.parser, ecmaVersion: 2024, sourceType: 'module' } });
const at = (file: string) => path.join(PROJECT_ROOT, file);
const layer = [{ messageId: 'layer' }];

tester.run('linkpulse/layers', linkpulse.rules.layers, {
  valid: [
    { filename: at('lib/runtime/http-server.ts'), code: "import { x } from '../logger.js';" },
    { filename: at('api/app.ts'), code: "import { x } from '../lib/config.js'; import { y } from './links/links.routes.js';" },
    { filename: at('dashboard/src/lib/editor/links.ts'), code: "import { x } from '../../../../lib/links/link-url.js';" },
    { filename: at('scheduler/scheduler.integration.test.ts'), code: "import { x } from '../server/testing/api-harness.js';" },
    { filename: at('server/start.ts'), code: "import { x } from '../api/main.js'; import { y } from '../dashboard/main.js';" },
    { filename: at('bench/run.ts'), code: "import { x } from '../server/start.js';" },
    { filename: at('api/app.ts'), code: "import express from 'express';" },
  ],
  invalid: [
    { filename: at('lib/runtime/start.ts'), code: "import { x } from '../../api/main.js';", errors: layer },
    { filename: at('lib/testing/site.ts'), code: "import type { X } from '../../server/testing/api-harness.js';", errors: layer },
    { filename: at('lib/demo.ts'), code: "export { x } from '../consumers/main.js';", errors: layer },
    { filename: at('lib/lazy.ts'), code: "const m = import('../scheduler/main.js');", errors: layer },
    { filename: at('dashboard/src/lib/editor/links.ts'), code: "import { x } from '../../../../api/links/link-url.js';", errors: layer },
    { filename: at('scheduler/github/sync.integration.test.ts'), code: "import { x } from '../../api/app.js';", errors: layer },
    { filename: at('scheduler/main.ts'), code: "import { x } from '../server/testing/api-harness.js';", errors: layer },
    { filename: at('server/start.ts'), code: "import { x } from '../bench/run.js';", errors: layer },
  ],
});
