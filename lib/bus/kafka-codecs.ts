// Kafka's LZ4 and Zstandard codecs for kafkajs, which ships only gzip. Registered once for the whole
// process: a consumer must decompress whatever codec a producer chose, so every Kafka bus registers
// both, whatever its own KAFKA_COMPRESSION.
//
// LZ4: lz4-napi (lz4_flex, prebuilt binaries in its npm packages), the standard LZ4 frame format Kafka
// expects since message format v1 (KIP-57), compressed on libuv's thread pool like gzip.
// Zstandard: @bokuweb/zstd-wasm (WebAssembly, no native build), level 3 as Kafka's Java client uses
// by default; it runs on the calling thread, which is why bench/README.md measures it under load.
import { compress as zstdCompress, decompress as zstdDecompress, init as initZstd } from '@bokuweb/zstd-wasm';
import kafkajs from 'kafkajs';
import { compressFrame, decompressFrame } from 'lz4-napi';

// kafkajs is CommonJS whose CompressionCodecs Node's ESM loader cannot see as a named export.
const { CompressionCodecs, CompressionTypes } = kafkajs;

const ZSTD_LEVEL = 3;

/** kafkajs's codec contract: it passes its encoder (the batch's bytes in `.buffer`) to compress. */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const lz4: KafkaCodec = {
  compress: (encoder) => compressFrame(encoder.buffer),
  decompress: (buffer) => decompressFrame(buffer),
};

let zstdReady: Promise<void> | undefined;
const zstd: KafkaCodec = {
  async compress(encoder) {
    await (zstdReady ??= initZstd());
    return Buffer.from(zstdCompress(encoder.buffer, ZSTD_LEVEL));
  },
  async decompress(buffer) {
    await (zstdReady ??= initZstd());
    return Buffer.from(zstdDecompress(buffer));
  },
};

let registered = false;

/** Makes kafkajs produce and read LZ4 and Zstandard batches (idempotent). */
export function registerKafkaCodecs(): void {
  if (registered) return;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstd;
  registered = true;
}
