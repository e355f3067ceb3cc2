import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import { BatchItemsQuery } from '../schemas/batch.js';
import { IdempotencyHeaders, idempotencyKeyOf, IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;

export default async function batchRoutes(app: FastifyInstance, { services, bodyLimit }: { services: Services; bodyLimit: number }) {
  const { batches } = services;

  app.post('/', {
    onRequest: app.authorize('issue'),
    bodyLimit,
    schema: {
      operationId: 'createBatch',
      summary: 'Issue to a cohort: up to 10,000 issue requests, worked off in the background',
      description:
        'Checks the whole batch first (every request as POST /credentials checks it, distinct Idempotency-Keys, achievements ' +
        'this issuer may issue); nothing is stored unless all pass. Then answers 202 and issues in the background, on any ' +
        'instance: follow Location for progress and `itemsUrl` for per-item results. Each item issues once, also when a ' +
        'process dies mid-batch. Send an Idempotency-Key to make retrying this POST safe.',
      tags: ['batches'],
      security: [{ apiKey: [] }],
      headers: IdempotencyHeaders,
      body: { $ref: 'BatchRequest#' },
      response: {
        200: { description: 'Accepted earlier under this Idempotency-Key', $ref: 'BatchProgress#' },
        202: { description: 'Accepted; Location is the progress URL', headers: { location: { type: 'string' } }, $ref: 'BatchProgress#' },
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
      const created = await batches.create(callerOf(request), request.body as never, idempotencyKeyOf(request.headers));
      if (created.replayed) void reply.header('idempotent-replayed', 'true');
      return reply
        .code(created.replayed ? 200 : 202)
        .header('location', created.progress.url)
        .header('cache-control', 'no-store')
        .send({ ...created.progress, ...(created.webhookSecret !== undefined ? { webhookSecret: created.webhookSecret } : {}) });
    },
  });

  app.get('/:id', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'getBatch',
      summary: "A batch's progress: how many items are pending, issued and failed",
      tags: ['batches'],
      security: [{ apiKey: [] }],
      params: IdParam,
      response: { 200: { $ref: 'BatchProgress#' }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      return reply.header('cache-control', 'no-store').send(await batches.get(callerOf(request), id));
    },
  });

  app.get('/:id/items', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'listBatchItems',
      summary: 'Per-item results in submission order: the credential URL, or the problem that refused the item',
      tags: ['batches'],
      security: [{ apiKey: [] }],
      params: IdParam,
      querystring: BatchItemsQuery,
      response: { 200: { $ref: 'BatchItems#' }, 400: problem, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const query = request.query as { after?: number; limit?: number; state?: 'pending' | 'issued' | 'failed' };
      return reply.header('cache-control', 'no-store').send(await batches.items(callerOf(request), id, query));
    },
  });
}
