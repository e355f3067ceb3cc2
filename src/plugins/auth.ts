/**
 * Bearer API keys. `app.authenticate` is an onRequest hook for routes that act for an issuer: it resolves the
 * key to `request.caller` (api key id and issuer id) or answers 401. The key never reaches a log (see the
 * logger's redaction of the authorization header).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Problem } from '../errors.js';

export interface Caller {
  readonly apiKeyId: string;
  readonly issuerId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
  interface FastifyInstance {
    authenticate(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  }
}

export interface AuthOptions {
  readonly findApiKey: (token: string) => Promise<Caller | null>;
}

export default fp(
  async function auth(app: FastifyInstance, options: AuthOptions) {
    app.decorateRequest('caller', null);
    app.decorate('authenticate', async (request: FastifyRequest, reply: FastifyReply) => {
      const header = request.headers.authorization;
      const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match === null) {
        void reply.header('www-authenticate', 'Bearer');
        throw new Problem('unauthorized', 'Send the issuer API key as "Authorization: Bearer <key>"');
      }
      const caller = await options.findApiKey(match[1]!);
      if (caller === null) {
        void reply.header('www-authenticate', 'Bearer error="invalid_token"');
        throw new Problem('unauthorized', 'The API key is unknown or revoked');
      }
      request.caller = caller;
    });
  },
  { name: 'auth' },
);

/** The authenticated caller; for handlers behind `app.authenticate`. */
export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new Problem('unauthorized');
  return request.caller;
}
