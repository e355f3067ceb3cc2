import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Problem } from '../errors.js';

export interface HealthOptions {
  /** Resolves when the database answers; rejects otherwise. */
  readonly ping: () => Promise<void>;
  /** Prometheus registry served at /metrics. */
  readonly metrics: { metrics(): Promise<string>; readonly contentType: string };
}

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

export default async function healthRoutes(app: FastifyInstance, { ping, metrics }: HealthOptions) {
  app.get('/healthz', {
    schema: { operationId: 'health', summary: 'Liveness: the process is up', tags: ['operations'], response: { 200: Status } },
    handler: async () => ({ status: 'ok' }),
  });
  app.get('/readyz', {
    schema: {
      operationId: 'ready',
      summary: 'Readiness: the database answers',
      tags: ['operations'],
      response: { 200: Status, 503: { $ref: 'Problem#' } },
    },
    handler: async () => {
      try {
        await ping();
      } catch {
        throw new Problem('service-unavailable', 'The database does not answer', undefined, { 'retry-after': '5' });
      }
      return { status: 'ready' };
    },
  });

  app.get('/metrics', {
    schema: {
      operationId: 'metrics',
      summary: 'Prometheus metrics: request rates and latencies, credentials issued, verifications by outcome, signing time',
      tags: ['operations'],
      response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
    handler: async (_request, reply) => reply.type(metrics.contentType).send(await metrics.metrics()),
  });
}
