/**
 * The 1EdTech Open Badges 3.0 REST API end to end, driven by a test client the way a certified host or wallet
 * connects: discovery → dynamic registration → authorization (PKCE S256, the educator signing in with their badge
 * link) → tokens → getCredentials / upsertCredential / getProfile / putProfile → refresh → revocation.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';
import { independentDocumentLoader } from '../helpers/independent-verifier.js';
import type { Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';

type Json = Record<string, any>;
const SCOPE = 'https://purl.imsglobal.org/spec/ob/v3p0/scope/';
const ALL_SCOPES = ['credential.readonly', 'credential.upsert', 'profile.readonly', 'profile.update'].map((s) => SCOPE + s);
const REDIRECT = 'https://wallet.example/callback';
/** A 2×2 blue PNG: the client's logo. */
const LOGO_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGNkYPjPwMDAxMDAwMDAAAAWhQEBO+AHYgAAAABJRU5ErkJggg==',
  'base64',
);
const EDUCATOR = 'Educator.Ob3@District.example';

const registration = (overrides: Json = {}) => ({
  client_name: 'Example Wallet',
  client_uri: 'https://wallet.example/',
  logo_uri: 'https://wallet.example/logo.png',
  tos_uri: 'https://wallet.example/terms',
  policy_uri: 'https://wallet.example/privacy',
  software_id: 'c88b6ed8-269e-448e-99be-7e2ff47167d1',
  software_version: '1.0.0',
  redirect_uris: [REDIRECT],
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  scope: [...ALL_SCOPES, 'offline_access'].join(' '),
  ...overrides,
});

/** What a client does: PKCE verifier and challenge (RFC 7636 S256). */
function pkce() {
  const verifier = crypto.randomBytes(32).toString('base64url');
  return { verifier, challenge: crypto.createHash('sha256').update(verifier).digest('base64url') };
}

