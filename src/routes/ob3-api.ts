/**
 * The 1EdTech Open Badges 3.0 REST API under /ims/ob/v3p0 (OB 3.0 §6–7): discovery, OAuth 2.0 (registration,
 * authorization with PKCE, tokens, revocation) and the educator's credentials and profile. Resource errors are
 * Imsx_StatusInfo (the spec's error body) inside an RFC 9457 problem; OAuth errors are RFC 6749's `{error, error_description}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from '../errors.js';
import { problemOf, sendProblem } from '../plugins/problem-details.js';
import type { Services } from '../services/index.js';
import {
  AuthorizationError,
  MAX_PAGE,
  OAuthError,
  OB_SCOPES,
  oauthText,
  SCOPE_DESCRIPTIONS,
  serviceDescription,
  type AuthorizationRequest,
  type ObScope,
} from '../services/ob3-api.js';
import { renderAuthorizationErrorPage, renderConsentPage } from '../views/consent-page.js';
import { sendPage } from './pages.js';

const PREFIX = '/ims/ob/v3p0';
const problem = { $ref: 'Problem#' } as const;
const oauthError = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
} as const;
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const OAUTH_JSON_ENDPOINTS = new Set([`${PREFIX}/oauth/register`, `${PREFIX}/oauth/token`, `${PREFIX}/oauth/revoke`]);
const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

/** Imsx_StatusInfo for a problem (OB 3.0 §B.3: codeMinor values paired with HTTP statuses). */
function imsx(status: number, description: string, query = false) {
  const minor: Record<number, string> = {
    400: query ? 'invalid_query_parameter' : 'invalid_data',
    401: 'unauthorizedrequest',
    403: 'forbidden',
    404: 'not_found',
    405: 'not_allowed',
    406: 'not_acceptable',
    415: 'invalid_data',
    413: 'invalid_data',
    422: 'invalid_data',
    429: 'server_busy',
  };
  const notFound = status === 404;
  return {
    imsx_codeMajor: 'failure',
    imsx_severity: notFound ? 'status' : 'error',
    imsx_description: description,
    imsx_codeMinor: {
      imsx_codeMinorField: [
        {
          imsx_codeMinorFieldName: 'sourcedId',
          imsx_codeMinorFieldValue: minor[status] ?? (status >= 500 ? 'internal_server_error' : 'unknown'),
        },
      ],
    },
  };
}

const sendOAuthError = (reply: FastifyReply, error: OAuthError) => {
  if (error.status === 401) void reply.header('www-authenticate', 'Basic realm="Open Badges API"');
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: error.error, error_description: oauthText(error.description) });
};

/** application/x-www-form-urlencoded bodies as flat objects (the OAuth endpoints and the consent form). */
function installFormParser(app: FastifyInstance) {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 65_536 }, (_request, body, done) => {
    const form: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(body as string)) {
      if (Object.hasOwn(form, name)) {
        done(new Problem('validation-failed', `The form gives ${name} more than once`), undefined);
        return;
      }
      form[name] = value;
    }
    done(null, form);
  });
}

