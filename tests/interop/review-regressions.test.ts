/**
 * Regressions for the bugs a security review of the interoperability work found (VC-API issue and presentation
 * verify, key rotation and compromise, VC-JWT, the 1EdTech OB 3.0 REST API with OAuth 2.0), ordered by severity.
 * Each test was written failing against the code it describes, and passes since its fix.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as jose from 'jose';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader } from '../helpers/independent-verifier.js';
import { multikeyHolder, signDidAuth } from '../helpers/wallet.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import { listIssuerKeys } from '../../src/db/repositories/issuers.js';

type Json = Record<string, any>;
const SCOPE = 'https://purl.imsglobal.org/spec/ob/v3p0/scope/';
const ALL_SCOPES = ['credential.readonly', 'credential.upsert', 'profile.readonly', 'profile.update'].map((s) => SCOPE + s);
const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (body: Record<string, string>) => new URLSearchParams(body).toString();

describe(`issue 8 review (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;
  // A settable clock: days relative to ten days ago.
  const base = Math.floor(Date.now() / 1000) * 1000 - 10 * 86_400_000;
  const day = (n: number) => new Date(base + n * 86_400_000).toISOString();
  let now = new Date(day(0));
  const at = (iso: string) => (now = new Date(iso));

  beforeAll(async () => {
    t = await createTestApp({ listen: true, clock: () => now });
  });
  afterAll(() => t.close());

  const verify = async (verifiableCredential: unknown) => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });
    return { status: res.statusCode, ...(res.json() as { verified: boolean; errors: string[]; checks: Json[] }) };
  };

  /** The Ed25519 key pair of a stored issuer key, as a thief who copied it from the keyring would hold it. */
  async function stolenKey(issuerId: string, did: string, predicate: (row: Json) => boolean) {
    const row = (await listIssuerKeys(t.database.db, issuerId)).find(predicate)!;
    const box = createSecretBox(Buffer.alloc(32, 7)); // the test app's master key
    return Ed25519Multikey.from({
      id: row.verification_method,
      controller: did,
      type: 'Multikey',
      publicKeyMultibase: row.public_key_multibase,
      secretKeyMultibase: box.open(row.secret_key_envelope, row.id),
    });
  }

  // ───────────────────────────── 1. HIGH: forged credential passes after key compromise ─────────────────────────────
  // src/credentials/verify.ts checkIssuerKey/checkKey + src/services/issuers.ts recordedSigningTime: the issuer check
  // passes if ANY proof names a compromised key with a proofValue that appears (substring) in a recorded credential of
  // that id, while checkProof (jsigs) passes if ANY proof verifies (revocation stripped). Two proofs, judged
  // separately: a copied pre-compromise proof satisfies the date check, the thief's new proof satisfies the signature.
  it('a credential forged with a compromised key fails, even carrying a copied pre-compromise proof', async () => {
    const web = await createIssuer(t.app.services, { didMethod: 'web', name: 'Compromised district' });
    const achievement = await createAchievement(t.app, web);
    at(day(0));
    const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: web.auth, payload: issueRequest(achievement.id) });
    expect(res.statusCode, res.body).toBe(201);
    const legit = res.json() as Json; // signed on day 0, before the compromise
    at(day(2));
    const [key] = (await t.app.inject({ method: 'GET', url: '/keys', headers: web.auth })).json() as Json[];
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/keys/${key!.id}/revoke`,
      headers: web.auth,
      payload: { compromisedAt: day(1), reason: 'key copied' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect((await verify(legit)).verified).toBe(true); // signed before the compromise: still good

    // The thief rewrites the credential (same id, so our records know it) and signs it with the stolen key.
    const pair = await stolenKey(web.issuerId, web.did, (k) => k.revoked_at !== null);
    const forged = structuredClone(legit);
    delete forged.proof;
    forged.credentialSubject.achievement.name = 'Doctorate in Everything (forged)';
    const suite = new DataIntegrityProof({ signer: pair.signer(), cryptosuite: eddsaRdfc2022, date: day(2).replace('.000Z', 'Z') });
    const signed = (await vc.issue({ credential: forged, suite, documentLoader: independentDocumentLoader })) as Json;
    // Alone, the forgery fails (no record of this signature) ...
    expect((await verify(signed)).verified).toBe(false);
    // ... but with the genuine proof copied in front of the thief's, it passes.
    const withDecoy = { ...signed, proof: [legit.proof[0], signed.proof] };
    const report = await verify(withDecoy);
    expect(report.verified, JSON.stringify(report.checks)).toBe(false);
  });

  // ───────────────────────────── 2. MEDIUM: presentation holder binding bypass ─────────────────────────────
  // src/credentials/presentation.ts verifyPresentationProof: the holder check reads results[0].proof.verificationMethod,
  // i.e. the FIRST proof, whether or not that is the proof that verified (jsigs verifies if ANY proof does). A decoy
  // first proof naming the victim's key makes a presentation signed by someone else pass as the victim's.
  it('/presentations/verify refuses a presentation for holder X signed by another DID behind a decoy first proof', async () => {
    const victim = await multikeyHolder();
    const attacker = await multikeyHolder();
    const challenge = 'review-challenge';
    const domain = 'verifier.example';
    const vp = await signDidAuth(attacker, { challenge, domain, holderDid: victim.did });
    const plain = await t.app.inject({
      method: 'POST',
      url: '/presentations/verify',
      payload: { verifiablePresentation: vp, options: { challenge, domain } },
    });
    expect(plain.json().verified).toBe(false); // one proof, by the attacker: refused (holder mismatch)

    const real = vp.proof as Json;
    const decoy = { ...real, verificationMethod: `${victim.did}#${victim.did.slice('did:key:'.length)}` };
    const res = await t.app.inject({
      method: 'POST',
      url: '/presentations/verify',
      payload: { verifiablePresentation: { ...vp, proof: [decoy, real] }, options: { challenge, domain } },
    });
    expect(res.json().verified, res.body).toBe(false);
  });

  // ───────────────────────────── OAuth helpers ─────────────────────────────
  const registration = (redirect: string, overrides: Json = {}) => {
    const origin = new URL(redirect).origin;
    return {
      client_name: 'Review Client',
      client_uri: `${origin}/`,
      logo_uri: `${origin}/logo.png`,
      tos_uri: `${origin}/terms`,
      policy_uri: `${origin}/privacy`,
      software_id: 'review',
      software_version: '1',
      redirect_uris: [redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: ALL_SCOPES.join(' '),
      ...overrides,
    };
  };
  async function register(redirect: string) {
    const res = await t.app.inject({ method: 'POST', url: '/ims/ob/v3p0/oauth/register', payload: registration(redirect) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { client_id: string; client_secret: string };
  }
  /** The whole code flow for the educator behind `claimUrl`. @returns the token response. */
  async function accessToken(claimUrl: string) {
    const redirect = 'https://wallet.example/callback';
    const client = await register(redirect);
    const verifier = crypto.randomBytes(32).toString('base64url');
    const query = {
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirect,
      scope: ALL_SCOPES.join(' '),
      state: 's',
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    };
    const answer = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/oauth/authorize',
      headers: formHeaders,
      payload: form({ ...query, link: claimUrl, decision: 'approve' }),
    });
    expect(answer.statusCode, answer.body).toBe(303);
    const code = new URL(String(answer.headers.location)).searchParams.get('code')!;
    const res = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/oauth/token',
      headers: { ...formHeaders, authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
      payload: form({ grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: verifier }),
    });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().access_token as string;
  }

  // ───────────────────────────── 3. MEDIUM: open redirector via dynamic registration ─────────────────────────────
  // src/services/ob3-api.ts checkAuthorizationRequest + src/routes/ob3-api.ts withAuthorizationRequest: anyone can
  // register a client (no initial access token, by the OB profile) with any https redirect host, then send a victim
  // to GET /oauth/authorize?...&scope=bogus: the service 303-redirects at once, with no user interaction, to the
  // attacker's site. RFC 9700 §4.11.2 ("Authorization Server as Open Redirector"): redirect errors only after user
  // interaction, or show them on our page.
  it('GET /oauth/authorize never redirects on its own to a dynamically registered host (no open redirector)', async () => {
    const evil = 'https://evil.example/phish';
    const client = await register(evil);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: evil,
      scope: 'not-a-scope',
      state: 'x',
      code_challenge: 'A'.repeat(43),
      code_challenge_method: 'S256',
    });
    const res = await t.app.inject({ method: 'GET', url: `/ims/ob/v3p0/oauth/authorize?${query}` });
    // Today: 303 Location: https://evil.example/phish?error=invalid_scope&...
    expect(res.statusCode, String(res.headers.location)).not.toBe(303);
  });

  // ───────────────────────────── 4. MEDIUM: 500 on upsertCredential with a malformed compact JWS ─────────────────────────────
  // src/services/ob3-api.ts upsert: a text/plain body matching the compact-JWS pattern goes to decodeJws() outside any
  // try; its JwtFormatError is not a Problem, so the API answers 500 internal-error (Imsx internal_server_error) for
  // bad input. Fix: catch JwtFormatError and throw Problem('validation-failed').
  it('upsertCredential answers 400, not 500, for a text/plain body that is not a decodable JWS', async () => {
    issuer = await createIssuer(t.app.services, { name: 'OB API district' });
    achievementId = (await createAchievement(t.app, issuer)).id;
    at(day(3));
    const issued = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievementId, { recipient: { identity: 'review.upsert@district.example' } }),
    });
    const token = await accessToken(String(issued.headers['claim-url']));
    const res = await t.app.inject({
      method: 'POST',
      url: '/ims/ob/v3p0/credentials',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
      payload: 'aaaa.bbbb.cccc',
    });
    expect(res.statusCode, res.body).toBe(400);
  });

  // ───────────────────────────── 5. MEDIUM: key compromise breaks pre-compromise CLRs (and endorsements) ─────────────────────────────
  // src/services/issuers.ts recordedSigningTime looks only in the `credentials` table, but the same key also signs
  // ClrCredentials (clr_credentials, services/earner.ts) and EndorsementCredentials (endorsements, services/programmes.ts).
  // For those it answers null ("ours, no record"), so after ANY compromise report every CLR and endorsement the key
  // signed — even years before the compromise date — fails: "the issuer has no record of this credential".
  it('a CLR signed before the compromise date still verifies after the key is reported compromised', async () => {
    const web = await createIssuer(t.app.services, { didMethod: 'web', name: 'CLR district' });
    const achievement = await createAchievement(t.app, web);
    at(day(4));
    const issued = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: web.auth,
      payload: issueRequest(achievement.id, { recipient: { identity: 'review.clr@district.example' } }),
    });
    expect(issued.statusCode, issued.body).toBe(201);
    const claim = new URL(String(issued.headers['claim-url'])).pathname;
    const clrRes = await t.app.inject({ method: 'GET', url: `${claim}/clr/${web.issuerId}` });
    expect(clrRes.statusCode, clrRes.body).toBe(200);
    const clr = clrRes.json();
    expect((await verify(clr)).verified).toBe(true);
    at(day(6));
    const [key] = (await t.app.inject({ method: 'GET', url: '/keys', headers: web.auth })).json() as Json[];
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/keys/${key!.id}/revoke`,
      headers: web.auth,
      payload: { compromisedAt: day(5), reason: 'later compromise' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const report = await verify(clr); // signed on day 4, compromise from day 5
    expect(report.verified, report.errors.join('; ')).toBe(true);
  });

  // ───────────────────────────── 6. LOW-MEDIUM: VC-JWT exp claim ignored ─────────────────────────────
  // src/credentials/jwt.ts credentialOfPayload strips exp/nbf and claimProblems compares exp only when the credential
  // has validUntil; verify.ts never checks exp (or nbf) against the clock. A JWT whose exp has passed verifies when the
  // credential body has no validUntil (RFC 7519 §4.1.4: MUST NOT be accepted; OB 3.0 §8.2.4.1).
  describe('VC-JWT claims', () => {
    async function didJwk() {
      const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
      const did = `did:jwk:${Buffer.from(JSON.stringify(await jose.exportJWK(publicKey))).toString('base64url')}`;
      return { did, kid: `${did}#0`, privateKey };
    }
    const sign = (payload: Json, kid: string, key: jose.CryptoKey) =>
      new jose.CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .sign(key);

    it('a VC-JWT whose exp claim has passed fails, even when the credential has no validUntil', async () => {
      at(new Date().toISOString());
      const a = await didJwk();
      const credential = {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        id: `urn:uuid:${crypto.randomUUID()}`,
        type: ['VerifiableCredential'],
        issuer: a.did,
        validFrom: '2024-01-01T00:00:00Z',
        credentialSubject: { id: 'did:example:teacher' },
      };
      const exp = Date.parse('2024-02-01T00:00:00Z') / 1000; // long past
      const jwt = await sign(
        { ...credential, iss: a.did, jti: credential.id, sub: 'did:example:teacher', nbf: Date.parse(credential.validFrom) / 1000, exp },
        a.kid,
        a.privateKey,
      );
      const report = await verify(jwt);
      expect(report.verified, JSON.stringify(report.checks)).toBe(false);
    });

    // OB 3.0 §8.2.3/§8.2.4.1: jti, sub and nbf are required claims; only iss is required by claimProblems.
    it('a VC-JWT without the required jti, sub and nbf claims fails', async () => {
      at(new Date().toISOString());
      const a = await didJwk();
      const credential = {
        '@context': ['https://www.w3.org/ns/credentials/v2'],
        id: `urn:uuid:${crypto.randomUUID()}`,
        type: ['VerifiableCredential'],
        issuer: a.did,
        validFrom: '2024-01-01T00:00:00Z',
        credentialSubject: { id: 'did:example:teacher' },
      };
      const report = await verify(await sign({ ...credential, iss: a.did }, a.kid, a.privateKey));
      expect(report.verified, JSON.stringify(report.checks)).toBe(false);
    });
  });

  // ───────────────────────────── 8. LOW-MEDIUM: did:key compromise makes its status lists unservable ─────────────────────────────
  // src/services/issuers.ts revokeKey calls forgetSignedLists, and the lists are re-signed lazily with signingKey(),
  // which throws 409 for a did:key issuer whose only key is compromised. GET /status-lists/{id} then answers 409
  // forever: no other verifier can check status of ANY of the issuer's credentials (pre-compromise ones included),
  // and the revocations revokeKey just made are never published.
  it('after a did:key issuer reports its key compromised, its status lists are still served', async () => {
    at(new Date().toISOString());
    const didKey = await createIssuer(t.app.services, { didMethod: 'key', name: 'did:key review' });
    const credential = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: didKey.did,
      credentialSubject: { id: 'did:example:teacher' },
    };
    const issued = await t.app.inject({ method: 'POST', url: '/credentials/issue', headers: didKey.auth, payload: { credential } });
    expect(issued.statusCode, issued.body).toBe(201);
    const list = new URL(issued.json().verifiableCredential.credentialStatus.statusListCredential).pathname;
    expect((await t.app.inject({ method: 'GET', url: list })).statusCode).toBe(200);
    const [key] = (await t.app.inject({ method: 'GET', url: '/keys', headers: didKey.auth })).json() as Json[];
    const revoked = await t.app.inject({
      method: 'POST',
      url: `/keys/${key!.id}/revoke`,
      headers: didKey.auth,
      payload: { reason: 'leaked' },
    });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const res = await t.app.inject({ method: 'GET', url: list });
    expect(res.statusCode, res.body).toBe(200);
  });
});
