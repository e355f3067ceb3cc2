/**
 * The application as a plugin tree, registered by hand in load order so this one screen lists the whole API.
 * It never listens: server.ts does, and tests inject. Whoever opens a resource closes it.
 */
import fastify, { LogController, type FastifyInstance } from 'fastify';
import type { AnySchema } from 'ajv';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { Keyring } from './keys/keyring.js';
import type { SecretBox } from './keys/master-key.js';
import auth from './plugins/auth.js';
import openapi from './plugins/openapi.js';
import problemDetails from './plugins/problem-details.js';
import routeTable from './plugins/route-table.js';
import { installValidators } from './plugins/validation.js';
import cors from './plugins/cors.js';
import { installJsonParser } from './plugins/json-body.js';
import security from './plugins/security.js';
import apiKeyRoutes from './routes/api-keys.js';
import keyRoutes from './routes/keys.js';
import administrationRoutes from './routes/administration.js';
import { createMetrics } from './metrics.js';
import achievementRoutes from './routes/achievements.js';
import credentialRoutes from './routes/credentials.js';
import batchRoutes from './routes/batches.js';
import healthRoutes from './routes/health.js';
import issuerRoutes from './routes/issuers.js';
import problemRoutes from './routes/problems.js';
import credentialStatusRoutes from './routes/status.js';
import statusListRoutes from './routes/status-lists.js';
import verifyRoutes from './routes/verify.js';
import earnerRoutes from './routes/earner.js';
import programmeRoutes from './routes/programmes.js';
import ob3ApiRoutes from './routes/ob3-api.js';
import multipart from '@fastify/multipart';
import { sharedSchemas } from './schemas/index.js';
import { createServices, type Services } from './services/index.js';
import { apiKeyActor } from './services/audit.js';
import { redactPath } from './logger.js';

export interface AppDeps {
  readonly config: Pick<Config, 'publicUrl' | 'allowPrivateFetch' | 'fetchTimeoutMs' | 'fetchMaxBytes' | 'bodyLimitBytes'> &
    Partial<
      Pick<
        Config,
        | 'credentialStatus'
        | 'rateLimitPerMinute'
        | 'rateLimitKeyPerMinute'
        | 'uploadLimitBytes'
        | 'claimLinkTtlDays'
        | 'walletLinkTtlDays'
        | 'batchWorkers'
        | 'batchJobTimeoutSeconds'
        | 'batchBodyLimitBytes'
        | 'termsUrl'
        | 'privacyUrl'
      >
    > & { readonly statusListCapacity?: number };
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  readonly box: SecretBox;
  readonly logger: Logger | false;
  readonly clock?: () => Date;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance & { services: Services }> {
  const { config } = deps;
  const app = fastify({
    loggerInstance: deps.logger === false ? undefined : deps.logger,
    logger: deps.logger === false ? false : undefined,
    bodyLimit: config.bodyLimitBytes,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    logController: new LogController({ disableRequestLogging: true }), // one line per request instead, below
    routerOptions: { ignoreTrailingSlash: true },
    // On shutdown, requests already accepted are served to completion (close-with-grace waits for them).
    return503OnClosing: false,
  }) as unknown as FastifyInstance;

  installValidators(app, sharedSchemas as unknown as AnySchema[]);
  for (const schema of sharedSchemas) app.addSchema(schema);
  // Only JSON is accepted; text bodies are a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  installJsonParser(app);
  const metrics = createMetrics();
  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // One log line per request: no bodies, no headers, no query strings (they may carry identifiers).
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequests.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    request.log.info(
      { method: request.method, path: redactPath(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      'request',
    );
  });

  const services = createServices({ db: deps.db, keyring: deps.keyring, box: deps.box, config, clock: deps.clock, metrics });

  await app.register(routeTable);
  await app.register(problemDetails, { publicUrl: config.publicUrl });
  await app.register(cors);
  await app.register(openapi, { publicUrl: config.publicUrl, version: '0.1.0' });
  await app.register(auth, {
    findApiKey: services.issuers.findApiKey,
    onDenied: (caller, scope, request) =>
      services.audit.record({
        issuerId: caller.issuerId,
        actor: apiKeyActor(caller.apiKeyId),
        action: 'access.denied',
        target: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
        outcome: 'denied',
        detail: { missingScope: scope },
      }),
  });

  await app.register(security, {
    perAddressPerMinute: config.rateLimitPerMinute ?? 1200,
    perKeyPerMinute: config.rateLimitKeyPerMinute ?? 6000,
    https: config.publicUrl.startsWith('https:'),
  });
  await app.register(healthRoutes, { ping: async () => void (await sql`select 1`.execute(deps.db)), metrics: metrics.registry });
  await app.register(problemRoutes, { prefix: '/problems' });
  await app.register(issuerRoutes, { prefix: '/issuers', services });
  await app.register(achievementRoutes, { prefix: '/achievements', services });
  // Uploads (the verifier's files) are read into memory within a limit, one file per request.
  await app.register(multipart, { limits: { fileSize: config.uploadLimitBytes ?? 5 * 1024 * 1024, files: 1, fields: 4, parts: 5 } });
  await app.register(verifyRoutes, { services });
  await app.register(earnerRoutes, { services });
  await app.register(programmeRoutes, { services });
  await app.register(credentialStatusRoutes, { prefix: '/credentials', services });
  await app.register(statusListRoutes, { prefix: '/status-lists', services });
  await app.register(apiKeyRoutes, { prefix: '/api-keys', services });
  await app.register(keyRoutes, { prefix: '/keys', services });
  await app.register(administrationRoutes, { services });
  await app.register(credentialRoutes, { prefix: '/credentials', services });
  await app.register(batchRoutes, { prefix: '/batches', services, bodyLimit: config.batchBodyLimitBytes ?? 16 * 1024 * 1024 });
  await app.register(ob3ApiRoutes, {
    prefix: '/ims/ob/v3p0',
    services,
    publicUrl: config.publicUrl,
    termsUrl: config.termsUrl ?? `${config.publicUrl}/docs`,
    privacyUrl: config.privacyUrl ?? `${config.publicUrl}/docs`,
    serviceName: 'Educator micro-credentials',
  });

  // The job queue: its schema, its queues, and this process's share of batch work (stopped before the database closes).
  await services.jobs.start((error) => app.log.error({ err: error }, 'job queue error'));
  await services.batches.start(config.batchWorkers ?? 2);
  app.addHook('onClose', async () => services.jobs.stop());

  return Object.assign(app, { services });
}
