import { describe, expect, it } from 'vitest';
import { allowList, isAllowed, methodNotAllowed } from './methods.js';

describe('Allow', () => {
  it('lists HEAD wherever GET is, upper case, in a stable order', () => {
    expect(allowList(['options', 'delete', 'get', 'patch'])).toEqual(['GET', 'HEAD', 'PATCH', 'DELETE', 'OPTIONS']);
    expect(allowList(['POST', 'OPTIONS'])).toEqual(['POST', 'OPTIONS']);
  });

  it('counts HEAD as GET and nothing else as allowed', () => {
    expect(isAllowed('HEAD', ['GET'])).toBe(true);
    expect(isAllowed('POST', ['GET'])).toBe(false);
    expect(isAllowed('HEAD', ['POST'])).toBe(false);
  });

  it('is carried by the 405 error', () => {
    expect(methodNotAllowed('PUT', ['get'])).toMatchObject({ code: 'METHOD_NOT_ALLOWED', status: 405, allowedMethods: ['GET', 'HEAD'] });
  });
});
