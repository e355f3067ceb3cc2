/**
 * The OB 3.0 JSON Schema (shipped in schemas/, never fetched): an Open Badge that does not conform is refused before
 * it is signed, with a 422 listing each schema error, and nothing is recorded; what conforms is signed and carries the
 * schema in `credentialSchema`. On verify, a credential declaring the schema gets a `schema` check.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createIssuer, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader, verifyIndependently } from '../helpers/independent-verifier.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';
import { countCredentials } from '../../src/db/repositories/credentials.js';

type Json = Record<string, unknown>;

const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const OB_EXTENSIONS = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
const OB_SCHEMA = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';

/** An OB 3.0 credential whose achievement has no `criteria` (required by the schema) and an `image` without `type`. */
function nonConforming(issuer: string): Json {
  const { criteria: _criteria, ...achievement } = otherAchievementSubject.achievement;
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', OB_CONTEXT],
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: 'Culturally Responsive Teaching',
    issuer: { id: issuer, type: ['Profile'], name: 'Platform' },
    validFrom: '2026-01-01T00:00:00Z',
    credentialSubject: {
      ...otherAchievementSubject,
      achievement: { ...achievement, image: { id: 'https://other.example.org/badge.png' } },
    },
  };
}

function conforming(issuer: string): Json {
  return { ...nonConforming(issuer), credentialSubject: otherAchievementSubject };
}

describe(`OB 3.0 JSON Schema (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services, { didMethod: 'key', name: 'Schema checks' });
  });
  afterAll(() => t.close());

  const issue = (credential: Json) =>
    t.app.inject({ method: 'POST', url: '/credentials/issue', headers: issuer.auth, payload: { credential } });
  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });

  it('refuses a non-conforming Open Badge before signing: 422 listing each schema error with its pointer, nothing recorded', async () => {
    const before = await countCredentials(t.database.db);
    const res = await issue(nonConforming(issuer.did));
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json() as { type: string; detail: string; errors: { pointer: string; detail: string }[] };
    expect(problem.type).toBe(`${t.baseUrl}/problems/unprocessable-credential`);
    expect(problem.detail).toMatch(/JSON Schema it declares \(for an Open Badge, the Open Badges 3\.0 schema\)/);
    const blamed = problem.errors.map((e) => `${e.pointer} ${e.detail}`).join('\n');
    expect(blamed).toMatch(/^#\/credential\/credentialSubject\/achievement.*criteria/m);
    expect(blamed).toMatch(/^#\/credential\/credentialSubject\/achievement\/image.*type/m);
    expect(res.body).not.toContain('proofValue');
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('signs the same badge once it conforms, adding the OB 3.0 credentialSchema; an independent verifier accepts it', async () => {
    const res = await issue(conforming(issuer.did));
    expect(res.statusCode, res.body).toBe(201);
    const signed = (res.json() as { verifiableCredential: Json }).verifiableCredential;
    expect(signed.credentialSchema).toEqual([{ id: OB_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }]);
    expect(signed['@context']).toContain(OB_EXTENSIONS); // it defines 1EdTechJsonSchemaValidator2019

    // A badge that declares the OB schema itself gets the context that defines its type too.
    const declared = await issue({
      ...conforming(issuer.did),
      credentialSchema: [{ id: OB_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
    });
    expect(declared.statusCode, declared.body).toBe(201);
    expect((declared.json() as { verifiableCredential: Json }).verifiableCredential['@context']).toContain(OB_EXTENSIONS);
    expect((await verifyIndependently(signed)).verified).toBe(true);
    const report = (await verify(signed)).json() as { verified: boolean; checks: { check: string; outcome: string }[] };
    expect(report.verified).toBe(true);
    expect(report.checks).toContainEqual(expect.objectContaining({ check: 'schema', outcome: 'pass' }));
  });

  it('names a type no context defines (a 1EdTech schema declared without the OB extensions context): 422, nothing recorded', async () => {
    const before = await countCredentials(t.database.db);
    const res = await issue({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiableCredential'],
      issuer: issuer.did,
      credentialSubject: { id: 'did:example:educator' },
      credentialSchema: [{ id: 'https://platform.example/schema.json', type: '1EdTechJsonSchemaValidator2019' }],
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().detail).toContain('"1EdTechJsonSchemaValidator2019" is not defined');
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('checks any 1EdTech schema a credential declares, badge or not: a plain VC declaring the OB schema is refused (422)', async () => {
    const before = await countCredentials(t.database.db);
    const res = await issue({
      '@context': ['https://www.w3.org/ns/credentials/v2', OB_EXTENSIONS],
      type: ['VerifiableCredential'],
      issuer: issuer.did,
      credentialSubject: { id: 'did:example:educator' },
      credentialSchema: [{ id: OB_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().errors.length).toBeGreaterThan(0);
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('on verify, fails the schema check of a validly signed credential that declares the schema but does not conform', async () => {
    const { did, signer } = await createOtherIssuer();
    const sign = (credential: Json) =>
      vc.issue({
        credential: {
          ...credential,
          id: `urn:uuid:${crypto.randomUUID()}`,
          '@context': [...(credential['@context'] as string[]), OB_EXTENSIONS],
          credentialSchema: [{ id: OB_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
        },
        suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
        documentLoader: independentDocumentLoader,
      });
    const bad = (await verify(await sign(nonConforming(did)))).json() as {
      verified: boolean;
      checks: { check: string; outcome: string; message: string }[];
    };
    expect(bad.verified).toBe(false);
    const schema = bad.checks.find((c) => c.check === 'schema');
    expect(schema?.outcome).toBe('fail');
    expect(schema?.message).toMatch(/criteria/);
    expect(bad.checks.find((c) => c.check === 'proof')?.outcome).toBe('pass'); // the signature itself is fine

    const good = (await verify(await sign(conforming(did)))).json() as {
      verified: boolean;
      errors: string[];
      checks: { check: string; outcome: string }[];
    };
    expect(good.verified, good.errors.join('; ')).toBe(true);
    expect(good.checks).toContainEqual(expect.objectContaining({ check: 'schema', outcome: 'pass' }));
  });
});
