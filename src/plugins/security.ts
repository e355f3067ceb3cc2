/**
 * Abuse limits and security headers. Rate limits are per API key (for authenticated calls) and per client
 * address (for the rest), counted in each instance's memory: with N instances behind a balancer the effective
 * limit is up to N times the configured one (README). Health and metrics endpoints are not limited.
 * Headers: helmet's defaults (nosniff, frame denial, HSTS on https, no referrer leaks); the HTML pages set their
 * own strict CSP, and the API reference at /docs has the CSP of @fastify/swagger-ui.
 */
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../errors.js';

export interface SecurityOptions {
  readonly perAddressPerMinute: number;
  readonly perKeyPerMinute: number;
  readonly https: boolean;
}

const UNLIMITED = new Set(['/healthz', '/readyz', '/metrics']);

export default fp(
  async function security(app: FastifyInstance, options: SecurityOptions) {
    await app.register(helmet, {
      global: true,
      contentSecurityPolicy: false,
      crossOriginResourcePolicy: { policy: 'cross-origin' }, // public credentials and lists are read from other sites
      strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
    });
    // Only a valid key gets its own bucket; anything else (no key, a made-up one) counts against the address.
    const keyOf = async (request: FastifyRequest) => {
      const caller = await app.identifyCaller(request);
      return caller === null ? `ip:${request.ip}` : `key:${caller.apiKeyId}`;
    };
    await app.register(rateLimit, {
      global: true,
      timeWindow: 60_000,
      keyGenerator: keyOf,
      max: async (_request, key) => (key.startsWith('key:') ? options.perKeyPerMinute : options.perAddressPerMinute),
      allowList: (request) => UNLIMITED.has(request.url.split('?')[0]!),
      errorResponseBuilder: (_request, context) =>
        new Problem(
          'too-many-requests',
          `Rate limit of ${context.max} requests per minute reached; retry in ${Math.ceil(context.ttl / 1000)} s`,
          undefined,
          {
            'retry-after': String(Math.ceil(context.ttl / 1000)),
          },
        ),
    });
  },
  { name: 'security', dependencies: ['auth'] },
);
