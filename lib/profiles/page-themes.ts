// The designed themes of a public page. A theme fixes the look (font, corner radius, button style,
// card style, a light and a dark palette); the creator adds an accent colour and picks the colour
// scheme (auto follows the visitor's system). Every palette passes WCAG AA for every accent: the
// checks are in page-themes.test.ts, and text on the accent is black or white, whichever contrasts more.
//
// A theme reaches the page as CSS custom properties (pageThemeVariables): both palettes at once,
// `--lp-light-*` and `--lp-dark-*`, and ProfileView's CSS picks one by the scheme and the
// visitor's prefers-color-scheme. The public page gets them from a stylesheet (no inline styles
// under its CSP), the editor's preview and the heatmap through the CSSOM.

export const DEFAULT_ACCENT = '#2563eb';
export const COLOR_SCHEMES = ['auto', 'light', 'dark'] as const;
export type ColorScheme = (typeof COLOR_SCHEMES)[number];

interface Palette {
  /** A colour, or the two ends of a diagonal gradient. */
  background: string | readonly [string, string];
  text: string;
  /** Secondary text (handle, bio, card descriptions): AA on the background and on cards. */
  muted: string;
  /** Cards (GitHub repositories) and surface-style buttons. */
  surface: string;
  border: string;
}

type ButtonStyle =
  /** The accent, with black or white text. */
  | 'filled'
  /** Transparent with an accent border and the palette's text colour. */
  | 'outline'
  /** The surface colour with a border. */
  | 'surface';

interface PageTheme {
  id: string;
  name: string;
  description: string;
  font: 'sans' | 'rounded' | 'mono' | 'serif';
  /** Corner radius of buttons and cards, in rem (999 makes a pill). */
  radius: number;
  button: ButtonStyle;
  /** Cards and buttons: a soft drop shadow, a hard offset one in the text colour, or none. */
  shadow: 'none' | 'soft' | 'hard';
  light: Palette;
  dark: Palette;
}

export const PAGE_THEMES = [
  {
    id: 'classic',
    name: 'Classic',
    description: 'Clean system type, rounded accent buttons',
    font: 'sans',
    radius: 0.75,
    button: 'filled',
    shadow: 'none',
    light: { background: '#ffffff', text: '#1f2328', muted: '#59636e', surface: '#f6f8fa', border: '#d1d9e0' },
    dark: { background: '#0d1117', text: '#e6edf3', muted: '#9198a1', surface: '#161b22', border: '#3d444d' },
  },
  {
    id: 'soft',
    name: 'Soft',
    description: 'Warm paper, rounded type, pill buttons',
    font: 'rounded',
    radius: 999,
    button: 'filled',
    shadow: 'soft',
    light: { background: '#faf7f2', text: '#1c1917', muted: '#57534e', surface: '#ffffff', border: '#e7e5e4' },
    dark: { background: '#1c1917', text: '#fafaf9', muted: '#a8a29e', surface: '#292524', border: '#44403c' },
  },
  {
    id: 'minimal',
    name: 'Minimal',
    description: 'Quiet outlines and square corners',
    font: 'sans',
    radius: 0.25,
    button: 'outline',
    shadow: 'none',
    light: { background: '#fafafa', text: '#111111', muted: '#525252', surface: '#ffffff', border: '#d4d4d4' },
    dark: { background: '#0a0a0a', text: '#f5f5f5', muted: '#a3a3a3', surface: '#171717', border: '#404040' },
  },
  {
    id: 'terminal',
    name: 'Terminal',
    description: 'Monospace, sharp corners, phosphor green',
    font: 'mono',
    radius: 0,
    button: 'surface',
    shadow: 'none',
    light: { background: '#f3f7f1', text: '#14261a', muted: '#3c5a44', surface: '#ffffff', border: '#8fae97' },
    dark: { background: '#0b120d', text: '#c9f7d4', muted: '#86c096', surface: '#111c14', border: '#2e4d36' },
  },
  {
    id: 'editorial',
    name: 'Editorial',
    description: 'Serif type on cream, lifted cards',
    font: 'serif',
    radius: 0.25,
    button: 'surface',
    shadow: 'soft',
    light: { background: '#fbf8f1', text: '#2b2118', muted: '#66584a', surface: '#ffffff', border: '#e3d8c6' },
    dark: { background: '#1a1612', text: '#f3ece2', muted: '#b8aa98', surface: '#251f19', border: '#4a3f33' },
  },
  {
    id: 'aurora',
    name: 'Aurora',
    description: 'An indigo-to-rose gradient with bright buttons',
    font: 'sans',
    radius: 1,
    button: 'surface',
    shadow: 'soft',
    light: { background: ['#3730a3', '#9d174d'], text: '#ffffff', muted: '#e0e7ff', surface: '#ffffff', border: '#c7d2fe' },
    dark: { background: ['#1e1b4b', '#4c0519'], text: '#f5f3ff', muted: '#c7d2fe', surface: '#2e2a5e', border: '#5b55a6' },
  },
  {
    id: 'bold',
    name: 'Bold',
    description: 'Thick borders and hard shadows',
    font: 'sans',
    radius: 0.375,
    button: 'filled',
    shadow: 'hard',
    light: { background: '#fff8e7', text: '#111111', muted: '#3d3d3d', surface: '#ffffff', border: '#111111' },
    dark: { background: '#141414', text: '#fff8e7', muted: '#d6cfbf', surface: '#1f1f1f', border: '#fff8e7' },
  },
] as const satisfies readonly PageTheme[];

