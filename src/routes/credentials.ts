import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import { IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';
import { renderVerificationPage } from '../views/verification-page.js';
import { prefersHtml } from './negotiate.js';

const problem = { $ref: 'Problem#' } as const;
const VC_MEDIA_TYPE = 'application/vc+ld+json';
/** The page has no scripts: only its inline styles and badge images may load. */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const credentialContent = { content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } } };

export default async function credentialRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { issuance, verification } = services;

  app.post('/', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'issueCredential',
      summary: 'Issue a signed OpenBadgeCredential to one educator (the platform call after an assessor approves)',
      description:
        'Builds, validates, signs and records the credential, then returns it exactly as stored. Send an Idempotency-Key ' +
        'to make retries safe: the same key and body return the same credential; another body under that key is a 409.',
      tags: ['credentials'],
      security: [{ apiKey: [] }],
      headers: Type.Object({
        'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' })),
      }),
      body: { $ref: 'IssueRequest#' },
      response: {
        201: {
          description: 'The signed credential; Location is its public URL',
          headers: { location: { type: 'string' } },
          ...credentialContent,
        },
        400: problem,
        401: problem,
        403: problem,
        404: problem,
        409: problem,
        413: problem,
        415: problem,
        422: problem,
      },
    },
    handler: async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const issued = await issuance.issue(callerOf(request), request.body as never, typeof key === 'string' ? key : undefined);
      if (issued.replayed) void reply.header('idempotent-replayed', 'true');
      return reply.code(201).header('location', issued.url).type(VC_MEDIA_TYPE).send(issued.text);
    },
  });

  app.get('/:id', {
    config: { publicCors: true },
    schema: {
      operationId: 'getCredential',
      summary: 'The public credential URL: JSON for machines, a verification page for browsers',
      tags: ['credentials'],
      params: IdParam,
      response: {
        200: {
          description: 'The credential (Accept: application/json) or its verification page (Accept: text/html)',
          ...credentialContent,
        },
        404: problem,
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const stored = await issuance.get(id);
      void reply.header('vary', 'Accept');
      if (prefersHtml(request.headers.accept)) {
        const credential = JSON.parse(stored.text) as Record<string, unknown>;
        const report = await verification.verify(credential);
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('content-security-policy', PAGE_CSP)
          .header('x-content-type-options', 'nosniff')
          .header('referrer-policy', 'no-referrer')
          .send(
            renderVerificationPage({ credential, report, downloadUrl: `${request.url.split('?')[0]}/download`, checkedAt: new Date() }),
          );
      }
      return reply.type(VC_MEDIA_TYPE).send(stored.text);
    },
  });

  app.get('/:id/download', {
    config: { publicCors: true },
    schema: {
      operationId: 'downloadCredential',
      summary: 'The credential as a file to keep in a wallet (attachment)',
      tags: ['credentials'],
      params: IdParam,
      response: { 200: credentialContent, 404: problem },
    },
    handler: async (request, reply) => {
      const stored = await issuance.get((request.params as { id: string }).id);
      return reply
        .type(VC_MEDIA_TYPE)
        .header('content-disposition', `attachment; filename="credential-${stored.id}.json"`)
        .send(stored.text);
    },
  });
}
