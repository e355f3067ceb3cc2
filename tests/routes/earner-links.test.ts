/**
 * Earner access without accounts (src/services/earner.ts, src/routes/earner.ts): the claim link made with every
 * credential, wallet links platforms request, what those private pages show and to whom, their expiry and
 * revocation, the wallet file and CLR they offer (checked by a verifier sharing no code with src/), the VC-API
 * pickup with DID authentication, erasure, and logs that never hold a link token.
 */
import crypto from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import { createLogger } from '../../src/logger.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';
import {
  CLR_CONTEXT_URL,
  ed25519Signature2020Holder,
  multikeyHolder,
  signDidAuth,
  unsignedDidAuth,
  verifyClrIndependently,
  verifyPresentationIndependently,
  type Holder,
} from '../helpers/wallet.js';

type Json = Record<string, any>;

const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const CLR_SCHEMA = 'https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json';
const ACHIEVEMENT_ONE = 'Formative Assessment: Checking for Understanding';
const ACHIEVEMENT_TWO = 'Classroom Discourse: Productive Talk';

interface Issued {
  readonly credential: Json;
  readonly uuid: string;
  readonly claimUrl: string;
  readonly claimExpires: string;
  readonly claimLinkId: string;
  readonly res: LightMyRequestResponse;
}

const tokenOf = (url: string) => url.split('/').pop()!;
const pathOf = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
const sortedIds = (credentials: Json[]) => credentials.map((c) => String(c.id)).sort();

