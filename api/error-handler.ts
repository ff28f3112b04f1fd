// Express's end of the error envelope: AppErrors keep their code (bodies are read by the route
// layer, which throws them: http/json-body.ts, http/upload.ts), an unreachable database UNAVAILABLE
// (503 with Retry-After: clients should retry, nothing was changed), anything else INTERNAL_ERROR
// (logged, never shown).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, notFound } from '../lib/errors.js';
import { requestIdOf } from '../lib/http/request-context.js';
import { sendError } from '../lib/http/responses.js';
import type { Logger } from '../lib/logger.js';
import { isDatabaseUnavailable } from '../lib/postgres/database.js';

const DATABASE_RETRY_SECONDS = 5;

export const notFoundHandler: RequestHandler = (request, _response, next) => {
  next(notFound(`No API route for ${request.method} ${request.path}`));
};

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    let mapped = error;
    if (isDatabaseUnavailable(error)) {
      logger.warn({ err: error, requestId: requestIdOf(request) }, 'PostgreSQL unavailable; answering 503');
      mapped = new AppError('UNAVAILABLE', 'The database is unavailable; retry shortly', { retryAfterSeconds: DATABASE_RETRY_SECONDS, cause: error });
    }
    sendError(request, response, mapped, logger);
  };
}
