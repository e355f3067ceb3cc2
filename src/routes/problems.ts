import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Problem, problemTypes, type ProblemSlug } from '../errors.js';

/** Problem type URIs resolve to their description, as RFC 9457 recommends. */
export default async function problemRoutes(app: FastifyInstance) {
  app.get('/:slug', {
    schema: {
      operationId: 'getProblemType',
      summary: 'Describes one problem type',
      tags: ['operations'],
      params: Type.Object({ slug: Type.String({ pattern: '^[a-z-]{1,64}$' }) }),
      response: {
        200: Type.Object({ type: Type.String(), title: Type.String(), status: Type.Integer() }, { additionalProperties: false }),
        404: { $ref: 'Problem#' },
      },
    },
    handler: async (request) => {
      const { slug } = request.params as { slug: string };
      if (!Object.hasOwn(problemTypes, slug)) throw new Problem('not-found', `No problem type ${slug}`);
      const { status, title } = problemTypes[slug as ProblemSlug];
      return { type: slug, title, status };
    },
  });
}
