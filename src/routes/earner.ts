/**
 * Earner access: the links platforms request (/earner-links), the private pages they open (/claim/{token} for
 * one credential, /earner/{token} for all of an educator's), the files offered there, and the VC-API exchange a
 * wallet uses to collect the credentials (/exchanges/{token}).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { callerOf } from '../plugins/auth.js';
import type { Services } from '../services/index.js';
import type { OpenedLink } from '../services/earner.js';
import { renderEarnerPage } from '../views/earner-page.js';
import { prefersHtml } from './negotiate.js';
import { sendPage } from './pages.js';

const problem = { $ref: 'Problem#' } as const;
const TokenParam = Type.Object(
  { token: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'The private link token' }) },
  { additionalProperties: false },
);
const LinkResponse = Type.Object(
  {},
  { additionalProperties: true, description: 'The link page as JSON: credentials, files and wallet protocols' },
);
const tokenOf = (request: FastifyRequest) => (request.params as { token: string }).token;
const issuerNameOf = (credential: Record<string, unknown>): string => {
  const issuer = credential.issuer as { name?: unknown; id?: unknown } | string | undefined;
  return typeof issuer === 'object' && issuer !== null ? String(issuer.name ?? issuer.id ?? '') : String(issuer ?? '');
};
const VC_MEDIA_TYPE = 'application/vc+ld+json';

export default async function earnerRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const { earner } = services;
  // The earner's page posts plain forms (no fields are read): accept them, small.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_request, _body, done) =>
    done(null, {}),
  );

  app.post('/earner-links', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'createEarnerLink',
      summary: 'Create a private, expiring link for an educator: a wallet link (all their credentials) or a fresh claim link',
      description:
        'Deliver the URL to the educator (by email or in the platform); it needs no account. A wallet link lists every ' +
        'credential this service holds for the identifier, from every issuer. Revoke with DELETE /earner-links/{id}.',
      tags: ['earners'],
      security: [{ apiKey: [] }],
      body: { $ref: 'EarnerLinkRequest#' },
      response: { 201: { $ref: 'EarnerLink#' }, 400: problem, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      const caller = callerOf(request);
      const body = request.body as
        | { kind: 'wallet'; recipient: { identity: string; identityType?: string }; expiresInDays?: number }
        | { kind: 'claim'; credentialId: string; expiresInDays?: number };
      const link =
        body.kind === 'wallet'
          ? await earner.createWalletLink(caller, body.recipient, body.expiresInDays)
          : await earner.createClaimLink(caller, body.credentialId, body.expiresInDays);
      return reply.code(201).send(link);
    },
  });

  app.delete('/earner-links/:id', {
    onRequest: app.authorize('issue'),
    schema: {
      operationId: 'revokeEarnerLink',
      summary: 'Revoke a claim or wallet link of this issuer (at once; idempotent)',
      tags: ['earners'],
      security: [{ apiKey: [] }],
      params: Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
      response: { 204: { type: 'null', description: 'Revoked' }, 401: problem, 403: problem, 404: problem },
    },
    handler: async (request, reply) => {
      await earner.revokeLink(callerOf(request), (request.params as { id: string }).id);
      return reply.code(204).send();
    },
  });

  type LinkPage = Awaited<ReturnType<typeof earner.page>>;
  const pageModel = (opened: OpenedLink, protocols: LinkPage['protocols'], pathways: LinkPage['pathways']) => {
    const current = opened.holdings.filter((h) => h.current);
    const issuers = new Map<string, { issuerName: string; count: number }>();
    for (const h of current) {
      const entry = issuers.get(h.issuerId) ?? { issuerName: issuerNameOf(h.credential), count: 0 };
      issuers.set(h.issuerId, { ...entry, count: entry.count + 1 });
    }
    return {
      kind: opened.link.kind,
      pageUrl: opened.pageUrl,
      expiresAt: new Date(opened.link.expires_at).toISOString(),
      holdings: opened.holdings.map((h) => ({
        credential: h.credential,
        url: h.url,
        status: h.status,
        expired: h.expired,
        current: h.current,
        downloads: { json: `${h.url}/download`, png: `${h.url}/badge.png`, svg: `${h.url}/badge.svg`, pdf: `${h.url}/certificate.pdf` },
      })),
      walletFileUrl: current.length === 0 ? null : `${opened.pageUrl}/wallet.json`,
      clrs: [...issuers].map(([issuerId, c]) => ({ ...c, issuerId, url: `${opened.pageUrl}/clr/${issuerId}` })),
      pickup: current.length === 0 ? null : { lcwUrl: protocols.lcw, exchangeUrl: protocols.vcapi, interactionUrl: protocols.iu },
      protocols,
      pathways,
    };
  };

  const showLink = (kind: 'claim' | 'wallet') => async (request: FastifyRequest, reply: FastifyReply) => {
    const token = tokenOf(request);
    const html = prefersHtml(request.headers.accept);
    const { opened, protocols, pathways } = await earner.page(token, kind, { pathways: html });
    const model = pageModel(opened, protocols, pathways);
    void reply.header('vary', 'Accept');
    if (html) return sendPage(reply, renderEarnerPage(model), { form: true });
    // JSON: the listing plus the CHAPI/VC-API "protocols" object, so the link is also an interaction URL for wallets.
    return reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send({
        kind: model.kind,
        expiresAt: model.expiresAt,
        protocols,
        credentials: opened.holdings.map((h) => ({
          id: h.url,
          status: h.status,
          expired: h.expired,
          current: h.current,
          credential: h.credential,
        })),
        walletFile: model.walletFileUrl,
        clrs: model.clrs.map(({ issuerId, issuerName, url, count }) => ({ issuerId, issuerName, url, count })),
      });
  };

  const pageSchema = (operationId: string, summary: string) => ({
    operationId,
    summary,
    tags: ['earners'],
    params: TokenParam,
    response: {
      200: {
        description: 'HTML for browsers; JSON (with the wallet "protocols" object) for Accept: application/json',
        content: { 'application/json': { schema: LinkResponse } },
      },
      404: problem,
      410: problem,
    },
  });

  app.get('/claim/:token', {
    schema: pageSchema('openClaimLink', "The earner's claim page for one credential: wallet pickup and every download"),
    handler: showLink('claim'),
  });
  app.get('/earner/:token', {
    schema: pageSchema('openWalletLink', "The earner's page of every credential held for them, across issuers"),
    handler: showLink('wallet'),
  });

  for (const prefix of ['/claim', '/earner'] as const) {
    const kindName = prefix === '/claim' ? 'claim' : 'wallet';
    app.get(`${prefix}/:token/wallet.json`, {
      schema: {
        operationId: `${kindName}WalletFile`,
        summary: 'The wallet file: every current credential of the link in one Verifiable Presentation (each keeps its own proof)',
        tags: ['earners'],
        params: TokenParam,
        response: {
          200: { description: 'An unsigned VCDM 2.0 presentation', content: { 'application/ld+json': { schema: LinkResponse } } },
          404: problem,
          409: problem,
          410: problem,
        },
      },
      handler: async (request, reply) => {
        const presentation = await earner.walletFile(tokenOf(request), kindName);
        return reply
          .type('application/ld+json')
          .header('cache-control', 'no-store')
          .header('content-disposition', 'attachment; filename="micro-credentials-wallet.json"')
          .send(JSON.stringify(presentation, null, 2));
      },
    });

    app.post(`${prefix}/:token/stacks/:stackId`, {
      schema: {
        operationId: `${kindName}RequestStack`,
        summary: "The earner's request for a stack they have completed (a form on their page); redirects back to it",
        tags: ['earners'],
        params: Type.Object(
          { token: TokenParam.properties.token, stackId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) },
          { additionalProperties: false },
        ),
        response: {
          303: { type: 'null', description: 'Back to the page, which now shows the stack credential' },
          400: problem,
          404: problem,
          409: problem,
          410: problem,
        },
      },
      handler: async (request, reply) => {
        const { stackId } = request.params as { stackId: string };
        const page = await earner.requestStack(tokenOf(request), stackId);
        return reply.code(303).header('location', page).header('cache-control', 'no-store').send();
      },
    });

    app.get(`${prefix}/:token/clr/:issuerId`, {
      schema: {
        operationId: `${kindName}Clr`,
        summary: "A CLR 2.0 ClrCredential of one issuer's current credentials on this link, signed by that issuer",
        tags: ['earners'],
        params: Type.Object(
          { token: TokenParam.properties.token, issuerId: Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$' }) },
          { additionalProperties: false },
        ),
        response: {
          200: { description: 'The signed ClrCredential', content: { [VC_MEDIA_TYPE]: { schema: LinkResponse } } },
          404: problem,
          409: problem,
          410: problem,
        },
      },
      handler: async (request, reply) => {
        const { issuerId } = request.params as { issuerId: string };
        const clr = await earner.clr(tokenOf(request), issuerId, kindName);
        return reply
          .type(VC_MEDIA_TYPE)
          .header('cache-control', 'no-store')
          .header('content-disposition', `attachment; filename="learner-record-${issuerId}.json"`)
          .send(clr.text);
      },
    });
  }

  app.get('/exchanges/:token/protocols', {
    schema: {
      operationId: 'exchangeProtocols',
      summary: 'The protocols a wallet can use to collect the credentials (VC-API exchange, LCW deep link)',
      tags: ['earners'],
      params: TokenParam,
      response: { 200: LinkResponse, 404: problem, 410: problem },
    },
    handler: async (request, reply) => {
      void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
      return earner.protocols(tokenOf(request));
    },
  });

  app.post('/exchanges/:token', {
    config: { publicCors: true },
    schema: {
      operationId: 'participateInExchange',
      summary: 'VC-API exchange: {} gets a DIDAuthentication request; a signed DID authentication presentation gets the credentials',
      description:
        'Step 1: POST {} → {verifiablePresentationRequest} (challenge and domain to sign). Step 2: POST ' +
        '{verifiablePresentation} signed by the wallet holder DID → {verifiablePresentation} holding the credentials.',
      tags: ['earners'],
      params: TokenParam,
      body: Type.Object({ verifiablePresentation: Type.Optional(Type.Unknown()) }, { additionalProperties: true }),
      response: { 200: LinkResponse, 400: problem, 404: problem, 409: problem, 410: problem, 422: problem },
    },
    handler: async (request) => earner.exchange(tokenOf(request), request.body as Record<string, unknown>),
  });
}
