// The OpenAPI 3.1 document of /api/v1, generated from the route declarations (api/http/route.ts)
// and their zod schemas: the same objects that validate requests describe them. Schemas named with
// .meta({ id }) become components; everything else is inlined.
//
// The document may be stricter than the validation, never looser: every request it describes is
// accepted unless the data it names is missing or has changed (404, 409). What JSON Schema cannot
// say is said in the schema's .meta(): a refinement's keywords where they exist (minProperties,
// uniqueItems, not), and always a description (convert() refuses a refinement without one), and
// what only the request's two fields together decide (an analytics range) in the parameter's
// description.
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../../lib/errors.js';
import type { RouteSpec } from './route.js';
import { ErrorEnvelope } from './schemas.js';

type JsonObject = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Partial<Record<ErrorCode, string>> = {
  INVALID_INPUT: 'INVALID_INPUT: the request does not match the schema (details.fields lists each problem)',
  UNAUTHORIZED: 'UNAUTHORIZED / AUTH_FAILED: not signed in, bad credentials, or an invalid bearer token',
  FORBIDDEN: 'FORBIDDEN: not allowed (missing CSRF token or token scope, cross-site request, not an admin)',
  NOT_FOUND: 'NOT_FOUND: no such resource visible to the caller',
  CONFLICT: 'CONFLICT: a well-formed request the current data does not allow (a taken handle, a limit reached, a link order that is not the profile’s links, an image that is not yours, an analytics retention above the server’s maximum)',
  UNPROCESSABLE: 'UNPROCESSABLE: a well-formed value a rule refuses (a webhook URL that points at a private, loopback or metadata address; details.fields names the field and says why)',
  GONE: 'GONE: it existed, and is no longer available (an expired download link)',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE: the body exceeds the size limit',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE: send application/json',
  RATE_LIMIT: 'RATE_LIMIT: too many requests; see Retry-After and the RateLimit headers',
  INTERNAL_ERROR: 'INTERNAL_ERROR: an unexpected failure; quote the request id',
  UNAVAILABLE: 'UNAVAILABLE: a dependency is down; retry after Retry-After',
};

export interface OpenApiOptions {
  version: string;
  /** The public origin the API is served from. */
  serverUrl: string;
  sessionCookieName: string;
}

/**
 * zod → JSON Schema 2020-12 (OpenAPI 3.1's dialect). A .refine()/.superRefine() has no JSON Schema:
 * without a description the document would promise to accept what the check refuses, so a
 * refinement without one fails the build of the document (and its test). The check looks at the
 * schemas the document shows: .meta() makes a described copy whose parent, the bare refinement,
 * zod also visits.
 */
/** Request strings never hold U+0000 (route.ts refuses it: PostgreSQL's text cannot store it). */
const WITHOUT_NUL = { not: { pattern: '\\u0000' } };

function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const undescribed: { schema: z.core.$ZodType; path: string }[] = [];
  const parents = new Set<z.core.$ZodType>();
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: ({ zodSchema, jsonSchema, path }) => {
      if (zodSchema._zod.parent) parents.add(zodSchema._zod.parent);
      const isRefined = (zodSchema._zod.def.checks ?? []).some((check) => check._zod.def.check === 'custom');
      if (isRefined && jsonSchema.description === undefined) undescribed.push({ schema: zodSchema, path: path.join('/') || '(top)' });
      if (io === 'input' && jsonSchema.type === 'string' && jsonSchema.enum === undefined && !jsonSchema.allOf?.includes(WITHOUT_NUL)) {
        jsonSchema.allOf = [...(jsonSchema.allOf ?? []), WITHOUT_NUL];
      }
    },
  }) as JsonObject;
  const missing = undescribed.filter((entry) => !parents.has(entry.schema));
  if (missing.length > 0) throw new Error(`refinements without a description (say the rule with .meta({ description })) at: ${missing.map((entry) => entry.path).join(', ')}`);
  return json;
}

/** The fields of an object schema, also when a transform follows it (a query resolved after parsing). */
function fieldsOf(schema: z.ZodType | undefined): Record<string, z.ZodType> {
  if (schema instanceof z.ZodPipe) return fieldsOf(schema.in as z.ZodType);
  return schema instanceof z.ZodObject ? schema.shape : {};
}

