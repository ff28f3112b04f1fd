// One declaration per API route: method, path, schemas, who may call it. The same list builds the
// Express router (parsing and authorisation happen here, before a handler runs) and the OpenAPI
// document (api/http/openapi.ts), so the documentation cannot drift from what the code accepts.
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError, type ErrorCode } from '../../lib/errors.js';
import { allowList, methodNotAllowed } from '../../lib/http/methods.js';
import type { AuthContext, Scope, SessionAuth } from '../auth/auth-context.js';
import { readJsonBody } from './json-body.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Who may call a route:
 * - 'public': anyone;
 * - 'session': a signed-in browser session (account and token management: a token cannot mint tokens);
 * - 'user': a session, or a personal access token with `scope`;
 * - 'admin': a session of an admin.
 */
export type Access = 'public' | 'session' | 'user' | 'admin';

/**
 * The caller a route's handler receives, by its access: the route guard (RouteGuards.authorize) has
 * refused everyone else before the handler runs. A public route sees the caller when one happens to
 * be signed in; 'session' and 'admin' routes refuse access tokens, so their caller is a session.
 */
export type CallerOf<A extends Access> = A extends 'public' ? AuthContext | undefined : A extends 'user' ? AuthContext : SessionAuth;

export interface RouteResponse {
  description: string;
  /** The JSON body; with contentTypes, one line of a streamed application/x-ndjson answer. */
  schema?: z.ZodType;
  /** application/json unless given (e.g. text/csv for a streamed export). */
  contentTypes?: readonly string[];
}

export interface HandlerInput<P, Q, B, A extends Access = Access> {
  params: P;
  query: Q;
  body: B;
  auth: CallerOf<A>;
  request: Request;
  response: Response;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Written chunk by chunk instead of a JSON body, honouring back-pressure (exports, files from object storage). */
  stream?: AsyncIterable<string | Uint8Array>;
  headers?: Record<string, string>;
}

export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType, A extends Access = Access> {
  method: Method;
  /** Express syntax, relative to /api/v1: /profiles/:profileId */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: A;
  /** Required of personal access tokens when access is 'user'. */
  scope?: Scope;
  /** Counted against the stricter per-IP limit of credential routes. */
  credentialRoute?: boolean;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * A multipart/form-data upload of one file in this field, which the handler receives with
   * receiveUpload() (after authorisation, so nobody unauthorised gets a file buffered).
   */
  upload?: {
    field: string;
    description: string;
    /** The file's media types, for the document (its bytes decide what is accepted). */
    contentTypes: readonly string[];
  };
  responses: Record<number, RouteResponse>;
  /** Refusals the document must name beyond the ones every route of its kind has (a 404 of a route without an id in its path). */
  errors?: readonly ErrorCode[];
  handler(input: HandlerInput<z.output<P>, z.output<Q>, z.output<B>, A>): Promise<Reply>;
}

/**
 * Keeps each route's handler typed by its own schemas and access while collecting routes in one
 * list. The router keeps the promises of those types: it parses with the route's schemas and
 * authorizes the caller for its access before it calls the handler (mountRoute).
 */
export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, A extends Access>(spec: RouteSpec<P, Q, B, A>): RouteSpec {
  return spec;
}

/** zod issues as the error envelope's details: one entry per field. */
function invalidInput(issues: readonly { path: readonly PropertyKey[]; message: string }[], where: 'body' | 'query' | 'params'): AppError {
  const fields = issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  return new AppError('INVALID_INPUT', `Invalid ${where === 'params' ? 'path parameter' : where}: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`, {
    details: { fields },
  });
}

/**
 * Where a value holds a string with U+0000: PostgreSQL's text cannot store that character (the
 * insert fails), so no field of any route takes it, and the document says so (openapi.ts).
 */
function pathsOfNulStrings(value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  if (typeof value === 'string') return value.includes('\u0000') ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item: unknown, index) => pathsOfNulStrings(item, [...path, index]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => pathsOfNulStrings(item, [...path, key]));
  return [];
}

function parse<T extends z.ZodType>(schema: T | undefined, value: unknown, where: 'body' | 'query' | 'params'): unknown {
  if (!schema) return undefined;
  const nul = pathsOfNulStrings(value);
  if (nul.length > 0) throw invalidInput(nul.map((path) => ({ path, message: 'must not contain the character U+0000' })), where);
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error.issues, where);
  return result.data;
}

