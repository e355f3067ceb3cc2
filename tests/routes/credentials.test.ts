import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCredentials } from '../../src/db/repositories/credentials.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';

describe(`POST /credentials (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
  });
  afterAll(() => t.close());

  const issue = (payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/credentials', headers: { ...issuer.auth, ...headers }, payload: payload as object });

  it('issues a signed OpenBadgeCredential with the public URL in Location', async () => {
    const res = await issue(issueRequest(achievementId));
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
    const credential = res.json();
    expect(res.headers.location).toBe(credential.id);
    expect(credential.id).toMatch(new RegExp(`^${t.baseUrl}/credentials/[0-9a-f-]{36}$`));
    expect(credential['@context']).toEqual([
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json',
    ]);
    expect(credential.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(credential.issuer).toMatchObject({ id: issuer.did, type: ['Profile'], name: 'Example School District' });
    expect(credential.proof).toHaveLength(1);
    expect(credential.proof[0]).toMatchObject({
      type: 'DataIntegrityProof',
      cryptosuite: 'eddsa-rdfc-2022',
      proofPurpose: 'assertionMethod',
    });
    const subject = credential.credentialSubject;
    expect(subject.achievement).toMatchObject({ type: ['Achievement'], achievementType: 'MicroCredential', version: '1' });
    expect(subject.achievement.alignment[0]).toMatchObject({ targetCode: 'InTASC-6', targetType: 'ceasn:Competency' });
    expect(subject.achievement.creator).toMatchObject({ name: 'Example Educator Learning Network' });
    expect(subject.result).toHaveLength(2);
    expect(subject.source).toMatchObject({ name: 'Sam Lee', parentOrg: { name: 'Example Assessors' } });
    expect(credential.evidence[0]).toMatchObject({ id: 'https://portfolio.example.org/submissions/123/lesson-plan', type: ['Evidence'] });
  });

  it('embeds the recipient only as a salted sha256 IdentityObject of the normalised email', async () => {
    const res = await issue(issueRequest(achievementId));
    const text = res.body;
    expect(text.toLowerCase()).not.toContain('teacher.one@district.example');
    const identity = res.json().credentialSubject.identifier[0];
    expect(identity).toMatchObject({ type: 'IdentityObject', identityType: 'emailAddress', hashed: true });
    expect(identity.salt).toMatch(/^[0-9a-f]{32}$/);
    const { createHash } = await import('node:crypto');
    expect(identity.identityHash).toBe(
      `sha256$${createHash('sha256')
        .update('teacher.one@district.example' + identity.salt)
        .digest('hex')}`,
    );
  });

  it('issues credentials that an independent @digitalbazaar/vc verifier accepts (did:web)', async () => {
    const res = await issue(issueRequest(achievementId));
    const result = await verifyIndependently(res.json());
    expect(result.verified, String(result.error)).toBe(true);
  });

  it('signs with Ed25519Signature2020 when the request asks, and that verifies independently too', async () => {
    const res = await issue(issueRequest(achievementId, { proofType: 'Ed25519Signature2020' }));
    expect(res.statusCode, res.body).toBe(201);
    const credential = res.json();
    expect(credential['@context']).toContain('https://w3id.org/security/suites/ed25519-2020/v1');
    expect(credential.proof[0].type).toBe('Ed25519Signature2020');
    expect((await verifyIndependently(credential)).verified).toBe(true);
  });

  it('issues from a did:key issuer, verifiable without any network', async () => {
    const keyIssuer = await createIssuer(t.app.services, { didMethod: 'key', name: 'Key Issuer' });
    const achievement = await createAchievement(t.app, keyIssuer);
    const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: keyIssuer.auth, payload: issueRequest(achievement.id) });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().issuer.id).toMatch(/^did:key:z6Mk/);
    expect((await verifyIndependently(res.json())).verified).toBe(true);
  });

  it('stores exactly the text it returns', async () => {
    const res = await issue(issueRequest(achievementId));
    const id = res.json().id.split('/').pop();
    const stored = await t.database.db
      .selectFrom('credentials')
      .select(['signed_json', 'issuer_id', 'achievement_version'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(stored.signed_json).toBe(res.body);
    expect(stored).toMatchObject({ issuer_id: issuer.issuerId, achievement_version: 1 });
    const read = await t.app.inject({ method: 'GET', url: `/credentials/${id}`, headers: { accept: 'application/json' } });
    expect(read.body).toBe(res.body);
  });

  it('returns the identical credential for a retry with the same Idempotency-Key, and records it once', async () => {
    const before = await countCredentials(t.database.db);
    const headers = { 'idempotency-key': 'submission-42-approval' };
    const first = await issue(issueRequest(achievementId), headers);
    const second = await issue(issueRequest(achievementId), headers);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toBe(first.body);
    expect(await countCredentials(t.database.db)).toBe(before + 1);
  });

  it('issues once when concurrent requests share an Idempotency-Key', async () => {
    const before = await countCredentials(t.database.db);
    const headers = { 'idempotency-key': 'concurrent-retry' };
    const responses = await Promise.all(Array.from({ length: 6 }, () => issue(issueRequest(achievementId), headers)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(await countCredentials(t.database.db)).toBe(before + 1);
  });

  it('refuses a reused Idempotency-Key with a different body (409) and writes nothing', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    await issue(issueRequest(achievementId), headers);
    const before = await countCredentials(t.database.db);
    const res = await issue(issueRequest(achievementId, { recipient: { identity: 'someone.else@district.example' } }), headers);
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it("refuses to issue another issuer's achievement with this issuer's key", async () => {
    const other = await createIssuer(t.app.services, { name: 'District B' });
    const othersAchievement = await createAchievement(t.app, other);
    const before = await countCredentials(t.database.db);
    const res = await issue(issueRequest(othersAchievement.id));
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ status: 403, title: expect.any(String) });
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('requires an API key (401 problem+json)', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials', payload: issueRequest(achievementId) });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { authorization: 'Bearer mck_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      payload: issueRequest(achievementId),
    });
    expect(bad.statusCode).toBe(401);
  });

  it('refuses a result below the required rubric level (422) and writes nothing', async () => {
    const before = await countCredentials(t.database.db);
    const res = await issue(
      issueRequest(achievementId, {
        results: [
          { criterion: 'lesson-plan', level: 'developing' },
          { criterion: 'reflection', level: 'proficient' },
        ],
      }),
    );
    expect(res.statusCode).toBe(422);
    expect(res.json().errors[0].pointer).toBe('#/results/0/level');
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it.each([
    ['an unknown property', 400, (body: Record<string, unknown>) => ({ ...body, recipent: {} })],
    ['a missing recipient', 400, ({ recipient: _r, ...body }: Record<string, unknown>) => body],
    ['a non-URL evidence link', 400, (body: Record<string, unknown>) => ({ ...body, evidence: [{ url: 'javascript:alert(1)' }] })],
    [
      'an unknown rubric criterion',
      422,
      (body: Record<string, unknown>) => ({ ...body, results: [{ criterion: 'nope', level: 'proficient' }] }),
    ],
    [
      'validUntil before validFrom',
      422,
      (body: Record<string, unknown>) => ({ ...body, validFrom: '2027-01-01T00:00:00Z', validUntil: '2026-01-01T00:00:00Z' }),
    ],
    [
      'an unknown achievement',
      404,
      (body: Record<string, unknown>) => ({ ...body, achievement: { id: '00000000-0000-0000-0000-000000000000' } }),
    ],
    ['no evidence where the achievement requires it', 422, (body: Record<string, unknown>) => ({ ...body, evidence: [] })],
  ])('answers %s with a problem+json %i and writes nothing', async (_name, status, mutate) => {
    const before = await countCredentials(t.database.db);
    const res = await issue(mutate(issueRequest(achievementId)));
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, type: expect.stringContaining('/problems/') });
    expect(await countCredentials(t.database.db)).toBe(before);
  });

  it('answers malformed JSON and oversized bodies with 4xx problem+json', async () => {
    const malformed = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { ...issuer.auth, 'content-type': 'application/json' },
      payload: '{"achievement":',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toMatch(/^application\/problem\+json/);
    const huge = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { ...issuer.auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ ...issueRequest(achievementId), narrative: 'x'.repeat(400_000) }),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.headers['content-type']).toMatch(/^application\/problem\+json/);
    const text = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: { ...issuer.auth, 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().detail).toContain('API documentation (/docs)');
  });
});
