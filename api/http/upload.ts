// Receiving one uploaded file (multipart/form-data) into memory with hard limits, for routes that
// declare `upload`. Called by the handler, after authorisation: an unauthorised request is refused
// before a single byte of its file is buffered. Limits: one file of at most maxBytes (exactly maxBytes
// is accepted, one byte more is PAYLOAD_TOO_LARGE), a few short text fields, a bounded part count.
// A request that announces more than the file limit plus MULTIPART_OVERHEAD_BYTES is refused before
// multer reads a byte: multer reads (and discards) the rest of an oversized body before it answers.
import type { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import { AppError } from '../../lib/errors.js';
import { declaredLength } from '../../lib/http/read-body.js';
import { formatBytes } from '../../lib/format-bytes.js';

/**
 * What a form may add to its file: boundaries and part headers take a few hundred bytes in a
 * browser's upload; the rest is room for a long file name (busboy takes part headers up to 80 KiB)
 * and the few short text fields the limits below allow.
 */
export const MULTIPART_OVERHEAD_BYTES = 128 * 1024;

export interface UploadedFile {
  buffer: Buffer;
  size: number;
  /** As the client named it: for logs and the audit trail only, never trusted. */
  originalName: string;
  /** As the client declared it: never trusted either (the bytes decide). */
  declaredType: string;
}

export interface UploadLimits {
  field: string;
  maxBytes: number;
}

/** Why the multipart body was refused (for the audit log): the multer code, or 'malformed'. */
export class UploadRefused extends AppError {
  constructor(
    readonly reason: string,
    code: 'PAYLOAD_TOO_LARGE' | 'INVALID_INPUT',
    message: string,
  ) {
    super(code, message, { details: { reason } });
  }
}

function refusal(error: unknown, limits: UploadLimits): UploadRefused {
  if (error instanceof MulterError) {
    if (error.code === 'LIMIT_FILE_SIZE') {
      return new UploadRefused('file_too_large', 'PAYLOAD_TOO_LARGE', `The file is larger than ${formatBytes(limits.maxBytes)}: choose a smaller image, or shrink it first`);
    }
    if (error.code === 'LIMIT_FILE_COUNT' || error.code === 'LIMIT_UNEXPECTED_FILE') {
      return new UploadRefused(error.code.toLowerCase(), 'INVALID_INPUT', `Send exactly one file, in the field "${limits.field}"`);
    }
    return new UploadRefused(error.code.toLowerCase(), 'INVALID_INPUT', 'The form has too many or too long fields');
  }
  return new UploadRefused('malformed', 'INVALID_INPUT', 'The multipart body is malformed or incomplete');
}

export async function receiveUpload(request: Request, response: Response, limits: UploadLimits): Promise<UploadedFile> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limits.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    throw new UploadRefused('declared_too_large', 'PAYLOAD_TOO_LARGE', `The file is larger than ${formatBytes(limits.maxBytes)}: choose a smaller image, or shrink it first`);
  }
  const middleware = multer({
    storage: multer.memoryStorage(),
    limits: { files: 1, fileSize: limits.maxBytes, fields: 4, fieldNameSize: 64, fieldSize: 1024, parts: 5, headerPairs: 100 },
  }).single(limits.field);
  await new Promise<void>((resolve, reject) => {
    middleware(request, response, (error: unknown) => (error ? reject(refusal(error, limits)) : resolve()));
  });
  const file = request.file;
  if (!file) throw new UploadRefused('no_file', 'INVALID_INPUT', `Attach the image in the field "${limits.field}"`);
  return { buffer: file.buffer, size: file.size, originalName: file.originalname.slice(0, 200), declaredType: file.mimetype.slice(0, 100) };
}
