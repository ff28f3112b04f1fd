// QR codes of profiles and links, drawn as SVG (the PNG is this SVG rasterised: api/qr/). Their URL
// marks a visit as a scan (?trigger=qr, as Dub does): the page's tracker and the /r/ redirect pass it
// on, so analytics tell scans from clicks.
//
// Scannable by design: dark modules on white (inverted codes defeat many readers), a quiet zone of 4
// modules (the standard's minimum), and a module colour of at least MIN_QR_CONTRAST against white: an
// accent that is too light is darkened (same hue) until it passes. A centre logo hides modules, so a
// code with one uses error correction level H (30% of codewords recoverable) and the logo, with its
// white margin, covers at most LOGO_WIDTH_SHARE of the symbol's width (~5% of its modules).
import QRCode from 'qrcode';
import { qrModuleColor } from './qr-options.js';

export { MIN_QR_CONTRAST, QR_DEFAULT_PIXELS, QR_FORMATS, QR_MAX_PIXELS, QR_MIN_PIXELS, qrModuleColor, type QrFormat } from './qr-options.js';

/** Modules of white around the symbol (ISO/IEC 18004's quiet zone). */
export const QUIET_ZONE = 4;
/** The logo and its white margin, as a share of the symbol's width. */
export const LOGO_WIDTH_SHARE = 0.22;

export interface QrDrawing {
  svg: string;
  /** Modules a side, without the quiet zone. */
  modules: number;
  errorCorrection: 'M' | 'H';
  /** Modules hidden under the logo (0 without one). */
  hiddenModules: number;
  color: string;
}

/** The URL a QR code carries: the page or the link's redirect, marked as a scan. */
export function qrTargetUrl(publicUrl: string, target: { handle: string } | { linkId: string }): string {
  const url = 'handle' in target ? new URL(`/@${target.handle}`, publicUrl) : new URL(`/r/${target.linkId}`, publicUrl);
  url.searchParams.set('trigger', 'qr');
  return url.href;
}

/**
 * The QR code of `data` as SVG, one unit per module: a white square, one path of dark modules in
 * `color` (made scannable: qrModuleColor), and optionally `logo` (an image as a data: URL, drawn in a
 * circle on a white disc) over the centre, with the modules under it left out.
 */
export function drawQrCode(data: string, options: { color: string; logo?: string | undefined; title?: string | undefined }): QrDrawing {
  const errorCorrection = options.logo ? 'H' : 'M';
  const { modules } = QRCode.create(data, { errorCorrectionLevel: errorCorrection });
  const size = modules.size;
  const { color } = qrModuleColor(options.color);
  // The logo's square in modules: odd, so it sits on the centre module, inside LOGO_WIDTH_SHARE.
  let logoCells = 0;
  if (options.logo) {
    logoCells = Math.floor(size * LOGO_WIDTH_SHARE);
    if (logoCells % 2 === 0) logoCells -= 1;
  }
  const logoStart = Math.floor((size - logoCells) / 2);
  const underLogo = (row: number, column: number) => logoCells > 0 && row >= logoStart && row < logoStart + logoCells && column >= logoStart && column < logoStart + logoCells;

  let path = '';
  let hiddenModules = 0;
  for (let row = 0; row < size; row++) {
    let column = 0;
    while (column < size) {
      if (!modules.get(row, column) || underLogo(row, column)) {
        if (modules.get(row, column)) hiddenModules++;
        column++;
        continue;
      }
      // Horizontal runs of dark modules: one rectangle each keeps the path short.
      let end = column;
      while (end < size && modules.get(row, end) && !underLogo(row, end)) end++;
      path += `M${column + QUIET_ZONE} ${row + QUIET_ZONE}h${end - column}v1h-${end - column}z`;
      column = end;
    }
  }
  const side = size + 2 * QUIET_ZONE;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 ${side} ${side}" shape-rendering="crispEdges" role="img">`,
    `<title>${escapeXml(options.title ?? data)}</title>`,
    `<rect width="${side}" height="${side}" fill="#ffffff"/>`,
    `<path fill="${color}" d="${path}"/>`,
  ];
  if (options.logo && logoCells > 0) {
    const centre = side / 2;
    const radius = logoCells / 2;
    // The image inside a margin of half a module, clipped to a circle (avatars are square photos).
    const inner = radius - 0.5;
    parts.push(
      `<circle cx="${centre}" cy="${centre}" r="${radius}" fill="#ffffff"/>`,
      `<clipPath id="logo"><circle cx="${centre}" cy="${centre}" r="${inner}"/></clipPath>`,
      `<image x="${centre - inner}" y="${centre - inner}" width="${2 * inner}" height="${2 * inner}" preserveAspectRatio="xMidYMid slice" clip-path="url(#logo)" href="${escapeXml(options.logo)}" xlink:href="${escapeXml(options.logo)}"/>`,
    );
  }
  parts.push('</svg>');
  return { svg: parts.join(''), modules: size, errorCorrection, hiddenModules, color };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
