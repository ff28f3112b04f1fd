// The OpenAPI document as clients fetch it: valid OpenAPI 3.1 (checked against the specification's
// own JSON Schemas), and a complete map of the router: one operation per route declaration, nothing
// more, with the parameters and error responses every client has to handle.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeApiRoutes } from '../app.js';
import { startApiHarness, type ApiHarness } from '../../server/testing/api-harness.js';
import { buildOpenApiDocument } from './openapi.js';
import { defineRoute } from './route.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: { sessionCookie: { name: string } } };
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

let harness: ApiHarness;
let document: OpenApiDocument;
let operations: { path: string; method: string; operation: Operation }[];

beforeAll(async () => {
  harness = await startApiHarness('openapi');
  const response = await harness.client().get<OpenApiDocument>('/api/v1/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = response.body;
  operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );
});
afterAll(async () => {
  await harness?.close();
});

describe('GET /api/v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    // The validator keeps what it is given; a copy leaves the fetched document untouched for the other tests.
    const result = await validator.validate(structuredClone(document) as unknown as Record<string, unknown>);
    if (!result.valid) {
      // Printed in full so a failure says which part of the document is wrong.
      throw new Error(`the OpenAPI document is invalid:\n${JSON.stringify(result.errors, null, 2)}`);
    }
    expect(validator.version).toBe('3.1');
    expect(document.openapi).toBe('3.1.0');
  });

  it('has exactly one operation per route, at the route’s path, with its operationId', () => {
    const missing: string[] = [];
    for (const route of harness.api.routes) {
      const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
      const operation = document.paths[path]?.[route.method];
      if (operation?.operationId !== route.operationId) missing.push(`${route.method.toUpperCase()} ${path} (${route.operationId}): found ${operation?.operationId ?? 'nothing'}`);
    }
    expect(missing).toEqual([]);
    expect(operations).toHaveLength(harness.api.routes.length);
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('declares every path parameter of every operation as a required path parameter', () => {
    const undeclared: string[] = [];
    for (const { path, method, operation } of operations) {
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
      const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
      for (const name of inPath) {
        if (!declared.some((parameter) => parameter.name === name && parameter.required === true)) undeclared.push(`${method.toUpperCase()} ${path}: {${name}}`);
      }
      // And nothing the path does not have: a declared path parameter that never appears cannot be sent.
      for (const parameter of declared) if (!inPath.includes(parameter.name)) undeclared.push(`${method.toUpperCase()} ${path}: extra ${parameter.name}`);
    }
    expect(undeclared).toEqual([]);
    // The check above has something to check: the API has routes with path parameters.
    expect(operations.some(({ path }) => path.includes('{'))).toBe(true);
  });

  it('declares a 429 response with the error envelope on every operation', () => {
    expect(document.components.schemas.ErrorEnvelope).toMatchObject({ type: 'object', required: ['error'] });
    const envelopeRef = '#/components/schemas/ErrorEnvelope';
    const lacking = operations
      .filter(({ operation }) => operation.responses['429']?.content?.['application/json']?.schema?.$ref !== envelopeRef)
      .map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(lacking).toEqual([]);
  });

  // The schema validator checks the document's shape, not where its references lead.
  it('resolves every $ref to a component schema that has content of its own', () => {
    const refs = new Set<string>();
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === '$ref' && typeof inner === 'string') refs.add(inner);
          else collect(inner);
        }
      }
    };
    collect(document);
    expect(refs.size).toBeGreaterThan(0);
    const broken = [...refs].filter((ref) => {
      const name = /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1];
      const target = name === undefined ? undefined : document.components.schemas[name];
      // A component that is nothing but a reference (to itself, or on to another) describes nothing.
      return target === undefined || (typeof target === 'object' && target !== null && Object.keys(target).join() === '$ref');
    });
    expect(broken).toEqual([]);
  });

  it('declares the 401 of a bad bearer token on every operation, public ones included', () => {
    const lacking = operations.filter(({ operation }) => operation.responses['401'] === undefined).map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(lacking).toEqual([]);
  });

  it('documents the analytics range parameters, whose schema parses them into a range', () => {
    const summary = document.paths['/api/v1/profiles/{profileId}/analytics/summary']?.get;
    expect(summary?.parameters?.map((parameter) => parameter.name)).toEqual(expect.arrayContaining(['from', 'to', 'compare', 'country', 'link']));
    const from = summary?.parameters?.find((parameter) => parameter.name === 'from');
    expect(JSON.stringify(from?.schema)).toContain('2000-01-01T00:00:00.000Z or later');
  });

  it('says of every string a request may carry that it holds no U+0000', () => {
    const strings: { where: string; schema: Record<string, unknown> }[] = [];
    const collect = (value: unknown, where: string): void => {
      if (Array.isArray(value)) value.forEach((item, index) => collect(item, `${where}/${index}`));
      else if (value && typeof value === 'object') {
        const object = value as Record<string, unknown>;
        if (object.type === 'string' && object.enum === undefined && object.format !== 'binary') strings.push({ where, schema: object });
        for (const [key, inner] of Object.entries(object)) collect(inner, `${where}/${key}`);
      }
    };
    for (const { path, method, operation } of operations) {
      for (const parameter of operation.parameters ?? []) collect(parameter.schema, `${method} ${path} ${parameter.name}`);
      collect(operation.requestBody, `${method} ${path} body`);
    }
    expect(strings.length).toBeGreaterThan(20);
    const allowingNul = strings.filter(({ schema }) => !JSON.stringify(schema.allOf ?? []).includes('{"not":{"pattern":"\\\\u0000"}}')).map(({ where }) => where);
    expect(allowingNul).toEqual([]);
  });
});

describe('building the document', () => {
  it('builds the same document from the route declarations alone, as the dashboard’s types are generated (scripts/generate-api-types.ts)', () => {
    const options = {
      version: document.info.version,
      serverUrl: document.servers[0]!.url,
      sessionCookieName: document.components.securitySchemes.sessionCookie.name,
    };
    const described = buildOpenApiDocument(describeApiRoutes({ maxUploadBytes: harness.config.assets.maxUploadBytes, document: options }), options);
    expect(described).toEqual(document);
  });

  it('refuses a refinement that does not say its rule: the document would promise what the API refuses', () => {
    const route = (body: z.ZodType) =>
      defineRoute({ method: 'post', path: '/x', operationId: 'x', summary: 'x', tag: 'x', access: 'public', body, responses: {}, handler: async () => ({ status: 204 }) });
    const options = { version: 'test', serverUrl: 'http://localhost', sessionCookieName: 'lp_session' };
    const odd = z.number().refine((value) => value % 2 === 1, 'must be odd');
    expect(() => buildOpenApiDocument([route(z.strictObject({ n: odd }))], options)).toThrow(/refinements without a description.*properties\/n/);
    expect(() => buildOpenApiDocument([route(z.strictObject({ n: odd.meta({ description: 'An odd number' }) }))], options)).not.toThrow();
  });
});

