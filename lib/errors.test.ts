import { describe, expect, it } from 'vitest';
import { AppError, ERROR_STATUS, toErrorResponse } from './errors.js';

describe('error envelope', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');

  it('carries code, message, details, request id and timestamp', () => {
    const response = toErrorResponse(new AppError('INVALID_INPUT', 'Handle is taken', { details: { field: 'handle' } }), 'req-1', now);
    expect(response).toEqual({
      status: 400,
      headers: {},
      isExpected: true,
      body: { error: { code: 'INVALID_INPUT', message: 'Handle is taken', details: { field: 'handle' }, requestId: 'req-1', timestamp: '2026-01-02T03:04:05.000Z' } },
    });
  });

  it('hides unexpected errors behind INTERNAL_ERROR', () => {
    const response = toErrorResponse(new Error('connection string postgres://user:secret@db leaked'), 'req-2', now);
    expect(response.status).toBe(500);
    expect(response.isExpected).toBe(false);
    expect(response.body.error.code).toBe('INTERNAL_ERROR');
    expect(JSON.stringify(response.body)).not.toMatch(/secret|postgres/);
  });

  it('sends Retry-After for rate limits and unavailability', () => {
    expect(toErrorResponse(new AppError('RATE_LIMIT', 'slow down', { retryAfterSeconds: 12.2 }), 'r', now).headers).toEqual({ 'retry-after': '13' });
    expect(toErrorResponse(new AppError('UNAVAILABLE', 'bus down', { retryAfterSeconds: 0 }), 'r', now).headers).toEqual({ 'retry-after': '1' });
  });

  it('sends Allow with a 405', () => {
    const response = toErrorResponse(new AppError('METHOD_NOT_ALLOWED', 'use GET', { allowedMethods: ['GET', 'HEAD'] }), 'r', now);
    expect({ status: response.status, headers: response.headers }).toEqual({ status: 405, headers: { allow: 'GET, HEAD' } });
  });

  it('maps every code to its HTTP status', () => {
    for (const [code, status] of Object.entries(ERROR_STATUS)) {
      expect(new AppError(code as keyof typeof ERROR_STATUS, 'x').status).toBe(status);
    }
  });
});
