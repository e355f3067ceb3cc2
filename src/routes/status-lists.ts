import type { FastifyInstance } from 'fastify';
import { IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';

/** Public, cacheable status list credentials. Prefix /status-lists. */
export default async function statusListRoutes(app: FastifyInstance, { services }: { services: Services }) {
  app.get('/:id', {
    config: { publicCors: true },
    schema: {
      operationId: 'getStatusList',
      summary: 'A signed BitstringStatusListCredential (public; ETag and a short max-age so a CDN can serve it)',
      tags: ['status'],
      params: IdParam,
      response: {
        200: { content: { 'application/vc+ld+json': { schema: { $ref: 'VerifiableCredential#' } } } },
        304: { description: 'Not modified', type: 'null' },
        404: { $ref: 'Problem#' },
      },
    },
    handler: async (request, reply) => {
      const list = await services.status.signedList((request.params as { id: string }).id);
      void reply
        .header('etag', list.etag)
        .header('cache-control', `public, max-age=${services.status.ttlSeconds}, must-revalidate`)
        .header('vary', 'Accept-Encoding');
      if (etagMatches(request.headers['if-none-match'], list.etag)) return reply.code(304).send();
      return reply.type('application/vc+ld+json').send(list.text);
    },
  });
}

/** RFC 9110 §13.1.2: If-None-Match is `*` or a list of (possibly weak) entity tags, compared weakly. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
