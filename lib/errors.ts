// The error catalogue and the one JSON envelope every API error uses:
// {"error":{"code","message","details","requestId","timestamp"}}.
// Throw these from any layer; the HTTP edge maps them with toErrorResponse(). Anything that is not an
// AppError becomes INTERNAL_ERROR with a generic message (the real error is logged, never sent).

export const ERROR_STATUS = {
  AUTH_FAILED: 401,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INVALID_INPUT: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  GONE: 410,
  UNPROCESSABLE: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMIT: 429,
  UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Seconds; sent as Retry-After with RATE_LIMIT and UNAVAILABLE. */
  retryAfterSeconds?: number;
  /** The methods the resource does answer; sent as Allow with METHOD_NOT_ALLOWED. */
  allowedMethods?: readonly string[];
}

export class AppError extends Error {
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly allowedMethods: readonly string[] | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.allowedMethods = options.allowedMethods;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (message = 'Not found') => new AppError('NOT_FOUND', message);

export interface ErrorEnvelope {
  error: {
    code: ErrorCode;
    message: string;
    details?: Record<string, unknown>;
    requestId: string;
    timestamp: string;
  };
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorEnvelope;
  /** True when the error is ours to explain; false for unexpected errors that must be logged. */
  isExpected: boolean;
}

export function toErrorResponse(error: unknown, requestId: string, now = new Date()): ErrorResponse {
  const appError = error instanceof AppError ? error : undefined;
  const code: ErrorCode = appError?.code ?? 'INTERNAL_ERROR';
  const message = appError?.message ?? 'An unexpected error occurred. Quote the request id when reporting it.';
  const headers: Record<string, string> = {};
  if (appError?.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(appError.retryAfterSeconds)));
  if (appError?.allowedMethods !== undefined) headers.allow = appError.allowedMethods.join(', ');
  return {
    status: ERROR_STATUS[code],
    headers,
    isExpected: appError !== undefined && code !== 'INTERNAL_ERROR',
    body: {
      error: {
        code,
        message,
        ...(appError?.details === undefined ? {} : { details: appError.details }),
        requestId,
        timestamp: now.toISOString(),
      },
    },
  };
}
