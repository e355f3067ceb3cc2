/**
 * Bearer API keys with scopes. A route that acts for an issuer declares `onRequest: app.authorize('issue')`:
 * the key is resolved to `request.caller` (401 when missing, unknown, revoked or expired) and must carry the
 * scope (403 naming the missing scope; the denial is reported to `onDenied` for the audit trail). The key never
 * reaches a log (see the logger's redaction of the authorization header).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../errors.js';
import type { Scope } from '../schemas/api-key.js';

export interface Caller {
  readonly apiKeyId: string;
  readonly issuerId: string;
  readonly scopes: readonly Scope[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    /** onRequest hook: a valid API key with `scope`. */
    authorize(scope: Scope): onRequestHookHandler;
    /** The valid API key a request carries, or null (looked up once per request). */
    identifyCaller(request: FastifyRequest): Promise<Caller | null>;
  }
}

export interface AuthOptions {
  readonly findApiKey: (token: string) => Promise<Caller | null>;
  readonly onDenied?: (caller: Caller, scope: Scope, request: FastifyRequest) => Promise<void>;
}

export default fp(
  async function auth(app: FastifyInstance, options: AuthOptions) {
    app.decorateRequest('caller', null);
    const lookups = new WeakMap<FastifyRequest, Promise<Caller | null>>();
    const tokenOf = (request: FastifyRequest) => {
      const header = request.headers.authorization;
      return header === undefined ? null : (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null);
    };

    app.decorate('identifyCaller', (request: FastifyRequest): Promise<Caller | null> => {
      let lookup = lookups.get(request);
      if (lookup === undefined) {
        const token = tokenOf(request);
        lookup = token === null ? Promise.resolve(null) : options.findApiKey(token);
        lookups.set(request, lookup);
      }
      return lookup;
    });

    const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<Caller> => {
      if (tokenOf(request) === null) {
        void reply.header('www-authenticate', 'Bearer');
        throw new Problem('unauthorized', 'Send the issuer API key as "Authorization: Bearer <key>"');
      }
      const caller = await app.identifyCaller(request);
      if (caller === null) {
        void reply.header('www-authenticate', 'Bearer error="invalid_token"');
        throw new Problem('unauthorized', 'The API key is unknown, revoked or expired');
      }
      return caller;
    };

    app.decorate('authorize', (scope: Scope): onRequestHookHandler => async (request, reply) => {
      const caller = await authenticate(request, reply);
      request.caller = caller;
      if (!caller.scopes.includes(scope)) {
        await options.onDenied?.(caller, scope, request);
        throw new Problem('forbidden', `This API key lacks the "${scope}" scope`);
      }
    });
  },
  { name: 'auth' },
);

/** The authenticated caller; for handlers behind `app.authorize`. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Problem('unauthorized');
  return request.caller;
}
