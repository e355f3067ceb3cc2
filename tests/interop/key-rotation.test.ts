/**
 * Issuer key rotation and compromise: after a rotation old and new credentials verify (here and in an independent
 * verifier); after a key is reported compromised from a date, what it signed before verifies and what it signed
 * from then on fails, judged by our records and not by the date a proof claims.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader, verifyIndependently } from '../helpers/independent-verifier.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import { listIssuerKeys } from '../../src/db/repositories/issuers.js';

type Json = Record<string, any>;

describe(`signing key rotation and compromise (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;
  // Days relative to ten days ago (whole seconds); independent checks move the clock to the present, where status
  // lists signed then are still valid.
  const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 86_400_000;
  const day = (n: number) => new Date(base + n * 86_400_000).toISOString();
  let now = new Date(day(0));
  const at = (iso: string) => (now = new Date(iso));
  const present = () => (now = new Date());

  beforeAll(async () => {
    t = await createTestApp({ listen: true, clock: () => now });
    issuer = await createIssuer(t.app.services, { didMethod: 'web' });
    achievementId = (await createAchievement(t.app, issuer)).id;
  });
  afterAll(() => t.close());

  const issue = async (): Promise<Json> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievementId, { assessedAt: day(-1) }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const verify = async (credential: Json) => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: credential } });
    return res.json() as { verified: boolean; errors: string[]; checks: Array<{ check: string; outcome: string; message: string }> };
  };
  const keys = async () => (await t.app.inject({ method: 'GET', url: '/keys', headers: issuer.auth })).json() as Json[];
  const didDocument = async () => (await t.app.inject({ method: 'GET', url: `/issuers/${issuer.issuerId}/did.json` })).json() as Json;
  const methodOf = (credential: Json) => credential.proof[0].verificationMethod as string;

  let first: Json;
  let second: Json;
  let third: Json;

  it('rotates: the new key signs, the old one retires and stays in the DID document, and both credentials verify everywhere', async () => {
    first = await issue();
    at(day(1));
    const rotated = await t.app.inject({ method: 'POST', url: '/keys/rotate', headers: issuer.auth });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const [old, fresh] = rotated.json() as Json[];
    expect(old).toMatchObject({ current: false, retiredAt: day(1), revokedAt: null, algorithm: 'Ed25519' });
    expect(fresh).toMatchObject({ current: true, retiredAt: null });

    at(day(2));
    second = await issue();
    expect(methodOf(first)).toBe(old!.verificationMethod);
    expect(methodOf(second)).toBe(fresh!.verificationMethod);

    const doc = await didDocument();
    expect(doc.assertionMethod).toEqual([old!.verificationMethod, fresh!.verificationMethod]);
    expect(doc.verificationMethod.every((m: Json) => m.revoked === undefined)).toBe(true);

    present();
    for (const credential of [first, second]) {
      expect((await verify(credential)).verified).toBe(true);
      const independent = await verifyIndependently(credential);
      expect(independent, JSON.stringify(independent).slice(0, 1500)).toMatchObject({ verified: true });
    }
  });

  it('after a compromise date: earlier signatures verify, later ones fail (ours by our records), and a new key takes over', async () => {
    at(day(4));
    third = await issue(); // signed by the current key, after the compromise date reported below
    at(day(5));
    const current = (await keys()).find((k) => k.current)!;
    const res = await t.app.inject({
      method: 'POST',
      url: `/keys/${current.id}/revoke`,
      headers: issuer.auth,
      payload: { compromisedAt: day(3), reason: 'laptop stolen' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().affectedCredentials).toBe(1);
    const after = res.json().keys as Json[];
    expect(after.find((k) => k.id === current.id)).toMatchObject({
      current: false,
      revokedAt: day(3),
      revocationReason: 'laptop stolen',
    });
    expect(after.filter((k) => k.current)).toHaveLength(1);

    const vm = (await didDocument()).verificationMethod.find((m: Json) => m.id === current.verificationMethod);
    expect(vm.revoked).toBe(day(3).replace('.000Z', 'Z'));

    const before = await verify(second);
    expect(before.verified, before.errors.join('; ')).toBe(true);
    expect(before.checks.find((c) => c.check === 'issuer')!.message).toContain('before it was reported compromised');
    const later = await verify(third);
    expect(later.verified).toBe(false);
    expect(later.errors.join(' ')).toContain('after the key was reported compromised');
    expect((await verify(first)).verified).toBe(true); // the first key was retired, never compromised

    present();
    const fourth = await issue();
    expect(methodOf(fourth)).toBe(after.find((k) => k.current)!.verificationMethod);
    expect((await verify(fourth)).verified).toBe(true);
    expect(await verifyIndependently(fourth)).toMatchObject({ verified: true });
    // @digitalbazaar/vc 7 does not read a key's `revoked` date, but it reads the status list, where what the key signed
    // after the compromise is now revoked.
    const status = await t.app.inject({ method: 'GET', url: `/credentials/${third.id.split('/').pop()}/status`, headers: issuer.auth });
    expect(status.json()).toMatchObject({ status: 'revoked' });
    expect(status.json().history[0].reason).toContain('compromised');
    expect((await verifyIndependently(second)).verified).toBe(true);
    expect((await verifyIndependently(third)).verified).toBe(false);
  });

  it('fails a credential forged with the stolen key and backdated before the compromise (not in our records)', async () => {
    const stolenRow = (await listIssuerKeys(t.database.db, issuer.issuerId)).find((k) => k.revoked_at !== null)!;
    const box = createSecretBox(Buffer.alloc(32, 7)); // the test app's master key
    const pair = await Ed25519Multikey.from({
      id: stolenRow.verification_method,
      controller: issuer.did,
      type: 'Multikey',
      publicKeyMultibase: stolenRow.public_key_multibase,
      secretKeyMultibase: box.open(stolenRow.secret_key_envelope, stolenRow.id),
    });
    const forged = structuredClone(second);
    delete forged.proof;
    forged.id = `${t.baseUrl}/credentials/${crypto.randomUUID()}`;
    forged.credentialSubject.result = [];
    const suite = new DataIntegrityProof({ signer: pair.signer(), cryptosuite: eddsaRdfc2022, date: day(2.5).replace('.000Z', 'Z') });
    const signed = await vc.issue({ credential: forged, suite, documentLoader: independentDocumentLoader });
    const report = await verify(signed);
    expect(report.verified).toBe(false);
    expect(report.errors.join(' ')).toContain('no record of this credential');
  });

  it('refuses what makes no sense: a future compromise date (400), an unknown key (404), a second report (409), rotating a did:key (409)', async () => {
    const list = await keys();
    const live = list.find((k) => k.current)!;
    const future = await t.app.inject({
      method: 'POST',
      url: `/keys/${live.id}/revoke`,
      headers: issuer.auth,
      payload: { compromisedAt: '2099-01-01T00:00:00Z', reason: 'x' },
    });
    expect(future.statusCode).toBe(400);
    const unknown = await t.app.inject({
      method: 'POST',
      url: `/keys/${crypto.randomUUID()}/revoke`,
      headers: issuer.auth,
      payload: { reason: 'x' },
    });
    expect(unknown.statusCode).toBe(404);
    const revoked = list.find((k) => k.revokedAt !== null)!;
    const again = await t.app.inject({ method: 'POST', url: `/keys/${revoked.id}/revoke`, headers: issuer.auth, payload: { reason: 'x' } });
    expect(again.statusCode).toBe(409);
    const didKey = await createIssuer(t.app.services, { didMethod: 'key', name: 'did:key issuer' });
    const rotate = await t.app.inject({ method: 'POST', url: '/keys/rotate', headers: didKey.auth });
    expect(rotate.statusCode).toBe(409);
    expect(rotate.json().detail).toContain('did:key');
    const otherIssuersKey = await t.app.inject({
      method: 'POST',
      url: `/keys/${live.id}/revoke`,
      headers: didKey.auth,
      payload: { reason: 'x' },
    });
    expect(otherIssuersKey.statusCode).toBe(404);
  });

  it('a did:key issuer can report its key compromised: later credentials fail, and it cannot sign again (409)', async () => {
    present();
    const didKey = await createIssuer(t.app.services, { didMethod: 'key', name: 'did:key compromised' });
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: didKey.did,
      credentialSubject: { id: 'did:example:teacher' },
    };
    const issued = await t.app.inject({ method: 'POST', url: '/credentials/issue', headers: didKey.auth, payload: { credential } });
    expect(issued.statusCode, issued.body).toBe(201);
    const vc = issued.json().verifiableCredential;
    expect((await verify(vc)).verified).toBe(true);
    const [key] = (await t.app.inject({ method: 'GET', url: '/keys', headers: didKey.auth })).json() as Json[];
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/keys/${key!.id}/revoke`,
      headers: didKey.auth,
      payload: { compromisedAt: new Date(Date.now() - 60_000).toISOString(), reason: 'leaked' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json().affectedCredentials).toBe(1);
    const report = await verify(vc);
    expect(report.verified).toBe(false);
    expect(report.errors.join(' ')).toContain('reported compromised');
    const again = await t.app.inject({ method: 'POST', url: '/credentials/issue', headers: didKey.auth, payload: { credential } });
    expect(again.statusCode).toBe(409);
    expect(again.json().detail).toContain('no usable signing key');
  });

  it('a compromised VC-JWT key (P-256): the JWTs it signed since are revoked in their status lists, with the key, in one step', async () => {
    const start = Date.now() - 60_000;
    now = new Date(start);
    const jwtIssuer = await createIssuer(t.app.services, { didMethod: 'web', name: 'JWT district' });
    const jwtAchievement = (await createAchievement(t.app, jwtIssuer)).id;
    const issueJwt = async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: jwtIssuer.auth,
        payload: issueRequest(jwtAchievement, {
          format: 'jwt',
          recipient: { identity: 'jwt@district.example', did: 'did:example:teacher' },
        }),
      });
      expect(res.statusCode, res.body).toBe(201);
      return { jwt: res.body, id: String(res.headers.location).split('/').pop()! };
    };
    const before = await issueJwt();
    const compromisedAt = new Date(start + 10_000);
    now = new Date(start + 20_000);
    const after = await issueJwt();
    present();
    const p256 = ((await t.app.inject({ method: 'GET', url: '/keys', headers: jwtIssuer.auth })).json() as Json[]).find(
      (k) => k.current && k.algorithm !== 'Ed25519',
    )!;
    expect(p256, 'the issuer has a current P-256 key').toBeDefined();
    const res = await t.app.inject({
      method: 'POST',
      url: `/keys/${p256.id}/revoke`,
      headers: jwtIssuer.auth,
      payload: { compromisedAt: compromisedAt.toISOString(), reason: 'JWT key leaked' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().affectedCredentials).toBe(1);
    const statusOf = async (id: string) =>
      (await t.app.inject({ method: 'GET', url: `/credentials/${id}/status`, headers: jwtIssuer.auth })).json().status as string;
    expect(await statusOf(after.id)).toBe('revoked');
    expect(await statusOf(before.id)).toBe('active');
    expect((await verify(before.jwt as unknown as Json)).verified).toBe(true);
    const report = await verify(after.jwt as unknown as Json);
    expect(report.verified).toBe(false);
    expect(report.errors.join(' ')).toContain('reported compromised');
  });
});
