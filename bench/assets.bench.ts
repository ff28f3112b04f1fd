// The upload pipeline's work per image (identify, decode under the pixel limit, orient, shrink,
// re-encode): photo-like noise at common sizes, so the encoder has real work; and what a refused
// decompression bomb costs.
import sharp from 'sharp';
import { processImage } from '../api/assets/image.js';
import { pngBomb } from '../lib/testing/attack-corpus.js';
import { ascending, percentile, report, type Benchmark } from './support/measure.js';

/** A JPEG of pixel noise: no smooth areas for the encoders to save bits on, their worst case. */
async function noisePhoto(width: number, height: number): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 2_654_435_761) >>> 24;
  return sharp(noise, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

export const assetsBenchmark: Benchmark = {
  name: 'assets',
  description: 'the image upload pipeline per image, to WebP and to AVIF; refusing a 10-gigapixel PNG bomb',
  async run() {
    const lines: Record<string, string> = {};
    for (const [label, width, height] of [
      ['1024 × 768 JPEG', 1024, 768],
      ['4032 × 3024 JPEG (12 MP phone photo)', 4032, 3024],
    ] as const) {
      const input = await noisePhoto(width, height);
      for (const format of ['webp', 'avif'] as const) {
        const samples: number[] = [];
        let output = 0;
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          output = (await processImage(input, { format, quality: 80 })).body.length;
          samples.push(performance.now() - started);
        }
        lines[`${label} → ${format}`] = `p50 ${percentile(ascending(samples), 50).toFixed(0)} ms; ${(input.length / 1e6).toFixed(1)} MB in, ${(output / 1e3).toFixed(0)} kB out`;
      }
    }
    const bomb = await pngBomb();
    const started = performance.now();
    await processImage(bomb, { format: 'webp', quality: 80 }).catch(() => undefined);
    lines['100,000 × 100,000 PNG bomb, refused'] = `${(performance.now() - started).toFixed(1)} ms`;
    report(`image uploads (sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}; 5 runs each)`, lines);
  },
};
