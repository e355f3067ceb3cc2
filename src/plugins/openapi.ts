/**
 * OpenAPI from the route schemas: each shared schema is a component named by its `$id`, so `openapi.yaml` is
 * generated, never written by hand (`npm run openapi`; a test fails on drift). The interactive reference is at /docs.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export default fp(
  async function openapi(app: FastifyInstance, options: { publicUrl: string; version: string }) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Educator micro-credential issuance service',
          version: options.version,
          description:
            'Issue, record and verify educator micro-credentials as Open Badges 3.0 verifiable credentials. ' +
            'Errors are RFC 9457 application/problem+json.',
        },
        servers: [{ url: options.publicUrl }],
        components: {
          securitySchemes: {
            apiKey: { type: 'http', scheme: 'bearer', description: 'Issuer API key (mck_…)' },
            obOAuth2: {
              type: 'http',
              scheme: 'bearer',
              description:
                'Open Badges API: an OAuth 2.0 access token (oba_…) from /ims/ob/v3p0/oauth/token; its scopes are in /ims/ob/v3p0/discovery',
            },
          },
        },
        tags: [
          { name: 'credentials', description: 'Issue and read credentials' },
          { name: 'verification', description: 'Verify any credential' },
          { name: 'status', description: 'Revocation, suspension and status lists' },
          { name: 'catalogue', description: 'Achievement definitions' },
          { name: 'issuers', description: 'Issuer profiles and DID documents' },
          { name: 'administration', description: 'API keys, audit trail, erasure (admin scope)' },
          { name: 'operations', description: 'Health' },
          { name: 'open badges api', description: '1EdTech Open Badges 3.0 REST API for educators’ hosts and wallets (OAuth 2.0)' },
        ],
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  },
  { name: 'openapi', dependencies: [] },
);
