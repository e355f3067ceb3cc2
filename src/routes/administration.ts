import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;

/** The audit trail and erasure requests (admin scope). */
export default async function administrationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const admin = app.authorize('admin');

  app.get('/audit-events', {
    onRequest: admin,
    schema: {
      operationId: 'listAuditEvents',
      summary: "This issuer's audit trail, newest first (append-only)",
      tags: ['administration'],
      security: [{ apiKey: [] }],
      querystring: Type.Object(
        {
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
          cursor: Type.Optional(Type.String({ maxLength: 20 })),
          action: Type.Optional(Type.String({ maxLength: 100, description: 'e.g. credential.issue, credential.revoke, apikey.rotate' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: { $ref: 'AuditEventList#' }, 400: problem, 401: problem, 403: problem },
    },
    handler: async (request) => {
      const { limit, cursor, action } = request.query as { limit: number; cursor?: string; action?: string };
      return services.audit.list(callerOf(request).issuerId, { limit, cursor, action });
    },
  });

  app.post('/recipients/erase', {
    onRequest: admin,
    schema: {
      operationId: 'eraseRecipient',
      summary: "Forget an educator's identifier for this issuer's credentials (they keep verifying and stay revocable)",
      tags: ['administration'],
      security: [{ apiKey: [] }],
      body: { $ref: 'ErasureRequest#' },
      response: { 200: { $ref: 'ErasureResult#' }, 400: problem, 401: problem, 403: problem },
    },
    handler: async (request) => {
      const { identity, identityType } = request.body as { identity: string; identityType?: string };
      return services.privacy.eraseRecipient(callerOf(request), identity, identityType);
    },
  });
}