export type PageThemeId = (typeof PAGE_THEMES)[number]['id'];
export const PAGE_THEME_IDS = PAGE_THEMES.map((theme) => theme.id) as [PageThemeId, ...PageThemeId[]];
export const DEFAULT_PAGE_THEME: PageThemeId = 'classic';

const FONT_STACKS: Record<PageTheme['font'], string> = {
  sans: "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif",
  rounded: "ui-rounded, 'SF Pro Rounded', 'Nunito', 'Varela Round', system-ui, sans-serif",
  mono: "ui-monospace, 'SFMono-Regular', 'JetBrains Mono', Menlo, Consolas, 'Liberation Mono', monospace",
  serif: "'Iowan Old Style', 'Palatino Linotype', Palatino, Georgia, 'Times New Roman', serif",
};

/** The theme with this id; an unknown id (a theme since removed) falls back to the default. */
export function pageTheme(id: string | null | undefined): (typeof PAGE_THEMES)[number] {
  return PAGE_THEMES.find((theme) => theme.id === id) ?? PAGE_THEMES[0];
}

/** The colour if it is #rrggbb (what the database allows), else the default: nothing else reaches CSS. */
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

/** White or black text on the accent, whichever contrasts more (at least √21 ≈ 4.58:1 on any colour). */
export function textOnAccent(accent: string): string {
  return contrastRatio(accent, '#ffffff') >= contrastRatio(accent, '#000000') ? '#ffffff' : '#000000';
}

/** The colours one scheme of a theme paints with, the accent applied: what the contrast tests check. */
export interface ResolvedPalette extends Omit<Palette, 'background'> {
  /** Every colour the background takes (both ends of a gradient). */
  backgrounds: string[];
  surfaceText: string;
  surfaceMuted: string;
  buttonBackground: string | null;
  buttonText: string;
  buttonBorder: string;
}

export function resolvePalette(theme: PageTheme, scheme: 'light' | 'dark', accentColor: string | null | undefined): ResolvedPalette {
  const palette = theme[scheme];
  const accent = accentOrDefault(accentColor);
  const backgrounds = typeof palette.background === 'string' ? [palette.background] : [...palette.background];
  // Text on cards is the palette's, unless that is light on a light surface (Aurora's white cards).
  const ownTextReads = contrastRatio(palette.text, palette.surface) >= 4.5;
  const surfaceText = ownTextReads ? palette.text : '#1f2328';
  const button = {
    filled: { buttonBackground: accent, buttonText: textOnAccent(accent), buttonBorder: theme.shadow === 'hard' ? palette.border : accent },
    // Transparent: its text sits on the page background, which the palette's text colour passes on.
    outline: { buttonBackground: null, buttonText: palette.text, buttonBorder: accent },
    surface: { buttonBackground: palette.surface, buttonText: surfaceText, buttonBorder: palette.border },
  }[theme.button];
  return {
    text: palette.text,
    muted: palette.muted,
    surface: palette.surface,
    border: palette.border,
    backgrounds,
    surfaceText,
    surfaceMuted: ownTextReads ? palette.muted : '#59636e',
    ...button,
  };
}

/** The theme's custom properties for ProfileView, both schemes, with the accent applied. */
export function pageThemeVariables(themeId: string | null | undefined, accentColor: string | null | undefined): Record<string, string> {
  const theme = pageTheme(themeId);
  const accent = accentOrDefault(accentColor);
  const variables: Record<string, string> = {
    '--accent': accent,
    '--on-accent': textOnAccent(accent),
    '--lp-font': FONT_STACKS[theme.font],
    '--lp-radius': theme.radius >= 999 ? '999px' : `${theme.radius}rem`,
    // Cards stay rectangles in a pill theme.
    '--lp-card-radius': `${Math.min(theme.radius, 1.25)}rem`,
    '--lp-border-width': theme.shadow === 'hard' ? '2px' : '1px',
  };
  for (const scheme of ['light', 'dark'] as const) {
    const palette = theme[scheme];
    const resolved = resolvePalette(theme, scheme, accent);
    const set = (name: string, value: string) => (variables[`--lp-${scheme}-${name}`] = value);
    set('background', typeof palette.background === 'string' ? palette.background : `linear-gradient(160deg, ${palette.background[0]}, ${palette.background[1]})`);
    // The colour under the page's scroll overscroll and browser UI: the gradient's first stop.
    set('background-color', resolved.backgrounds[0]!);
    set('text', palette.text);
    set('muted', palette.muted);
    set('surface', palette.surface);
    set('surface-text', resolved.surfaceText);
    set('surface-muted', resolved.surfaceMuted);
    set('border', palette.border);
    set('button-background', resolved.buttonBackground ?? 'transparent');
    set('button-text', resolved.buttonText);
    set('button-border', resolved.buttonBorder);
    set(
      'shadow',
      { none: 'none', soft: scheme === 'light' ? '0 1px 2px rgb(0 0 0 / 0.06), 0 4px 12px rgb(0 0 0 / 0.08)' : '0 1px 2px rgb(0 0 0 / 0.4), 0 4px 12px rgb(0 0 0 / 0.3)', hard: `4px 4px 0 ${palette.border}` }[theme.shadow],
    );
  }
  return variables;
}

/** The theme as a stylesheet for the public page (served as /@handle/theme.css). */
export function pageThemeStylesheet(themeId: string | null | undefined, accentColor: string | null | undefined): string {
  return `:root{${Object.entries(pageThemeVariables(themeId, accentColor))
    .map(([name, value]) => `${name}:${value}`)
    .join(';')}}\n`;
}
