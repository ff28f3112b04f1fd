// What a QR code may be asked for (formats, sizes) and the colour its modules are drawn in: the page's
// accent, or the one chosen, darkened in the same hue as little as needed to keep MIN_QR_CONTRAST
// against the white background. Apart from the drawing (qr-code.ts), so the dashboard can offer the
// options and say what will be drawn without bundling the encoder.
import { contrastRatio } from '../profiles/page-themes.js';

const HEX = /^#[0-9a-f]{6}$/i;

/** A QR code's dark modules against white: WCAG's 4.5:1 for text, well above what readers need (~3:1). */
export const MIN_QR_CONTRAST = 4.5;
export const QR_FORMATS = ['svg', 'png'] as const;
export type QrFormat = (typeof QR_FORMATS)[number];
/** PNG sizes, in pixels a side. */
export const QR_MIN_PIXELS = 128;
export const QR_MAX_PIXELS = 2048;
export const QR_DEFAULT_PIXELS = 1024;

/** The colour modules are drawn in: `accent`, darkened as little as needed to reach MIN_QR_CONTRAST on white. */
export function qrModuleColor(accent: string): { color: string; adjusted: boolean } {
  const start = HEX.test(accent) ? accent.toLowerCase() : '#000000';
  if (contrastRatio(start, '#ffffff') >= MIN_QR_CONTRAST) return { color: start, adjusted: start !== accent.toLowerCase() };
  const channels = [1, 3, 5].map((offset) => Number.parseInt(start.slice(offset, offset + 2), 16));
  for (let step = 1; step <= 100; step++) {
    const factor = 1 - step / 100;
    const color = `#${channels.map((channel) => Math.round(channel * factor).toString(16).padStart(2, '0')).join('')}`;
    if (contrastRatio(color, '#ffffff') >= MIN_QR_CONTRAST) return { color, adjusted: true };
  }
  return { color: '#000000', adjusted: true };
}

