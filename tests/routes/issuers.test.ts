import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createKeyring } from '../../src/keys/keyring.js';
import { createSecretBox } from '../../src/keys/master-key.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName, createTestDatabase } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest } from '../helpers/factories.js';

describe(`issuer profiles and DID documents (${backendName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ listen: true });
  });
  afterAll(() => t.close());

  it('serves the OB 3.0 Profile with image and parent organisation, and the did:web document with every key', async () => {
    const { issuer } = await t.app.services.issuers.createIssuer({
      name: 'Springfield Public Schools',
      url: 'https://springfield.example.org',
      email: 'credentials@springfield.example.org',
      description: 'A district',
      imageUrl: 'https://springfield.example.org/logo.png',
      parentOrg: { name: 'State Department of Education', url: 'https://education.example.gov' },
    });
    const profile = await (await fetch(`${t.baseUrl}/issuers/${issuer.id}`)).json();
    expect(profile).toMatchObject({
      id: issuer.did,
      type: ['Profile'],
      name: 'Springfield Public Schools',
      email: 'credentials@springfield.example.org',
      image: { id: 'https://springfield.example.org/logo.png', type: 'Image' },
      parentOrg: { id: 'https://education.example.gov', type: ['Profile'], name: 'State Department of Education' },
    });
    const res = await fetch(`${t.baseUrl}/issuers/${issuer.id}/did.json`);
    expect(res.headers.get('content-type')).toMatch(/^application\/did\+json/);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const did = await res.json();
    expect(did.id).toBe(issuer.did);
    expect(did.assertionMethod).toEqual([did.verificationMethod[0].id]);
    expect(did.verificationMethod[0]).toMatchObject({
      type: 'Multikey',
      controller: issuer.did,
      publicKeyMultibase: expect.stringMatching(/^z6Mk/),
    });
  });

  it('has no did.json for a did:key issuer and 404s unknown issuers as problem+json', async () => {
    const keyIssuer = await createIssuer(t.app.services, { didMethod: 'key' });
    expect((await fetch(`${t.baseUrl}/issuers/${keyIssuer.issuerId}/did.json`)).status).toBe(404);
    const res = await fetch(`${t.baseUrl}/issuers/00000000-0000-0000-0000-000000000000`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('serves the interactive API reference at /docs', async () => {
    const res = await fetch(`${t.baseUrl}/docs`, { redirect: 'follow' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/swagger/i);
    const json = await (await fetch(`${t.baseUrl}/docs/json`)).json();
    expect(json.paths['/credentials']).toBeDefined();
  });
});

describe(`verifying another deployment's did:web credential (${backendName})`, () => {
  let other: TestApp;
  let credential: Record<string, unknown>;
  beforeAll(async () => {
    other = await createTestApp({ listen: true, credentialStatus: false });
    const issuer = await createIssuer(other.app.services);
    const { id } = await createAchievement(other.app, issuer);
    credential = (await other.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) })).json();
  });
  afterAll(() => other.close());

  const verifierApp = async (allowPrivateFetch: boolean) => {
    const database = await createTestDatabase();
    const box = createSecretBox(Buffer.alloc(32, 5));
    const app = await buildApp({
      config: {
        publicUrl: 'https://verifier.example.org',
        allowPrivateFetch,
        fetchTimeoutMs: 2000,
        fetchMaxBytes: 65_536,
        bodyLimitBytes: 262_144,
      },
      db: database.db,
      keyring: createKeyring(box),
      box,
      logger: false,
    });
    return { app, close: async () => (await app.close(), await database.close()) };
  };

  it('fetches the DID document over HTTP and verifies (private fetches allowed, as in development)', async () => {
    const verifier = await verifierApp(true);
    try {
      const body = (
        await verifier.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: credential } })
      ).json();
      expect(body.verified, JSON.stringify(body.errors)).toBe(true);
      expect(String(credential.issuer && (credential.issuer as { id: string }).id)).toMatch(/^did:web:127\.0\.0\.1%3A\d+:issuers:/);
    } finally {
      await verifier.close();
    }
  });

  it('refuses to fetch from a loopback address by default, reporting the key as uncheckable', async () => {
    const verifier = await verifierApp(false);
    try {
      const res = await verifier.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: credential } });
      expect(res.statusCode).toBe(422);
      const issuerCheck = res.json().checks.find((c: { check: string }) => c.check === 'issuer');
      expect(issuerCheck.outcome).toBe('error');
      expect(issuerCheck.message).toMatch(/private or loopback/);
    } finally {
      await verifier.close();
    }
  });
});