export function buildOpenApiDocument(routes: readonly RouteSpec[], options: OpenApiOptions): JsonObject {
  const components: Record<string, JsonObject> = {};

  /** zod → JSON Schema, with named schemas moved to components. */
  const convert = (schema: z.ZodType, io: 'input' | 'output'): JsonObject => {
    const json = toJsonSchema(schema, io);
    delete json.$schema;
    const defs = (json.$defs ?? {}) as Record<string, JsonObject>;
    delete json.$defs;
    const rewrite = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (value && typeof value === 'object') {
        const object = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrite(inner)]));
        if (typeof object.$ref === 'string') object.$ref = object.$ref.replace('#/$defs/', '#/components/schemas/');
        return object;
      }
      return value;
    };
    // Named schemas are response shapes (output); request bodies are inlined.
    for (const [name, def] of Object.entries(defs)) components[name] ??= rewrite(def) as JsonObject;
    return rewrite(json) as JsonObject;
  };

  const parameters = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    return Object.entries(fieldsOf(schema)).map(([name, field]) => ({
      name,
      in: where,
      required: where === 'path' || !field.safeParse(undefined).success,
      schema: convert(field, 'input'),
    }));
  };

  const errorResponse = (codes: ErrorCode[]) => ({
    description: codes.map((code) => ERROR_DESCRIPTIONS[code] ?? code).join('; '),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
  });

  const paths: Record<string, Record<string, JsonObject>> = {};
  for (const route of routes) {
    const path = `/api/v1${route.path.replace(/:(\w+)/g, '{$1}')}`;
    const responses: Record<string, JsonObject> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.contentTypes
          ? // A streamed answer with a schema (NDJSON) describes one line of it; a file without one is a string.
            { content: Object.fromEntries(response.contentTypes.map((type) => [type, { schema: response.schema ? convert(response.schema, 'output') : { type: 'string' } }])) }
          : response.schema
            ? { content: { 'application/json': { schema: convert(response.schema, 'output') } } }
            : {}),
      };
    }
    // Any request carrying a bad bearer token is refused (401), whatever the route's access.
    const errors: ErrorCode[][] = [['INVALID_INPUT'], ['UNAUTHORIZED'], ['RATE_LIMIT'], ['INTERNAL_ERROR'], ['UNAVAILABLE']];
    if (route.access !== 'public' || route.method !== 'get') errors.push(['FORBIDDEN']);
    if (route.params || route.path.includes(':')) errors.push(['NOT_FOUND']);
    if (route.body || route.upload) errors.push(['PAYLOAD_TOO_LARGE'], ['UNSUPPORTED_MEDIA_TYPE'], ['CONFLICT']);
    for (const code of route.errors ?? []) errors.push([code]);
    for (const codes of errors) responses[String(ERROR_STATUS[codes[0]!])] ??= errorResponse(codes);

    const security =
      route.access === 'public' ? [] : route.access === 'user' ? [{ sessionCookie: [] }, { bearerToken: [route.scope].filter(Boolean) }] : [{ sessionCookie: [] }];
    (paths[path] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      security,
      parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: convert(route.body, 'input') } } } } : {}),
      ...(route.upload
        ? {
            requestBody: {
              required: true,
              content: {
                'multipart/form-data': {
                  schema: {
                    type: 'object',
                    required: [route.upload.field],
                    properties: { [route.upload.field]: { type: 'string', format: 'binary', minLength: 1, description: route.upload.description } },
                    additionalProperties: false,
                  },
                  encoding: { [route.upload.field]: { contentType: route.upload.contentTypes.join(', ') } },
                },
              },
            },
          }
        : {}),
      responses,
      ...(route.scope ? { 'x-token-scope': route.scope } : {}),
    };
  }
  // Converting a schema with a meta id registers it as a component and returns only a $ref to it:
  // assigning that $ref back to the component would make ErrorEnvelope a reference to itself.
  convert(ErrorEnvelope, 'output');

  return {
    openapi: '3.1.0',
    info: {
      title: 'Linkpulse API',
      version: options.version,
      description:
        'JSON API of Linkpulse. Browser sessions use the session cookie and must send X-CSRF-Token (from /auth/me or /auth/login) ' +
        'with every state-changing request from the same origin; scripts use personal access tokens (Authorization: Bearer). ' +
        'Every error has the same envelope. Rate limits are announced in the RateLimit and RateLimit-Policy headers. ' +
        'A method a path does not have is a 405 with Allow. JSON bodies may be 32 KB; a larger Content-Length is refused (413) before the body is read. ' +
        'No request string may hold U+0000. Date-times are RFC 3339 with Z or an offset; every date-time in a response is UTC with a four-digit year.',
    },
    servers: [{ url: options.serverUrl }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: options.sessionCookieName },
        bearerToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (lp_pat_…) from POST /api/v1/tokens' },
      },
    },
  };
}
