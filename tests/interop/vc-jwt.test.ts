/**
 * VC-JWT (OB 3.0 §8.2): issued as ES256 (did:web) or EdDSA, checked by an independent JOSE library (jose), and
 * verified here, ours and other issuers' (did:jwk ES256 and RS256 made with jose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { countCredentials } from '../../src/db/repositories/credentials.js';

type Json = Record<string, any>;
const DID = 'did:example:teacher-42';

describe(`VC-JWT (${backendName})`, () => {
  let t: TestApp;
  let web: Issuer;
  let key: Issuer;
  let webAchievement: string;
  let keyAchievement: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    web = await createIssuer(t.app.services, { didMethod: 'web' });
    key = await createIssuer(t.app.services, { didMethod: 'key', name: 'did:key district' });
    webAchievement = (await createAchievement(t.app, web)).id;
    keyAchievement = (await createAchievement(t.app, key)).id;
  });
  afterAll(() => t.close());

  const issue = (who: Issuer, achievementId: string, overrides: Json) =>
    t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: who.auth,
      payload: issueRequest(achievementId, { recipient: { identity: 'teacher@district.example', did: DID }, ...overrides }),
    });
  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });

  /** The issuer's public JWK for a kid, read from its DID document over HTTP as any verifier would. */
  async function publicJwk(kid: string): Promise<jose.JWK> {
    const did = kid.split('#')[0]!;
    const parts = did.split(':').slice(2).map(decodeURIComponent);
    const doc = (await (await fetch(`http://${parts[0]}/${parts.slice(1).join('/')}/did.json`)).json()) as Json;
    const vm = doc.verificationMethod.find((m: Json) => m.id === kid);
    expect(doc.assertionMethod).toContain(kid);
    return vm.publicKeyJwk;
  }

  let jwt: string;
  let credentialId: string;

  it('issues an ES256 VC-JWT (did:web): OB header and claims, verified by jose with the key from the DID document', async () => {
    const res = await issue(web, webAchievement, { format: 'jwt' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
    jwt = res.body;
    credentialId = String(res.headers.location).split('/').pop()!;
    const header = jose.decodeProtectedHeader(jwt);
    expect(Object.keys(header).sort()).toEqual(['alg', 'kid', 'typ']);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
    expect(header.kid).toMatch(new RegExp(`^${web.did}#key-`));
    const { payload } = await jose.jwtVerify(jwt, await jose.importJWK(await publicJwk(header.kid!), 'ES256'));
    expect(payload).toMatchObject({ iss: web.did, sub: DID, jti: res.headers.location });
    expect(payload.nbf).toBe(Date.parse(payload.validFrom as string) / 1000);
    expect((payload as Json).type).toContain('OpenBadgeCredential');
    expect((payload as Json).proof[0].cryptosuite).toBe('eddsa-rdfc-2022'); // the embedded proof came first (OB §8.2)
  });

  it('verifies its VC-JWT sent as a string, as application/vc+jwt, and enveloped; and serves it at the credential URL', async () => {
    for (const res of [
      await verify(jwt),
      await t.app.inject({ method: 'POST', url: '/credentials/verify', headers: { 'content-type': 'application/vc+jwt' }, payload: jwt }),
      await verify({
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: 'EnvelopedVerifiableCredential',
        id: `data:application/vc+jwt,${jwt}`,
      }),
    ]) {
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().checks.find((c: Json) => c.check === 'proof').message).toBe(
        'The ES256 JWT signature is valid, and so is the embedded proof',
      );
      expect(res.json().checks.map((c: Json) => c.check)).toEqual(
        expect.arrayContaining(['shape', 'schema', 'issuer', 'proof', 'validity', 'status']),
      );
    }
    const served = await t.app.inject({ method: 'GET', url: `/credentials/${credentialId}`, headers: { accept: 'application/vc+jwt' } });
    expect(served.statusCode).toBe(200);
    expect(served.body).toBe(jwt);
    const json = await t.app.inject({ method: 'GET', url: `/credentials/${credentialId}` });
    expect(json.json().id).toBe(`${t.baseUrl}/credentials/${credentialId}`);
  });

  it('fails a tampered VC-JWT, and one whose status was revoked', async () => {
    const [h, p, s] = jwt.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.credentialSubject.id = 'did:example:someone-else';
    payload.sub = 'did:example:someone-else';
    const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    const res = await verify(tampered);
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.join(' ')).toContain('signature does not match');

    const revoke = await t.app.inject({
      method: 'POST',
      url: `/credentials/${credentialId}/status`,
      headers: web.auth,
      payload: { action: 'revoke', reason: 'issued in error' },
    });
    expect(revoke.statusCode, revoke.body).toBe(200);
    const revoked = await verify(jwt);
    expect(revoked.statusCode).toBe(422);
    expect(revoked.json().checks.find((c: Json) => c.check === 'status').outcome).toBe('fail');
  });

  it('issues EdDSA on request (did:web) and for a did:key; refuses ES256 from a did:key and a JWT without a recipient DID (422, nothing recorded)', async () => {
    const eddsa = await issue(web, webAchievement, { format: 'jwt', jwtAlgorithm: 'EdDSA' });
    expect(eddsa.statusCode, eddsa.body).toBe(201);
    expect(jose.decodeProtectedHeader(eddsa.body).alg).toBe('EdDSA');
    const fromKey = await issue(key, keyAchievement, { format: 'jwt' });
    expect(fromKey.statusCode, fromKey.body).toBe(201);
    expect(jose.decodeProtectedHeader(fromKey.body)).toMatchObject({ alg: 'EdDSA', kid: expect.stringMatching(/^did:key:z6Mk.*#z6Mk/) });
    for (const body of [eddsa.body, fromKey.body]) {
      const res = await verify(body);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().warnings.join(' ')).toContain('RS256 and ES256');
    }
    const before = await countCredentials(t.database.db);
    const es256FromKey = await issue(key, keyAchievement, { format: 'jwt', jwtAlgorithm: 'ES256' });
    expect(es256FromKey.statusCode).toBe(422);
    const noDid = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: web.auth,
      payload: issueRequest(webAchievement, { format: 'jwt' }),
    });
    expect(noDid.statusCode).toBe(422);
    expect(noDid.json().detail).toContain('recipient.did');
    expect(await countCredentials(t.database.db)).toBe(before);
    const notJwt = await t.app.inject({
      method: 'GET',
      url: `${new URL(String(eddsa.headers.location)).pathname.replace(/[^/]+$/, '')}${crypto.randomUUID()}`,
      headers: { accept: 'application/vc+jwt' },
    });
    expect(notJwt.statusCode).toBe(404);
  });

  it('issues VC-JWTs by default for an issuer whose default format is jwt, unless the request asks for JSON-LD', async () => {
    const jwtIssuer = await createIssuer(t.app.services, { didMethod: 'web', name: 'JWT by default' });
    await t.database.db.updateTable('issuers').set({ default_format: 'jwt' }).where('id', '=', jwtIssuer.issuerId).execute();
    const achievementId = (await createAchievement(t.app, jwtIssuer)).id;
    const byDefault = await issue(jwtIssuer, achievementId, {});
    expect(byDefault.headers['content-type']).toMatch(/^application\/vc\+jwt/);
    const asked = await issue(jwtIssuer, achievementId, { format: 'json-ld' });
    expect(asked.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
  });

  it('refuses a jwtAlgorithm for a credential issued as JSON-LD, asked for or by default (400, nothing recorded)', async () => {
    const before = await countCredentials(t.database.db);
    for (const [overrides, said] of [
      [{ format: 'json-ld', jwtAlgorithm: 'EdDSA' }, 'issued as json-ld: add format jwt'],
      [{ jwtAlgorithm: 'ES256' }, 'issued as json-ld (the issuer’s default format)'],
    ] as const) {
      const res = await issue(web, webAchievement, overrides);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().detail).toContain(said);
      expect(res.json().errors).toEqual([expect.objectContaining({ pointer: '#/jwtAlgorithm' })]);
    }
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('answers 406 for a credential that was not issued as a VC-JWT, unless JSON is acceptable too (then JSON)', async () => {
    const plain = await issue(web, webAchievement, {});
    const id = String(plain.headers.location).split('/').pop();
    const get = (accept: string) => t.app.inject({ method: 'GET', url: `/credentials/${id}`, headers: { accept } });
    const res = await get('application/vc+jwt');
    expect(res.statusCode).toBe(406);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    for (const accept of ['application/vc+jwt, application/json;q=0.5', 'application/vc+jwt, */*;q=0.1']) {
      const fallback = await get(accept);
      expect(fallback.statusCode, accept).toBe(200);
      expect(fallback.json().id).toBe(plain.headers.location);
    }
    // A JWT credential: the JWT when it ranks first, JSON when JSON does.
    const jwtId = String((await issue(web, webAchievement, { format: 'jwt' })).headers.location)
      .split('/')
      .pop();
    const asked = (accept: string) => t.app.inject({ method: 'GET', url: `/credentials/${jwtId}`, headers: { accept } });
    expect((await asked('application/json;q=0.5, application/vc+jwt')).headers['content-type']).toMatch(/^application\/vc\+jwt/);
    expect((await asked('application/vc+jwt;q=0.5, application/json')).headers['content-type']).toMatch(/json/);
  });

  describe('VC-JWTs of other issuers (did:jwk, made with jose)', () => {
    const credentialFor = (issuer: string, extra: Json = {}) => ({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: `urn:uuid:${crypto.randomUUID()}`,
      type: ['VerifiableCredential'],
      issuer,
      validFrom: '2026-01-01T00:00:00Z',
      credentialSubject: { id: DID },
      ...extra,
    });
    async function didJwk(alg: 'ES256' | 'RS256') {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
      const jwk = await jose.exportJWK(publicKey);
      const did = `did:jwk:${Buffer.from(JSON.stringify(jwk)).toString('base64url')}`;
      return { did, kid: `${did}#0`, privateKey };
    }
    const sign = (credential: Json, claims: Json, alg: string, kid: string | undefined, key: jose.CryptoKey) =>
      new jose.CompactSign(new TextEncoder().encode(JSON.stringify({ ...credential, ...claims })))
        .setProtectedHeader({ alg, ...(kid ? { kid } : {}), typ: 'JWT' })
        .sign(key);
    const claimsOf = (c: Json) => ({ iss: c.issuer, jti: c.id, sub: DID, nbf: Date.parse(c.validFrom) / 1000 });

    it('accepts ES256 and RS256 VC-JWTs, and the VCDM 1.1 form with a vc claim', async () => {
      for (const alg of ['ES256', 'RS256'] as const) {
        const { did, kid, privateKey } = await didJwk(alg);
        const credential = credentialFor(did);
        const res = await verify(await sign(credential, claimsOf(credential), alg, kid, privateKey));
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().warnings).toEqual([]);
      }
      const { did, kid, privateKey } = await didJwk('ES256');
      const v1 = {
        '@context': ['https://www.w3.org/2018/credentials/v1'],
        type: ['VerifiableCredential'],
        issuanceDate: '2026-01-01T00:00:00Z',
        credentialSubject: { id: DID },
      };
      const jws = await new jose.SignJWT({ vc: v1 })
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(did)
        .setSubject(DID)
        .setJti('urn:uuid:1b2c')
        .setNotBefore(Date.parse('2026-01-01T00:00:00Z') / 1000)
        .sign(privateKey);
      const res = await verify(jws);
      expect(res.statusCode, res.body).toBe(200);
    });

    it('refuses: claims that contradict the credential, another issuer’s key, no kid, alg none, an expired credential', async () => {
      const a = await didJwk('ES256');
      const b = await didJwk('ES256');
      const credential = credentialFor(a.did);
      const cases: Array<[string, string]> = [
        ['iss claim', await sign(credential, { ...claimsOf(credential), iss: b.did }, 'ES256', a.kid, a.privateKey)],
        ['sub claim', await sign(credential, { ...claimsOf(credential), sub: 'did:example:other' }, 'ES256', a.kid, a.privateKey)],
        ['controlled by', await sign(credential, claimsOf(credential), 'ES256', b.kid, b.privateKey)],
        ['names no key', await sign(credential, claimsOf(credential), 'ES256', undefined, a.privateKey)],
        [
          'says RS256',
          await sign(credential, claimsOf(credential), 'ES256', a.kid, a.privateKey).then((j) =>
            j.replace(/^[^.]+/, Buffer.from(JSON.stringify({ alg: 'RS256', kid: a.kid })).toString('base64url')),
          ),
        ],
        [
          'not accepted',
          `${Buffer.from(JSON.stringify({ alg: 'none', kid: a.kid })).toString('base64url')}.${Buffer.from(JSON.stringify({ ...credential, ...claimsOf(credential) })).toString('base64url')}.AA`,
        ],
      ];
      // A validly signed JWT around a credential whose embedded Data Integrity proof is garbage.
      const bogusProof = {
        type: 'DataIntegrityProof',
        cryptosuite: 'eddsa-rdfc-2022',
        created: '2026-01-01T00:00:00Z',
        verificationMethod: a.kid,
        proofPurpose: 'assertionMethod',
        proofValue: 'zBOGUS',
      };
      cases.push([
        'embedded proof is not',
        await sign({ ...credential, proof: bogusProof }, claimsOf(credential), 'ES256', a.kid, a.privateKey),
      ]);
      const expired = credentialFor(a.did, { validUntil: '2026-02-01T00:00:00Z' });
      cases.push([
        'Expired',
        await sign(expired, { ...claimsOf(expired), exp: Date.parse('2026-02-01T00:00:00Z') / 1000 }, 'ES256', a.kid, a.privateKey),
      ]);
      for (const [reason, jws] of cases) {
        const res = await verify(jws);
        expect(res.statusCode, `${reason}: ${res.body}`).toBe(422);
        expect(res.json().errors.join(' '), reason).toContain(reason);
      }
    });
  });
});
