import { describe, expect, it } from 'vitest';
import { accentOrDefault, accentStylesheet, contrastRatio, textOnAccent } from './accent';

describe('accent colours', () => {
  it('computes WCAG contrast ratios', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  it('picks the link text colour that meets AA on any accent', () => {
    for (const accent of ['#2563eb', '#ffeb3b', '#00ff00', '#000000', '#ffffff', '#e11d48', '#808080']) {
      const text = textOnAccent(accent);
      // The better of black and white reaches at least √21 ≈ 4.58:1 on every colour: AA for normal text.
      expect(contrastRatio(accent, text)).toBeGreaterThanOrEqual(4.5);
    }
    expect(textOnAccent('#ffeb3b')).toBe('#000000');
    expect(textOnAccent('#2563eb')).toBe('#ffffff');
  });

  it('falls back to the default for anything but #rrggbb, so no CSS can be injected', () => {
    expect(accentOrDefault('red;}body{display:none')).toBe('#2563eb');
    expect(accentOrDefault('#ABCDEF')).toBe('#abcdef');
    expect(accentStylesheet(null)).toBe(':root{--accent:#2563eb;--on-accent:#ffffff}\n');
  });
});
