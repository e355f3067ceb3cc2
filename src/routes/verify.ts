import type { FastifyInstance } from 'fastify';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;
const result = { $ref: 'VerificationResult#' } as const;

export default async function verifyRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.post('/verify', {
    config: { publicCors: true },
    schema: {
      operationId: 'verifyCredential',
      summary: 'Verify any Open Badges 3.0 or W3C verifiable credential (VC-API request shape)',
      description:
        'Checks shape, schema, issuer key, proof, validity dates and status, each with a readable reason. ' +
        '200 when it verifies, 422 when it does not (the body says why), 400 for a malformed request.',
      tags: ['verification'],
      body: { $ref: 'VerifyRequest#' },
      response: { 200: result, 422: result, 400: problem, 413: problem, 415: problem },
    },
    handler: async (request, reply) => {
      const { verifiableCredential } = request.body as { verifiableCredential: unknown };
      const report = await services.verification.verify(verifiableCredential);
      return reply.code(report.verified ? 200 : 422).send(report);
    },
  });
}
