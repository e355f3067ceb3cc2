/**
 * Programmes: stack progress and awards, recognitions, endorsements and completion reports.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import { Problem } from '../errors.js';
import type { Services } from '../services/index.js';
import { completionsCsv, type RecognitionInput } from '../services/programmes.js';

const problem = { $ref: 'Problem#' } as const;
const VC_MEDIA_TYPE = 'application/vc+ld+json';
const AchievementIdParam = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) }, { additionalProperties: false });
const UuidParam = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });
const Day = Type.String({ format: 'date' });
type Recipient = { recipient: { identity: string; identityType?: string } };

export default async function programmeRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { stacks, programmes } = services;

  app.post('/stacks/:id/progress', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'stackProgress',
      summary: 'How far an educator is on a stack (pathway): each requirement, and which credential counts for each component',
      description:
        "Only the stack's issuer may ask. The identifier is sent in the body, never in a URL. Revoked, suspended and expired credentials do not count.",
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      params: AchievementIdParam,
      body: { $ref: 'RecipientRequest#' },
      response: { 200: { $ref: 'StackProgress#' }, 400: problem, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request) =>
      stacks.progress(callerOf(request), (request.params as { id: string }).id, (request.body as Recipient).recipient),
  });

  app.post('/stacks/:id/awards', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'awardStack',
      summary:
        'Award a stack to an educator whose credentials meet its rules (on-request stacks, or a stack published after they were earned)',
      description:
        '201 with the new stack credential (headers as for POST /credentials); 200 with the credential already awarded (a stack is awarded once); ' +
        '409 when the rules are not met yet (the detail says what is missing).',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      params: AchievementIdParam,
      body: { $ref: 'RecipientRequest#' },
      response: {
        200: {
          description: 'Already awarded: the stored credential',
          content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } },
        },
        201: {
          description: 'The new stack credential',
          headers: { location: { type: 'string' }, 'claim-url': { type: 'string' } },
          content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } },
        },
        400: problem,
        401: problem,
        403: problem,
        404: problem,
        409: problem,
      },
    },
    handler: async (request, reply) => {
      const result = await stacks.requestAward(
        callerOf(request),
        (request.params as { id: string }).id,
        (request.body as Recipient).recipient,
      );
      if (result.outcome === 'not-complete') {
        const missing = result.progress.requirements
          .filter((r) => !r.complete)
          .map((r) => `${r.name ?? 'a requirement'}: ${r.earned} of ${r.needed}`)
          .join('; ');
        throw new Problem('stack-not-complete', `The educator does not meet this stack's rules yet (${missing})`);
      }
      void reply.header('location', result.credentialUrl!);
      if (result.claimLink !== undefined) {
        void reply
          .header('claim-url', result.claimLink.url)
          .header('claim-expires', result.claimLink.expiresAt)
          .header('claim-link-id', result.claimLink.id);
      }
      return reply
        .code(result.outcome === 'awarded' ? 201 : 200)
        .type(VC_MEDIA_TYPE)
        .send(result.text);
    },
  });

  app.post('/recognitions', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'createRecognition',
      summary:
        'Record that this organisation (a state agency, district or university) accepts an achievement or stack, for what, how much, where and when',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      body: { $ref: 'RecognitionRequest#' },
      response: { 201: { $ref: 'Recognition#' }, 400: problem, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) =>
      reply.code(201).send(await programmes.recognize(callerOf(request), request.body as RecognitionInput)),
  });

  app.get('/recognitions', {
    config: { publicCors: true },
    schema: {
      operationId: 'listRecognitions',
      summary: 'Recognitions in force, filtered by achievement, recognizer, jurisdiction (prefix, case-insensitive), purpose and day',
      tags: ['programmes'],
      querystring: Type.Object(
        {
          achievementId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
          recognizerId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' })),
          jurisdiction: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          purpose: Type.Optional(Type.String({ maxLength: 50 })),
          on: Type.Optional(Day),
        },
        { additionalProperties: false },
      ),
      response: { 200: Type.Array(Type.Ref('Recognition')), 400: problem },
    },
    handler: async (request) => {
      const q = request.query as { achievementId?: string; recognizerId?: string; jurisdiction?: string; purpose?: string; on?: string };
      return programmes.recognitions({ ...q, achievementIds: q.achievementId === undefined ? undefined : [q.achievementId] });
    },
  });

  app.delete('/recognitions/:id', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'withdrawRecognition',
      summary: 'Withdraw a recognition of this organisation (kept in the audit trail)',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      params: UuidParam,
      response: { 204: { type: 'null', description: 'Withdrawn' }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      await programmes.withdrawRecognition(callerOf(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    },
  });

  app.get('/credentials/:id/recognitions', {
    config: { publicCors: true },
    schema: {
      operationId: 'credentialRecognitions',
      summary:
        'What this credential counts for: the recognitions of its achievement in force on a day (default today), optionally in one jurisdiction',
      tags: ['programmes'],
      params: AchievementIdParam,
      querystring: Type.Object(
        { jurisdiction: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), on: Type.Optional(Day) },
        { additionalProperties: false },
      ),
      response: {
        200: Type.Object({
          credential: Type.String(),
          achievementId: Type.String(),
          status: Type.String(),
          on: Type.String(),
          recognitions: Type.Array(Type.Ref('Recognition')),
        }),
        400: problem,
        404: problem,
      },
    },
    handler: async (request) =>
      programmes.recognitionsOfCredential((request.params as { id: string }).id, request.query as { jurisdiction?: string; on?: string }),
  });

  app.post('/endorsements', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'createEndorsement',
      summary: "Endorse another organisation's achievement or the organisation itself: a signed OB 3.0 EndorsementCredential",
      description:
        'Embedded in credentials issued afterwards (in the achievement or the issuer profile, as OB 3.0 allows) and shown on the pages.',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      body: { $ref: 'EndorsementRequest#' },
      response: {
        201: {
          description: 'The signed EndorsementCredential',
          content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } },
        },
        400: problem,
        401: problem,
        403: problem,
        404: problem,
        422: problem,
      },
    },
    handler: async (request, reply) => {
      const endorsement = await programmes.endorse(callerOf(request), request.body as never);
      return reply.code(201).header('location', endorsement.url).type(VC_MEDIA_TYPE).send(endorsement.text);
    },
  });

  app.get('/endorsements/:id', {
    config: { publicCors: true },
    schema: {
      operationId: 'getEndorsement',
      summary: 'An endorsement (its public id URL)',
      tags: ['programmes'],
      params: UuidParam,
      response: {
        200: {
          description: 'The signed EndorsementCredential',
          content: { [VC_MEDIA_TYPE]: { schema: { $ref: 'VerifiableCredential#' } } },
        },
        404: problem,
      },
    },
    handler: async (request, reply) => {
      const endorsement = await programmes.endorsement((request.params as { id: string }).id);
      return reply.type(VC_MEDIA_TYPE).send(JSON.stringify(endorsement.credential));
    },
  });

  app.delete('/endorsements/:id', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'withdrawEndorsement',
      summary: 'Withdraw an endorsement: no longer embedded in new credentials or shown as current',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      params: UuidParam,
      response: { 204: { type: 'null', description: 'Withdrawn' }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      await programmes.withdrawEndorsement(callerOf(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    },
  });

  app.get('/reports/completions', {
    onRequest: app.authorize('catalogue'),
    schema: {
      operationId: 'completionReport',
      summary:
        'Completion data: credentials by achievement or stack, period (month, quarter, year or all) and status, with small counts suppressed (JSON or CSV)',
      description:
        'as=issuer (default): credentials this issuer issued. as=recognizer: credentials, from any issuer, of the achievements this ' +
        'organisation recognises. Aggregates only: counts under REPORT_MIN_CELL_SIZE are null, and more cells are hidden where a total ' +
        'would reveal one. Windows are the fixed periods only: arbitrary date ranges could be differenced to reveal small counts.',
      tags: ['programmes'],
      security: [{ apiKey: [] }],
      querystring: Type.Object(
        {
          as: Type.Optional(Type.Union([Type.Literal('issuer'), Type.Literal('recognizer')])),
          format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])),
          period: Type.Optional(
            Type.Union([Type.Literal('month'), Type.Literal('quarter'), Type.Literal('year'), Type.Literal('all')], {
              description: 'Default month',
            }),
          ),
        },
        { additionalProperties: false },
      ),
      response: {
        200: {
          description: 'The report',
          content: { 'application/json': { schema: { $ref: 'CompletionReport#' } }, 'text/csv': { schema: { type: 'string' } } },
        },
        400: problem,
        401: problem,
        403: problem,
      },
    },
    handler: async (request, reply) => {
      const q = request.query as {
        as?: 'issuer' | 'recognizer';
        format?: 'json' | 'csv';
        period?: 'month' | 'quarter' | 'year' | 'all';
      };
      const report = await programmes.completions(callerOf(request), {
        as: q.as ?? 'issuer',
        period: q.period,
      });
      void reply.header('cache-control', 'no-store');
      if (q.format === 'csv') {
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', 'attachment; filename="completions.csv"')
          .send(completionsCsv(report));
      }
      return report;
    },
  });
}