export interface RouteGuards {
  /** Throws UNAUTHORIZED / FORBIDDEN when the caller may not use the route. */
  authorize(route: RouteSpec, request: Request): Promise<void>;
}

/** Writes each chunk, waiting for 'drain' when the socket's buffer is full; stops if the client left. */
async function writeStream(response: Response, chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
  for await (const chunk of chunks) {
    if (response.destroyed) return;
    if (!response.write(chunk)) await new Promise<void>((resolve) => response.once('drain', resolve).once('close', resolve));
  }
  response.end();
}

export interface MountOptions {
  guards: RouteGuards;
  /** Runs before the handlers of routes marked credentialRoute. */
  credentialLimiter: RequestHandler;
  /** Run before the handlers of routes that take an upload. */
  uploadLimiters: RequestHandler[];
}

const isEmpty = (value: unknown) => value === undefined || (typeof value === 'object' && value !== null && Object.keys(value).length === 0);

/**
 * Mounts every route, path by path, the most specific path first (spec order): a path's method
 * handlers, then its 405 for every other method (HEAD is served by the GET handler; OPTIONS is
 * answered with Allow). So PATCH /links/order is a 405, not the PATCH of /links/:linkId with an
 * invalid id. A path no route has falls through to the 404.
 */
export function mountRoutes(router: Router, routes: readonly RouteSpec[], options: MountOptions): void {
  const routesByPath = new Map<string, RouteSpec[]>();
  for (const route of routes) routesByPath.set(route.path, [...(routesByPath.get(route.path) ?? []), route]);
  for (const [path, pathRoutes] of [...routesByPath].sort(([a], [b]) => bySpecificity(a, b))) {
    for (const route of pathRoutes) mountRoute(router, route, options);
    const methods = [...pathRoutes.map((route) => route.method), 'options'];
    router.all(path, (request, response, next) => {
      if (request.method !== 'OPTIONS') return next(methodNotAllowed(request.method, methods));
      response.status(204).set({ Allow: allowList(methods).join(', '), 'Cache-Control': 'no-store' }).end();
    });
  }
}

function mountRoute(router: Router, route: RouteSpec, options: MountOptions): void {
  const handle = (request: Request, response: Response, next: NextFunction) => {
    (async () => {
      // Who may call comes first: nobody unauthorised gets a byte of their body read.
      await options.guards.authorize(route, request);
      if (route.body && !request.is('application/json')) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json');
      }
      if (route.upload && !request.is('multipart/form-data')) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', `Send the file as multipart/form-data in the field "${route.upload.field}"`);
      }
      // An upload is read by its handler (receiveUpload), every other body here.
      const body = route.upload ? undefined : await readJsonBody(request);
      // Routes without a query or body schema take none: unknown input is an error, not ignored.
      if (!route.query && !isEmpty(request.query)) throw new AppError('INVALID_INPUT', 'This endpoint takes no query parameters');
      if (!route.body && !isEmpty(body)) throw new AppError('INVALID_INPUT', 'This endpoint takes no request body');
      const reply = await route.handler({
        params: parse(route.params, request.params, 'params'),
        query: parse(route.query, request.query, 'query'),
        body: parse(route.body, body ?? {}, 'body'),
        // authorize() let through only a caller the route's access admits: what CallerOf promises.
        auth: request.auth,
        request,
        response,
      });
      response.status(reply.status).set({ 'Cache-Control': 'no-store', ...reply.headers });
      if (reply.stream) await writeStream(response, reply.stream);
      else if (reply.body === undefined) response.end();
      else response.json(reply.body);
    })().catch(next);
  };
  const limiters = [...(route.credentialRoute ? [options.credentialLimiter] : []), ...(route.upload ? options.uploadLimiters : [])];
  router[route.method](route.path, ...limiters, handle);
}

/**
 * Spec order of path templates: one with a literal segment comes before one with a parameter in its
 * place (/links/order before /links/:linkId), as OpenAPI matches concrete paths first. Templates of
 * different lengths never match the same path.
 */
function specificity(path: string): number[] {
  const segments = path.split('/');
  return [segments.length, ...segments.map((segment) => (segment.startsWith(':') ? 1 : 0))];
}
const bySpecificity = (a: string, b: string) => {
  const [left, right] = [specificity(a), specificity(b)];
  const index = left.findIndex((value, i) => value !== right[i]);
  return index === -1 ? 0 : left[index]! - right[index]!;
};

