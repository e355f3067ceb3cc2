import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import { IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;

/** Issuer-scoped revoke / suspend / reinstate, with history; and the VC-API status endpoint. Prefix /credentials. */
export default async function credentialStatusRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { status } = services;

  app.post('/:id/status', {
    onRequest: app.authorize('revoke'),
    schema: {
      operationId: 'changeCredentialStatus',
      summary: 'Revoke, suspend or reinstate a credential, with a reason (recorded in its history)',
      tags: ['status'],
      security: [{ apiKey: [] }],
      params: IdParam,
      body: { $ref: 'StatusChangeRequest#' },
      response: { 200: { $ref: 'StatusChange#' }, 400: problem, 401: problem, 403: problem, 404: problem, 409: problem },
    },
    handler: async (request) => {
      const { action, reason } = request.body as { action: 'revoke' | 'suspend' | 'reinstate'; reason: string };
      return status.change(callerOf(request), (request.params as { id: string }).id, action, reason);
    },
  });

  app.get('/:id/status', {
    onRequest: app.authorize('revoke'),
    schema: {
      operationId: 'getCredentialStatus',
      summary: 'The current status of a credential and its append-only history',
      tags: ['status'],
      security: [{ apiKey: [] }],
      params: IdParam,
      response: { 200: { $ref: 'StatusHistory#' }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request) => status.history(callerOf(request), (request.params as { id: string }).id),
  });

  app.post('/status', {
    onRequest: app.authorize('revoke'),
    schema: {
      operationId: 'updateCredentialStatus',
      summary: 'VC-API (VCALM) status update: set or clear revocation or suspension',
      tags: ['status'],
      security: [{ apiKey: [] }],
      body: { $ref: 'VcApiStatusRequest#' },
      response: { 200: { $ref: 'StatusChange#' }, 400: problem, 401: problem, 403: problem, 404: problem, 409: problem },
    },
    handler: async (request) => {
      const body = request.body as { credentialId: string; credentialStatus: { statusPurpose: string }; status?: boolean; reason?: string };
      return status.setStatus(callerOf(request), {
        credentialId: body.credentialId,
        purpose: body.credentialStatus.statusPurpose,
        status: body.status ?? true,
        reason: body.reason,
      });
    },
  });
}
