// Sizes and colours computed at run time reach CSS as custom properties set through the CSSOM: the
// CSP forbids style attributes (and Svelte's style: directives, which write them), not this.
import type { Action } from 'svelte/action';

export const cssVars: Action<HTMLElement | SVGElement, Record<string, string>> = (node, vars) => {
  const apply = (next: Record<string, string>) => {
    for (const [name, value] of Object.entries(next)) node.style.setProperty(name, value);
  };
  apply(vars);
  return { update: apply };
};
