// The OpenAPI document as clients fetch it: valid OpenAPI 3.1 (checked against the specification's
// own JSON Schemas), and a complete map of the router: one operation per route declaration, nothing
// more, with the parameters and error responses every client has to handle.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from '../testing/api-harness.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
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
});