describe(`1EdTech Open Badges 3.0 API (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let claimUrl: string;
  let claimLinkId: string;
  let issued: Json;
  let client: { client_id: string; client_secret: string };
  const basic = () => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    const achievement = await createAchievement(t.app, issuer);
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievement.id, { recipient: { identity: EDUCATOR } }),
    });
    expect(res.statusCode, res.body).toBe(201);
    issued = res.json();
    claimUrl = String(res.headers['claim-url']);
    claimLinkId = String(res.headers['claim-link-id']);
  });
  afterAll(() => t.close());

  const form = (body: Record<string, string>) => new URLSearchParams(body).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
  /** What the client sends to the token endpoint (or another OAuth endpoint), authenticated with HTTP Basic. */
  const clientPost = (body: Record<string, string>, url = '/ims/ob/v3p0/oauth/token', authorization = basic()) =>
    t.app.inject({ method: 'POST', url, headers: { ...formHeaders, authorization }, payload: form(body) });
  const authorizeQuery = (challenge: string, overrides: Record<string, string> = {}) =>
    new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT,
      scope: ALL_SCOPES.join(' '),
      state: 'xyz-123',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      ...overrides,
    });

  /** The whole browser part: the consent page, then the educator approving with their link. @returns the redirect. */
  async function authorize(challenge: string, link = claimUrl, overrides: Record<string, string> = {}) {
    const query = authorizeQuery(challenge, overrides);
    const page = await t.app.inject({ method: 'GET', url: `/ims/ob/v3p0/oauth/authorize?${query}` });
    expect(page.statusCode, page.body).toBe(200);
    const answer = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/oauth/authorize',
      headers: formHeaders,
      payload: form({ ...Object.fromEntries(query), link, decision: 'approve' }),
    });
    return answer;
  }

  async function tokens(scopeOverrides: Record<string, string> = {}) {
    const { verifier, challenge } = pkce();
    const answer = await authorize(challenge, claimUrl, scopeOverrides);
    expect(answer.statusCode, answer.body).toBe(303);
    const code = new URL(String(answer.headers.location)).searchParams.get('code')!;
    const res = await clientPost({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      scope: scopeOverrides.scope ?? ALL_SCOPES.join(' '),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { access_token: string; refresh_token?: string; scope: string; token_type: string; expires_in: number };
  }

  it('serves the discovery document unauthenticated, with the OAuth endpoints and the four scopes', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/ims/ob/v3p0/discovery' });
    expect(res.statusCode).toBe(200);
    const sdd = res.json();
    expect(sdd.openapi).toMatch(/^3\.0/);
    expect(sdd.info).toMatchObject({ termsOfService: expect.any(String), 'x-imssf-privacyPolicyUrl': expect.any(String) });
    const acg = sdd.components.securitySchemes.OAuth2ACG;
    expect(acg).toMatchObject({ type: 'oauth2', 'x-imssf-registrationUrl': `${t.baseUrl}/ims/ob/v3p0/oauth/register` });
    expect(Object.keys(acg.flows.authorizationCode.scopes).sort()).toEqual([...ALL_SCOPES].sort());
    expect(acg.flows.authorizationCode).toMatchObject({
      authorizationUrl: `${t.baseUrl}/ims/ob/v3p0/oauth/authorize`,
      tokenUrl: `${t.baseUrl}/ims/ob/v3p0/oauth/token`,
    });
    expect(Object.keys(sdd.paths)).toEqual(expect.arrayContaining(['/credentials', '/profile', '/discovery']));
  });

  it('registers a client dynamically (201, metadata echoed) and refuses bad metadata with RFC 7591 errors', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/ims/ob/v3p0/oauth/register', payload: registration() });
    expect(res.statusCode, res.body).toBe(201);
    client = res.json();
    expect(client).toMatchObject({ ...registration(), client_id_issued_at: expect.any(Number), client_secret_expires_at: 0 });
    expect(client.client_secret).toMatch(/^obs_/);
    for (const [bad, error] of [
      [{ redirect_uris: ['http://wallet.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://elsewhere.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: REDIRECT }, 'invalid_client_metadata'],
      [{ logo_uri: undefined }, 'invalid_client_metadata'],
      [{ scope: 'https://purl.imsglobal.org/spec/ob/v3p0/scope/everything' }, 'invalid_client_metadata'],
      [{ token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    ] as const) {
      const refused = await t.app.inject({ method: 'POST', url: '/ims/ob/v3p0/oauth/register', payload: registration(bad) });
      expect(refused.statusCode, JSON.stringify(bad)).toBe(400);
      expect(refused.json().error).toBe(error);
    }
  });

  it('shows a consent page naming the client and what it asks; errors are shown with a link back, never redirected', async () => {
    const { challenge } = pkce();
    const page = await t.app.inject({ method: 'GET', url: `/ims/ob/v3p0/oauth/authorize?${authorizeQuery(challenge)}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Example Wallet would like to connect to your badges');
    expect(page.body).toContain('See your badges');
    expect(page.headers['content-security-policy']).toContain("form-action 'self' https://wallet.example");
    // Errors are shown, never redirected automatically (anyone can register a client: no open redirector); the page
    // links back to the registered redirect URI with the error and state.
    const returnLink = (body: string) => new URL(/href="([^"]+)"/.exec(body.slice(body.indexOf('alert')))![1]!.replace(/&amp;/g, '&'));
    const noPkce = await t.app.inject({
      method: 'GET',
      url: `/ims/ob/v3p0/oauth/authorize?${authorizeQuery(challenge, { code_challenge_method: 'plain' })}`,
    });
    expect(noPkce.statusCode).toBe(400);
    expect(noPkce.headers.location).toBeUndefined();
    expect(returnLink(noPkce.body).origin + returnLink(noPkce.body).pathname).toBe(REDIRECT);
    expect(returnLink(noPkce.body).searchParams.get('error')).toBe('invalid_request');
    expect(returnLink(noPkce.body).searchParams.get('state')).toBe('xyz-123');
    const badScope = await t.app.inject({
      method: 'GET',
      url: `/ims/ob/v3p0/oauth/authorize?${authorizeQuery(challenge, { scope: `${SCOPE}admin` })}`,
    });
    expect(returnLink(badScope.body).searchParams.get('error')).toBe('invalid_scope');
    const crossSite = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/oauth/authorize',
      headers: { ...formHeaders, origin: 'https://evil.example' },
      payload: form({ ...Object.fromEntries(authorizeQuery(challenge)), decision: 'deny' }),
    });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.headers.location).toBeUndefined();
    for (const overrides of [{ client_id: 'nobody' }, { redirect_uri: 'https://wallet.example/other' }] as Array<Record<string, string>>) {
      const shown = await t.app.inject({ method: 'GET', url: `/ims/ob/v3p0/oauth/authorize?${authorizeQuery(challenge, overrides)}` });
      expect(shown.statusCode).toBe(400);
      expect(shown.headers.location).toBeUndefined();
      expect(shown.headers['content-type']).toMatch(/text\/html/);
    }
  });

  it('runs the authorization code flow with PKCE: approve with the badge link, code for tokens, single-use code', async () => {
    const wrongLink = await authorize(pkce().challenge, `${t.baseUrl}/claim/${'x'.repeat(43)}`);
    expect(wrongLink.statusCode).toBe(400);
    expect(wrongLink.body).toContain('That link did not work');

    const { challenge } = pkce();
    const query = authorizeQuery(challenge);
    const denied = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/oauth/authorize',
      headers: formHeaders,
      payload: form({ ...Object.fromEntries(query), decision: 'deny' }),
    });
    expect(new URL(String(denied.headers.location)).searchParams.get('error')).toBe('access_denied');

    const { verifier, challenge: c2 } = pkce();
    const answer = await authorize(c2);
    expect(answer.statusCode).toBe(303);
    const back = new URL(String(answer.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('state')).toBe('xyz-123');
    expect(back.searchParams.get('scope')).toBe(ALL_SCOPES.join(' '));
    const code = back.searchParams.get('code')!;
    const base = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, scope: ALL_SCOPES.join(' ') };

    const wrongVerifier = await clientPost({ ...base, code_verifier: pkce().verifier });
    expect(wrongVerifier.statusCode).toBe(400);
    expect(wrongVerifier.json().error).toBe('invalid_grant');
    const wrongSecret = await clientPost(
      { ...base, code_verifier: verifier },
      undefined,
      `Basic ${Buffer.from(`${client.client_id}:nope`).toString('base64')}`,
    );
    expect(wrongSecret.statusCode).toBe(401);
    expect(wrongSecret.headers['www-authenticate']).toMatch(/^Basic/);

    const ok = await clientPost({ ...base, code_verifier: verifier });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.headers['cache-control']).toContain('no-store');
    const granted = ok.json();
    expect(granted).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: ALL_SCOPES.join(' ') });
    expect(granted.refresh_token).toMatch(/^obr_/);
    const works = await t.app.inject({
      method: 'GET',
      url: '/ims/ob/v3p0/credentials',
      headers: { authorization: `Bearer ${granted.access_token}` },
    });
    expect(works.statusCode).toBe(200);

    // The code again: refused, and what it gave is revoked (RFC 6749 §4.1.2).
    const replay = await clientPost({ ...base, code_verifier: verifier });
    expect(replay.statusCode).toBe(400);
    const after = await t.app.inject({
      method: 'GET',
      url: '/ims/ob/v3p0/credentials',
      headers: { authorization: `Bearer ${granted.access_token}` },
    });
    expect(after.statusCode).toBe(401);
  });

  it('refuses a parameter given twice (RFC 6749 §3.1) and a refresh without refresh_token with invalid_request', async () => {
    const twice = `${authorizeQuery(pkce().challenge)}&state=again`;
    const page = await t.app.inject({ method: 'GET', url: `/ims/ob/v3p0/oauth/authorize?${twice}` });
    expect(page.statusCode).toBe(400);
    expect(page.headers.location).toBeUndefined();
    expect(page.body).toContain('state is given more than once');
    const token = await clientPost({ grant_type: 'refresh_token' });
    expect(token.statusCode).toBe(400);
    expect(token.json()).toMatchObject({ error: 'invalid_request', error_description: 'refresh_token is required' });
  });

  it('works in a real browser: the educator pastes their badge link and allows (the client gets a code that works), or denies', async () => {
    const browser = await launchChromium();
    try {
      // One page per visit (the browser goes on to the client's callback, which does not exist, after each answer). The
      // client's logo is answered here, and the answer's redirect is read, not followed.
      let logoLoads = 0;
      const open = async (challenge: string) => {
        const page = await browser.newPage();
        await page.route('https://wallet.example/**', (route) =>
          route.request().url().endsWith('/logo.png')
            ? (logoLoads++, route.fulfill({ status: 200, contentType: 'image/png', body: LOGO_PNG }))
            : route.fulfill({ status: 200, contentType: 'text/html', body: '' }),
        );
        await page.goto(`${t.baseUrl}/ims/ob/v3p0/oauth/authorize?${authorizeQuery(challenge)}`);
        return page;
      };
      const answer = async (page: Page, button: 'approve' | 'deny') => {
        const [response] = await Promise.all([
          page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/ims/ob/v3p0/oauth/authorize')),
          page.click(`button[value="${button}"]`, { noWaitAfter: true }),
        ]);
        expect(response.status(), await response.text().catch(() => '')).toBe(303);
        return new URL(response.headers().location!);
      };
      const { verifier, challenge } = pkce();
      const page = await open(challenge);
      expect(await page.textContent('body')).toContain('Example Wallet');
      expect(await page.textContent('body')).toContain('Either way you then go back to wallet.example.');
      expect(logoLoads).toBeGreaterThan(0); // the client's logo, a CSS background (no broken-image icon if it fails)
      await page.screenshot({ path: path.join(os.tmpdir(), 'ob3-consent-page.png'), fullPage: true });
      await page.fill('input[name="link"]', claimUrl);
      const back = await answer(page, 'approve');
      expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
      expect(back.searchParams.get('state')).toBe('xyz-123');
      const exchanged = await clientPost({
        grant_type: 'authorization_code',
        code: back.searchParams.get('code')!,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      });
      expect(exchanged.statusCode, exchanged.body).toBe(200);

      expect((await answer(await open(pkce().challenge), 'deny')).searchParams.get('error')).toBe('access_denied');
    } finally {
      await browser.close();
    }
  });

  describe('with an access token', () => {
    let access: string;
    let refresh: string;
    const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) =>
      t.app.inject({
        method,
        url: `/ims/ob/v3p0${url}`,
        headers: { authorization: `Bearer ${access}`, ...headers },
        payload: payload as string,
      });

    beforeAll(async () => {
      const granted = await tokens();
      access = granted.access_token;
      refresh = granted.refresh_token!;
    });

    it('getCredentials returns the credentials issued here to the educator, with paging headers', async () => {
      const res = await api('GET', '/credentials');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['x-total-count']).toBe('1');
      expect(res.json().credential.map((c: Json) => c.id)).toEqual([issued.id]);
      expect(res.json().compactJwsString).toEqual([]);
      expect(res.headers.link).toContain('rel="first"');
      expect(res.headers.link).toContain('rel="last"');
      expect(res.headers.link).not.toContain('rel="next"');
      const bad = await api('GET', '/credentials?limit=0');
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ imsx_codeMajor: 'failure', imsx_severity: 'error' });
      expect(bad.json().imsx_codeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue).toBe('invalid_query_parameter');
    });

    it('upsertCredential of a credential issued here to the educator answers 200 and does not list it twice', async () => {
      const res = await api('POST', '/credentials', issued);
      expect(res.statusCode, res.body).toBe(200);
      const list = await api('GET', '/credentials');
      expect(list.headers['x-total-count']).toBe('1');
      expect(list.json().credential.map((c: Json) => c.id)).toEqual([issued.id]);
    });

    it('upsertCredential keeps another issuer’s credential (201, then 200 on replace), echoes it, and refuses one that does not verify', async () => {
      const other = await createOtherIssuer();
      const credential = {
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        id: `urn:uuid:${crypto.randomUUID()}`,
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        issuer: { id: other.did, type: ['Profile'], name: 'Other Platform' },
        validFrom: '2026-01-05T00:00:00Z',
        name: 'Culturally Responsive Teaching',
        credentialSubject: otherAchievementSubject,
      };
      const signed = await vc.issue({
        credential,
        suite: new DataIntegrityProof({ signer: other.signer, cryptosuite: eddsaRdfc2022 }),
        documentLoader: independentDocumentLoader,
      });
      const created = await api('POST', '/credentials', signed, { 'content-type': 'application/vc+ld+json' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
      expect(created.json()).toEqual(signed);
      const replaced = await api('POST', '/credentials', signed);
      expect(replaced.statusCode).toBe(200);

      const list = await api('GET', '/credentials');
      expect(list.headers['x-total-count']).toBe('2');
      expect(list.json().credential).toContainEqual(signed);

      const tampered = { ...signed, name: 'Something else' };
      const refused = await api('POST', '/credentials', tampered);
      expect(refused.statusCode).toBe(400);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(refused.json().imsx_codeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue).toBe('invalid_data');

      // since: issued after; the kept credential was issued (validFrom) on 2026-01-05, before ours.
      const since = await api('GET', `/credentials?since=${encodeURIComponent('2026-02-01T00:00:00Z')}`);
      expect(since.json().credential.map((c: Json) => c.id)).toEqual([issued.id]);
      const paged = await api('GET', '/credentials?limit=1&offset=1');
      expect(paged.json().credential).toHaveLength(1);
      expect(paged.headers.link).toContain('rel="prev"');
      const first = await api('GET', '/credentials?limit=1');
      expect(first.headers.link).toContain('rel="next"');
      const pastTheEnd = await api('GET', '/credentials?limit=1&offset=10');
      expect(pastTheEnd.json().credential).toEqual([]);
      expect(pastTheEnd.headers.link).toMatch(/[?&]offset=1>; rel="prev"/);
      expect(pastTheEnd.headers.link).not.toContain('rel="next"');
    });

    it('upsertCredential takes a VC-JWT as text/plain and getCredentials returns it in compactJwsString', async () => {
      const web = await createIssuer(t.app.services, { didMethod: 'web', name: 'JWT issuer' });
      const achievement = await createAchievement(t.app, web);
      const jwtRes = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: web.auth,
        payload: issueRequest(achievement.id, {
          recipient: { identity: 'someone@else.example', did: 'did:example:educator' },
          format: 'jwt',
        }),
      });
      expect(jwtRes.statusCode, jwtRes.body).toBe(201);
      const created = await api('POST', '/credentials', jwtRes.body, { 'content-type': 'text/plain' });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.headers['content-type']).toMatch(/^text\/plain/);
      expect(created.body).toBe(jwtRes.body);
      const list = await api('GET', '/credentials');
      expect(list.json().compactJwsString).toEqual([jwtRes.body]);
      const notJwt = await api('POST', '/credentials', 'hello', { 'content-type': 'text/plain' });
      expect(notJwt.statusCode).toBe(400);
    });

    it('getProfile is 404 until putProfile stores an OB 3.0 Profile; an invalid one is refused', async () => {
      expect((await api('GET', '/profile')).statusCode).toBe(404);
      expect((await api('GET', '/profile')).json().imsx_codeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue).toBe('not_found');
      const profile = {
        '@context': ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
        id: 'https://1edtech.org/issuers/cert',
        type: ['Profile'],
        name: 'Jordan Rivera',
      };
      const put = await api('PUT', '/profile', profile);
      expect(put.statusCode, put.body).toBe(200);
      expect((await api('GET', '/profile')).json()).toEqual(profile);
      const invalid = await api('PUT', '/profile', { id: 'https://1edtech.org/issuers/cert', name: 'No type' });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.json().detail).toContain('Profile schema');
    });

    it('refuses a token without the scope (403) and a missing or unknown token (401, WWW-Authenticate)', async () => {
      const readOnly = await tokens({ scope: `${SCOPE}credential.readonly` });
      const put = await t.app.inject({
        method: 'PUT',
        url: '/ims/ob/v3p0/profile',
        headers: { authorization: `Bearer ${readOnly.access_token}` },
        payload: {},
      });
      expect(put.statusCode).toBe(403);
      expect(put.headers['www-authenticate']).toContain('insufficient_scope');
      expect(readOnly.refresh_token).toBeDefined(); // the client registered refresh_token
      const none = await t.app.inject({ method: 'GET', url: '/ims/ob/v3p0/credentials' });
      expect(none.statusCode).toBe(401);
      expect(none.headers['www-authenticate']).toBe(`Bearer scope="${SCOPE}credential.readonly"`); // no error code (RFC 6750 §3.1)
      expect(none.json().imsx_codeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue).toBe('unauthorizedrequest');
      expect(none.json().title).toBe('A valid access token is required');
      expect(put.json().title).toBe('The access token was not granted this');
      const unknown = await t.app.inject({
        method: 'GET',
        url: '/ims/ob/v3p0/credentials',
        headers: { authorization: `Bearer oba_${'x'.repeat(43)}` },
      });
      expect(unknown.statusCode).toBe(401);
      expect(unknown.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it('refreshes (a new access token; the old refresh token is spent) and revokes (later calls fail)', async () => {
      const refreshed = await clientPost({ grant_type: 'refresh_token', refresh_token: refresh });
      expect(refreshed.statusCode, refreshed.body).toBe(200);
      const next = refreshed.json();
      expect(next.access_token).not.toBe(access);
      access = next.access_token;
      expect((await api('GET', '/credentials')).statusCode).toBe(200);

      const revoked = await clientPost({ token: access, token_type_hint: 'access_token' }, '/ims/ob/v3p0/oauth/revoke');
      expect(revoked.statusCode).toBe(200);
      expect((await api('GET', '/credentials')).statusCode).toBe(401);
      // Revoking the refresh token withdraws the whole grant.
      await clientPost({ token: next.refresh_token, token_type_hint: 'refresh_token' }, '/ims/ob/v3p0/oauth/revoke');
      expect((await clientPost({ grant_type: 'refresh_token', refresh_token: next.refresh_token })).statusCode).toBe(400);
    });

    it('a refresh asking for less narrows that access token only: the next refresh gets the whole grant again (RFC 6749 §6)', async () => {
      const granted = await tokens();
      const narrow = await clientPost({
        grant_type: 'refresh_token',
        refresh_token: granted.refresh_token!,
        scope: `${SCOPE}credential.readonly`,
      });
      expect(narrow.statusCode, narrow.body).toBe(200);
      expect(narrow.json().scope).toBe(`${SCOPE}credential.readonly`);
      const whole = await clientPost({ grant_type: 'refresh_token', refresh_token: narrow.json().refresh_token });
      expect(whole.statusCode, whole.body).toBe(200);
      expect(whole.json().scope).toBe(ALL_SCOPES.join(' '));
    });

    it('a spent refresh token used again ends the grant (RFC 9700 §4.14.2): both the thief and the client lose it', async () => {
      const granted = await tokens();
      const first = (await clientPost({ grant_type: 'refresh_token', refresh_token: granted.refresh_token! })).json();
      const replay = await clientPost({ grant_type: 'refresh_token', refresh_token: granted.refresh_token! });
      expect(replay.statusCode).toBe(400);
      expect(replay.json().error).toBe('invalid_grant');
      const read = await t.app.inject({
        method: 'GET',
        url: '/ims/ob/v3p0/credentials',
        headers: { authorization: `Bearer ${first.access_token}` },
      });
      expect(read.statusCode).toBe(401);
      expect((await clientPost({ grant_type: 'refresh_token', refresh_token: first.refresh_token })).statusCode).toBe(400);
    });
  });

  it('ends every grant made through an earner link when the issuer revokes that link', async () => {
    const granted = await tokens();
    const read = () =>
      t.app.inject({ method: 'GET', url: '/ims/ob/v3p0/credentials', headers: { authorization: `Bearer ${granted.access_token}` } });
    expect((await read()).statusCode).toBe(200);
    const revoked = await t.app.inject({ method: 'DELETE', url: `/earner-links/${claimLinkId}`, headers: issuer.auth });
    expect(revoked.statusCode, revoked.body).toBe(204);
    expect((await read()).statusCode).toBe(401);
    const refreshed = await clientPost({ grant_type: 'refresh_token', refresh_token: granted.refresh_token! });
    expect(refreshed.statusCode).toBe(400);
  });
});
