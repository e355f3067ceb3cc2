import type { FastifyInstance } from 'fastify';
import { IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;

export default async function issuerRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { issuers } = services;

  app.get('/:id', {
    config: { publicCors: true },
    schema: {
      operationId: 'getIssuerProfile',
      summary: 'The OB 3.0 Profile of an issuer (public)',
      tags: ['issuers'],
      params: IdParam,
      response: { 200: { $ref: 'IssuerProfile#' }, 404: problem },
    },
    handler: async (request, reply) => {
      const issuer = await issuers.getIssuer((request.params as { id: string }).id);
      return reply.send(issuers.profileOf(issuer));
    },
  });

  app.get('/:id/did.json', {
    config: { publicCors: true },
    schema: {
      operationId: 'getIssuerDidDocument',
      summary: 'The did:web DID document of an issuer, listing every signing key it has used (public)',
      tags: ['issuers'],
      params: IdParam,
      response: { 200: { content: { 'application/did+json': { schema: { $ref: 'DidDocument#' } } } }, 404: problem },
    },
    handler: async (request, reply) => {
      const document = await issuers.didDocument((request.params as { id: string }).id);
      return reply.type('application/did+json').header('cache-control', 'public, max-age=300').send(JSON.stringify(document));
    },
  });
}
