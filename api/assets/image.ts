// Turning an uploaded file into an image we are willing to store: identify it by its bytes (never by
// name or declared Content-Type), decode it with sharp under a pixel limit, and re-encode it, so every
// stored byte is one we produced. Re-encoding drops all metadata (EXIF with GPS, XMP, ICC comments),
// applies the EXIF orientation first, and shrinks to at most MAX_DIMENSION on the longest side.
//
// Animated GIF or WebP: only the first frame is kept. Profile images are still pictures; flattening
// keeps the output small, avoids surprise motion on a profile page, and removes frame count as a
// way to multiply the decoding work of a small file.
import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import sharp, { type Metadata } from 'sharp';
import { AppError } from '../../lib/errors.js';

/** Input types we decode; everything else (SVG, HEIC, TIFF, PDF, …) is refused. */
export const ACCEPTED_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif'] as const;
export type OutputFormat = 'webp' | 'avif';
const OUTPUT_TYPES: Record<OutputFormat, 'image/webp' | 'image/avif'> = { webp: 'image/webp', avif: 'image/avif' };

/** 40 megapixels: a 7,000 × 5,700 photo decodes, a 20,000 × 20,000 decompression bomb does not. */
export const MAX_INPUT_PIXELS = 40_000_000;
/** Longest side of what we store. */
export const MAX_DIMENSION = 2048;

export interface ImageOptions {
  format: OutputFormat;
  /** 1–100. */
  quality: number;
}

export interface ProcessedImage {
  body: Buffer;
  contentType: 'image/webp' | 'image/avif';
  /** SHA-256 of body, hex: the object's name. */
  sha256: string;
  width: number;
  height: number;
  /** What the upload was, for the asset row and the audit log. */
  input: { type: string; width: number; height: number; animated: boolean };
}

/** Why an upload was refused, for the audit log (never the file's contents). */
export type RejectionReason = 'unsupported_type' | 'undecodable' | 'too_many_pixels';

export class ImageRejected extends AppError {
  constructor(
    readonly reason: RejectionReason,
    readonly detectedType: string | undefined,
    message: string,
  ) {
    super(reason === 'unsupported_type' ? 'UNSUPPORTED_MEDIA_TYPE' : reason === 'too_many_pixels' ? 'PAYLOAD_TOO_LARGE' : 'INVALID_INPUT', message, {
      details: { reason },
    });
  }
}

export async function processImage(file: Buffer, options: ImageOptions): Promise<ProcessedImage> {
  const detected = await fileTypeFromBuffer(file);
  if (!detected || !(ACCEPTED_TYPES as readonly string[]).includes(detected.mime)) {
    throw new ImageRejected('unsupported_type', detected?.mime, `Upload a PNG, JPEG, WebP, GIF or AVIF image${detected ? ` (this file is ${detected.mime})` : ''}`);
  }
  // failOn 'warning' refuses truncated and corrupt files instead of storing a half-decoded picture.
  const decoder = () => sharp(file, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning', animated: false });
  let metadata: Metadata;
  try {
    metadata = await decoder().metadata();
  } catch (error) {
    throw rejection(error, detected.mime);
  }
  try {
    const pipeline = decoder()
      .rotate() // the EXIF orientation, applied before the metadata that carries it is dropped
      .resize({ width: MAX_DIMENSION, height: MAX_DIMENSION, fit: 'inside', withoutEnlargement: true });
    const encoded = options.format === 'avif' ? pipeline.avif({ quality: options.quality }) : pipeline.webp({ quality: options.quality });
    const { data, info } = await encoded.toBuffer({ resolveWithObject: true });
    return {
      body: data,
      contentType: OUTPUT_TYPES[options.format],
      sha256: createHash('sha256').update(data).digest('hex'),
      width: info.width,
      height: info.height,
      input: { type: detected.mime, width: metadata.width ?? 0, height: metadata.height ?? 0, animated: (metadata.pages ?? 1) > 1 },
    };
  } catch (error) {
    throw rejection(error, detected.mime);
  }
}

function rejection(error: unknown, detectedType: string): ImageRejected {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new ImageRejected('too_many_pixels', detectedType, `The image has more than ${MAX_INPUT_PIXELS / 1_000_000} megapixels`);
  }
  return new ImageRejected('undecodable', detectedType, 'The image could not be decoded (truncated or corrupt)');
}
