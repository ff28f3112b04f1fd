import { describe, expect, it } from 'vitest';
import { loadWorldShapes, numericToAlpha2 } from './world';

describe('world map shapes', () => {
  it('maps numeric codes to alpha-2', () => {
    expect(numericToAlpha2([['DE', 'DEU', '276', 'ISO 3166-2:DE']]).get('276')).toBe('DE');
  });

  it('projects every country with a code into path data, Antarctica left out', async () => {
    const shapes = await loadWorldShapes();
    const codes = new Set(shapes.map((shape) => shape.code));
    for (const code of ['DE', 'US', 'JP', 'BR', 'IN', 'FR', 'GB', 'AU']) expect(codes).toContain(code);
    expect(codes).not.toContain('AQ');
    expect(shapes.find((shape) => shape.code === 'DE')?.d).toMatch(/^M[\d.]+,[\d.]+L/);
  });
});
