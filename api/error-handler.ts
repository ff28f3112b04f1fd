// Express's end of the error envelope: AppErrors keep their code, body-parser failures become
// INVALID_INPUT / PAYLOAD_TOO_LARGE / UNSUPPORTED_MEDIA_TYPE, an unreachable database UNAVAILABLE
// (503 with Retry-After: clients should retry, nothing was changed), anything else INTERNAL_ERROR
// (logged, never shown).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, notFound } from '../lib/errors.js';
import { requestIdOf } from '../lib/http/request-context.js';
import { sendError } from '../lib/http/responses.js';
import type { Logger } from '../lib/logger.js';
import { isDatabaseUnavailable } from '../lib/postgres/database.js';

const BODY_PARSER_ERRORS: Record<string, () => AppError> = {
  'entity.parse.failed': () => new AppError('INVALID_INPUT', 'The request body is not valid JSON'),
  'entity.too.large': () => new AppError('PAYLOAD_TOO_LARGE', 'The request body is too large'),
  'encoding.unsupported': () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported content encoding'),
  'charset.unsupported': () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported charset'),
  'request.aborted': () => new AppError('INVALID_INPUT', 'The request was aborted'),
};

const DATABASE_RETRY_SECONDS = 5;

export const notFoundHandler: RequestHandler = (request, _response, next) => {
  next(notFound(`No API route for ${request.method} ${request.path}`));
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const type = typeof error === 'object' && error !== null && 'type' in error ? String(error.type) : '';
    let mapped = BODY_PARSER_ERRORS[type]?.() ?? error;
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, requestId: requestIdOf(request) }, 'PostgreSQL unavailable; answering 503');
      mapped = new AppError('UNAVAILABLE', 'The database is unavailable; retry shortly', { retryAfterSeconds: DATABASE_RETRY_SECONDS, cause: error });
    }
    sendError(request, response, mapped, logger);
  };
}