export default async function ob3ApiRoutes(
  app: FastifyInstance,
  options: { services: Services; publicUrl: string; termsUrl: string; privacyUrl: string; serviceName: string },
) {
  const { ob3Api } = options.services;
  installFormParser(app);
  // OB API clients read plain text bodies (a VC-JWT to upsert) too.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_request, body, done) => done(null, (body as string).trim()));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof OAuthError) return sendOAuthError(reply, error);
    const found = problemOf(error);
    // The OAuth endpoints answer RFC 6749 / 7591 errors, even for a body that could not be read.
    if (found !== undefined && found.status < 500 && OAUTH_JSON_ENDPOINTS.has(request.routeOptions.url ?? '')) {
      return sendOAuthError(
        reply,
        new OAuthError(
          request.routeOptions.url!.endsWith('/register') ? 'invalid_client_metadata' : 'invalid_request',
          found.status === 415 && !request.routeOptions.url!.endsWith('/register')
            ? 'Send the body as application/x-www-form-urlencoded'
            : (found.detail ?? found.message),
          found.status,
        ),
      );
    }
    // The authorization endpoint talks to a person: an unreadable request gets the error page.
    if (found !== undefined && found.status < 500 && request.routeOptions.url === `${PREFIX}/oauth/authorize`) {
      return sendPage(reply, renderAuthorizationErrorPage({ error: 'invalid_request', description: found.detail ?? found.message }), {
        status: found.status,
      });
    }
    if (found === undefined) request.log.error({ err: error }, 'unhandled error');
    const known =
      found ?? new Problem('internal-error', `An unexpected error occurred; it has been logged with this request id: ${request.id}`);
    if (known.status >= 500 && found !== undefined) request.log.error({ err: error }, known.detail ?? known.message);
    return sendProblem(
      reply,
      request,
      known,
      options.publicUrl,
      imsx(known.status, known.detail ?? known.message, error.validationContext === 'querystring'),
    );
  });

  const authenticated = (scope: ObScope) => async (request: FastifyRequest) => {
    (request as FastifyRequest & { subject?: string }).subject = await ob3Api.authenticate(request.headers.authorization, scope);
  };
  const subjectOf = (request: FastifyRequest) => (request as FastifyRequest & { subject: string }).subject;
  const bearer = [{ obOAuth2: [] }];

  app.get('/discovery', {
    config: { publicCors: true },
    schema: {
      operationId: 'getObServiceDescription',
      summary: 'Open Badges API: the service description document (OpenAPI 3.0, unauthenticated)',
      tags: ['open badges api'],
      response: { 200: { type: 'object', additionalProperties: true } },
    },
    handler: async (_request, reply) =>
      reply.header('cache-control', 'public, max-age=3600').send(
        serviceDescription({
          publicUrl: options.publicUrl,
          name: options.serviceName,
          termsUrl: options.termsUrl,
          privacyUrl: options.privacyUrl,
        }),
      ),
  });

  app.post('/oauth/register', {
    schema: {
      operationId: 'registerObClient',
      summary: 'Open Badges API: dynamic client registration (RFC 7591; no initial access token)',
      tags: ['open badges api'],
      body: { type: 'object', additionalProperties: true },
      response: { 201: { type: 'object', additionalProperties: true }, 400: oauthError, 413: oauthError, 415: oauthError },
    },
    handler: async (request, reply) =>
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .send(await ob3Api.register(request.body as Record<string, unknown>)),
  });

  /** The request's parameters, its consent page, or the error page / redirect when it cannot go on. */
  const withAuthorizationRequest = async (
    reply: FastifyReply,
    params: Record<string, unknown>,
    then: (authorization: AuthorizationRequest) => Promise<FastifyReply>,
  ): Promise<FastifyReply> => {
    let authorization: AuthorizationRequest;
    try {
      authorization = await ob3Api.checkAuthorizationRequest(params);
    } catch (error) {
      if (!(error instanceof AuthorizationError)) throw error;
      // Never an automatic redirect on error: anyone can register a client, so that would make this an open redirector
      // (RFC 9700 §4.11.2). The person sees why, and may follow a link back to the application.
      const returnUrl = error.redirect === undefined ? undefined : ob3Api.errorRedirect(error.redirect, error.error, error.description);
      return sendPage(reply, renderAuthorizationErrorPage({ error: error.error, description: error.description, returnUrl }), {
        status: 400,
      });
    }
    return then(authorization);
  };

  const consentPage = (reply: FastifyReply, authorization: AuthorizationRequest, params: Record<string, unknown>, error?: string) =>
    sendPage(
      reply,
      renderConsentPage({
        action: `${PREFIX}/oauth/authorize`,
        client: {
          name: authorization.client.client_name,
          uri: authorization.client.client_uri,
          logoUri: authorization.client.logo_uri,
          tosUri: authorization.client.tos_uri,
          policyUri: authorization.client.policy_uri,
        },
        scopes: authorization.scope.split(' ').map((scope) => ({ scope, description: SCOPE_DESCRIPTIONS[scope] ?? scope })),
        hidden: Object.fromEntries(
          AUTHORIZE_PARAMS.map((name) => [name, typeof params[name] === 'string' ? (params[name] as string) : '']),
        ),
        returnHost: new URL(authorization.redirectUri).host,
        error,
      }),
      {
        form: true,
        sameOriginReferrer: true,
        status: error === undefined ? 200 : 400,
        formTargets: [new URL(authorization.redirectUri).origin],
      },
    );

  app.get('/oauth/authorize', {
    schema: {
      operationId: 'authorizeObClient',
      summary: 'Open Badges API: the authorization page (code grant with PKCE S256); the educator signs in with a badge link',
      tags: ['open badges api'],
      response: {
        200: html('The consent page'),
        303: { description: 'Back to the client with an error' },
        400: html('The request cannot be used'),
      },
    },
    handler: async (request, reply) => {
      const params = request.query as Record<string, unknown>;
      return withAuthorizationRequest(reply, params, async (authorization) => consentPage(reply, authorization, params));
    },
  });

  app.post('/oauth/authorize', {
    schema: {
      operationId: 'answerObAuthorization',
      summary: 'Open Badges API: the educator’s answer on the consent page (form)',
      tags: ['open badges api'],
      consumes: ['application/x-www-form-urlencoded'],
      response: {
        303: { description: 'Back to the client: with a code, or with error=access_denied' },
        400: html('The consent page again, saying what was wrong'),
        403: html('The answer came from another site'),
        415: problem,
      },
    },
    handler: async (request, reply) => {
      // Only our own consent page may answer: a form posted from another site is refused (no silent redirects, no
      // consent given in the educator's name by someone else's page).
      // `Origin: null` is what a browser sends from a page with no referrer: accepted when the browser also says the
      // request is same-origin.
      const site = request.headers['sec-fetch-site'];
      const origin = request.headers.origin;
      const ownOrigin = origin === new URL(options.publicUrl).origin || (origin === 'null' && site === 'same-origin');
      if ((site !== undefined && site !== 'same-origin' && site !== 'none') || (origin !== undefined && !ownOrigin)) {
        return sendPage(
          reply,
          renderAuthorizationErrorPage({
            error: 'access_denied',
            description: 'This answer did not come from the consent page of this service',
          }),
          { status: 403 },
        );
      }
      const form = (request.body ?? {}) as Record<string, unknown>;
      return withAuthorizationRequest(reply, form, async (authorization) => {
        const back = { uri: authorization.redirectUri, state: authorization.state };
        if (form.decision !== 'approve') {
          return reply.redirect(ob3Api.errorRedirect(back, 'access_denied', 'The educator did not allow access'), 303);
        }
        try {
          return reply.redirect(await ob3Api.approve(authorization, typeof form.link === 'string' ? form.link : ''), 303);
        } catch (error) {
          if (error instanceof Problem && error.status < 500) {
            return consentPage(reply, authorization, form, `That link did not work: ${error.detail ?? error.message}`);
          }
          throw error;
        }
      });
    },
  });

  app.post('/oauth/token', {
    schema: {
      operationId: 'obToken',
      summary: 'Open Badges API: tokens (authorization_code with PKCE, or refresh_token); client authenticated with HTTP Basic',
      tags: ['open badges api'],
      consumes: ['application/x-www-form-urlencoded'],
      response: { 200: { type: 'object', additionalProperties: true }, 400: oauthError, 401: oauthError, 413: oauthError, 415: oauthError },
    },
    handler: async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send(await ob3Api.token(request.headers.authorization, (request.body ?? {}) as Record<string, unknown>)),
  });

  app.post('/oauth/revoke', {
    schema: {
      operationId: 'obRevoke',
      summary: 'Open Badges API: revoke an access or refresh token (RFC 7009; a refresh token withdraws the whole grant)',
      tags: ['open badges api'],
      consumes: ['application/x-www-form-urlencoded'],
      response: {
        200: { type: 'null', description: 'Revoked (or unknown)' },
        400: oauthError,
        401: oauthError,
        413: oauthError,
        415: oauthError,
      },
    },
    handler: async (request, reply) => {
      await ob3Api.revoke(request.headers.authorization, (request.body ?? {}) as Record<string, unknown>);
      return reply.code(200).header('cache-control', 'no-store').send();
    },
  });

  app.get('/credentials', {
    preHandler: authenticated(OB_SCOPES.credentialRead),
    schema: {
      operationId: 'getObCredentials',
      summary: 'Open Badges API getCredentials: the educator’s credentials, paged (X-Total-Count, Link)',
      tags: ['open badges api'],
      security: bearer,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE },
          offset: { type: 'integer', minimum: 0, maximum: 10_000_000 },
          since: { type: 'string', format: 'date-time' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            credential: { type: 'array', items: { type: 'object', additionalProperties: true } },
            compactJwsString: { type: 'array', items: { type: 'string' } },
          },
        },
        400: problem,
        401: problem,
        403: problem,
      },
    },
    handler: async (request, reply) => {
      const query = request.query as { limit?: number; offset?: number; since?: string };
      // The format check passes a leap second (23:59:60) that Date cannot hold.
      if (query.since !== undefined && Number.isNaN(Date.parse(query.since))) {
        throw new Problem('validation-failed', 'since is not a date-time this service can read', [
          { pointer: '#/querystring/since', detail: 'not a valid date-time' },
        ]);
      }
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const page = await ob3Api.credentials(subjectOf(request), {
        limit,
        offset,
        since: query.since === undefined ? undefined : new Date(query.since),
      });
      const url = (o: number) => {
        const u = new URL(`${options.publicUrl}${PREFIX}/credentials`);
        u.searchParams.set('limit', String(limit));
        u.searchParams.set('offset', String(o));
        if (query.since !== undefined) u.searchParams.set('since', query.since);
        return u.toString();
      };
      const last = Math.max(0, Math.floor((page.total - 1) / limit) * limit);
      const links = [`<${url(0)}>; rel="first"`, `<${url(last)}>; rel="last"`];
      if (offset + limit < page.total) links.push(`<${url(offset + limit)}>; rel="next"`);
      // Past the end, the previous page is the last one that has credentials.
      if (offset > 0) links.push(`<${url(Math.min(Math.max(0, offset - limit), last))}>; rel="prev"`);
      return reply
        .header('x-total-count', String(page.total))
        .header('link', links.join(', '))
        .header('cache-control', 'no-store')
        .send({ credential: page.credential, compactJwsString: page.compactJwsString });
    },
  });

  app.post('/credentials', {
    preHandler: authenticated(OB_SCOPES.credentialUpsert),
    schema: {
      operationId: 'upsertObCredential',
      summary: 'Open Badges API upsertCredential: keep a credential for the educator (201 created, 200 replaced); the body is echoed',
      description:
        'JSON (application/json or application/vc+ld+json) or a VC-JWT as text/plain. It must verify (shape, issuer key, proof).',
      tags: ['open badges api'],
      security: bearer,
      consumes: ['application/json', 'application/vc+ld+json', 'text/plain'],
      response: {
        200: { description: 'Replaced; the request body' },
        201: { description: 'Created; the request body' },
        400: problem,
        401: problem,
        403: problem,
        413: problem,
        415: problem,
      },
    },
    handler: async (request, reply) => {
      const { replaced } = await ob3Api.upsert(subjectOf(request), request.body);
      const type =
        typeof request.body === 'string' ? 'text/plain' : String(request.headers['content-type'] ?? 'application/json').split(';')[0]!;
      return reply
        .code(replaced ? 200 : 201)
        .type(type)
        .send(typeof request.body === 'string' ? request.body : JSON.stringify(request.body));
    },
  });

  app.get('/profile', {
    preHandler: authenticated(OB_SCOPES.profileRead),
    schema: {
      operationId: 'getObProfile',
      summary: 'Open Badges API getProfile: the educator’s profile (404 until one is stored)',
      tags: ['open badges api'],
      security: bearer,
      response: { 200: { type: 'object', additionalProperties: true }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request) => ob3Api.profile(subjectOf(request)),
  });

  app.put('/profile', {
    preHandler: authenticated(OB_SCOPES.profileUpdate),
    schema: {
      operationId: 'putObProfile',
      summary: 'Open Badges API putProfile: replace the educator’s profile (an OB 3.0 Profile, validated against its schema)',
      tags: ['open badges api'],
      security: bearer,
      body: { type: 'object', additionalProperties: true },
      response: { 200: { type: 'object', additionalProperties: true }, 400: problem, 401: problem, 403: problem },
    },
    handler: async (request) => ob3Api.putProfile(subjectOf(request), request.body),
  });
}
