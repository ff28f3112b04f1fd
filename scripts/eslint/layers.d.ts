// Types for layers.js, which stays JavaScript so that eslint.config.js can load it without a build.
import type { Rule } from 'eslint';

declare const plugin: { rules: { layers: Rule.RuleModule } };
export default plugin;
