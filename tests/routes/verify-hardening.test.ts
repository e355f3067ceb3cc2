/**
 * The verifier under adversarial input: it never processes a context it does not ship (wherever it appears),
 * never fetches anything for a credential whose proof fails, never answers 5xx, and still reports revocations
 * recorded here for credentials that carry no status entry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';

type Json = Record<string, any>;

describe(`verifier hardening (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;
  let credential: Json;
  let hits = 0;
  let server: http.Server;
  let listUrl: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
    credential = (
      await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(achievementId) })
    ).json();
    server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    listUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/lists/1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });
  const check = (body: Json, name: string) => body.checks.find((c: Json) => c.check === name);

  it.each([
    [
      'a remote context scoped inside an inline context',
      (c: Json) => ({
        ...c,
        '@context': [...c['@context'], { Evil: { '@id': 'https://evil.invalid/#Evil', '@context': 'https://evil.invalid/ctx' } }],
      }),
    ],
    ['a DID imported by an inline context', (c: Json) => ({ ...c, '@context': [...c['@context'], { '@import': 'did:web:evil.invalid' }] })],
    [
      'a DID used as a context inside the subject',
      (c: Json) => ({ ...c, credentialSubject: { ...c.credentialSubject, '@context': 'did:web:evil.invalid' } }),
    ],
    [
      'a remote context nested in an evidence item',
      (c: Json) => ({ ...c, evidence: [{ ...c.evidence[0], '@context': 'https://evil.invalid/ctx' }] }),
    ],
  ])('refuses %s without processing it', async (_name, mutate) => {
    const res = await verify(mutate(credential));
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(check(body, 'shape').message).toMatch(/not one this service ships/);
    expect(check(body, 'proof').message).toMatch(/^Not checked/);
  });

  it('processes an inline context (VCDM 2.0 allows them): an unused term changes nothing signed, a changed meaning fails the proof', async () => {
    const unused = await verify({ ...credential, '@context': [...credential['@context'], { unusedTerm: 'https://example.org/#unused' }] });
    expect(unused.json().checks.find((c: Json) => c.check === 'proof').outcome).toBe('pass');
    const retyped = await verify({
      ...credential,
      '@context': [...credential['@context'], { narrative: 'https://example.org/#something-else' }],
    });
    expect(retyped.json().verified).toBe(false);
  });

  it.each([
    ['a type entry that is an object with toString', (c: Json) => ({ ...c, type: ['VerifiableCredential', { toString: 1 }] })],
    [
      'a statusPurpose object',
      (c: Json) => ({ ...c, credentialStatus: { ...c.credentialStatus, statusPurpose: { toString: 1, valueOf: 1 } } }),
    ],
    [
      'a statusListIndex object',
      (c: Json) => ({ ...c, credentialStatus: { ...c.credentialStatus, statusListIndex: { toString: 1, valueOf: 1 } } }),
    ],
    ['a statusSize object', (c: Json) => ({ ...c, credentialStatus: { ...c.credentialStatus, statusSize: { valueOf: 1 } } })],
  ])('answers %s with a 422 report, never a 5xx', async (_name, mutate) => {
    const res = await verify(mutate(credential));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().verified).toBe(false);
  });

  it('fetches no status list for a credential whose proof does not verify', async () => {
    const forged = structuredClone(credential);
    forged.credentialStatus = { ...forged.credentialStatus, statusListCredential: listUrl, id: `${listUrl}#1` };
    const body = (await verify(forged)).json();
    expect(body.verified).toBe(false);
    expect(check(body, 'status')).toMatchObject({ outcome: 'fail', message: expect.stringMatching(/^Not checked/) });
    expect(hits).toBe(0);
  });

  it('refuses to process more than four proofs', async () => {
    const many = { ...credential, proof: Array.from({ length: 5 }, () => credential.proof[0]) };
    const body = (await verify(many)).json();
    expect(body.verified).toBe(false);
    expect(check(body, 'proof').message).toMatch(/more than 4 proofs/);
  });

  it('reports a revocation recorded here even for a credential issued without a status entry', async () => {
    const plain = await createTestApp({ credentialStatus: false });
    try {
      const own = await createIssuer(plain.app.services, { didMethod: 'key' });
      const { id } = await createAchievement(plain.app, own);
      const issued = (await plain.app.inject({ method: 'POST', url: '/credentials', headers: own.auth, payload: issueRequest(id) })).json();
      expect(issued.credentialStatus).toBeUndefined();
      const uuid = String(issued.id).split('/').pop();
      const revoke = await plain.app.inject({
        method: 'POST',
        url: `/credentials/${uuid}/status`,
        headers: own.auth,
        payload: { action: 'revoke', reason: 'Issued in error' },
      });
      expect(revoke.statusCode).toBe(200);
      const body = (
        await plain.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: issued } })
      ).json();
      expect(body.verified).toBe(false);
      expect(check(body, 'status').message).toMatch(/^Revoked on \d{4}-\d{2}-\d{2}: Issued in error/);
    } finally {
      await plain.close();
    }
  });

  it('signs status lists with the issuer’s proof type (Ed25519Signature2020 for older wallets), verifiable independently', async () => {
    const older = await createIssuer(t.app.services, { proofType: 'Ed25519Signature2020', name: 'Older-wallet district' });
    const { id } = await createAchievement(t.app, older);
    const issued = (await t.app.inject({ method: 'POST', url: '/credentials', headers: older.auth, payload: issueRequest(id) })).json();
    expect(issued.proof[0].type).toBe('Ed25519Signature2020');
    const list = await (await fetch(issued.credentialStatus.statusListCredential)).json();
    expect(list.proof.type).toBe('Ed25519Signature2020');
    expect(list['@context']).toContain('https://w3id.org/security/suites/ed25519-2020/v1');
    expect((await verifyIndependently(list)).verified).toBe(true);
    expect((await verifyIndependently(issued)).verified).toBe(true);
  });
});
