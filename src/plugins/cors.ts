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

interface KnownRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly static: boolean;
  readonly public: boolean;
}

const toPattern = (url: string) => new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);

export default fp(
  async function cors(app: FastifyInstance) {
    const routes: KnownRoute[] = [];

    /** The route that would serve `method path`: a static route wins over a parametric one, as in fastify's router. */
    const routeFor = (method: string, path: string) =>
      routes.filter((r) => r.method === method && r.pattern.test(path)).sort((a, b) => Number(b.static) - Number(a.static))[0];

    app.addHook('onRoute', (route) => {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
      const isPublic = route.config?.publicCors === true;
      for (const method of methods)
        routes.push({ method, pattern: toPattern(route.url), static: !route.url.includes(':'), public: isPublic });
      if (!isPublic) return;
      const onSend = async (_request: unknown, reply: { header(name: string, value: string): unknown }) => {
        reply.header('access-control-allow-origin', '*');
        reply.header('access-control-expose-headers', 'ETag, Location, Link, Retry-After');
      };
      route.onSend = [...(Array.isArray(route.onSend) ? route.onSend : route.onSend ? [route.onSend] : []), onSend] as typeof route.onSend;
    });

    app.options('*', { schema: { hide: true } }, async (request, reply) => {
      const asked = String(request.headers['access-control-request-method'] ?? '').toUpperCase();
      const route = routeFor(asked, request.url.split('?')[0]!);
      if (route === undefined || !route.public) return reply.code(204).send();
      return reply
        .code(204)
        .header('access-control-allow-origin', '*')
        .header('access-control-allow-methods', `${asked}, OPTIONS`)
        .header('access-control-allow-headers', 'Content-Type, Accept, If-None-Match')
        .header('access-control-max-age', '86400')
        .send();
    });
  },
  { name: 'cors' },
);
