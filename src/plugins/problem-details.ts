/**
 * The one error and 404 handler: every error leaves as RFC 9457 application/problem+json. Known problems
 * carry their status; validation and parser errors become 4xx; database outages 503 with Retry-After;
 * anything else a 500 whose body says nothing internal (the error goes to the log with the request id).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem, problemTypes, type ProblemFieldError, type ProblemSlug } from '../errors.js';
import { redactPath } from '../logger.js';

export interface ProblemDetailsOptions {
  readonly publicUrl: string;
}

// Connection exceptions (class 08), shutdowns (57P0x), too many connections, a database not accepting
// connections (55000), and the driver's own socket errors: the database is unavailable, not the request wrong.
const PG_UNAVAILABLE = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '55000',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);
const PG_UNAVAILABLE_MESSAGE = /Connection terminated|not queryable|timeout exceeded when trying to connect/i;

function fromFastifyError(error: FastifyError): Problem | undefined {
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    // A choice of literals fails as one `const` error per choice plus an `anyOf` error: said once, naming the choices.
    const choices = new Map<string, unknown[]>();
    for (const v of error.validation) {
      if (v.keyword === 'const')
        choices.set(v.instancePath, [...(choices.get(v.instancePath) ?? []), (v.params as { allowedValue?: unknown }).allowedValue]);
    }
    const said = new Set<string>();
    const validation = error.validation.filter((v) => {
      if (!choices.has(v.instancePath) || (v.keyword !== 'const' && v.keyword !== 'anyOf')) return true;
      if (said.has(v.instancePath)) return false;
      said.add(v.instancePath);
      return true;
    });
    const errors: ProblemFieldError[] = validation.map((v) => {
      const allowed = v.keyword === 'const' || v.keyword === 'anyOf' ? choices.get(v.instancePath) : undefined;
      if (allowed !== undefined) {
        const list = allowed.map((a) => JSON.stringify(a)).join(', ');
        return {
          pointer: `#${part === 'body' ? '' : `/${part}`}${v.instancePath}`,
          detail: allowed.length === 1 ? `must be ${list}` : `must be one of ${list}`,
        };
      }
      const missing = v.keyword === 'required' ? `/${String((v.params as { missingProperty?: string }).missingProperty)}` : '';
      const extra =
        v.keyword === 'additionalProperties' ? `/${String((v.params as { additionalProperty?: string }).additionalProperty)}` : '';
      const pointer = `#${part === 'body' ? '' : `/${part}`}${v.instancePath}${missing}${extra}`;
      const detail = extra ? `unknown property "${extra.slice(1)}"` : (v.message ?? 'is invalid');
      return { pointer, detail };
    });
    const summary = errors
      .slice(0, 5)
      .map((e) => `${e.pointer}: ${e.detail}`)
      .join('; ');
    const what = part === 'body' ? 'The request body is' : part === 'headers' ? 'The headers are' : `The ${part} is`;
    return new Problem('validation-failed', `${what} not valid: ${summary}`, errors);
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new Problem('malformed-json', error.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new Problem('body-too-large', 'The request body is larger than this service accepts');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new Problem(
        'unsupported-media-type',
        'This endpoint does not take that Content-Type; the API documentation (/docs) lists what each endpoint takes (most take application/json)',
      );
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new Problem('validation-failed', 'The Content-Length header does not match the body');
    default:
      break;
  }
  if (error instanceof SyntaxError) return new Problem('malformed-json', error.message);
  const status = error.statusCode ?? 0;
  if (status >= 400 && status < 500) {
    const slug = (Object.keys(problemTypes) as ProblemSlug[]).find((s) => problemTypes[s].status === status) ?? 'validation-failed';
    return new Problem(slug, error.message);
  }
  return undefined;
}

function fromDatabaseError(error: unknown): Problem | undefined {
  const code = (error as { code?: unknown }).code;
  const unavailable =
    (typeof code === 'string' && (PG_UNAVAILABLE.has(code) || code.startsWith('08'))) ||
    PG_UNAVAILABLE_MESSAGE.test(String((error as { message?: unknown }).message));
  if (unavailable)
    return new Problem('service-unavailable', 'The database is unavailable; retry shortly', undefined, { 'retry-after': '5' });
  if (typeof code !== 'string') return undefined;
  if (code === '23505') return new Problem('conflict', 'A resource with the same identity already exists');
  if (code.startsWith('22')) return new Problem('validation-failed', 'A value in the request is out of range or malformed');
  return undefined;
}

/** The problem an error stands for: its own, a 4xx for bad requests, 503 for an unavailable database; undefined for a bug. */
export const problemOf = (error: FastifyError): Problem | undefined =>
  error instanceof Problem ? error : (fromFastifyError(error) ?? fromDatabaseError(error));

/** Sends `problem`; `extra`: members a protocol adds to it (RFC 9457 §3.2 extension members). */
export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  problem: Problem,
  publicUrl: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers ?? {})) void reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send(
      JSON.stringify({
        type: `${publicUrl}/problems/${problem.slug}`,
        title: problemTypes[problem.slug].title,
        status: problem.status,
        ...(problem.detail === undefined ? {} : { detail: problem.detail }),
        instance: redactPath(request.url),
        ...(problem.errors === undefined ? {} : { errors: problem.errors }),
        ...extra,
      }),
    );
}

export default fp(
  async function problemDetails(app: FastifyInstance, options: ProblemDetailsOptions) {
    app.setErrorHandler((error: FastifyError, request, reply) => {
      const problem = problemOf(error);
      if (problem === undefined) {
        request.log.error({ err: error }, 'unhandled error');
        return sendProblem(
          reply,
          request,
          new Problem('internal-error', 'An unexpected error occurred; it has been logged with this request id: ' + request.id),
          options.publicUrl,
        );
      }
      if (problem.status >= 500) request.log.error({ err: error }, problem.detail ?? problem.message);
      return sendProblem(reply, request, problem, options.publicUrl);
    });
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0]!;
      // A path served with other methods: 405 with the methods it takes (RFC 9110 §15.5.6), not "nothing here".
      const allowed = app.routeTable.methodsAt(path);
      const problem =
        allowed.length > 0 && !allowed.includes(request.method)
          ? new Problem('method-not-allowed', `${path} takes ${allowed.join(', ')}, not ${request.method}`, undefined, {
              allow: allowed.join(', '),
            })
          : new Problem('not-found', `Nothing at ${request.method} ${path}`);
      return sendProblem(reply, request, problem, options.publicUrl);
    });
  },
  { name: 'problem-details', dependencies: ['route-table'] },
);
