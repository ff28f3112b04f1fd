import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { registerKafkaCodecs, type KafkaCodec } from './kafka-codecs.js';

describe('Kafka codecs', () => {
  registerKafkaCodecs();
  const batch = Buffer.from(Array.from({ length: 2_000 }, (_, i) => `{"t":"view","p":"0193a1f0-0000-7000-8000-00000000${String(i % 97).padStart(4, '0')}"}`).join(''));

  it.each([
    ['LZ4', CompressionTypes.LZ4, [0x04, 0x22, 0x4d, 0x18]],
    ['Zstandard', CompressionTypes.ZSTD, [0x28, 0xb5, 0x2f, 0xfd]],
  ] as const)('%s compresses a batch into its standard frame and restores every byte', async (_name, type, magic) => {
    const codec = CompressionCodecs[type]() as KafkaCodec;
    const compressed = await codec.compress({ buffer: batch });
    expect([...compressed.subarray(0, 4)]).toEqual(magic);
    expect(compressed.length).toBeLessThan(batch.length / 5);
    expect(Buffer.compare(await codec.decompress(compressed), batch)).toBe(0);
  });
});
