// Shrinking an image in the browser before it is uploaded: decode (EXIF orientation applied), scale so
// the longest side is at most maxSide, encode as WebP. Saves the creator's bandwidth and the server's
// CPU; the server still validates and re-encodes everything it receives (api/assets/image.ts).
export interface CompressOptions {
  /** Longest side of the result, CSS pixels. */
  maxSide?: number;
  /** WebP quality, 0–1. */
  quality?: number;
}

export interface CompressedImage {
  blob: Blob;
  width: number;
  height: number;
}

/** The size that fits within maxSide on the longest side, never enlarged. */
export function fitWithin(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The image as a WebP of at most maxSide, or undefined when this browser cannot decode it (then the
 * original goes to the server, whose answer says what is wrong with it).
 */
export async function compressImage(file: Blob, options: CompressOptions = {}): Promise<CompressedImage | undefined> {
  const { maxSide = 1024, quality = 0.85 } = options;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return undefined;
  }
  try {
    const { width, height } = fitWithin(bitmap.width, bitmap.height, maxSide);
    if (typeof OffscreenCanvas !== 'undefined') {
      const canvas = new OffscreenCanvas(width, height);
      canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
      return { blob: await canvas.convertToBlob({ type: 'image/webp', quality }), width, height };
    }
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/webp', quality));
    return blob ? { blob, width, height } : undefined;
  } finally {
    bitmap.close();
  }
}
