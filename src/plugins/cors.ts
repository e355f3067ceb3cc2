/**
 * CORS only where a browser elsewhere may legitimately read: public reads and the verifier. A route opts in
 * with `config: { publicCors: true }`; it then answers any origin (no credentials are ever involved). A preflight
 * (OPTIONS) is answered for every path, but grants CORS only when the method asked for is served at that path by
 * a public route: `POST /achievements` stays closed although `GET /achievements` is open, and
 * `/credentials/status` is not mistaken for the public `/credentials/:id`.
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
    app.addHook('onRoute', (route) => {
      if (route.config?.publicCors !== true) return;
      const onSend = async (_request: unknown, reply: { header(name: string, value: string): unknown }) => {
        reply.header('access-control-allow-origin', '*');
        reply.header('access-control-expose-headers', 'ETag, Location, Link, Retry-After');
      };
      route.onSend = [...(Array.isArray(route.onSend) ? route.onSend : route.onSend ? [route.onSend] : []), onSend] as typeof route.onSend;
    });

    app.options('*', { schema: { hide: true } }, async (request, reply) => {
      const asked = String(request.headers['access-control-request-method'] ?? '').toUpperCase();
      const route = app.routeTable.routeFor(asked, request.url.split('?')[0]!);
      if (route?.config?.publicCors !== true) return reply.code(204).send();
      return reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', `${asked}, OPTIONS`)
        .header('access-control-allow-headers', 'Content-Type, Accept, If-None-Match')
        .header('access-control-max-age', '86400')
        .send();
    });
  },
  { name: 'cors', dependencies: ['route-table'] },
);
