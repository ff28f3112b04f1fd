// The drawing checked against the QR matrix the qrcode package computes for the same data: every
// module of the SVG, and every module of the PNG that resvg rasterises from it, sampled at its centre
// (no QR decoder is installed; the matrix is what a decoder would read the data from).
import { renderAsync } from '@resvg/resvg-js';
import QRCode from 'qrcode';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { contrastRatio } from '../profiles/page-themes.js';
import { drawQrCode, LOGO_WIDTH_SHARE, MIN_QR_CONTRAST, qrModuleColor, qrTargetUrl, QUIET_ZONE } from './qr-code.js';

const URL_OF_LINK = qrTargetUrl('https://links.example.com', { linkId: '0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7b' });
/** A red square PNG: a stand-in avatar. */
const LOGO = `data:image/png;base64,${(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).png().toBuffer()).toString('base64')}`;

/** The dark modules an SVG path of `M x y h w v1 h-w z` rectangles draws, as "row,column". */
function modulesOfPath(svg: string): Set<string> {
  const path = /<path fill="[^"]+" d="([^"]*)"/.exec(svg)![1]!;
  const dark = new Set<string>();
  for (const [, x, y, width] of path.matchAll(/M(\d+) (\d+)h(\d+)v1h-\d+z/g)) {
    for (let column = Number(x); column < Number(x) + Number(width); column++) dark.add(`${Number(y) - QUIET_ZONE},${column - QUIET_ZONE}`);
  }
  return dark;
}

describe('qrTargetUrl', () => {
  it('marks the page and the link as scans', () => {
    expect(qrTargetUrl('https://links.example.com/', { handle: 'ada' })).toBe('https://links.example.com/@ada?trigger=qr');
    expect(URL_OF_LINK).toBe('https://links.example.com/r/0190a0b0-c0d0-7e0f-8a1b-2c3d4e5f6a7b?trigger=qr');
  });
});

describe('qrModuleColor', () => {
  it('keeps an accent dark enough to scan, and darkens a light one in the same hue until it is', () => {
    expect(qrModuleColor('#2563EB')).toEqual({ color: '#2563eb', adjusted: false });
    for (const light of ['#fde047', '#a3e635', '#ffffff', '#22d3ee']) {
      const { color, adjusted } = qrModuleColor(light);
      expect(adjusted).toBe(true);
      expect(contrastRatio(color, '#ffffff')).toBeGreaterThanOrEqual(MIN_QR_CONTRAST);
      // Just dark enough: one step lighter would fail.
      expect(contrastRatio(color, '#ffffff')).toBeLessThan(MIN_QR_CONTRAST + 0.4);
    }
    expect(qrModuleColor('not a colour')).toEqual({ color: '#000000', adjusted: true });
  });
});

describe('drawQrCode', () => {
  it('draws exactly the modules of the QR matrix for the URL, with error correction M', () => {
    const drawing = drawQrCode(URL_OF_LINK, { color: '#2563eb' });
    const matrix = QRCode.create(URL_OF_LINK, { errorCorrectionLevel: 'M' }).modules;
    const expected = new Set<string>();
    for (let row = 0; row < matrix.size; row++) for (let column = 0; column < matrix.size; column++) if (matrix.get(row, column)) expected.add(`${row},${column}`);
    expect(drawing).toMatchObject({ modules: matrix.size, errorCorrection: 'M', hiddenModules: 0, color: '#2563eb' });
    expect(modulesOfPath(drawing.svg)).toEqual(expected);
    expect(drawing.svg).toContain(`viewBox="0 0 ${matrix.size + 2 * QUIET_ZONE} ${matrix.size + 2 * QUIET_ZONE}"`);
    expect(drawing.svg).toContain(`<title>${URL_OF_LINK}</title>`);
  });

  it('with a logo, uses level H and hides only a few modules in the centre', () => {
    const drawing = drawQrCode(URL_OF_LINK, { color: '#2563eb', logo: LOGO });
    const matrix = QRCode.create(URL_OF_LINK, { errorCorrectionLevel: 'H' }).modules;
    expect(drawing.errorCorrection).toBe('H');
    const drawn = modulesOfPath(drawing.svg);
    let missing = 0;
    for (let row = 0; row < matrix.size; row++) {
      for (let column = 0; column < matrix.size; column++) {
        const key = `${row},${column}`;
        if (matrix.get(row, column) && !drawn.has(key)) missing++;
        // Nothing is drawn that the matrix does not have.
        if (!matrix.get(row, column)) expect(drawn.has(key)).toBe(false);
      }
    }
    expect(missing).toBe(drawing.hiddenModules);
    // Level H restores up to 30% of codewords; the logo hides ~5% of the symbol (at most LOGO_WIDTH_SHARE squared).
    expect(drawing.hiddenModules / matrix.size ** 2).toBeLessThanOrEqual(LOGO_WIDTH_SHARE ** 2);
    expect(drawing.svg).toContain('clip-path="url(#logo)"');
  });

  it('rasterises to a real PNG whose pixels hold the same modules', async () => {
    const drawing = drawQrCode(URL_OF_LINK, { color: '#fde047' });
    const pixels = 4 * (drawing.modules + 2 * QUIET_ZONE) * 2;
    const png = (await renderAsync(drawing.svg, { fitTo: { mode: 'width', value: pixels }, font: { loadSystemFonts: false } })).asPng();
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([pixels, pixels]);
    const scale = pixels / (drawing.modules + 2 * QUIET_ZONE);
    const matrix = QRCode.create(URL_OF_LINK, { errorCorrectionLevel: 'M' }).modules;
    for (let row = -QUIET_ZONE; row < matrix.size + QUIET_ZONE; row++) {
      for (let column = -QUIET_ZONE; column < matrix.size + QUIET_ZONE; column++) {
        const x = Math.floor((column + QUIET_ZONE + 0.5) * scale);
        const y = Math.floor((row + QUIET_ZONE + 0.5) * scale);
        const luminance = data[(y * info.width + x) * info.channels + 1]!;
        const inside = row >= 0 && column >= 0 && row < matrix.size && column < matrix.size;
        expect(luminance < 128, `${row},${column}`).toBe(inside && Boolean(matrix.get(row, column)));
      }
    }
  });
});
