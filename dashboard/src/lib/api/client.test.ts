import { afterEach, describe, expect, it } from 'vitest';
import { UNREACHABLE, api, call, errorMessage, fieldErrors, setCsrfToken } from './client';

// Requests go to a stand-in fetch: the client itself, its middleware and call() are what is tested.
const baseUrl = 'http://localhost:3000';

afterEach(() => setCsrfToken(undefined));

describe('the API client', () => {
  it('sends the session’s CSRF token with a change, and not with a read', async () => {
    setCsrfToken('token-1');
    const seen: (string | null)[] = [];
    const fetch = async (request: Request) => {
      seen.push(request.headers.get('x-csrf-token'));
      return new Response(null, { status: 204 });
    };
    await api.POST('/api/v1/auth/logout', { baseUrl, fetch });
    await api.GET('/api/v1/profiles', { baseUrl, fetch });
    expect(seen).toEqual(['token-1', null]);
  });

  it('gives the data of an answer, and the API’s own message of a refusal', async () => {
    const answer = (status: number, body: unknown) => async () => Response.json(body, { status });
    const ok = await call(api.GET('/api/v1/handles/{handle}', { baseUrl, params: { path: { handle: 'ada' } }, fetch: answer(200, { handle: 'ada', available: true }) }));
    expect(ok).toEqual({ ok: true, status: 200, data: { handle: 'ada', available: true } });
    const envelope = { error: { code: 'CONFLICT', message: 'This handle is taken', requestId: 'r', timestamp: '2026-03-01T00:00:00Z' } };
    const refused = await call(api.POST('/api/v1/profiles', { baseUrl, body: { handle: 'ada', displayName: 'Ada' }, fetch: answer(409, envelope) }));
    expect(refused).toEqual({ ok: false, status: 409, message: 'This handle is taken', fields: {} });
  });

  it('describes a refusal without an envelope (a proxy’s page) and a request that got no answer', async () => {
    const proxy = async () => new Response('<html>Bad gateway</html>', { status: 502 });
    expect(await call(api.GET('/api/v1/profiles', { baseUrl, fetch: proxy }))).toEqual({ ok: false, status: 502, message: 'The request failed (HTTP 502)', fields: {} });
    const offline = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await call(api.GET('/api/v1/profiles', { baseUrl, fetch: offline }))).toEqual({ ok: false, status: 0, message: UNREACHABLE, fields: {} });
    expect(errorMessage(400, { error: { message: 42 } })).toBe('The request failed (HTTP 400)');
  });

  it('gives each refused field its own message, by the field’s name, the first one per field', async () => {
    const envelope = {
      error: {
        code: 'INVALID_INPUT',
        message: 'The request is invalid',
        details: { fields: [{ field: 'body.password', message: 'use at least 12 characters' }, { field: 'body.password', message: 'second' }, { field: 'body.email', message: 'expected an email address' }] },
      },
    };
    const refused = await call(api.POST('/api/v1/auth/signup', { baseUrl, body: { email: 'x', password: 'y' }, fetch: async () => Response.json(envelope, { status: 400 }) }));
    expect(refused).toMatchObject({ ok: false, status: 400, fields: { password: 'use at least 12 characters', email: 'expected an email address' } });
    expect(fieldErrors({ error: { details: { fields: [{ field: 7 }, 'x', null] } } })).toEqual({});
    expect(fieldErrors('not json')).toEqual({});
  });

  it('lets an aborted request throw: its caller has moved on', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(call(api.GET('/api/v1/profiles', { baseUrl, signal: controller.signal }))).rejects.toThrow(/abort/i);
  });
});
