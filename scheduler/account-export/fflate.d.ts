// fflate 0.7 ships types, but its package.json "exports" does not point at them, so NodeNext module
// resolution cannot find them. The parts used here, as lib/index.d.ts declares them.
declare module 'fflate' {
  export type FlateStreamHandler = (error: Error | null, data: Uint8Array, final: boolean) => void;

  export interface ZipInputFile {
    filename: string;
    size: number;
    crc: number;
    compression: number;
    mtime?: Date | string | number;
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

  /** An entry deflated on the calling thread. */
  export class ZipDeflate implements ZipInputFile {
    constructor(filename: string, options?: { level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 });
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
