// /api/v1/tokens: personal access tokens (managed from a signed-in session only, so a token can
// never mint or revoke tokens).
import { z } from 'zod';
import { SCOPES } from '../auth/auth-context.js';
import { defineRoute, type RouteSpec } from '../http/route.js';
import { Id, NOT_BLANK } from '../http/schemas.js';
import type { TokensService } from './tokens.service.js';

const ApiToken = z
  .object({
    id: z.uuid(),
    name: z.string(),
    prefix: z.string().describe('The first characters of the token, to tell tokens apart'),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    lastUsedAt: z.iso.datetime().nullable(),
    revokedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'ApiToken' });

export function tokenRoutes(service: TokensService): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/tokens',
      operationId: 'listTokens',
      summary: 'List personal access tokens (never their secrets)',
      tag: 'tokens',
      access: 'session',
      responses: { 200: { description: 'Tokens, newest first', schema: z.object({ tokens: z.array(ApiToken) }) } },
      async handler({ auth }) {
        return { status: 200, body: { tokens: await service.list(auth.userId) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/tokens',
      operationId: 'createToken',
      summary: 'Create a personal access token; the secret is in this response only',
      tag: 'tokens',
      access: 'session',
      body: z.strictObject({
        name: z.string().trim().min(1).max(100).meta({ pattern: NOT_BLANK }),
        scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length),
        expiresInDays: z.number().int().min(1).max(366).optional(),
      }),
      responses: {
        201: {
          description: 'Created',
          schema: ApiToken.extend({ token: z.string().describe('Send as Authorization: Bearer <token>') }),
        },
      },
      async handler({ request, auth, body }) {
        return { status: 201, body: await service.create(request, auth.userId, body) };
      },
    }),
    defineRoute({
      method: 'delete',
      path: '/tokens/:tokenId',
      operationId: 'revokeToken',
      summary: 'Revoke a token; it stops working at once',
      tag: 'tokens',
      access: 'session',
      params: z.strictObject({ tokenId: Id }),
      responses: { 204: { description: 'Revoked' } },
      async handler({ request, auth, params }) {
        await service.revoke(request, auth.userId, params.tokenId);
        return { status: 204 };
      },
    }),
  ];
}
