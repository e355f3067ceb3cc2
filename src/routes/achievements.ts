import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { renderAchievementPage } from '../views/achievement-page.js';
import { prefersHtml } from './negotiate.js';
import { sendPage } from './pages.js';
import { callerOf } from '../plugins/auth.js';
import { IdParam } from '../schemas/common.js';
import type { Services } from '../services/index.js';

const problem = { $ref: 'Problem#' } as const;
const resource = { $ref: 'AchievementResource#' } as const;
const definition = { $ref: 'AchievementDefinition#' } as const;

export default async function achievementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { achievements } = services;

  app.post('/', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'createAchievement',
      summary: 'Publish a new achievement definition (version 1)',
      tags: ['catalogue'],
      security: [{ apiKey: [] }],
      body: definition,
      response: { 201: resource, 400: problem, 401: problem, 413: problem, 415: problem },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const created = await achievements.create(caller.issuerId, request.body as never, caller);
      return reply.code(201).header('location', created.url).send(created);
    },
  });

  app.post('/:id/versions', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'publishAchievementVersion',
      summary: 'Publish the next version of an achievement (published versions never change)',
      tags: ['catalogue'],
      security: [{ apiKey: [] }],
      params: IdParam,
      body: definition,
      response: { 201: resource, 400: problem, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      const caller = callerOf(request);
      const created = await achievements.publishVersion(caller.issuerId, id, request.body as never, caller);
      return reply.code(201).header('location', created.versionUrl).send(created);
    },
  });

  app.get('/', {
    config: { publicCors: true },
    schema: {
      operationId: 'listAchievements',
      summary: 'List the catalogue (latest versions, newest first)',
      tags: ['catalogue'],
      querystring: Type.Object(
        {
          issuer: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: "Only this issuer's achievements" })),
          limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
          cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor of the previous page' })),
        },
        { additionalProperties: false },
      ),
      response: { 200: { $ref: 'AchievementList#' }, 400: problem },
    },
    handler: async (request) => {
      const { issuer, limit, cursor } = request.query as { issuer?: string; limit: number; cursor?: string };
      return achievements.list({ issuerId: issuer, limit, cursor });
    },
  });

  const achievementJson = async (id: string, version?: number) => JSON.stringify((await achievements.get(id, version)).achievement);

  app.get('/:id', {
    config: { publicCors: true },
    schema: {
      operationId: 'getAchievement',
      summary: 'The OB 3.0 Achievement of the latest version, with its current endorsements (public); a page for browsers',
      tags: ['catalogue'],
      params: IdParam,
      response: { 200: { content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } }, 404: problem },
    },
    handler: async (request, reply) => {
      const { id } = request.params as { id: string };
      void reply.header('vary', 'Accept').header('link', `<${services.pages.recognitionsUrl(id)}>; rel="related"; type="application/json"`);
      if (prefersHtml(request.headers.accept)) return sendPage(reply, renderAchievementPage(await services.pages.achievementPage(id)));
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(await services.pages.achievementJson(id)));
    },
  });

  app.get('/:id/versions/:version', {
    config: { publicCors: true },
    schema: {
      operationId: 'getAchievementVersion',
      summary: 'The OB 3.0 Achievement JSON of one version (public)',
      tags: ['catalogue'],
      params: Type.Object({ id: IdParam.properties.id, version: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }),
      response: {
        200: { content: { 'application/json': { schema: Type.Object({}, { additionalProperties: true }) } } },
        400: problem,
        404: problem,
      },
    },
    handler: async (request, reply) => {
      const { id, version } = request.params as { id: string; version: number };
      return reply.type('application/json; charset=utf-8').send(await achievementJson(id, version));
    },
  });
}
