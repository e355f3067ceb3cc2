/**
 * The W3C VC-API endpoints as the W3C issuer and verifier test suites call them: a did:key issuer created like the
 * CLI makes one, its API key as bearer token, VCDM 2.0 and 1.1 credentials written by the caller.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createIssuer, type Issuer } from '../helpers/factories.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';
import { countCredentials } from '../../src/db/repositories/credentials.js';
import { multikeyHolder, signDidAuth } from '../helpers/wallet.js';

type Json = Record<string, unknown>;

const v2 = (issuer: string, extra: Json = {}): Json => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
  type: ['VerifiableCredential', 'ExampleDegreeCredential'],
  issuer,
  credentialSubject: {
    id: 'did:example:ebfeb1f712ebc6f1c276e12ec21',
    degree: { type: 'ExampleBachelorDegree', name: 'Bachelor of Science and Arts' },
  },
  ...extra,
});

const v1 = (issuer: string, extra: Json = {}): Json => ({
  '@context': ['https://www.w3.org/2018/credentials/v1'],
  id: `urn:uuid:${crypto.randomUUID()}`,
  type: ['VerifiableCredential'],
  issuer,
  issuanceDate: '2020-03-16T22:37:26.544Z',
  credentialSubject: { id: 'did:example:ebfeb1f712ebc6f1c276e12ec21' },
  ...extra,
});

describe(`W3C VC-API (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let issuer2020: Issuer;
  let other: Issuer;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services, { didMethod: 'key', name: 'VC-API eddsa' });
    issuer2020 = await createIssuer(t.app.services, { didMethod: 'key', proofType: 'Ed25519Signature2020', name: 'VC-API 2020' });
    other = await createIssuer(t.app.services, { didMethod: 'key', name: 'Someone else' });
  });
  afterAll(() => t.close());

  const issue = (who: Issuer, body: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/credentials/issue', headers: { ...who.auth, ...headers }, payload: body as Json });

  it('issues a VCDM 2.0 credential: 201, {verifiableCredential}, one proof object, an id and a status entry added', async () => {
    const res = await issue(issuer, { credential: v2(issuer.did), options: {} });
    expect(res.statusCode, res.body).toBe(201);
    const { verifiableCredential: vc } = res.json() as { verifiableCredential: Json };
    expect(vc.issuer).toBe(issuer.did);
    expect(vc.proof).toMatchObject({ type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' });
    expect(Array.isArray(vc.proof)).toBe(false);
    expect(vc.id).toMatch(/^urn:uuid:/);
    expect(vc.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
    expect(res.headers.location).toMatch(/\/credentials\/[0-9a-f-]{36}$/);
    expect(await verifyIndependently(vc)).toMatchObject({ verified: true });
  });

  it('issues a VCDM 1.1 credential with eddsa-rdfc-2022 (adding the Data Integrity context) and with Ed25519Signature2020', async () => {
    for (const who of [issuer, issuer2020]) {
      const given = v1(who.did);
      const res = await issue(who, { credential: given });
      expect(res.statusCode, res.body).toBe(201);
      const { verifiableCredential: vc } = res.json() as { verifiableCredential: Json };
      expect(vc.id).toBe(given.id);
      expect(vc.credentialStatus).toBeUndefined();
      expect(await verifyIndependently(vc)).toMatchObject({ verified: true });
      const verified = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: vc } });
      expect(verified.statusCode, verified.body).toBe(200);
    }
  });

  it('serves a VC-API credential at its Location: the JSON as stored, and a verification page for people', async () => {
    const res = await issue(issuer, { credential: v2(issuer.did, { name: 'Example degree' }) });
    const path = new URL(String(res.headers.location)).pathname;
    const json = await t.app.inject({ method: 'GET', url: path });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(res.json().verifiableCredential);
    const page = await t.app.inject({ method: 'GET', url: path, headers: { accept: 'text/html' } });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain('Example degree');
  });

  it('keeps the caller’s id and honours options.credentialId', async () => {
    const res = await issue(issuer, {
      credential: v2(issuer.did),
      options: { credentialId: 'urn:uuid:4a1c4bd2-4c3a-4d1f-9b7e-6d4f4c1e2a10' },
    });
    expect((res.json() as { verifiableCredential: Json }).verifiableCredential.id).toBe('urn:uuid:4a1c4bd2-4c3a-4d1f-9b7e-6d4f4c1e2a10');
  });

  it('refuses a second credential with an id the issuer already used (409, nothing recorded), also when two race', async () => {
    const id = `urn:uuid:${crypto.randomUUID()}`;
    expect((await issue(issuer, { credential: v2(issuer.did, { id }) })).statusCode).toBe(201);
    const before = await countCredentials(t.database.db);
    const again = await issue(issuer, { credential: v2(issuer.did), options: { credentialId: id } });
    expect(again.statusCode, again.body).toBe(409);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json().detail).toContain(id);
    expect(await countCredentials(t.database.db)).toBe(before);
    // Another issuer may use the same id (ids are the issuer's to give).
    expect((await issue(other, { credential: v2(other.did, { id }) })).statusCode).toBe(201);

    const viaOptions = await issue(issuer, { credential: v2(issuer.did), options: { credentialId: id } });
    expect(viaOptions.json().errors[0].pointer).toBe('#/options/credentialId');

    // An id under our own URLs (another credential's, a status list's) is refused: it would name our resource.
    const ours = String((await issue(issuer, { credential: v2(issuer.did) })).headers.location);
    for (const taken of [ours, `${t.baseUrl}/status-lists/x`]) {
      const refused = await issue(issuer, { credential: v2(issuer.did, { id: taken }) });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().errors[0]).toMatchObject({ pointer: '#/credential/id' });
    }

    const raced = `urn:uuid:${crypto.randomUUID()}`;
    const both = await Promise.all([0, 1].map(() => issue(issuer, { credential: v2(issuer.did, { id: raced }) })));
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
  });

  it.each([
    ['no credential', {}],
    ['credential not an object', { credential: 'x' }],
    ['no @context', { credential: { type: ['VerifiableCredential'], credentialSubject: { id: 'did:example:1' } } }],
    ['@context not an array', { credential: { '@context': 'https://www.w3.org/ns/credentials/v2', type: ['VerifiableCredential'] } }],
    ['type without VerifiableCredential', { credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['Other'] } }],
    ['no credentialSubject', { credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'] } }],
    [
      'empty credentialSubject',
      { credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'], credentialSubject: {} } },
    ],
    [
      'credentialSubject a string',
      { credential: { '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiableCredential'], credentialSubject: 'x' } },
    ],
    [
      'issuer a number',
      {
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiableCredential'],
          credentialSubject: { id: 'did:example:1' },
          issuer: 7,
        },
      },
    ],
    [
      'validUntil before validFrom',
      {
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiableCredential'],
          credentialSubject: { id: 'did:example:1' },
          validFrom: '2026-01-01T00:00:00Z',
          validUntil: '2025-01-01T00:00:00Z',
        },
      },
    ],
    ['refreshService without a type', { credential: { ...v2('x'), refreshService: { id: 'https://example.org/refresh' } } }],
    ['credentialSchema without an id', { credential: { ...v2('x'), credentialSchema: { type: 'JsonSchema' } } }],
    ['evidence that is a string', { credential: { ...v2('x'), evidence: ['https://example.org/evidence'] } }],
    ['relatedResource without a digest', { credential: { ...v2('x'), relatedResource: [{ id: 'https://example.org/r' }] } }],
    [
      'relatedResource listed twice',
      {
        credential: {
          ...v2('x'),
          relatedResource: [
            { id: 'https://example.org/r', digestSRI: 'sha384-a' },
            { id: 'https://example.org/r', digestSRI: 'sha384-a' },
          ],
        },
      },
    ],
  ])('refuses a malformed request (%s) with a 400 problem and records nothing', async (_name, body) => {
    const before = await countCredentials(t.database.db);
    const withIssuer =
      typeof (body as { credential?: unknown }).credential === 'object'
        ? {
            credential: {
              issuer: issuer.did,
              ...(body as { credential: Json }).credential,
              ...((body as { credential: Json }).credential.issuer === 'x' ? { issuer: issuer.did } : {}),
            },
          }
        : body;
    const res = await issue(issuer, withIssuer);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json().detail).not.toContain('not the issuer of this API key');
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('names the allowed values when an option is not one of them', async () => {
    const res = await issue(issuer, { credential: v2(issuer.did), options: { proofType: 'RsaSignature2018' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { pointer: '#/options/proofType', detail: 'must be one of "eddsa-rdfc-2022", "Ed25519Signature2020"' },
    ]);
  });

  it('refuses a credential naming another issuer (400), and one already signed', async () => {
    const res = await issue(issuer, { credential: v2(other.did) });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('not the issuer of this API key');
    const signed = (await issue(issuer, { credential: v2(issuer.did) })).json().verifiableCredential;
    const again = await issue(issuer, { credential: signed });
    expect(again.statusCode).toBe(400);
  });

  it('refuses an unknown remote context and an undefined term without signing (4xx, never 5xx)', async () => {
    const unknownContext = await issue(issuer, {
      credential: { ...v2(issuer.did), '@context': ['https://www.w3.org/ns/credentials/v2', 'https://evil.example/ctx'] },
    });
    expect(unknownContext.statusCode, unknownContext.body).toBe(400);
    expect(unknownContext.statusCode).toBeLessThan(500);
    expect(unknownContext.body).toContain('https://evil.example/ctx');
    const undefinedTerm = await issue(issuer, {
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential'],
        issuer: issuer.did,
        credentialSubject: { id: 'did:example:1', notATerm: 1 },
      },
    });
    expect(undefinedTerm.statusCode, undefinedTerm.body).toBe(422);
    expect(undefinedTerm.json().detail).toContain('notATerm');
    expect(undefinedTerm.json().errors).toEqual([expect.objectContaining({ pointer: '#/credential/credentialSubject/notATerm' })]);
    const undefinedType = await issue(issuer, {
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiableCredential', 'MadeUpCredential'],
        issuer: issuer.did,
        credentialSubject: { id: 'did:example:1' },
      },
    });
    expect(undefinedType.statusCode, undefinedType.body).toBe(422);
    expect(undefinedType.json().detail).toContain('MadeUpCredential');
    expect(undefinedType.json().errors).toEqual([expect.objectContaining({ pointer: '#/credential/type' })]);
  });

  describe('POST /credentials/status on VC-API credentials', () => {
    const setStatus = (credentialId: string, statusPurpose: string, status: boolean) =>
      t.app.inject({
        method: 'POST',
        url: '/credentials/status',
        headers: issuer.auth,
        payload: { credentialId, credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose }, status },
      });
    const verify = async (verifiableCredential: Json) =>
      (await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } })).json() as {
        verified: boolean;
        errors: string[];
      };

    it('suspends, reinstates and revokes one by its own id, and our verifier and its page see each change', async () => {
      const res = await issue(issuer, { credential: v2(issuer.did) });
      const vc = (res.json() as { verifiableCredential: Json }).verifiableCredential;
      const page = String(res.headers.location).replace(t.baseUrl, '');
      expect((await setStatus(String(vc.id), 'suspension', true)).statusCode).toBe(200);
      const suspended = await verify(vc);
      expect(suspended.verified).toBe(false);
      expect(suspended.errors.join(' ')).toMatch(/Suspended/);
      expect((await t.app.inject({ method: 'GET', url: page, headers: { accept: 'text/html' } })).body).toMatch(/Suspended/);
      expect((await setStatus(String(vc.id), 'suspension', false)).statusCode).toBe(200);
      expect((await verify(vc)).verified).toBe(true);
      expect((await setStatus(String(vc.id), 'revocation', true)).statusCode).toBe(200);
      expect((await verify(vc)).errors.join(' ')).toMatch(/Revoked/);
      expect(await verifyIndependently(vc)).toMatchObject({ verified: false });
    });

    it('records a change of a VCDM 1.1 credential (no status entry: our verifier reports it), refuses one with the caller’s own status (409)', async () => {
      const old = (await issue(issuer, { credential: v1(issuer.did) })).json().verifiableCredential as Json;
      expect((await setStatus(String(old.id), 'suspension', true)).statusCode).toBe(200);
      expect((await verify(old)).errors.join(' ')).toMatch(/Suspended/);
      const theirs = (
        await issue(issuer, {
          credential: v2(issuer.did, {
            credentialStatus: {
              id: 'https://platform.example/status/1#5',
              type: 'BitstringStatusListEntry',
              statusPurpose: 'revocation',
              statusListIndex: '5',
              statusListCredential: 'https://platform.example/status/1',
            },
          }),
        })
      ).json().verifiableCredential as Json;
      for (const purpose of ['revocation', 'suspension']) {
        const res = await setStatus(String(theirs.id), purpose, true);
        expect(res.statusCode, res.body).toBe(409);
        expect(res.json().detail).toContain('published by its own credentialStatus');
      }
      // Its id is our urn:uuid, so its record can be read: still active, nothing was changed.
      const recorded = await t.app.inject({
        method: 'GET',
        url: `/credentials/${String(theirs.id).split(':').pop()}/status`,
        headers: issuer.auth,
      });
      expect(recorded.json()).toMatchObject({ status: 'active', history: [] });
    });
  });

  it('needs the API key (401) and the issue scope', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials/issue', payload: { credential: v2(issuer.did) } });
    expect(res.statusCode).toBe(401);
  });

  describe('POST /presentations/verify', () => {
    const verifyVp = (payload: Json) => t.app.inject({ method: 'POST', url: '/presentations/verify', payload });
    let vc: Json;
    beforeAll(async () => {
      vc = (await issue(issuer, { credential: v2(issuer.did) })).json().verifiableCredential;
    });

    it('verifies a signed presentation over the challenge and domain, and each credential in it', async () => {
      const holder = await multikeyHolder();
      const vp = await signDidAuth(holder, { challenge: 'c-123', domain: 'verifier.example', verifiableCredential: [vc] });
      const res = await verifyVp({ verifiablePresentation: vp, options: { challenge: 'c-123', domain: 'verifier.example' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ verified: true, presentationResult: { verified: true, holder: holder.did } });
      expect(res.json().credentialResults).toHaveLength(1);
    });

    it('fails (422) for another challenge, a tampered credential, or an unsigned presentation when a challenge is asked', async () => {
      const holder = await multikeyHolder();
      const vp = await signDidAuth(holder, { challenge: 'c-123', domain: 'verifier.example', verifiableCredential: [vc] });
      const wrongChallenge = await verifyVp({ verifiablePresentation: vp, options: { challenge: 'other', domain: 'verifier.example' } });
      expect(wrongChallenge.statusCode).toBe(422);
      expect(wrongChallenge.json().presentationResult.verified).toBe(false);

      const tampered = { ...vc, credentialSubject: { id: 'did:example:someone-else' } };
      const unsigned = {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        type: ['VerifiablePresentation'],
        verifiableCredential: [tampered],
      };
      const res = await verifyVp({ presentation: unsigned });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ verified: false, presentationResult: { verified: true } });
      expect(res.json().credentialResults[0].verified).toBe(false);

      const challenged = await verifyVp({
        verifiablePresentation: { ...unsigned, verifiableCredential: [vc] },
        options: { challenge: 'c-1' },
      });
      expect(challenged.statusCode).toBe(422);
      expect(challenged.json().errors.join(' ')).toContain('not signed');
    });

    it('accepts an unsigned presentation of good credentials (200) and refuses a request without one (400)', async () => {
      const ok = await verifyVp({
        presentation: {
          '@context': ['https://www.w3.org/ns/credentials/v2'],
          type: ['VerifiablePresentation'],
          verifiableCredential: [vc],
        },
      });
      expect(ok.statusCode, ok.body).toBe(200);
      const empty = await verifyVp({ options: {} });
      expect(empty.statusCode).toBe(400);
      expect(empty.headers['content-type']).toMatch(/problem\+json/);
    });
  });
});
