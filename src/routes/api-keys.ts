import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import type { Scope } from '../schemas/api-key.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;
const KeyId = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }, { additionalProperties: false });

/** The issuer's own API keys (admin scope). Prefix /api-keys. */
export default async function apiKeyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { issuers } = services;
  const admin = app.authorize('admin');

  app.get('/', {
    onRequest: admin,
    schema: {
      operationId: 'listApiKeys',
      summary: "This issuer's API keys (never their secrets)",
      tags: ['administration'],
      security: [{ apiKey: [] }],
      response: { 200: Type.Array(Type.Ref('ApiKeyInfo')), 401: problem, 403: problem },
    },
    handler: async (request) => issuers.listApiKeyInfo(callerOf(request).issuerId),
  });

  app.post('/', {
    onRequest: admin,
    schema: {
      operationId: 'createApiKey',
      summary: 'Create an API key with chosen scopes and optional expiry (the key is shown once)',
      tags: ['administration'],
      security: [{ apiKey: [] }],
      body: { $ref: 'ApiKeyRequest#' },
      response: { 201: { $ref: 'CreatedApiKey#' }, 400: problem, 401: problem, 403: problem },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body as { name: string; scopes: Scope[]; expiresAt?: string };
      const options = { name: body.name, scopes: body.scopes, expiresAt: body.expiresAt ? new Date(body.expiresAt) : undefined };
      const key = await issuers.createApiKeyAudited(caller.issuerId, options, caller);
      return reply.code(201).send({ id: key.id, name: key.name, scopes: key.scopes, expiresAt: key.expiresAt, apiKey: key.apiKey });
    },
  });

  app.post('/:id/rotate', {
    onRequest: admin,
    schema: {
      operationId: 'rotateApiKey',
      summary: 'Replace a key with a new one of the same name and scopes; the old one stops now or after a grace period',
      tags: ['administration'],
      security: [{ apiKey: [] }],
      params: KeyId,
      body: { $ref: 'RotateRequest#' },
      response: { 201: { $ref: 'CreatedApiKey#' }, 400: problem, 401: problem, 403: problem, 404: problem, 409: problem },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const { id } = request.params as { id: string };
      const { graceSeconds } = (request.body ?? {}) as { graceSeconds?: number };
      const key = await issuers.rotateApiKey(caller.issuerId, id, graceSeconds ?? 0, caller);
      return reply.code(201).send({ id: key.id, name: key.name, scopes: key.scopes, expiresAt: key.expiresAt, apiKey: key.apiKey });
    },
  });

  app.delete('/:id', {
    onRequest: admin,
    schema: {
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key now',
      tags: ['administration'],
      security: [{ apiKey: [] }],
      params: KeyId,
      response: { 204: { description: 'Revoked', type: 'null' }, 401: problem, 403: problem, 404: problem, 409: problem },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const { id } = request.params as { id: string };
      await issuers.revokeOwnApiKey(caller.issuerId, id, caller);
      return reply.code(204).send();
    },
  });
}
