/**
 * Which routes serve which paths, for what fastify's router does not tell: the methods served at a path (a 405 and
 * its Allow header) and the route a CORS preflight asks about. It is filled by an onRoute hook, so it is registered
 * before any route.
 */
import type { FastifyContextConfig, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface KnownRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly static: boolean;
  readonly config: FastifyContextConfig | undefined;
}

export interface RouteTable {
  /** The route that would serve `method path`: a static route wins over a parametric one, as in fastify's router. */
  routeFor(method: string, path: string): KnownRoute | undefined;
  /** The methods served at `path`, in a fixed order; HEAD with GET (fastify answers HEAD for every GET route). */
  methodsAt(path: string): string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    routeTable: RouteTable;
  }
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

// `:name` parameters match one path segment; a trailing slash is ignored, as the router is told to (ignoreTrailingSlash).
const toPattern = (url: string) => new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}/?$`);

export default fp(
  async function routeTable(app: FastifyInstance) {
    const routes: KnownRoute[] = [];
    app.addHook('onRoute', (route) => {
      // HEAD routes are fastify's own copies of GET routes; OPTIONS is answered for every path (CORS preflight).
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
      for (const method of methods) {
        routes.push({ method, pattern: toPattern(route.url), static: !route.url.includes(':'), config: route.config });
      }
    });
    app.decorate('routeTable', {
      routeFor: (method, path) =>
        routes.filter((r) => r.method === method && r.pattern.test(path)).sort((a, b) => Number(b.static) - Number(a.static))[0],
      methodsAt: (path) => {
        const served = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
        if (served.has('GET')) served.add('HEAD');
        return METHOD_ORDER.filter((m) => served.has(m));
      },
    } satisfies RouteTable);
  },
  { name: 'route-table' },
);
