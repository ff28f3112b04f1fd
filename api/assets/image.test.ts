// processImage against the attack corpus: what is refused, with which code, and that what is stored
// carries nothing of the upload but its pixels.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import * as corpus from '../../lib/testing/attack-corpus.js';
import { ImageRejected, MAX_DIMENSION, processImage } from './image.js';

const options = { format: 'webp', quality: 80 } as const;

async function rejected(file: Buffer): Promise<ImageRejected> {
  const error = await processImage(file, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageRejected);
  return error as ImageRejected;
}

describe('processImage', () => {
  it.each([
    ['png', corpus.png],
    ['jpeg', corpus.jpeg],
    ['webp', corpus.webp],
    ['gif', corpus.gif],
    ['avif', corpus.avif],
  ])('re-encodes %s to WebP, named by the SHA-256 of the output', async (_type, make) => {
    const image = await processImage(await make(), options);
    expect(image.contentType).toBe('image/webp');
    expect(image.body.subarray(8, 12).toString()).toBe('WEBP');
    expect({ width: image.width, height: image.height }).toEqual({ width: 64, height: 48 });
    expect(image.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Deterministic: the same upload gives the same bytes, so re-uploads share one object.
    expect((await processImage(await make(), options)).sha256).toBe(image.sha256);
  });

  it('encodes AVIF when configured', async () => {
    const image = await processImage(await corpus.png(), { format: 'avif', quality: 50 });
    expect(image.contentType).toBe('image/avif');
    expect((await sharp(image.body).metadata()).format).toBe('heif');
  });

  it('strips every piece of metadata, EXIF GPS included', async () => {
    const upload = await corpus.jpegWithGps();
    expect((await sharp(upload).metadata()).exif).toBeDefined();
    const image = await processImage(upload, options);
    const stored = await sharp(image.body).metadata();
    expect(stored.exif).toBeUndefined();
    expect(stored.xmp).toBeUndefined();
    expect(stored.iptc).toBeUndefined();
    expect(image.body.includes('Test Camera')).toBe(false);
  });

  it('applies the EXIF orientation before dropping it', async () => {
    const image = await processImage(await corpus.jpegRotated(), options);
    expect({ width: image.width, height: image.height }).toEqual({ width: 48, height: 64 });
    expect((await sharp(image.body).metadata()).orientation).toBeUndefined();
  });

  it('shrinks large images to the longest side limit', async () => {
    const image = await processImage(await corpus.png(4000, 1000), options);
    expect({ width: image.width, height: image.height }).toEqual({ width: MAX_DIMENSION, height: 512 });
  });

  it('keeps the first frame of an animated GIF', async () => {
    const upload = await corpus.animatedGif();
    expect((await sharp(upload, { animated: true }).metadata()).pages).toBe(2);
    const image = await processImage(upload, options);
    expect(image.input).toMatchObject({ type: 'image/gif', animated: true });
    expect((await sharp(image.body, { animated: true }).metadata()).pages ?? 1).toBe(1);
  });

  it('neutralises a JPEG/HTML polyglot: the stored file holds pixels only', async () => {
    const upload = await corpus.jpegHtmlPolyglot();
    expect(upload.includes('<script>')).toBe(true);
    const image = await processImage(upload, options);
    expect(image.body.includes('<script>')).toBe(false);
    expect(image.body.includes('<html')).toBe(false);
  });

  it('refuses an SVG, script or not', async () => {
    const error = await rejected(corpus.svgWithScript());
    expect({ code: error.code, reason: error.reason }).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', reason: 'unsupported_type' });
  });

  it('refuses a ZIP archive and plain text, whatever they are called', async () => {
    const zip = await rejected(corpus.zipArchive());
    expect({ code: zip.code, detected: zip.detectedType }).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE', detected: 'application/zip' });
    expect((await rejected(Buffer.from('just text, named avatar.png'))).code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const upload = await corpus.pngBomb();
    expect(upload.length).toBeLessThan(200);
    const error = await rejected(upload);
    expect({ code: error.code, reason: error.reason }).toEqual({ code: 'PAYLOAD_TOO_LARGE', reason: 'too_many_pixels' });
  });

  it('refuses a truncated image instead of storing half of it', async () => {
    const error = await rejected(await corpus.truncatedJpeg());
    expect({ code: error.code, reason: error.reason }).toEqual({ code: 'INVALID_INPUT', reason: 'undecodable' });
  });
});
