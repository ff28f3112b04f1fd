import { describe, expect, it } from 'vitest';
import { accentOrDefault, contrastRatio, PAGE_THEMES, pageTheme, pageThemeStylesheet, pageThemeVariables, resolvePalette, textOnAccent } from './page-themes.js';

/** Accents a creator might pick, the extremes included: the themes must read with any of them. */
const ACCENTS = ['#2563eb', '#ffeb3b', '#00ff00', '#000000', '#ffffff', '#e11d48', '#808080', '#777777', '#7c3aed', '#0f766e'];
const AA = 4.5;

describe('page themes', () => {
  it('offers at least six designed themes with distinct ids', () => {
    expect(PAGE_THEMES.length).toBeGreaterThanOrEqual(6);
    expect(new Set(PAGE_THEMES.map((theme) => theme.id)).size).toBe(PAGE_THEMES.length);
  });

  describe.each(PAGE_THEMES.flatMap((theme) => (['light', 'dark'] as const).map((scheme) => ({ theme, scheme, label: `${theme.id} ${scheme}` }))))('$label', ({ theme, scheme }) => {
    it.each(ACCENTS)('passes WCAG AA (4.5:1) for all text with accent %s', (accent) => {
      const palette = resolvePalette(theme, scheme, accent);
      const pairs: [string, string, string][] = [];
      for (const background of palette.backgrounds) {
        pairs.push(['text on background', palette.text, background], ['muted on background', palette.muted, background]);
        if (!palette.buttonBackground) pairs.push(['button text on background', palette.buttonText, background]);
      }
      pairs.push(['card text', palette.surfaceText, palette.surface], ['card muted', palette.surfaceMuted, palette.surface]);
      if (palette.buttonBackground) pairs.push(['button text', palette.buttonText, palette.buttonBackground]);
      const failing = pairs.filter(([, foreground, background]) => contrastRatio(foreground, background) < AA).map(([what, a, b]) => `${what}: ${a} on ${b} = ${contrastRatio(a, b).toFixed(2)}`);
      expect(failing).toEqual([]);
    });
  });

  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('puts black or white on the accent, whichever reads', () => {
    expect(textOnAccent('#ffeb3b')).toBe('#000000');
    expect(textOnAccent('#2563eb')).toBe('#ffffff');
  });

  it('lets nothing but a theme id and #rrggbb reach the stylesheet', () => {
    expect(accentOrDefault('red;}body{display:none')).toBe('#2563eb');
    expect(accentOrDefault('#ABCDEF')).toBe('#abcdef');
    expect(pageTheme('nope;}').id).toBe('classic');
    const css = pageThemeStylesheet('x}body{', 'red;}body{display:none');
    expect(css).toBe(pageThemeStylesheet('classic', '#2563eb'));
    expect(css).toMatch(/^:root\{[^{}]*\}\n$/);
  });

  it('gives both schemes to the page, so the visitor’s system can pick', () => {
    const variables = pageThemeVariables('aurora', '#7c3aed');
    expect(variables['--lp-light-background']).toMatch(/^linear-gradient/);
    expect(variables['--lp-dark-text']).toBeDefined();
    expect(variables['--accent']).toBe('#7c3aed');
  });
});
