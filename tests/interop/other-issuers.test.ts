/**
 * Credentials made by another implementation (stock @digitalbazaar/vc in this test, with its own keys and
 * contexts, nothing from src/) must verify through our endpoint: VCDM 2.0 and 1.1, both proof suites, did:key.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { independentDocumentLoader } from '../helpers/independent-verifier.js';
import { createOtherIssuer as otherIssuer, otherAchievementSubject as achievementSubject } from '../helpers/other-issuer.js';

const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

describe('verifying credentials issued by other implementations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });

  it('accepts a VCDM 2.0 OpenBadgeCredential signed with eddsa-rdfc-2022 by a did:key issuer', async () => {
    const { did, signer } = await otherIssuer();
    const credential = await vc.issue({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2', OB_CONTEXT],
        id: 'urn:uuid:6a1e2d5c-1c8e-4f0a-9d7a-3a0f0c2b7e11',
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Culturally Responsive Teaching',
        issuer: { id: did, type: ['Profile'], name: 'Other Platform' },
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: achievementSubject,
      },
      suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
      documentLoader: independentDocumentLoader,
    });
    const res = await verify(credential);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().verified).toBe(true);
  });

  it('accepts a VCDM 1.1 OpenBadgeCredential signed with Ed25519Signature2020, with a warning', async () => {
    const { did, signer } = await otherIssuer();
    const credential = await vc.issue({
      credential: {
        '@context': [
          'https://www.w3.org/2018/credentials/v1',
          'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json',
          'https://w3id.org/security/suites/ed25519-2020/v1',
        ],
        id: 'urn:uuid:0b9a4f40-2f8a-4c59-9b3f-2f7c8f0d8a21',
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Culturally Responsive Teaching',
        issuer: { id: did, type: 'Profile', name: 'Older Platform' },
        issuanceDate: '2024-03-01T00:00:00Z',
        credentialSubject: achievementSubject,
      },
      suite: new Ed25519Signature2020({ signer }),
      documentLoader: independentDocumentLoader,
    });
    const body = (await verify(credential)).json();
    expect(body.verified, JSON.stringify(body.errors)).toBe(true);
    expect(body.warnings.join(' ')).toMatch(/VCDM 1.1/);
  });

  it('accepts a plain W3C VC (not a badge) and reports that a claimed issuer who did not sign fails', async () => {
    const { did, signer } = await otherIssuer();
    const credential = await vc.issue({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
        type: ['VerifiableCredential'],
        issuer: did,
        credentialSubject: { id: 'did:example:learner', name: 'A learner' },
      },
      suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
      documentLoader: async (url: string) =>
        url === 'https://www.w3.org/ns/credentials/examples/v2'
          ? { contextUrl: null, documentUrl: url, document: { '@context': { '@vocab': 'https://www.w3.org/ns/credentials/examples#' } } }
          : independentDocumentLoader(url),
    });
    expect((await verify(credential)).json().verified).toBe(true);
    const impostor = await otherIssuer();
    const claimed = { ...credential, issuer: impostor.did };
    const body = (await verify(claimed)).json();
    expect(body.verified).toBe(false);
    expect(body.checks.find((c: { check: string }) => c.check === 'issuer').outcome).toBe('fail');
  });

  it('reports a status it cannot check as an error, never as valid', async () => {
    const { did, signer } = await otherIssuer();
    const credential = await vc.issue({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2', OB_CONTEXT],
        id: 'urn:uuid:2c1f9a77-5d0b-4d8c-8b1e-7f4f7b0a9c33',
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Revocable badge',
        issuer: { id: did, type: ['Profile'], name: 'Other Platform' },
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: achievementSubject,
        credentialStatus: {
          id: 'https://status.invalid/lists/1#7',
          type: 'BitstringStatusListEntry',
          statusPurpose: 'revocation',
          statusListIndex: '7',
          statusListCredential: 'https://status.invalid/lists/1',
        },
      },
      suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
      documentLoader: independentDocumentLoader,
    });
    const body = (await verify(credential)).json();
    expect(body.verified).toBe(false);
    const status = body.checks.find((c: { check: string }) => c.check === 'status');
    expect(status.outcome).toBe('error');
    expect(body.checks.filter((c: { outcome: string }) => c.outcome !== 'pass').map((c: { check: string }) => c.check)).toEqual(['status']);
  });
});
