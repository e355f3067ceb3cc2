import type { FastifyInstance, FastifyReply } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import { Problem } from '../errors.js';
import { IdempotencyHeaders, idempotencyKeyOf, IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';
import { renderVerificationPage } from '../views/verification-page.js';
import { jwtPreference, prefersHtml } from './negotiate.js';
import { sendPage } from './pages.js';

const problem = { $ref: 'Problem#' } as const;
const VC_MEDIA_TYPE = 'application/vc+ld+json';
const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';
const credentialContent = { content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } } };
const jwtContent = { [VC_JWT_MEDIA_TYPE]: { schema: { type: 'string', description: 'The VC-JWT (compact JWS)' } } };

export default async function credentialRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { issuance, verification, downloads } = services;

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
      headers: IdempotencyHeaders,
      body: { $ref: 'IssueRequest#' },
      response: {
        201: {
          description:
            "The signed credential; Location is its public URL. Claim-Url is the earner's private claim link (deliver it to " +
            'the educator; it expires at Claim-Expires, and Claim-Link-Id revokes it through DELETE /earner-links/{id})',
          headers: {
            location: { type: 'string' },
            'claim-url': { type: 'string' },
            'claim-expires': { type: 'string', format: 'date-time' },
            'claim-link-id': { type: 'string' },
          },
          content: { ...credentialContent.content, ...jwtContent },
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
      const issued = await issuance.issue(callerOf(request), request.body as never, idempotencyKeyOf(request.headers));
      if (issued.replayed) void reply.header('idempotent-replayed', 'true');
      if (issued.claimLink !== undefined) {
        void reply
          .header('claim-url', issued.claimLink.url)
          .header('claim-expires', issued.claimLink.expiresAt)
          .header('claim-link-id', issued.claimLink.id);
      }
      // format jwt: the VC-JWT (its JSON form stays at Location).
      if (issued.jwt !== undefined) return reply.code(201).header('location', issued.url).type(VC_JWT_MEDIA_TYPE).send(issued.jwt);
      return reply.code(201).header('location', issued.url).type(VC_MEDIA_TYPE).send(issued.text);
    },
  });

  app.post('/issue', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'issueVcApiCredential',
      summary: 'W3C VC-API: sign a credential the caller wrote, as the API key’s issuer',
      description:
        'For platforms that build their own credentials (VCDM 2.0 or 1.1; the W3C VC-API issuer test suites call this). The ' +
        'issuer in the credential must be the API key’s issuer (400 otherwise). We add id when absent, a revocation entry ' +
        '(VCDM 2.0), the proof contexts and the proof, and record it; an Open Badge is validated against the OB 3.0 schema ' +
        'first (422 listing the errors). An Idempotency-Key makes retries safe, as for POST /credentials.',
      tags: ['credentials'],
      security: [{ apiKey: [] }],
      headers: IdempotencyHeaders,
      body: { $ref: 'VcApiIssueRequest#' },
      response: {
        201: {
          description: 'The signed credential; Location is where it can be read',
          headers: { location: { type: 'string' } },
          content: { 'application/json': { schema: { $ref: 'VcApiIssueResponse#' } } },
        },
        400: problem,
        401: problem,
        403: problem,
        409: problem,
        413: problem,
        415: problem,
        422: problem,
      },
    },
    handler: async (request, reply) => {
      const issued = await issuance.issueGiven(callerOf(request), request.body as never, idempotencyKeyOf(request.headers));
      if (issued.replayed) void reply.header('idempotent-replayed', 'true');
      // The stored text, byte for byte, inside the VC-API envelope.
      return reply.code(201).header('location', issued.url).type('application/json').send(`{"verifiableCredential":${issued.text}}`);
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
          description:
            'The credential (Accept: application/json), its VC-JWT form when it was issued as one (Accept: application/vc+jwt), ' +
            'or its verification page (Accept: text/html)',
          content: { ...credentialContent.content, ...jwtContent },
        },
        404: problem,
        406: problem,
      },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const stored = await issuance.get(id);
      void reply.header('vary', 'Accept');
      if (prefersHtml(request.headers.accept)) {
        const credential = JSON.parse(stored.text) as Record<string, unknown>;
        const report = await verification.verify(credential);
        const base = request.url.split('?')[0]!;
        const { recognitions } = await services.programmes.recognitionsOfCredential(id, {});
        return sendPage(
          reply,
          renderVerificationPage({
            credential,
            report,
            downloadUrl: `${base}/download`,
            files: { png: `${base}/badge.png`, svg: `${base}/badge.svg`, pdf: `${base}/certificate.pdf` },
            uploadPageUrl: '/verify',
            recognitions,
            checkedAt: new Date(),
          }),
        );
      }
      // A signed credential never changes (its status lives in the status list): caches may keep it.
      const { prefersJwt, acceptsJson } = jwtPreference(request.headers.accept);
      if (prefersJwt && stored.jwt !== undefined) {
        return reply.type(VC_JWT_MEDIA_TYPE).header('cache-control', 'public, max-age=86400, immutable').send(stored.jwt);
      }
      if (prefersJwt && !acceptsJson) {
        throw new Problem('not-acceptable', 'This credential was not issued as a VC-JWT; ask for application/vc+ld+json');
      }
      return reply.type(VC_MEDIA_TYPE).header('cache-control', 'public, max-age=86400, immutable').send(stored.text);
    },
  });

  const artifact = (operationId: string, summary: string, type: string) => ({
    config: { publicCors: true },
    schema: {
      operationId,
      summary,
      description:
        'Made from the stored credential; the credential inside verifies on its own. 410 when the credential was revoked, 409 while suspended.',
      tags: ['credentials'],
      params: IdParam,
      response: {
        200: { description: summary, content: { [type]: { schema: { type: 'string', format: 'binary' } } } },
        404: problem,
        409: problem,
        410: problem,
      },
    },
  });
  const fileHeaders = (reply: FastifyReply, type: string, name: string) =>
    reply.type(type).header('cache-control', 'public, max-age=300').header('content-disposition', `inline; filename="${name}"`);

  app.get('/:id/badge.svg', {
    ...artifact('getBadgeSvg', 'The badge as an SVG image with the credential baked in (OB 3.0 baking)', 'image/svg+xml'),
    handler: async (request, reply) => {
      const { id, svg } = await downloads.badgeSvg((request.params as { id: string }).id);
      // An SVG is a document: it may not run or load anything, wherever it is opened.
      return fileHeaders(reply, 'image/svg+xml', `badge-${id}.svg`)
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
        .send(svg);
    },
  });

  app.get('/:id/badge.png', {
    ...artifact('getBadgePng', 'The badge as a PNG image with the credential baked in (iTXt openbadgecredential)', 'image/png'),
    handler: async (request, reply) => {
      const { id, png } = await downloads.badgePng((request.params as { id: string }).id);
      return fileHeaders(reply, 'image/png', `badge-${id}.png`).send(png);
    },
  });

  app.get('/:id/certificate.pdf', {
    ...artifact(
      'getCertificate',
      'A printable PDF certificate with a QR code of the verification URL; the credential is attached',
      'application/pdf',
    ),
    handler: async (request, reply) => {
      const { id, pdf } = await downloads.certificate((request.params as { id: string }).id);
      return fileHeaders(reply, 'application/pdf', `certificate-${id}.pdf`).send(pdf);
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