describe(`earner links (${backendName})`, () => {
  let t: TestApp;
  // A mutable clock: tests that jump ahead reset it afterwards. Real time otherwise, so the independent verifier
  // (which checks validFrom against its own clock) agrees with the service.
  let shift = 0;
  const now = () => new Date(Date.now() + shift);
  let one: Issuer;
  let two: Issuer;
  let achievementOne: string;
  let achievementTwo: string;
  let domain: string;

  beforeAll(async () => {
    // Listening: the independent verifier fetches did:web documents and status lists over HTTP.
    t = await createTestApp({ listen: true, clock: now });
    domain = new URL(t.baseUrl).host;
    one = await createIssuer(t.app.services, { name: 'District One' });
    two = await createIssuer(t.app.services, { name: 'District Two', proofType: 'Ed25519Signature2020' });
    achievementOne = (await createAchievement(t.app, one)).id;
    achievementTwo = (await createAchievement(t.app, two, { name: ACHIEVEMENT_TWO })).id;
  });
  afterAll(() => t.close());
  afterEach(() => {
    shift = 0;
  });

  const issue = async (by: Issuer, identity: string, headers: Record<string, string> = {}, overrides: Json = {}): Promise<Issued> => {
    const achievementId = by === one ? achievementOne : achievementTwo;
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { ...by.auth, ...headers },
      payload: issueRequest(achievementId, { recipient: { identity, name: 'Jordan Rivera' }, ...overrides }),
    });
    expect(res.statusCode, res.body).toBe(201);
    const credential = res.json();
    return {
      credential,
      uuid: String(credential.id).split('/').pop()!,
      claimUrl: String(res.headers['claim-url']),
      claimExpires: String(res.headers['claim-expires']),
      claimLinkId: String(res.headers['claim-link-id']),
      res,
    };
  };
  const get = (url: string, accept = 'application/json') => t.app.inject({ method: 'GET', url: pathOf(url), headers: { accept } });
  const pageOf = async (url: string): Promise<Json> => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const createLink = (payload: unknown, auth: Record<string, string> = one.auth) =>
    t.app.inject({ method: 'POST', url: '/earner-links', headers: auth, payload: payload as object });
  const walletLink = async (identity: string, by: Issuer = one, extra: Json = {}): Promise<Json> => {
    const res = await createLink({ kind: 'wallet', recipient: { identity }, ...extra }, by.auth);
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const revokeLink = (id: string, by: Issuer = one) => t.app.inject({ method: 'DELETE', url: `/earner-links/${id}`, headers: by.auth });
  const changeStatus = (uuid: string, action: 'revoke' | 'suspend' | 'reinstate', by: Issuer = one) =>
    t.app.inject({ method: 'POST', url: `/credentials/${uuid}/status`, headers: by.auth, payload: { action, reason: `Test: ${action}` } });
  const exchange = (url: string, payload: unknown) =>
    t.app.inject({ method: 'POST', url: pathOf(url), headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });
  const linkRow = (id: string) => t.database.db.selectFrom('earner_links').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const auditEvents = async (action: string, by: Issuer = one): Promise<Json[]> => {
    const res = await t.app.inject({ method: 'GET', url: `/audit-events?limit=500&action=${action}`, headers: by.auth });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items;
  };
  const expectProblem = (res: LightMyRequestResponse, status: number, slug?: string): Json => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body).toMatchObject({ status, type: expect.stringContaining('/problems/'), title: expect.any(String) });
    if (slug !== undefined) expect(body.type).toBe(`${t.baseUrl}/problems/${slug}`);
    return body;
  };
  const expectExpired = (res: LightMyRequestResponse) => expectProblem(res, 410, 'link-expired');
  const expectNotFound = (res: LightMyRequestResponse) => expectProblem(res, 404, 'link-not-found');
  const expectNearly = (iso: string, expected: number) => {
    expect(Number.isNaN(Date.parse(iso))).toBe(false);
    expect(Math.abs(Date.parse(iso) - expected)).toBeLessThan(60_000);
  };

  describe('the claim link made at issuance', () => {
    it('comes back in Claim-Url, Claim-Expires (180 days by the service clock) and Claim-Link-Id; a replay gives the same link', async () => {
      const before = now().getTime();
      const first = await issue(one, 'claim.replay@example.org', { 'idempotency-key': 'claim-replay-1' });
      expect(first.claimUrl).toMatch(new RegExp(`^${t.baseUrl}/claim/[A-Za-z0-9_-]{43}$`));
      expectNearly(first.claimExpires, before + 180 * DAY_MS);
      expect(first.claimLinkId).toMatch(UUID);

      const replay = await issue(one, 'claim.replay@example.org', { 'idempotency-key': 'claim-replay-1' });
      expect(replay.res.headers['idempotent-replayed']).toBe('true');
      expect(replay.credential.id).toBe(first.credential.id);
      expect(replay.claimUrl).toBe(first.claimUrl);
      expect(replay.claimExpires).toBe(first.claimExpires);
      expect(replay.claimLinkId).toBe(first.claimLinkId);

      // The database holds the token's SHA-256, never the token.
      const row = await linkRow(first.claimLinkId);
      expect(row).toMatchObject({ kind: 'claim', credential_id: first.uuid, issuer_id: one.issuerId, revoked_at: null, claimed_at: null });
      expect(row.token_hash).toBe(crypto.createHash('sha256').update(tokenOf(first.claimUrl)).digest('hex'));
      const { rows } = await sql<Json>`select * from earner_links`.execute(t.database.db);
      expect(JSON.stringify(rows)).not.toContain(tokenOf(first.claimUrl));
    });

    it('exists only with its credential: a refused issuance leaves no link behind', async () => {
      const count = async () =>
        Number((await sql<{ n: number }>`select count(*)::int as n from earner_links`.execute(t.database.db)).rows[0]!.n);
      const before = await count();
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: one.auth,
        payload: issueRequest(achievementOne, {
          recipient: { identity: 'claim.refused@example.org' },
          results: [
            { criterion: 'lesson-plan', level: 'developing' },
            { criterion: 'reflection', level: 'proficient' },
          ],
        }),
      });
      expectProblem(res, 422, 'result-below-required-level');
      expect(res.headers['claim-url']).toBeUndefined();
      expect(await count()).toBe(before);
    });

    it('opens as an HTML page naming the achievement, with no script, no Referer and a CSP that allows no script', async () => {
      const { claimUrl } = await issue(one, 'claim.page@example.org');
      const res = await get(claimUrl, 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain(ACHIEVEMENT_ONE);
      expect(res.body).toContain('District One');
      expect(res.body.toLowerCase()).not.toContain('<script');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['cache-control']).toBe('no-store');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('script-src');
      // The recipient's address appears nowhere on the page.
      expect(res.body.toLowerCase()).not.toContain('claim.page@example.org');
    });

    it('opens as JSON with the wallet protocols, the credential, the wallet file and one CLR', async () => {
      const issued = await issue(one, 'claim.json@example.org');
      const res = await get(issued.claimUrl);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const body = res.json();
      expect(body.kind).toBe('claim');
      expect(body.expiresAt).toBe(issued.claimExpires);
      const token = tokenOf(issued.claimUrl);
      expect(body.protocols.vcapi).toBe(`${t.baseUrl}/exchanges/${token}`);
      expect(body.protocols.lcw).toMatch(/^https:\/\/lcw\.app\/request\.html\?/);
      const lcw = new URL(body.protocols.lcw);
      expect(lcw.searchParams.get('vc_request_url')).toBe(body.protocols.vcapi);
      expect(lcw.searchParams.get('issuer')).toBe(domain);
      expect(body.protocols.verifiablePresentationRequest).toMatchObject({
        query: [{ type: 'DIDAuthentication' }],
        challenge: expect.any(String),
        domain,
      });
      expect(lcw.searchParams.get('challenge')).toBe(body.protocols.verifiablePresentationRequest.challenge);
      expect(body.credentials).toHaveLength(1);
      expect(body.credentials[0]).toMatchObject({ id: issued.credential.id, status: 'active', expired: false, current: true });
      expect(body.credentials[0].credential).toEqual(issued.credential);
      expect(body.walletFile).toBe(`${issued.claimUrl}/wallet.json`);
      expect(body.clrs).toEqual([
        { issuerId: one.issuerId, issuerName: 'District One', url: `${issued.claimUrl}/clr/${one.issuerId}`, count: 1 },
      ]);

      const protocols = await t.app.inject({ method: 'GET', url: `/exchanges/${token}/protocols` });
      expect(protocols.statusCode, protocols.body).toBe(200);
      expect(protocols.json()).toEqual({ protocols: body.protocols });
    });

    it('escapes what the issuer wrote: an achievement name with markup shows as text', async () => {
      const hostile = await createAchievement(t.app, one, { name: 'Assessment <script>alert(1)</script> & <img src=x onerror=alert(2)>' });
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: one.auth,
        payload: issueRequest(hostile.id, { recipient: { identity: 'claim.markup@example.org' } }),
      });
      expect(res.statusCode, res.body).toBe(201);
      const page = await get(String(res.headers['claim-url']), 'text/html');
      expect(page.statusCode).toBe(200);
      expect(page.body.toLowerCase()).not.toContain('<script');
      expect(page.body).not.toContain('<img src=x');
      expect(page.body).toContain('&lt;script&gt;');
    });
  });

  describe('POST /earner-links', () => {
    let revokeOnly: string;

    beforeAll(async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api-keys',
        headers: one.auth,
        payload: { name: 'revoke only', scopes: ['revoke'] },
      });
      expect(res.statusCode, res.body).toBe(201);
      revokeOnly = res.json().apiKey;
    });

    it('needs an API key (401) with the issue scope (403)', async () => {
      const body = { kind: 'wallet', recipient: { identity: 'links.auth@example.org' } };
      expectProblem(await createLink(body, {}), 401);
      expectProblem(await createLink(body, { authorization: 'Bearer mck_wrong' }), 401);
      const refused = expectProblem(await createLink(body, { authorization: `Bearer ${revokeOnly}` }), 403);
      expect(refused.detail).toContain('"issue" scope');
      const unauthenticatedDelete = await t.app.inject({ method: 'DELETE', url: `/earner-links/${crypto.randomUUID()}` });
      expectProblem(unauthenticatedDelete, 401);
    });

    it('creates a wallet link: 201 {id, kind, url, expiresAt}, 7 days by default, up to 90 on request', async () => {
      await issue(one, 'links.create@example.org');
      const before = now().getTime();
      const link = await walletLink('links.create@example.org');
      expect(Object.keys(link).sort()).toEqual(['expiresAt', 'id', 'kind', 'url']);
      expect(link.id).toMatch(UUID);
      expect(link.kind).toBe('wallet');
      expect(link.url).toMatch(new RegExp(`^${t.baseUrl}/earner/[A-Za-z0-9_-]{43}$`));
      expectNearly(link.expiresAt, before + 7 * DAY_MS);
      const long = await walletLink('links.create@example.org', one, { expiresInDays: 90 });
      expectNearly(long.expiresAt, before + 90 * DAY_MS);
      expect(long.url).not.toBe(link.url);
      // Every link is audited without saying whom it is for.
      const events = (await auditEvents('earner-link.create')).filter((e) => e.target === link.id);
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events)).not.toContain('links.create@example.org');
    });

    it.each([
      ['an unknown kind', { kind: 'transcript', recipient: { identity: 'x@example.org' } }],
      ['no kind', { recipient: { identity: 'x@example.org' } }],
      ['expiresInDays 0', { kind: 'wallet', recipient: { identity: 'x@example.org' }, expiresInDays: 0 }],
      ['expiresInDays 91 for a wallet link', { kind: 'wallet', recipient: { identity: 'x@example.org' }, expiresInDays: 91 }],
      ['a fractional expiresInDays', { kind: 'wallet', recipient: { identity: 'x@example.org' }, expiresInDays: 1.5 }],
      ['an extra field', { kind: 'wallet', recipient: { identity: 'x@example.org' }, note: 'hi' }],
      ['an extra recipient field', { kind: 'wallet', recipient: { identity: 'x@example.org', name: 'X' } }],
      ['no recipient', { kind: 'wallet' }],
      ['an empty identity', { kind: 'wallet', recipient: { identity: '' } }],
      ['a claim link without credentialId', { kind: 'claim' }],
      ['a claim link with a credentialId that is not a UUID', { kind: 'claim', credentialId: 'abc' }],
    ])('refuses %s with a 400 problem', async (_name, body) => {
      expectProblem(await createLink(body), 400, 'validation-failed');
    });

    it('makes a fresh claim link for an own credential only (403 for another issuer’s, 404 for none)', async () => {
      const issued = await issue(one, 'links.fresh@example.org');
      const res = await createLink({ kind: 'claim', credentialId: issued.uuid, expiresInDays: 365 });
      expect(res.statusCode, res.body).toBe(201);
      const fresh = res.json();
      expect(fresh.kind).toBe('claim');
      expect(fresh.url).toMatch(new RegExp(`^${t.baseUrl}/claim/[A-Za-z0-9_-]{43}$`));
      expect(fresh.url).not.toBe(issued.claimUrl);
      expectNearly(fresh.expiresAt, now().getTime() + 365 * DAY_MS);
      for (const url of [issued.claimUrl, fresh.url]) expect((await pageOf(url)).credentials[0].id).toBe(issued.credential.id);

      expectProblem(await createLink({ kind: 'claim', credentialId: issued.uuid }, two.auth), 403, 'forbidden');
      expectProblem(await createLink({ kind: 'claim', credentialId: crypto.randomUUID() }), 404, 'credential-not-found');
    });
  });

  describe('privacy: what a wallet link shows', () => {
    const A = 'educator.a@example.org';
    const B = 'educator.b@example.org';
    const ofA: Issued[] = [];
    const ofB: Issued[] = [];

    beforeAll(async () => {
      ofA.push(await issue(one, A), await issue(two, A), await issue(one, A));
      ofB.push(await issue(one, B), await issue(two, B));
    });

    it("lists exactly A's credentials, from both issuers, and none of B's, whichever issuer asked", async () => {
      for (const by of [one, two]) {
        const page = await pageOf((await walletLink(A, by)).url);
        expect(page.kind).toBe('wallet');
        expect(sortedIds(page.credentials)).toEqual(sortedIds(ofA.map((i) => i.credential)));
        for (const b of ofB) expect(JSON.stringify(page)).not.toContain(b.credential.id);
        expect(page.clrs.map((c: Json) => [c.issuerId, c.count]).sort()).toEqual(
          [
            [one.issuerId, 2],
            [two.issuerId, 1],
          ].sort(),
        );
      }
      const pageB = await pageOf((await walletLink(B)).url);
      expect(sortedIds(pageB.credentials)).toEqual(sortedIds(ofB.map((i) => i.credential)));
    });

    it('shows both issuers on the HTML page, and neither recipient address', async () => {
      const res = await get((await walletLink(A)).url, 'text/html');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain(ACHIEVEMENT_ONE);
      expect(res.body).toContain(ACHIEVEMENT_TWO);
      expect(res.body).toContain('District Two');
      expect(res.body.toLowerCase()).not.toContain(A);
      expect(res.body.toLowerCase()).not.toContain('<script');
    });

    it('normalises the identifier as issuance does: "A@Example.ORG " finds credentials issued to "a@example.org"', async () => {
      const issued = await issue(one, 'norm.case@example.org');
      const page = await pageOf((await walletLink('  Norm.Case@Example.ORG ')).url);
      expect(sortedIds(page.credentials)).toEqual([issued.credential.id]);
      // …and the other way round.
      const upper = await issue(two, ' UPPER.Case@Example.org');
      expect(sortedIds((await pageOf((await walletLink('upper.case@example.org', two)).url)).credentials)).toEqual([upper.credential.id]);
      // Only e-mail addresses are case-folded, and the identifier type is part of the lookup (for the issuer's
      // relationship with the educator too: it never issued to that string as a sourcedId).
      expect((await pageOf((await walletLink('norm.case@example.org', one, {})).url)).credentials).toHaveLength(1);
      const other = await createLink({ kind: 'wallet', recipient: { identity: 'norm.case@example.org', identityType: 'sourcedId' } });
      expectProblem(other, 403, 'forbidden');
    });

    it('refuses (403) a wallet link for an address this issuer never issued to, and makes no link', async () => {
      const count = async () =>
        Number((await sql<{ n: number }>`select count(*)::int as n from earner_links`.execute(t.database.db)).rows[0]!.n);
      const onlyTwo = 'only.two@example.org';
      await issue(two, onlyTwo);
      const before = await count();
      const problem = expectProblem(await createLink({ kind: 'wallet', recipient: { identity: 'nobody@example.org' } }), 403, 'forbidden');
      expect(JSON.stringify(problem)).not.toContain('nobody@example.org');
      // An address only the other issuer issued to: the same for this one, 201 for that one.
      expectProblem(await createLink({ kind: 'wallet', recipient: { identity: onlyTwo } }), 403, 'forbidden');
      expect(await count()).toBe(before);
      expect((await createLink({ kind: 'wallet', recipient: { identity: onlyTwo } }, two.auth)).statusCode).toBe(201);
    });

    it("lets no issuer fish for another issuer's credentials: a wallet link is 403 until it has issued to that person", async () => {
      const fisher = await createIssuer(t.app.services, { name: 'District Fisher' });
      const fisherAchievement = (await createAchievement(t.app, fisher, { name: 'Fisher badge' })).id;
      // A (ofA) holds credentials of one and two; the fisher has none of theirs.
      expectProblem(await createLink({ kind: 'wallet', recipient: { identity: A } }, fisher.auth), 403, 'forbidden');
      expectProblem(await createLink({ kind: 'wallet', recipient: { identity: ` ${A.toUpperCase()}` } }, fisher.auth), 403, 'forbidden');
      expect((await auditEvents('earner-link.create', fisher)).length).toBe(0);
      // Once it has issued them a credential of its own, it may: the page then shows everything they hold.
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: fisher.auth,
        payload: issueRequest(fisherAchievement, { recipient: { identity: A } }),
      });
      expect(res.statusCode, res.body).toBe(201);
      const page = await pageOf((await walletLink(A, fisher)).url);
      expect(sortedIds(page.credentials)).toEqual(sortedIds([...ofA.map((i) => i.credential), res.json()]));
    });
  });

  describe('expiry and revocation of links', () => {
    it('answers 410 link-expired from the instant a wallet link expires, everywhere it is used', async () => {
      await issue(one, 'expiry.wallet@example.org');
      const link = await walletLink('expiry.wallet@example.org');
      const token = tokenOf(link.url);
      shift = Date.parse(link.expiresAt) - Date.now() - 1000;
      expect((await get(link.url)).statusCode).toBe(200);
      shift = Date.parse(link.expiresAt) - Date.now();
      expectExpired(await get(link.url));
      expectExpired(await get(link.url, 'text/html'));
      expectExpired(await get(`${link.url}/wallet.json`));
      expectExpired(await get(`${link.url}/clr/${one.issuerId}`));
      expectExpired(await exchange(`${t.baseUrl}/exchanges/${token}`, {}));
      expectExpired(await t.app.inject({ method: 'GET', url: `/exchanges/${token}/protocols` }));
    });

    it('expires the claim link after 180 days', async () => {
      const issued = await issue(one, 'expiry.claim@example.org', { 'idempotency-key': 'expiry-claim-1' });
      shift = 180 * DAY_MS - 60_000;
      expect((await get(issued.claimUrl)).statusCode).toBe(200);
      shift = 180 * DAY_MS + 60_000;
      expectExpired(await get(issued.claimUrl));
      // A replay no longer hands out the dead link.
      const replay = await issue(one, 'expiry.claim@example.org', { 'idempotency-key': 'expiry-claim-1' });
      expect(replay.res.headers['idempotent-replayed']).toBe('true');
      expect(replay.res.headers['claim-url']).toBeUndefined();
    });

    it('revokes a link at once and idempotently (204, 204), auditing it once', async () => {
      const issued = await issue(one, 'revoke.link@example.org');
      const link = await walletLink('revoke.link@example.org');
      expect((await revokeLink(link.id)).statusCode).toBe(204);
      expect((await revokeLink(link.id)).statusCode).toBe(204);
      expectExpired(await get(link.url));
      expectExpired(await get(`${link.url}/wallet.json`));
      expect((await auditEvents('earner-link.revoke')).filter((e) => e.target === link.id)).toHaveLength(1);
      expect((await linkRow(link.id)).revoked_at).toBeInstanceOf(Date);

      // The claim link made at issuance revokes the same way (by Claim-Link-Id); the credential is untouched.
      expect((await revokeLink(issued.claimLinkId)).statusCode).toBe(204);
      expectExpired(await get(issued.claimUrl));
      expectExpired(await exchange(`${t.baseUrl}/exchanges/${tokenOf(issued.claimUrl)}`, {}));
      expect((await t.app.inject({ method: 'GET', url: `/credentials/${issued.uuid}` })).statusCode).toBe(200);
    });

    it("refuses to revoke another issuer's link (404) and leaves it working", async () => {
      await issue(one, 'revoke.other@example.org');
      const link = await walletLink('revoke.other@example.org');
      expectProblem(await revokeLink(link.id, two), 404, 'link-not-found');
      expectProblem(await revokeLink(crypto.randomUUID()), 404, 'link-not-found');
      expectProblem(await revokeLink('not-a-uuid'), 400);
      expect((await get(link.url)).statusCode).toBe(200);
      expect((await linkRow(link.id)).revoked_at).toBeNull();
    });

    it('answers 404 for a made-up token, and for a token used on the other kind of page', async () => {
      const madeUp = crypto.randomBytes(32).toString('base64url');
      expectNotFound(await get(`${t.baseUrl}/claim/${madeUp}`));
      expectNotFound(await get(`${t.baseUrl}/earner/${madeUp}`));
      expectNotFound(await get(`${t.baseUrl}/claim/short`));
      expectNotFound(await exchange(`${t.baseUrl}/exchanges/${madeUp}`, {}));
      const issued = await issue(one, 'wrong.kind@example.org');
      const link = await walletLink('wrong.kind@example.org');
      expectNotFound(await get(`${t.baseUrl}/earner/${tokenOf(issued.claimUrl)}`));
      expectNotFound(await get(`${t.baseUrl}/earner/${tokenOf(issued.claimUrl)}/wallet.json`));
      expectNotFound(await get(`${t.baseUrl}/claim/${tokenOf(link.url)}`));
      expectNotFound(await get(`${t.baseUrl}/claim/${tokenOf(link.url)}/clr/${one.issuerId}`));
    });
  });

  describe('the wallet file', () => {
    it('is a VerifiablePresentation of every current credential; each verifies independently, and so does the whole', async () => {
      const who = 'wallet.file@example.org';
      const issued = [await issue(one, who), await issue(two, who)];
      const link = await walletLink(who);
      const res = await get(`${link.url}/wallet.json`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/ld\+json/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename=".+\.json"$/);
      expect(res.headers['cache-control']).toBe('no-store');
      const presentation = res.json();
      expect(presentation['@context']).toEqual([VC_V2]);
      expect(presentation.type).toEqual(['VerifiablePresentation']);
      expect(presentation.id).toMatch(/^urn:uuid:/);
      expect(presentation.proof).toBeUndefined();
      expect(sortedIds(presentation.verifiableCredential)).toEqual(sortedIds(issued.map((i) => i.credential)));
      // Each credential exactly as issued, proof included.
      for (const i of issued) expect(presentation.verifiableCredential).toContainEqual(i.credential);
      for (const credential of presentation.verifiableCredential) {
        const result = await verifyIndependently(credential);
        expect(result.verified, String(result.error)).toBe(true);
      }
      const whole = await verifyPresentationIndependently(presentation);
      expect(whole.verified, String(whole.error)).toBe(true);
      expect(whole.credentialResults).toHaveLength(2);

      // The claim link's wallet file holds its one credential.
      const single = (await get(`${issued[1]!.claimUrl}/wallet.json`)).json();
      expect(single.verifiableCredential).toEqual([issued[1]!.credential]);
      expect((await verifyPresentationIndependently(single)).verified).toBe(true);
    });
  });

  describe('revoked and suspended credentials', () => {
    const who = 'status.case@example.org';
    let revoked: Issued;
    let suspended: Issued;
    let active: Issued;
    let link: Json;

    beforeAll(async () => {
      revoked = await issue(one, who);
      suspended = await issue(one, who);
      active = await issue(one, who);
      expect((await changeStatus(revoked.uuid, 'revoke')).statusCode).toBe(200);
      expect((await changeStatus(suspended.uuid, 'suspend')).statusCode).toBe(200);
      link = await walletLink(who);
    });

    it('lists them with their status, but keeps them out of the wallet file and the CLR', async () => {
      const page = await pageOf(link.url);
      const byId = new Map(page.credentials.map((c: Json) => [c.id, c]));
      expect(byId.get(revoked.credential.id)).toMatchObject({ status: 'revoked', current: false });
      expect(byId.get(suspended.credential.id)).toMatchObject({ status: 'suspended', current: false });
      expect(byId.get(active.credential.id)).toMatchObject({ status: 'active', current: true });
      expect(page.clrs).toEqual([expect.objectContaining({ issuerId: one.issuerId, count: 1 })]);
      const html = (await get(link.url, 'text/html')).body;
      expect(html).toContain('Revoked');
      expect(html).toContain('Suspended');

      const wallet = (await get(`${link.url}/wallet.json`)).json();
      expect(sortedIds(wallet.verifiableCredential)).toEqual([active.credential.id]);
      const clr = (await get(`${link.url}/clr/${one.issuerId}`)).json();
      expect(sortedIds(clr.credentialSubject.verifiableCredential)).toEqual([active.credential.id]);

      // The revoked credential's own claim link still shows it, as revoked, with nothing to bundle.
      const claimPage = await pageOf(revoked.claimUrl);
      expect(claimPage.credentials[0]).toMatchObject({ status: 'revoked', current: false });
      expect(claimPage.walletFile).toBeNull();
      expectProblem(await get(`${revoked.claimUrl}/wallet.json`), 409, 'nothing-to-bundle');
    });

    it('refuses their badges: 410 when revoked, 409 while suspended', async () => {
      const png = (i: Issued) => t.app.inject({ method: 'GET', url: `/credentials/${i.uuid}/badge.png` });
      expectProblem(await png(revoked), 410, 'credential-revoked');
      expectProblem(await png(suspended), 409, 'credential-suspended');
      const ok = await png(active);
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['content-type']).toBe('image/png');
    });

    it('has nothing to bundle (409) once every credential is revoked', async () => {
      expect((await changeStatus(suspended.uuid, 'revoke')).statusCode).toBe(200);
      expect((await changeStatus(active.uuid, 'revoke')).statusCode).toBe(200);
      const page = await pageOf(link.url);
      expect(page.credentials.map((c: Json) => c.status)).toEqual(['revoked', 'revoked', 'revoked']);
      expect(page.walletFile).toBeNull();
      expectProblem(await get(`${link.url}/wallet.json`), 409, 'nothing-to-bundle');
      expectProblem(await get(`${link.url}/clr/${one.issuerId}`), 409, 'nothing-to-bundle');
    });
  });

  it('treats a credential past its validUntil as not current: listed as expired, left out of the bundles', async () => {
    const who = 'valid.until@example.org';
    const until = new Date(now().getTime() + 2 * DAY_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const expiring = await issue(one, who, {}, { validUntil: until });
    const lasting = await issue(one, who);
    const link = await walletLink(who);
    expect((await pageOf(link.url)).credentials.every((c: Json) => c.current)).toBe(true);
    shift = 3 * DAY_MS;
    const page = await pageOf(link.url);
    const byId = new Map(page.credentials.map((c: Json) => [c.id, c]));
    expect(byId.get(expiring.credential.id)).toMatchObject({ status: 'active', expired: true, current: false });
    expect(byId.get(lasting.credential.id)).toMatchObject({ status: 'active', expired: false, current: true });
    expect(sortedIds((await get(`${link.url}/wallet.json`)).json().verifiableCredential)).toEqual([lasting.credential.id]);
    expectProblem(await get(`${expiring.claimUrl}/wallet.json`), 409, 'nothing-to-bundle');
  });

  describe('the CLR', () => {
    const who = 'clr.case@example.org';
    let ofOne: Issued[];
    let ofTwo: Issued[];
    let link: Json;

    beforeAll(async () => {
      ofOne = [await issue(one, who), await issue(one, who)];
      ofTwo = [await issue(two, who)];
      await issue(one, 'clr.someone.else@example.org');
      link = await walletLink(who);
    });

    const countClrs = async () =>
      Number((await sql<{ n: number }>`select count(*)::int as n from clr_credentials`.execute(t.database.db)).rows[0]!.n);

    it("is a ClrCredential of that issuer's current credentials only, signed by the issuer, stored once", async () => {
      const before = await countClrs();
      const res = await get(`${link.url}/clr/${one.issuerId}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
      expect(res.headers['content-disposition']).toMatch(/^attachment; /);
      const clr = res.json();
      expect(clr.type).toEqual(['VerifiableCredential', 'ClrCredential']);
      expect(clr['@context'].slice(0, 3)).toEqual([VC_V2, CLR_CONTEXT_URL, OB_CONTEXT]);
      expect(clr.id).toMatch(/^urn:uuid:/);
      expect(clr.issuer).toMatchObject({ id: one.did, name: 'District One' });
      expect(clr.credentialSchema).toEqual([{ id: CLR_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }]);
      expect(clr.credentialSubject.type).toEqual(['ClrSubject']);
      expect(sortedIds(clr.credentialSubject.verifiableCredential)).toEqual(sortedIds(ofOne.map((i) => i.credential)));
      for (const i of ofOne) expect(clr.credentialSubject.verifiableCredential).toContainEqual(i.credential);
      expect(clr.proof).toBeDefined();

      const independent = await verifyClrIndependently(clr);
      expect(independent.verified, String(independent.error)).toBe(true);
      for (const bundled of clr.credentialSubject.verifiableCredential) {
        const result = await verifyIndependently(bundled);
        expect(result.verified, String(result.error)).toBe(true);
      }

      const again = await get(`${link.url}/clr/${one.issuerId}`);
      expect(again.statusCode).toBe(200);
      expect(again.body).toBe(res.body);
      expect(await countClrs()).toBe(before + 1);
      const rows = await t.database.db
        .selectFrom('clr_credentials')
        .selectAll()
        .where('id', '=', String(clr.id).slice('urn:uuid:'.length))
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.signed_json).toBe(res.body);

      const ours = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: clr } });
      expect(ours.statusCode, ours.body).toBe(200);
      expect(ours.json().verified).toBe(true);
    });

    it("of the other issuer holds only that issuer's credential, in its own proof type", async () => {
      const clr = (await get(`${link.url}/clr/${two.issuerId}`)).json();
      expect(clr.issuer.id).toBe(two.did);
      expect(clr['@context'].slice(0, 3)).toEqual([VC_V2, CLR_CONTEXT_URL, OB_CONTEXT]);
      expect(clr.proof.type ?? clr.proof[0]?.type).toBe('Ed25519Signature2020');
      expect(sortedIds(clr.credentialSubject.verifiableCredential)).toEqual(sortedIds(ofTwo.map((i) => i.credential)));
      const independent = await verifyClrIndependently(clr);
      expect(independent.verified, String(independent.error)).toBe(true);
    });

    it('is refused (409) for an issuer with no credentials on the link', async () => {
      const third = await createIssuer(t.app.services, { name: 'District Three' });
      expectProblem(await get(`${link.url}/clr/${third.issuerId}`), 409, 'nothing-to-bundle');
    });
  });

  describe('the VC-API exchange (wallet pickup with DID authentication)', () => {
    const start = async (url: string): Promise<{ challenge: string; domain: string }> => {
      const res = await exchange(url, {});
      expect(res.statusCode, res.body).toBe(200);
      const request = res.json().verifiablePresentationRequest;
      expect(request).toMatchObject({ query: [{ type: 'DIDAuthentication' }], challenge: expect.any(String), domain });
      return { challenge: request.challenge, domain: request.domain };
    };
    const exchangeUrl = async (pageUrl: string): Promise<string> => (await pageOf(pageUrl)).protocols.vcapi;

    it.each([
      ['DataIntegrityProof eddsa-rdfc-2022 (Multikey)', multikeyHolder],
      ['Ed25519Signature2020 (Ed25519VerificationKey2020)', ed25519Signature2020Holder],
    ])('hands the credential to a holder who authenticates with %s, and records the claim', async (_name, makeHolder) => {
      const issued = await issue(one, `pickup.${crypto.randomUUID().slice(0, 8)}@example.org`);
      const url = await exchangeUrl(issued.claimUrl);
      const { challenge } = await start(url);
      const holder = await makeHolder();
      const vp = await signDidAuth(holder, { challenge, domain });
      const res = await exchange(url, { verifiablePresentation: vp });
      expect(res.statusCode, res.body).toBe(200);
      const delivered = res.json().verifiablePresentation;
      expect(delivered.type).toEqual(['VerifiablePresentation']);
      expect(delivered.verifiableCredential).toEqual([issued.credential]);
      expect((await verifyPresentationIndependently(delivered)).verified).toBe(true);

      const row = await linkRow(issued.claimLinkId);
      expect(row.claimed_at).toBeInstanceOf(Date);
      expect(row.holder_did).toBe(holder.did);
      const events = (await auditEvents('credential.claim')).filter((e) => e.target === issued.claimLinkId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'credential.claim', actor: 'system', detail: { credentials: 1 } });
    });

    it('hands every current credential of a wallet link, from both issuers, in one presentation', async () => {
      const who = 'pickup.wallet@example.org';
      const issued = [await issue(one, who), await issue(two, who)];
      const link = await walletLink(who, two);
      const url = await exchangeUrl(link.url);
      const holder = await ed25519Signature2020Holder();
      // A wallet may post the presentation itself rather than wrapped.
      const res = await exchange(url, await signDidAuth(holder, { ...(await start(url)) }));
      expect(res.statusCode, res.body).toBe(200);
      expect(sortedIds(res.json().verifiablePresentation.verifiableCredential)).toEqual(sortedIds(issued.map((i) => i.credential)));
      expect((await linkRow(link.id)).holder_did).toBe(holder.did);
      expect((await auditEvents('credential.claim', two)).filter((e) => e.target === link.id)).toHaveLength(1);
    });

    describe('the challenge: random, stored, expiring, used once', () => {
      const challengeRow = async (linkId: string) => {
        const row = await linkRow(linkId);
        return { challenge: row.challenge, expiresAt: row.challenge_expires_at === null ? null : new Date(row.challenge_expires_at) };
      };
      const lcwChallenge = async (pageUrl: string) => new URL((await pageOf(pageUrl)).protocols.lcw).searchParams.get('challenge');

      it('is random per link, stored with a 24-hour expiry, and the same on every request while it has over an hour left', async () => {
        const issued = await issue(one, `challenge.stable.${crypto.randomUUID().slice(0, 8)}@example.org`);
        const url = await exchangeUrl(issued.claimUrl);
        const first = (await start(url)).challenge;
        expect(first).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const stored = await challengeRow(issued.claimLinkId);
        expect(stored.challenge).toBe(first);
        expectNearly(stored.expiresAt!.toISOString(), now().getTime() + 24 * 3_600_000);
        expect((await start(url)).challenge).toBe(first);
        expect(await lcwChallenge(issued.claimUrl)).toBe(first);
        const protocols = await t.app.inject({ method: 'GET', url: `/exchanges/${tokenOf(issued.claimUrl)}/protocols` });
        expect(protocols.json().protocols.verifiablePresentationRequest.challenge).toBe(first);
        shift = 22 * 3_600_000; // two hours left: still the same
        expect((await start(url)).challenge).toBe(first);
        shift = 23.5 * 3_600_000; // under an hour left: a new one, and the old one no longer authenticates
        const next = (await start(url)).challenge;
        expect(next).not.toBe(first);
        expect(await lcwChallenge(issued.claimUrl)).toBe(next);
        const holder = await multikeyHolder();
        expectProblem(
          await exchange(url, { verifiablePresentation: await signDidAuth(holder, { challenge: first, domain }) }),
          422,
          'did-authentication-failed',
        );
        expect((await linkRow(issued.claimLinkId)).claimed_at).toBeNull();
        const ok = await exchange(url, { verifiablePresentation: await signDidAuth(holder, { challenge: next, domain }) });
        expect(ok.statusCode, ok.body).toBe(200);
      });

      it('cannot be used twice: the same signed presentation replayed is 422, and a pickup gives a NEW challenge', async () => {
        const issued = await issue(one, `challenge.replay.${crypto.randomUUID().slice(0, 8)}@example.org`);
        const url = await exchangeUrl(issued.claimUrl);
        const { challenge } = await start(url);
        const holder = await multikeyHolder();
        const vp = await signDidAuth(holder, { challenge, domain });
        const first = await exchange(url, { verifiablePresentation: vp });
        expect(first.statusCode, first.body).toBe(200);
        const claimedAt = (await linkRow(issued.claimLinkId)).claimed_at;
        expect(await challengeRow(issued.claimLinkId)).toEqual({ challenge: null, expiresAt: null });

        const replay = expectProblem(await exchange(url, { verifiablePresentation: vp }), 422, 'did-authentication-failed');
        expect(replay.detail).toMatch(/challenge/i);
        expect(await exchange(url, vp)).toMatchObject({ statusCode: 422 }); // unwrapped, the same
        expect((await auditEvents('credential.claim')).filter((e) => e.target === issued.claimLinkId)).toHaveLength(1);
        expect((await linkRow(issued.claimLinkId)).claimed_at).toEqual(claimedAt);

        // POST {} starts again with a new challenge; the deep link carries it; a new presentation over it works once.
        const renewed = (await start(url)).challenge;
        expect(renewed).not.toBe(challenge);
        expect(await lcwChallenge(issued.claimUrl)).toBe(renewed);
        expect((await exchange(url, { verifiablePresentation: vp })).statusCode).toBe(422); // the old one still not
        const again = await exchange(url, { verifiablePresentation: await signDidAuth(holder, { challenge: renewed, domain }) });
        expect(again.statusCode, again.body).toBe(200);
        expect((await auditEvents('credential.claim')).filter((e) => e.target === issued.claimLinkId)).toHaveLength(2);
      });

      it('refuses (422) a presentation over a challenge that expired (25 hours later), then offers a new one', async () => {
        const issued = await issue(one, `challenge.expired.${crypto.randomUUID().slice(0, 8)}@example.org`);
        const url = await exchangeUrl(issued.claimUrl);
        const { challenge } = await start(url);
        const holder = await ed25519Signature2020Holder();
        const vp = await signDidAuth(holder, { challenge, domain });
        shift = 25 * 3_600_000;
        expectProblem(await exchange(url, { verifiablePresentation: vp }), 422, 'did-authentication-failed');
        expect((await linkRow(issued.claimLinkId)).claimed_at).toBeNull();
        const fresh = (await start(url)).challenge;
        expect(fresh).not.toBe(challenge);
        expectNearly((await challengeRow(issued.claimLinkId)).expiresAt!.toISOString(), now().getTime() + 24 * 3_600_000);
        expect((await exchange(url, { verifiablePresentation: vp })).statusCode).toBe(422);
        const ok = await exchange(url, { verifiablePresentation: await signDidAuth(holder, { challenge: fresh, domain }) });
        expect(ok.statusCode, ok.body).toBe(200);
      });

      it('refuses (422) a presentation before any challenge was handed out for the link', async () => {
        const issued = await issue(one, `challenge.none.${crypto.randomUUID().slice(0, 8)}@example.org`);
        const url = `${t.baseUrl}/exchanges/${tokenOf(issued.claimUrl)}`;
        expect((await challengeRow(issued.claimLinkId)).challenge).toBeNull();
        const vp = await signDidAuth(await multikeyHolder(), { challenge: crypto.randomBytes(32).toString('base64url'), domain });
        expectProblem(await exchange(url, { verifiablePresentation: vp }), 422, 'did-authentication-failed');
      });

      it('GET /exchanges/{token}/protocols is not cached and sends no Referer', async () => {
        const issued = await issue(one, `challenge.headers.${crypto.randomUUID().slice(0, 8)}@example.org`);
        const res = await t.app.inject({ method: 'GET', url: `/exchanges/${tokenOf(issued.claimUrl)}/protocols` });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(new URL(res.json().protocols.lcw).searchParams.get('challenge')).toBe((await challengeRow(issued.claimLinkId)).challenge);
      });
    });

    describe('refuses a DID authentication that does not verify (422) and marks nothing claimed', () => {
      let issued: Issued;
      let url: string;
      let challenge: string;
      let holder: Holder;
      let stranger: Holder;

      beforeAll(async () => {
        issued = await issue(one, 'pickup.refused@example.org');
        url = await exchangeUrl(issued.claimUrl);
        ({ challenge } = await start(url));
        holder = await multikeyHolder();
        stranger = await multikeyHolder();
      });

      const expectRefused = async (vp: unknown) => {
        const res = await exchange(url, { verifiablePresentation: vp });
        expectProblem(res, 422, 'did-authentication-failed');
        const row = await linkRow(issued.claimLinkId);
        expect(row.claimed_at).toBeNull();
        expect(row.holder_did).toBeNull();
        expect((await auditEvents('credential.claim')).filter((e) => e.target === issued.claimLinkId)).toEqual([]);
      };

      it('signed over another challenge', async () => {
        await expectRefused(await signDidAuth(holder, { challenge: crypto.randomBytes(32).toString('base64url'), domain }));
      });
      it('signed for another domain', async () => {
        await expectRefused(await signDidAuth(holder, { challenge, domain: 'wallet-phishing.example' }));
      });
      it('not signed at all', async () => {
        await expectRefused(unsignedDidAuth(holder));
      });
      it('naming a holder other than the DID whose key signed it', async () => {
        await expectRefused(await signDidAuth(stranger, { challenge, domain, holderDid: holder.did }));
      });
      it("using another link's challenge", async () => {
        const other = await issue(one, 'pickup.refused.other@example.org');
        const otherChallenge = (await start(await exchangeUrl(other.claimUrl))).challenge;
        expect(otherChallenge).not.toBe(challenge);
        await expectRefused(await signDidAuth(holder, { challenge: otherChallenge, domain }));
      });
      it('that is a string, not a presentation', async () => {
        await expectRefused('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK');
      });
      // Known bug (src/credentials/presentation.ts verifyDidAuth): @digitalbazaar/vc verify() returns
      // _verifyPresentation() without awaiting it, so its shape checks reject instead of returning
      // {verified: false}; verifyDidAuth rethrows the plain Error and the exchange answers 500 instead of 422.
      it('signed, but without the W3C credentials @context (bug: 500 instead of 422)', async () => {
        const vp = await signDidAuth(holder, { challenge, domain });
        await expectRefused({ ...vp, '@context': ['https://wallet.example/not-a-credentials-context'] });
      });
      it('signed, but whose type is not VerifiablePresentation (bug: 500 instead of 422)', async () => {
        const vp = await signDidAuth(holder, { challenge, domain });
        await expectRefused({ ...vp, type: ['DidAuthentication'] });
      });
    });
  });

  describe("the earner's request for a completed stack (a form on their page)", () => {
    const who = `stack.request.${crypto.randomUUID().slice(0, 8)}@example.org`;
    let first: string;
    let second: string;
    let stack: string;
    let unrelatedStack: string;
    let claimUrl: string;
    let wallet: Json;

    const createStack = async (components: string[], award: 'automatic' | 'on-request' = 'on-request'): Promise<string> => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/achievements',
        headers: one.auth,
        payload: {
          name: 'Assessment Pathway',
          description: 'A stack of micro-credentials.',
          achievementType: 'LearningProgram',
          criteria: { narrative: 'Earn the components.' },
          stack: { award, requirements: [{ name: 'Core', components: components.map((achievementId) => ({ achievementId })) }] },
        },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id;
    };
    const issueOf = async (achievementId: string, by: Issuer, identity: string) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: by.auth,
        payload: issueRequest(achievementId, { recipient: { identity } }),
      });
      expect(res.statusCode, res.body).toBe(201);
      return { credential: res.json() as Json, claimUrl: String(res.headers['claim-url']) };
    };
    const requestStack = (pageUrl: string, stackId: string) =>
      t.app.inject({
        method: 'POST',
        url: `${pathOf(pageUrl)}/stacks/${stackId}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: '',
      });
    const stackCredentials = (stackId: string) =>
      t.database.db.selectFrom('credentials').selectAll().where('achievement_id', '=', stackId).execute();

    beforeAll(async () => {
      first = (await createAchievement(t.app, one, { name: 'Stack Request One' })).id;
      second = (await createAchievement(t.app, two, { name: 'Stack Request Two' })).id;
      const third = (await createAchievement(t.app, one, { name: 'Stack Request Elsewhere' })).id;
      stack = await createStack([first, second]);
      unrelatedStack = await createStack([third]);
      claimUrl = (await issueOf(first, one, who)).claimUrl;
      await issueOf(second, two, who);
      wallet = await walletLink(who, two);
    });

    it('offers "Request this credential" on the page as a plain form posting below the page', async () => {
      const res = await get(wallet.url, 'text/html');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain('Request this credential');
      expect(res.body).toContain(`<form class="inline" method="post" action="${wallet.url}/stacks/${stack}">`);
      expect(String(res.headers['content-security-policy'])).toContain("form-action 'self'");
      expect(res.body).not.toContain(unrelatedStack);
    });

    it('refuses a stack not on the page (404), one not complete (409) and a dead link (404/410), issuing nothing', async () => {
      expectProblem(await requestStack(wallet.url, unrelatedStack), 404, 'not-found');
      expectProblem(await requestStack(wallet.url, crypto.randomUUID()), 404);
      expectProblem(await requestStack(wallet.url, first), 404); // a plain achievement, not a stack
      const short = `short.${crypto.randomUUID().slice(0, 8)}@example.org`;
      const partial = await issueOf(first, one, short);
      const problem = expectProblem(await requestStack(partial.claimUrl, stack), 409, 'stack-not-complete');
      expect(problem.detail).toBeDefined();
      expectProblem(
        await requestStack(`${t.baseUrl}/earner/${crypto.randomBytes(32).toString('base64url')}`, stack),
        404,
        'link-not-found',
      );
      const revoked = await walletLink(who);
      expect((await revokeLink(revoked.id)).statusCode).toBe(204);
      expectExpired(await requestStack(revoked.url, stack));
      expect(await stackCredentials(stack)).toHaveLength(0);
      expect(await stackCredentials(unrelatedStack)).toHaveLength(0);
    });

    it('awards it on the POST from the claim page (303 back to the page); again, and from the wallet page, 303 with no second', async () => {
      const res = await requestStack(claimUrl, stack);
      expect(res.statusCode, res.body).toBe(303);
      expect(res.headers.location).toBe(claimUrl);
      expect(res.headers['cache-control']).toBe('no-store');
      const rows = await stackCredentials(stack);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.issuer_id).toBe(one.issuerId);
      const credential = JSON.parse(rows[0]!.signed_json) as Json;
      expect((await verifyIndependently(credential)).verified).toBe(true);

      const again = await requestStack(claimUrl, stack);
      expect(again.statusCode).toBe(303);
      const fromWallet = await requestStack(wallet.url, stack);
      expect(fromWallet.statusCode).toBe(303);
      expect(fromWallet.headers.location).toBe(wallet.url);
      expect(await stackCredentials(stack)).toHaveLength(1);

      // The page now shows it completed, with its credential and no form; the wallet lists the stack credential.
      const html = (await get(wallet.url, 'text/html')).body;
      expect(html).toContain('Completed');
      expect(html).toContain(rows[0]!.credential_url);
      expect(html).not.toContain(`action="${wallet.url}/stacks/${stack}"`);
      expect((await pageOf(wallet.url)).credentials.map((c: Json) => c.id)).toContain(rows[0]!.credential_url);
    });
  });

  describe('erasure', () => {
    it("revokes the issuer's wallet links for the recipient and the claim links of their credentials", async () => {
      const who = 'erase.case@example.org';
      const mine = await issue(one, who);
      const theirs = await issue(two, who);
      const myLink = await walletLink(who, one);
      const theirLink = await walletLink(who, two);
      const clr = await get(`${myLink.url}/clr/${one.issuerId}`);
      expect(clr.statusCode).toBe(200);

      const res = await t.app.inject({
        method: 'POST',
        url: '/recipients/erase',
        headers: one.auth,
        payload: { identity: ' Erase.Case@Example.org' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({ erased: 1 });

      expectExpired(await get(myLink.url));
      expectExpired(await get(mine.claimUrl));
      expectExpired(await get(`${mine.claimUrl}/wallet.json`));
      expect((await linkRow(myLink.id)).recipient_lookup_hash).toBeNull();
      // The other issuer's links stay, and no longer find the erased credential.
      expect(sortedIds((await pageOf(theirLink.url)).credentials)).toEqual([theirs.credential.id]);
      expect((await get(theirs.claimUrl)).statusCode).toBe(200);
      // The erasing issuer holds nothing for them any more, so it can no longer open their wallet (403); the other can.
      expectProblem(await createLink({ kind: 'wallet', recipient: { identity: who } }), 403, 'forbidden');
      expect(sortedIds((await pageOf((await walletLink(who, two)).url)).credentials)).toEqual([theirs.credential.id]);
      const stored = await t.database.db
        .selectFrom('clr_credentials')
        .select('recipient_lookup_hash')
        .where('id', '=', String(clr.json().id).slice('urn:uuid:'.length))
        .executeTakeFirstOrThrow();
      expect(stored.recipient_lookup_hash).toBeNull();
    });
  });

  describe('logs', () => {
    const lines: string[] = [];
    let app: Awaited<ReturnType<typeof buildApp>>;
    let issuer: Issuer;
    let claimToken: string;
    let walletToken: string;

    beforeAll(async () => {
      const sink = new Writable({
        write(chunk, _encoding, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      });
      // A second instance over the same database, logging to memory as the server does (tests/app/logging.test.ts).
      const box = createSecretBox(Buffer.alloc(32, 7));
      app = await buildApp({
        config: {
          publicUrl: 'http://localhost:3999',
          allowPrivateFetch: false,
          fetchTimeoutMs: 1000,
          fetchMaxBytes: 65_536,
          bodyLimitBytes: 262_144,
        },
        db: t.database.db,
        keyring: createKeyring(box),
        box,
        logger: createLogger({ logLevel: 'info' }, sink),
      });
      issuer = await createIssuer(app.services, { name: 'Logged District' });
      const { id } = await createAchievement(app, issuer);
      const issued = await app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
      expect(issued.statusCode, issued.body).toBe(201);
      claimToken = tokenOf(String(issued.headers['claim-url']));
      const wallet = await app.inject({
        method: 'POST',
        url: '/earner-links',
        headers: issuer.auth,
        payload: { kind: 'wallet', recipient: { identity: 'teacher.one@district.example' } },
      });
      expect(wallet.statusCode, wallet.body).toBe(201);
      walletToken = tokenOf(wallet.json().url);
    });
    afterAll(() => app.close());

    it('never hold a link token: paths show /claim/[redacted], /earner/[redacted] and /exchanges/[redacted]', async () => {
      expect((await app.inject({ method: 'GET', url: `/claim/${claimToken}`, headers: { accept: 'text/html' } })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/claim/${claimToken}?ref=email` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/claim/${claimToken}/wallet.json` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/earner/${walletToken}` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/exchanges/${claimToken}/protocols` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'POST', url: `/exchanges/${walletToken}`, payload: {} })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/earner/${claimToken}` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `/claim/${claimToken}/nothing-here` })).statusCode).toBe(404);

      const log = lines.join('\n');
      expect(log).not.toContain(claimToken);
      expect(log).not.toContain(walletToken);
      const paths = lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'request')
        .map((l) => l.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          '/claim/[redacted]',
          '/claim/[redacted]/wallet.json',
          '/earner/[redacted]',
          '/exchanges/[redacted]/protocols',
          '/exchanges/[redacted]',
          '/claim/[redacted]/nothing-here',
        ]),
      );
    });

    // Known bug (src/logger.ts redactPath): the pattern is anchored at one leading slash, so a request for the
    // link with a doubled slash (a platform joining "https://host/" and "/claim/…") is logged with its token.
    it('never hold a link token for a percent-encoded path: GET /%63laim/{token} is logged as /claim/[redacted]', async () => {
      const before = lines.length;
      const escaped = (token: string) => `%${token.charCodeAt(0).toString(16)}${token.slice(1)}`;
      expect((await app.inject({ method: 'GET', url: `/%63laim/${claimToken}` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/%65arner/${walletToken}/wallet.json` })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: `/claim/${escaped(claimToken)}` })).statusCode).toBe(200);
      const fresh = lines.slice(before);
      const log = fresh.join('\n');
      expect(log).not.toContain(claimToken);
      expect(log).not.toContain(walletToken);
      expect(log).not.toContain(claimToken.slice(1));
      const paths = fresh
        .map((l) => JSON.parse(l))
        .filter((l) => l.msg === 'request')
        .map((l) => l.path);
      expect(paths).toEqual(['/claim/[redacted]', '/earner/[redacted]/wallet.json', '/claim/[redacted]']);
    });

    it('never hold a link token even for a mangled path such as //claim/{token} (bug: logged in clear)', async () => {
      const before = lines.length;
      expect((await app.inject({ method: 'GET', url: `//claim/${claimToken}` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `//earner/${walletToken}/wallet.json` })).statusCode).toBe(404);
      const log = lines.slice(before).join('\n');
      expect(log).toContain('"msg":"request"');
      expect(log).not.toContain(claimToken);
      expect(log).not.toContain(walletToken);
    });
  });
});
