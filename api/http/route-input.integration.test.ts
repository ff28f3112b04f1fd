// What the route layer does with input no handler should see: any field of any route's schemas
// failing its check is a 400 naming it (never an exception from a rule that expected the parsed
// value), a string holding U+0000 is a 400 (PostgreSQL cannot store it), and a method a path does
// not have is a 405 with the path's methods in Allow.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { rawRequest } from '../../lib/testing/raw-http.js';
import { startApiHarness, type ApiClient, type ApiHarness } from '../../server/testing/api-harness.js';

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: { field: string }[] } };
}

let harness: ApiHarness;
let owner: ApiClient;
let token: string;

beforeAll(async () => {
  harness = await startApiHarness('route-input');
  owner = await harness.newUser();
  token = (await owner.post<{ token: string }>('/api/v1/tokens', { name: 'route-input', scopes: ['profiles:read', 'profiles:write', 'analytics:read'] })).body.token;
});
afterAll(async () => {
  await harness?.close();
});

/** The field names of an object schema (also behind a transform, as the analytics queries are). */
function fieldNames(schema: z.ZodType): string[] {
  const def = schema.def as { type: string; shape?: Record<string, unknown>; in?: z.ZodType };
  if (def.type === 'pipe' && def.in) return fieldNames(def.in);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

describe('route schemas', () => {
  it('report every wrong field as an issue, whatever their cross-field rules expect', () => {
    let checked = 0;
    for (const route of harness.api.routes) {
      for (const schema of [route.params, route.query, route.body]) {
        if (!schema) continue;
        // A string is wrong for nearly every field (dates, numbers, uuids, booleans, enums): each
        // field fails its own check, and no object-level rule may then read the raw value.
        for (const value of ['x', '', '2026-12-01']) {
          const input = Object.fromEntries(fieldNames(schema).map((name) => [name, value]));
          expect(() => schema.safeParse(input), `${route.method.toUpperCase()} ${route.path} with every field ${JSON.stringify(value)}`).not.toThrow();
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });
});

describe('U+0000 in a string', () => {
  it('is a 400 naming the field, in a body, a query and a path', async () => {
    const profile = await owner.newProfile();
    const bio = await owner.patch<ErrorBody>(`/api/v1/profiles/${profile.id}`, { bio: 'a\u0000b' });
    expect({ status: bio.status, fields: bio.body.error.details?.fields }).toEqual({ status: 400, fields: [{ field: 'body.bio', message: 'must not contain the character U+0000' }] });
    const created = await owner.post<ErrorBody>('/api/v1/profiles', { handle: 'nul-check', displayName: 'Nul\u0000' });
    expect(created.body.error.details?.fields?.map((field) => field.field)).toEqual(['body.displayName']);
    const browser = await owner.get<ErrorBody>(`/api/v1/profiles/${profile.id}/analytics/summary?browser=%00`);
    expect(browser.body.error.details?.fields?.map((field) => field.field)).toEqual(['query.browser']);
    const page = await harness.client().get<ErrorBody>('/api/v1/public/profiles/a%00b');
    expect({ status: page.status, fields: page.body.error.details?.fields?.map((field) => field.field) }).toEqual({ status: 400, fields: ['params.handle'] });
  });
});

describe('methods a path does not have', () => {
  // node:http, not fetch: fetch refuses to send TRACE.
  const call = (method: string, path: string) =>
    rawRequest(harness.url, `/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } }).then((response) => ({
      status: response.status,
      allow: response.headers.allow ?? null,
      body: response.body === '' ? undefined : (JSON.parse(response.body) as ErrorBody),
    }));

  it('answer 405 with the envelope and the methods in Allow', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/profiles', 'GET, HEAD, POST, OPTIONS'],
      ['PUT', '/profiles', 'GET, HEAD, POST, OPTIONS'],
      ['DELETE', '/openapi.json', 'GET, HEAD, OPTIONS'],
      ['POST', '/', 'GET, HEAD, OPTIONS'],
      ['PUT', '/profiles/00000000-0000-4000-8000-000000000000', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
      // The literal path wins over /links/:linkId (as in OpenAPI): not a PATCH of the link "order".
      ['PATCH', '/profiles/00000000-0000-4000-8000-000000000000/links/order', 'PUT, OPTIONS'],
    ] as const) {
      const response = await call(method, path);
      expect({ method, path, status: response.status, allow: response.allow, code: response.body?.error.code }).toEqual({ method, path, status: 405, allow, code: 'METHOD_NOT_ALLOWED' });
    }
  });

  it('leave OPTIONS answered with Allow, HEAD served wherever GET is, and unknown paths a 404', async () => {
    expect(await call('OPTIONS', '/profiles/00000000-0000-4000-8000-000000000000/links/order')).toEqual({ status: 204, allow: 'PUT, OPTIONS', body: undefined });
    expect((await call('HEAD', '/openapi.json')).status).toBe(200);
    expect((await call('HEAD', '/profiles')).status).toBe(200);
    const unknown = await call('DELETE', '/no-such-thing');
    expect({ status: unknown.status, code: unknown.body?.error.code, allow: unknown.allow }).toEqual({ status: 404, code: 'NOT_FOUND', allow: null });
    // Strict routing: a trailing slash is another path.
    expect((await call('DELETE', '/profiles/')).status).toBe(404);
  });

  it('are refused the same on the process’s own routes: /assets', async () => {
    const response = await rawRequest(harness.url, `/assets/${'a'.repeat(64)}`, { method: 'DELETE' });
    expect({ status: response.status, allow: response.headers.allow, code: (JSON.parse(response.body) as ErrorBody).error.code }).toEqual({
      status: 405,
      allow: 'GET, HEAD',
      code: 'METHOD_NOT_ALLOWED',
    });
  });
});
