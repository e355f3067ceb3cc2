/**
 * CORS only where a browser elsewhere may legitimately read: public reads and the verifier. A route opts in
 * with `config: { publicCors: true }`; it then answers any origin (no credentials are ever involved) and gets a
 * preflight route. Issuing and managing routes send no CORS headers, so browsers on other sites cannot call them.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    publicCors?: boolean;
  }
}

export default fp(
  async function cors(app: FastifyInstance) {
    const preflighted = new Set<string>();
    app.addHook('onRoute', (route) => {
      if (route.config?.publicCors !== true) return;
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD').join(', ');
      const onSend = async (_request: unknown, reply: { header(name: string, value: string): unknown }) => {
        reply.header('access-control-allow-origin', '*');
        reply.header('access-control-expose-headers', 'ETag, Location, Link, Retry-After');
      };
      route.onSend = [...(Array.isArray(route.onSend) ? route.onSend : route.onSend ? [route.onSend] : []), onSend] as typeof route.onSend;
      if (preflighted.has(route.url)) return;
      preflighted.add(route.url);
      app.options(route.url, { schema: { hide: true }, config: {} }, async (_request, reply) =>
        reply
          .code(204)
          .header('access-control-allow-origin', '*')
          .header('access-control-allow-methods', `${methods}, OPTIONS`)
          .header('access-control-allow-headers', 'Content-Type, Accept, If-None-Match')
          .header('access-control-max-age', '86400')
          .send(),
      );
    });
  },
  { name: 'cors' },
);
