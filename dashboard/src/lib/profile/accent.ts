// A creator's accent colour and the text colour that reads on it. The creator picks any #rrggbb;
// link text is then white or black, whichever has the higher WCAG contrast on that colour.

export const DEFAULT_ACCENT = '#2563eb';

/** The colour if it is #rrggbb (what the database allows), else the default. */
export function accentOrDefault(color: string | null | undefined): string {
  return color && /^#[0-9a-f]{6}$/i.test(color) ? color.toLowerCase() : DEFAULT_ACCENT;
}

/** WCAG 2 relative luminance of #rrggbb. */
export function relativeLuminance(color: string): number {
  const channel = (offset: number) => {
    const value = parseInt(color.slice(offset, offset + 2), 16) / 255;
    return value <= 0.04045 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
}

/** WCAG 2 contrast ratio of two #rrggbb colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** White or black text on the accent, whichever contrasts more. */
export function textOnAccent(accent: string): string {
  return contrastRatio(accent, '#ffffff') >= contrastRatio(accent, '#000000') ? '#ffffff' : '#000000';
}

/** The stylesheet that sets the accent variables (served as /@handle/theme.css: no inline styles under the CSP). */
export function accentStylesheet(color: string | null | undefined): string {
  const variables = accentVariables(color);
  return `:root{${Object.entries(variables)
    .map(([name, value]) => `${name}:${value}`)
    .join(';')}}\n`;
}

/** The accent variables for an element (use:cssVars): the previews' equivalent of the stylesheet. */
export function accentVariables(color: string | null | undefined): Record<string, string> {
  const accent = accentOrDefault(color);
  return { '--accent': accent, '--on-accent': textOnAccent(accent) };
}
