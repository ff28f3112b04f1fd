// fflate 0.7 ships types, but its package.json "exports" does not point at them, so NodeNext module
// resolution cannot find them. The parts used here, as lib/index.d.ts declares them.
declare module 'fflate' {
  export type FlateStreamHandler = (error: Error | null, data: Uint8Array, final: boolean) => void;

  /** An entry: Zip.add() sets its ondata, which the entry calls with its (compressed) bytes; crc and size are of the uncompressed bytes, right once the final chunk is reported. */
  export interface ZipInputFile {
    filename: string;
    size: number;
    crc: number;
    /** 0 stored, 8 deflated. */
    compression: number;
    mtime?: Date | string | number;
    ondata?: FlateStreamHandler;
  }

  /** An entry stored as it is. */
  export class ZipPassThrough implements ZipInputFile {
    constructor(filename: string);
    filename: string;
    size: number;
    crc: number;
    compression: number;
    mtime?: Date | string | number;
    push(chunk: Uint8Array, final?: boolean): void;
  }

  /** A ZIP archive written as entries are added; `handler` receives its bytes in order. */
  export class Zip {
    constructor(handler?: FlateStreamHandler);
    add(file: ZipInputFile): void;
    end(): void;
    terminate(): void;
  }

  /** Every entry of a whole archive, by name (tests). */
  export function unzipSync(data: Uint8Array): Record<string, Uint8Array>;
  export function strFromU8(data: Uint8Array): string;
}
