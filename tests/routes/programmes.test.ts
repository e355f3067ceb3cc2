/**
 * What micro-credentials count for (src/routes/programmes.ts, src/services/programmes.ts): recognitions by
 * states, districts and universities; quality endorsements as signed OB 3.0 EndorsementCredentials, embedded in
 * credentials issued afterwards and checked by the verifier; completion reports with small counts suppressed.
 */
import crypto from 'node:crypto';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader, verifyIndependently } from '../helpers/independent-verifier.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';

type Json = Record<string, any>;
type Headers = Record<string, string>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const ENDORSEMENT_SCHEMA = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json';
const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';

const bearer = (apiKey: string): Headers => ({ authorization: `Bearer ${apiKey}` });
const uuidOf = (credential: Json) => String(credential.id).split('/').pop()!;

function expectProblem(res: LightMyRequestResponse, status: number): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, type: expect.stringContaining('/problems/') });
  return body;
}

/** A key of `issuer` holding only `scopes`, made with its all-scopes key. */
async function keyWith(t: TestApp, issuer: Issuer, scopes: string[]): Promise<Headers> {
  const res = await t.app.inject({ method: 'POST', url: '/api-keys', headers: issuer.auth, payload: { name: `only ${scopes}`, scopes } });
  expect(res.statusCode, res.body).toBe(201);
  return bearer(res.json().apiKey);
}

async function issue(t: TestApp, issuer: Issuer, achievementId: string, overrides: Json = {}): Promise<Json> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/credentials',
    headers: issuer.auth,
    payload: issueRequest(achievementId, overrides),
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function revoke(t: TestApp, issuer: Issuer, credential: Json): Promise<void> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/credentials/${uuidOf(credential)}/status`,
    headers: issuer.auth,
    payload: { action: 'revoke', reason: 'Test: issued in error' },
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
}

describe(`recognitions (${backendName})`, () => {
  let t: TestApp;
  let university: Issuer;
  let state: Issuer;
  let district: Issuer;
  let achievement: { id: string; url: string };
  let filtered: { id: string; url: string };

  const recognitionBody = (overrides: Json = {}): Json => ({
    achievementId: achievement.id,
    recognizerType: 'state-agency',
    purpose: 'license-renewal',
    amount: { value: 1.5, unit: 'CEU' },
    jurisdiction: 'US-XX (Illustrative State)',
    effectiveFrom: '2026-01-01',
    effectiveUntil: '2027-12-31',
    note: 'Counts toward the 6 CEUs required for renewal of a professional educator licence.',
    ...overrides,
  });
  const recognize = (headers: Headers | undefined, payload: Json) =>
    t.app.inject({ method: 'POST', url: '/recognitions', ...(headers ? { headers } : {}), payload });
  const created = async (by: Issuer, overrides: Json = {}): Promise<Json> => {
    const res = await recognize(by.auth, recognitionBody(overrides));
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const list = async (query: string): Promise<Json[]> => {
    const res = await t.app.inject({ method: 'GET', url: `/recognitions?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const ids = (recognitions: Json[]) => recognitions.map((r) => r.id as string).sort();

  beforeAll(async () => {
    t = await createTestApp();
    university = await createIssuer(t.app.services, { name: 'Example State University' });
    state = await createIssuer(t.app.services, { name: 'Illustrative State Department of Education' });
    district = await createIssuer(t.app.services, { name: 'Example Unified School District' });
    achievement = await createAchievement(t.app, university, { name: 'Culturally Responsive Teaching' });
    filtered = await createAchievement(t.app, university, { name: 'Classroom Discourse' });
  });
  afterAll(() => t?.close());

  describe('POST /recognitions', () => {
    it("needs the 'catalogue' scope: 401 without a key, 403 with a key lacking it", async () => {
      expectProblem(await recognize(undefined, recognitionBody()), 401);
      expectProblem(await recognize(await keyWith(t, state, ['issue', 'revoke', 'admin']), recognitionBody()), 403);
      expect(await list(`achievementId=${achievement.id}`)).toEqual([]);
    });

    it("records a state's recognition of a university's micro-credential: 201 with the recognizer, amount and dates", async () => {
      const res = await recognize(state.auth, recognitionBody());
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        id: expect.stringMatching(UUID),
        recognizer: {
          id: state.issuerId,
          name: 'Illustrative State Department of Education',
          url: 'https://district.example.org',
          type: 'state-agency',
        },
        achievementId: achievement.id,
        achievementUrl: achievement.url,
        purpose: 'license-renewal',
        amount: { value: 1.5, unit: 'CEU' },
        jurisdiction: 'US-XX (Illustrative State)',
        effectiveFrom: '2026-01-01',
        effectiveUntil: '2027-12-31',
        note: 'Counts toward the 6 CEUs required for renewal of a professional educator licence.',
      });
      expect(await list(`achievementId=${achievement.id}`)).toEqual([body]);
    });

    it('records one without amount, end date or note as nulls', async () => {
      const body = await created(district, {
        recognizerType: 'district',
        purpose: 'salary-step',
        amount: undefined,
        effectiveUntil: undefined,
        note: undefined,
        jurisdiction: 'Example Unified School District',
      });
      expect(body).toMatchObject({
        recognizer: { id: district.issuerId, type: 'district' },
        amount: null,
        effectiveUntil: null,
        note: null,
      });
      const withdrawn = await t.app.inject({ method: 'DELETE', url: `/recognitions/${body.id}`, headers: district.auth });
      expect(withdrawn.statusCode, withdrawn.body).toBe(204);
    });

    it.each<[string, Json]>([
      ['an unknown purpose', { purpose: 'bragging-rights' }],
      ['an unknown unit', { amount: { value: 2, unit: 'furlongs' } }],
      ['an unknown recognizerType', { recognizerType: 'federal-agency' }],
      ['an amount without a unit', { amount: { value: 2 } }],
      ['a zero amount', { amount: { value: 0, unit: 'CEU' } }],
      ['an extra field', { approvedBy: 'Commissioner' }],
      ['an extra field in the amount', { amount: { value: 2, unit: 'CEU', currency: 'USD' } }],
      ['a date that is not YYYY-MM-DD', { effectiveFrom: '01/02/2026' }],
      ['a day that does not exist', { effectiveUntil: '2026-02-30' }],
      ['a blank jurisdiction', { jurisdiction: '   ' }],
      ['no achievementId', { achievementId: undefined }],
    ])('refuses %s with 400', async (_case, overrides) => {
      expectProblem(await recognize(state.auth, recognitionBody(overrides)), 400);
    });

    it('refuses effectiveUntil before effectiveFrom with 400, naming the field; the same day is allowed', async () => {
      const body = expectProblem(
        await recognize(state.auth, recognitionBody({ effectiveFrom: '2026-06-01', effectiveUntil: '2026-05-31' })),
        400,
      );
      expect(JSON.stringify(body)).toContain('effectiveUntil');
      const oneDay = await created(state, { achievementId: filtered.id, effectiveFrom: '2026-06-01', effectiveUntil: '2026-06-01' });
      expect(oneDay).toMatchObject({ effectiveFrom: '2026-06-01', effectiveUntil: '2026-06-01' });
      expect((await t.app.inject({ method: 'DELETE', url: `/recognitions/${oneDay.id}`, headers: state.auth })).statusCode).toBe(204);
    });

    it('answers 404 for an unknown achievement', async () => {
      expectProblem(await recognize(state.auth, recognitionBody({ achievementId: 'no-such-achievement' })), 404);
    });
  });

  describe('GET /recognitions', () => {
    const r = {} as Record<string, Json>;

    beforeAll(async () => {
      const on = (by: Issuer, overrides: Json) => created(by, { achievementId: filtered.id, effectiveUntil: undefined, ...overrides });
      r.current = await on(state, {
        jurisdiction: 'US-XX (Illustrative State)',
        effectiveFrom: '2026-01-01',
        effectiveUntil: '2026-06-30',
      });
      r.future = await on(state, { jurisdiction: 'US-XY', purpose: 'salary-step', effectiveFrom: '2027-01-01' });
      r.expired = await on(district, {
        recognizerType: 'district',
        jurisdiction: 'Example Unified School District',
        purpose: 'salary-step',
        effectiveFrom: '2025-01-01',
        effectiveUntil: '2025-12-31',
      });
      r.percent = await on(district, { recognizerType: 'district', jurisdiction: '50% Rural District', effectiveFrom: '2026-01-01' });
      r.underscore = await on(district, {
        recognizerType: 'district',
        jurisdiction: 'A_B County',
        purpose: 'other',
        effectiveFrom: '2026-01-01',
      });
      r.lookalike = await on(district, {
        recognizerType: 'district',
        jurisdiction: 'AxB County',
        purpose: 'other',
        effectiveFrom: '2026-01-01',
      });
      r.accented = await on(university, {
        recognizerType: 'university',
        jurisdiction: 'QUÉBEC (Université Exemple)',
        purpose: 'graduate-credit',
        amount: { value: 3, unit: 'credit-hours' },
        effectiveFrom: '2026-01-01',
      });
    });

    const of = (query: string) => list(`achievementId=${filtered.id}&${query}`);

    it('is public and filters by achievement', async () => {
      expect(ids(await of(''))).toEqual(ids(Object.values(r)));
      const elsewhere = await list(`achievementId=${achievement.id}`);
      expect(elsewhere.every((x) => x.achievementId === achievement.id)).toBe(true);
      expect(await list('achievementId=no-such-achievement')).toEqual([]);
    });

    it('filters by recognizer', async () => {
      expect(ids(await of(`recognizerId=${state.issuerId}`))).toEqual(ids([r.current!, r.future!]));
      expect(ids(await of(`recognizerId=${district.issuerId}`))).toEqual(ids([r.expired!, r.percent!, r.underscore!, r.lookalike!]));
      const all = await list(`recognizerId=${state.issuerId}`);
      expect(all.map((x) => x.achievementId)).toContain(achievement.id);
      expect(all.every((x) => x.recognizer.id === state.issuerId)).toBe(true);
    });

    it('filters by jurisdiction prefix, case-insensitively', async () => {
      expect(ids(await of('jurisdiction=us-xx'))).toEqual(ids([r.current!]));
      expect(ids(await of('jurisdiction=US-X'))).toEqual(ids([r.current!, r.future!]));
      expect(ids(await of(`jurisdiction=${encodeURIComponent('us-xx (ILLUSTRATIVE state)')}`))).toEqual(ids([r.current!]));
      expect(ids(await of(`jurisdiction=${encodeURIComponent('québec')}`))).toEqual(ids([r.accented!]));
      // A prefix, not a substring.
      expect(await of('jurisdiction=Illustrative')).toEqual([]);
      expect(ids(await list('jurisdiction=us-xx')).length).toBeGreaterThanOrEqual(2); // both achievements
    });

    it('matches % and _ in a jurisdiction literally', async () => {
      expect(ids(await of(`jurisdiction=${encodeURIComponent('50%')}`))).toEqual(ids([r.percent!]));
      expect(await of(`jurisdiction=${encodeURIComponent('5%')}`)).toEqual([]);
      expect(await of(`jurisdiction=${encodeURIComponent('%')}`)).toEqual([]);
      expect(ids(await of('jurisdiction=A_B'))).toEqual(ids([r.underscore!]));
      expect(ids(await of('jurisdiction=a_'))).toEqual(ids([r.underscore!]));
      expect(await of('jurisdiction=_')).toEqual([]);
      expect(await of(`jurisdiction=${encodeURIComponent('\\')}`)).toEqual([]);
    });

    it('filters by purpose', async () => {
      expect(ids(await of('purpose=salary-step'))).toEqual(ids([r.future!, r.expired!]));
      expect(ids(await of('purpose=graduate-credit'))).toEqual(ids([r.accented!]));
      expect(await of('purpose=bragging-rights')).toEqual([]);
    });

    it('filters by the day a recognition is in force, inclusive at both ends', async () => {
      const always = [r.percent!, r.underscore!, r.lookalike!, r.accented!];
      expect(await of('on=2024-12-31')).toEqual([]);
      expect(ids(await of('on=2025-01-01'))).toEqual(ids([r.expired!]));
      expect(ids(await of('on=2025-12-31'))).toEqual(ids([r.expired!]));
      expect(ids(await of('on=2026-01-01'))).toEqual(ids([r.current!, ...always]));
      expect(ids(await of('on=2026-06-30'))).toEqual(ids([r.current!, ...always]));
      expect(ids(await of('on=2026-07-01'))).toEqual(ids(always));
      expect(ids(await of('on=2026-12-31'))).toEqual(ids(always));
      expect(ids(await of('on=2027-01-01'))).toEqual(ids([r.future!, ...always]));
    });

    it('combines filters', async () => {
      expect(ids(await of('jurisdiction=us&purpose=license-renewal&on=2026-03-01'))).toEqual(ids([r.current!]));
      expect(await of('jurisdiction=us&purpose=license-renewal&on=2026-07-01')).toEqual([]);
      expect(ids(await of(`recognizerId=${district.issuerId}&purpose=other&jurisdiction=a`))).toEqual(ids([r.underscore!, r.lookalike!]));
    });

    it.each(['on=2026-13-01', 'on=yesterday', 'sort=jurisdiction', 'achievementId=has%20space', `jurisdiction=${'x'.repeat(201)}`])(
      'refuses ?%s with 400',
      async (query) => {
        expectProblem(await t.app.inject({ method: 'GET', url: `/recognitions?${query}` }), 400);
      },
    );

    // node-postgres turns a DATE into local midnight; toISOString() then gives the day before east of UTC.
    it('reports effective dates as recorded, whatever the time zone of the server process', async () => {
      const previous = process.env.TZ;
      process.env.TZ = 'Asia/Tokyo';
      let id: string | undefined;
      try {
        const body = await created(state, {
          achievementId: filtered.id,
          jurisdiction: 'US-ZZ',
          effectiveFrom: '2026-03-01',
          effectiveUntil: '2026-08-31',
        });
        id = body.id;
        expect({ from: body.effectiveFrom, until: body.effectiveUntil }).toEqual({ from: '2026-03-01', until: '2026-08-31' });
        const [listed] = await of('jurisdiction=US-ZZ');
        expect({ from: listed?.effectiveFrom, until: listed?.effectiveUntil }).toEqual({ from: '2026-03-01', until: '2026-08-31' });
      } finally {
        if (previous === undefined) delete process.env.TZ;
        else process.env.TZ = previous;
        if (id !== undefined) await t.app.inject({ method: 'DELETE', url: `/recognitions/${id}`, headers: state.auth });
      }
    });
  });

  describe('DELETE /recognitions/{id}', () => {
    it('withdraws a recognition of the caller (204, again 204); it leaves every list; another organisation gets 404', async () => {
      const recognition = await created(district, {
        achievementId: filtered.id,
        recognizerType: 'district',
        jurisdiction: 'Withdrawal County',
        effectiveUntil: undefined,
      });
      expect(ids(await list('jurisdiction=Withdrawal'))).toEqual([recognition.id]);
      const del = (headers?: Headers, id: string = recognition.id) =>
        t.app.inject({ method: 'DELETE', url: `/recognitions/${id}`, ...(headers ? { headers } : {}) });

      expectProblem(await del(), 401);
      expectProblem(await del(await keyWith(t, district, ['issue'])), 403);
      expectProblem(await del(state.auth), 404);
      expectProblem(await del(university.auth), 404);
      expect(ids(await list('jurisdiction=Withdrawal'))).toEqual([recognition.id]);

      const first = await del(district.auth);
      expect(first.statusCode, first.body).toBe(204);
      expect(first.body).toBe('');
      expect((await del(district.auth)).statusCode).toBe(204);

      expect(await list('jurisdiction=Withdrawal')).toEqual([]);
      expect(ids(await list(`achievementId=${filtered.id}`))).not.toContain(recognition.id);
      expect(ids(await list(`recognizerId=${district.issuerId}&on=2026-06-01`))).not.toContain(recognition.id);
      expectProblem(await del(district.auth, NO_SUCH_UUID), 404);
      expectProblem(await del(district.auth, 'not-a-uuid'), 400);
    });
  });

  describe('GET /credentials/{id}/recognitions', () => {
    let credential: Json;
    let stateRecognition: Json;
    let districtRecognition: Json;
    let other: { id: string; url: string };

    beforeAll(async () => {
      other = await createAchievement(t.app, university, { name: 'Trauma-Informed Practice' });
      credential = await issue(t, university, other.id);
      stateRecognition = await created(state, { achievementId: other.id, effectiveFrom: '2026-01-01', effectiveUntil: '2027-12-31' });
      districtRecognition = await created(district, {
        achievementId: other.id,
        recognizerType: 'district',
        purpose: 'salary-step',
        amount: { value: 30, unit: 'clock-hours' },
        jurisdiction: 'Example Unified School District',
        effectiveFrom: '2026-09-01',
        effectiveUntil: undefined,
      });
      // A recognition of another achievement never applies.
      await created(state, {
        achievementId: filtered.id,
        jurisdiction: 'US-XX (Illustrative State)',
        effectiveFrom: '2020-01-01',
        effectiveUntil: undefined,
      });
    });

    const countsFor = (id: string, query = '') => t.app.inject({ method: 'GET', url: `/credentials/${id}/recognitions${query}` });

    it('answers what the credential counts for in a jurisdiction on a day', async () => {
      const res = await countsFor(uuidOf(credential), '?jurisdiction=us-xx&on=2026-03-01');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toEqual({
        credential: credential.id,
        achievementId: other.id,
        status: 'active',
        on: '2026-03-01',
        recognitions: [stateRecognition],
      });
    });

    it('answers for every jurisdiction without one, and honours each recognition’s dates', async () => {
      expect(ids((await countsFor(uuidOf(credential), '?on=2026-09-01')).json().recognitions)).toEqual(
        ids([stateRecognition, districtRecognition]),
      );
      expect(ids((await countsFor(uuidOf(credential), '?on=2026-08-31')).json().recognitions)).toEqual(ids([stateRecognition]));
      expect(ids((await countsFor(uuidOf(credential), '?on=2028-01-01')).json().recognitions)).toEqual(ids([districtRecognition]));
      expect((await countsFor(uuidOf(credential), '?jurisdiction=US-TX&on=2026-09-01')).json().recognitions).toEqual([]);
    });

    it('uses today when no day is given', async () => {
      const body = (await countsFor(uuidOf(credential))).json();
      const today = new Date().toISOString().slice(0, 10);
      expect(body.on).toBe(today);
      const expected = [stateRecognition, districtRecognition].filter(
        (x) => x.effectiveFrom <= today && (x.effectiveUntil === null || x.effectiveUntil >= today),
      );
      expect(ids(body.recognitions)).toEqual(ids(expected));
    });

    it('a revoked credential counts for nothing', async () => {
      const revoked = await issue(t, university, other.id);
      expect((await countsFor(uuidOf(revoked), '?on=2026-09-01')).json().recognitions).toHaveLength(2);
      await revoke(t, university, revoked);
      const res = await countsFor(uuidOf(revoked), '?on=2026-09-01');
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ credential: revoked.id, status: 'revoked', recognitions: [] });
    });

    it('answers 404 for an unknown credential and 400 for a bad query', async () => {
      expectProblem(await countsFor(NO_SUCH_UUID), 404);
      expectProblem(await countsFor('not-a-credential'), 404);
      expectProblem(await countsFor(uuidOf(credential), '?on=someday'), 400);
      expectProblem(await countsFor(uuidOf(credential), '?purpose=other'), 400);
    });
  });
});

describe(`endorsements (${backendName})`, () => {
  let t: TestApp;
  let university: Issuer;
  let panel: Issuer;
  let achievement: { id: string; url: string };
  let before: Json;
  let achievementEndorsement: Json;
  let issuerEndorsement: Json;

  const endorse = (headers: Headers | undefined, payload: Json) =>
    t.app.inject({ method: 'POST', url: '/endorsements', ...(headers ? { headers } : {}), payload });
  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });
  const checksOf = (res: LightMyRequestResponse): Array<[string, string]> => res.json().checks.map((c: Json) => [c.check, c.outcome]);
  const endorsementCheck = (res: LightMyRequestResponse): Json | undefined =>
    res.json().checks.find((c: Json) => c.check === 'endorsement');
  const comment =
    'Reviewed against the Educator Micro-credential Quality Standards (2026): the criteria are observable, the rubric is ' +
    'calibrated and evidence is assessed by trained assessors. **Meets all standards.**';

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    university = await createIssuer(t.app.services, { name: 'Example State University' });
    panel = await createIssuer(t.app.services, { name: 'Educator Micro-credential Review Panel' });
    achievement = await createAchievement(t.app, university, { name: 'Culturally Responsive Teaching' });
    before = await issue(t, university, achievement.id);
  });
  afterAll(() => t?.close());

  it("needs the 'catalogue' scope: 401 without a key, 403 with a key lacking it", async () => {
    expectProblem(await endorse(undefined, { subject: { achievementId: achievement.id }, comment }), 401);
    expectProblem(
      await endorse(await keyWith(t, panel, ['issue', 'revoke', 'admin']), { subject: { achievementId: achievement.id }, comment }),
      403,
    );
  });

  it("issues a signed EndorsementCredential of another organisation's achievement (201, application/vc+ld+json)", async () => {
    const res = await endorse(panel.auth, { subject: { achievementId: achievement.id }, comment });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
    const credential = res.json();
    expect(res.headers.location).toBe(credential.id);
    expect(credential.id).toMatch(new RegExp(`^${t.baseUrl}/endorsements/[0-9a-f-]{36}$`));
    expect(credential['@context'].slice(0, 2)).toEqual(['https://www.w3.org/ns/credentials/v2', OB_CONTEXT]);
    expect(credential.type).toEqual(expect.arrayContaining(['VerifiableCredential', 'EndorsementCredential']));
    expect(credential.name).toBe('Educator Micro-credential Review Panel endorses Culturally Responsive Teaching');
    expect(credential.issuer).toMatchObject({ id: panel.did, type: ['Profile'], name: 'Educator Micro-credential Review Panel' });
    expect(credential.credentialSubject).toEqual({ id: achievement.url, type: ['EndorsementSubject'], endorsementComment: comment });
    expect(credential.credentialSchema).toEqual([{ id: ENDORSEMENT_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }]);
    expect(Date.parse(credential.validFrom)).not.toBeNaN();
    expect(credential.proof).toMatchObject([
      { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofPurpose: 'assertionMethod' },
    ]);
    achievementEndorsement = credential;
  });

  it('verifies with POST /credentials/verify and with an independent verifier', async () => {
    const res = await verify(achievementEndorsement);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ verified: true, errors: [], issuer: panel.did, credentialId: achievementEndorsement.id });
    expect(checksOf(res)).toEqual([
      ['shape', 'pass'],
      ['schema', 'pass'],
      ['issuer', 'pass'],
      ['proof', 'pass'],
      ['validity', 'pass'],
    ]);
    const independent = await verifyIndependently(achievementEndorsement);
    expect(independent.verified, JSON.stringify(independent.error)).toBe(true);
  });

  it('is served at its id URL (GET /endorsements/{id}); unknown ids are 404', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/endorsements/${uuidOf(achievementEndorsement)}` });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
    expect(res.json()).toEqual(achievementEndorsement);
    const fetched = await fetch(achievementEndorsement.id);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(achievementEndorsement);
    expectProblem(await t.app.inject({ method: 'GET', url: `/endorsements/${NO_SUCH_UUID}` }), 404);
    expectProblem(await t.app.inject({ method: 'GET', url: '/endorsements/not-a-uuid' }), 400);
  });

  it("endorses an organisation: the subject is the issuer's DID; a name may be given", async () => {
    const res = await endorse(panel.auth, {
      subject: { issuerId: university.issuerId },
      name: 'Quality review of Example State University (2026)',
      comment: 'The university’s micro-credential programme meets the review panel’s standards.',
    });
    expect(res.statusCode, res.body).toBe(201);
    const credential = res.json();
    expect(credential.name).toBe('Quality review of Example State University (2026)');
    expect(credential.credentialSubject).toEqual({
      id: university.did,
      type: ['EndorsementSubject'],
      endorsementComment: 'The university’s micro-credential programme meets the review panel’s standards.',
    });
    expect((await verify(credential)).json().verified).toBe(true);
    expect((await verifyIndependently(credential)).verified).toBe(true);
    issuerEndorsement = credential;
  });

  it('refuses endorsing your own achievement or yourself (403), unknown subjects (404) and malformed requests (400)', async () => {
    expectProblem(await endorse(university.auth, { subject: { achievementId: achievement.id }, comment }), 403);
    expectProblem(await endorse(panel.auth, { subject: { issuerId: panel.issuerId }, comment }), 403);
    expectProblem(await endorse(panel.auth, { subject: { achievementId: 'no-such-achievement' }, comment }), 404);
    expectProblem(await endorse(panel.auth, { subject: { issuerId: 'no-such-issuer' }, comment }), 404);
    expectProblem(await endorse(panel.auth, { subject: { achievementId: achievement.id } }), 400);
    expectProblem(await endorse(panel.auth, { subject: { achievementId: achievement.id }, comment: '  ' }), 400);
    expectProblem(await endorse(panel.auth, { subject: {}, comment }), 400);
    expectProblem(await endorse(panel.auth, { subject: { achievementId: achievement.id, issuerId: university.issuerId }, comment }), 400);
    expectProblem(await endorse(panel.auth, { subject: { achievementId: achievement.id }, comment, rating: 5 }), 400);
  });

  it('is embedded in credentials issued afterwards, which verify (endorsement check passes) here and independently', async () => {
    const after = await issue(t, university, achievement.id);
    expect(after.credentialSubject.achievement.endorsement).toEqual([achievementEndorsement]);
    expect(after.issuer.endorsement).toEqual([issuerEndorsement]);
    expect(after.issuer).toMatchObject({ id: university.did, name: 'Example State University' });

    const res = await verify(after);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().verified).toBe(true);
    expect(checksOf(res)).toContainEqual(['endorsement', 'pass']);
    expect(checksOf(res).every(([, outcome]) => outcome === 'pass')).toBe(true);
    expect(endorsementCheck(res)?.message).toMatch(/2 embedded endorsements verified/);

    const independent = await verifyIndependently(after);
    expect(independent.verified, JSON.stringify(independent.error)).toBe(true);
  });

  it('embeds the three newest endorsements of an achievement, newest first, whatever suite and DID method signed them', async () => {
    const keyPanel = await createIssuer(t.app.services, {
      name: 'Regional Review Consortium',
      didMethod: 'key',
      proofType: 'Ed25519Signature2020',
    });
    const second = await createAchievement(t.app, university, { name: 'Restorative Classroom Practices' });
    const made: Json[] = [];
    for (const [by, n] of [
      [panel, 1],
      [keyPanel, 2],
      [panel, 3],
      [keyPanel, 4],
    ] as const) {
      const res = await endorse(by.auth, { subject: { achievementId: second.id }, comment: `Review ${n}: meets the standards.` });
      expect(res.statusCode, res.body).toBe(201);
      made.push(res.json());
    }
    expect(made[1]!.proof[0]).toMatchObject({ type: 'Ed25519Signature2020' });
    expect(made[1]!.issuer.id).toBe(keyPanel.did);
    expect((await verifyIndependently(made[1])).verified).toBe(true);

    for (const proofType of ['eddsa-rdfc-2022', 'Ed25519Signature2020']) {
      const credential = await issue(t, university, second.id, { proofType });
      expect(credential.credentialSubject.achievement.endorsement).toEqual([made[3], made[2], made[1]]);
      const res = await verify(credential);
      expect(res.statusCode, res.body).toBe(200);
      expect(endorsementCheck(res)).toMatchObject({ outcome: 'pass' });
      const independent = await verifyIndependently(credential);
      expect(independent.verified, `${proofType}: ${JSON.stringify(independent.error)}`).toBe(true);
    }
  });

  it('leaves credentials issued before the endorsement unchanged', async () => {
    expect(before.credentialSubject.achievement.endorsement).toBeUndefined();
    expect(before.issuer.endorsement).toBeUndefined();
    const stored = await t.app.inject({ method: 'GET', url: `/credentials/${uuidOf(before)}`, headers: { accept: 'application/json' } });
    expect(stored.statusCode, stored.body).toBe(200);
    expect(stored.json()).toEqual(before);
    const res = await verify(before);
    expect(res.json().verified).toBe(true);
    expect(endorsementCheck(res)).toBeUndefined();
  });

  describe("in another issuer's credential", () => {
    /** An OpenBadgeCredential from an independent did:key issuer whose achievement embeds `endorsement`. */
    const signedWith = async (endorsement: Json) => {
      const { did, signer } = await createOtherIssuer();
      return vc.issue({
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2', OB_CONTEXT],
          id: `urn:uuid:${crypto.randomUUID()}`,
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
          name: 'Culturally Responsive Teaching',
          issuer: { id: did, type: ['Profile'], name: 'Other Platform' },
          validFrom: '2026-01-01T00:00:00Z',
          credentialSubject: {
            ...otherAchievementSubject,
            achievement: { ...otherAchievementSubject.achievement, endorsement: [endorsement] },
          },
        },
        suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
        documentLoader: independentDocumentLoader,
      });
    };

    it('verifies an intact embedded endorsement (control)', async () => {
      const res = await verify(await signedWith(achievementEndorsement));
      expect(res.statusCode, res.body).toBe(200);
      expect(checksOf(res)).toContainEqual(['endorsement', 'pass']);
    });

    it('fails the endorsement check when what is embedded as an endorsement is not an EndorsementCredential', async () => {
      const res = await verify(await signedWith(before));
      expect(res.statusCode, res.body).toBe(422);
      expect(endorsementCheck(res)?.outcome).toBe('fail');
    });

    it('fails the endorsement check, and the credential, when the embedded endorsement was altered', async () => {
      const tampered = structuredClone(achievementEndorsement);
      tampered.credentialSubject.endorsementComment = 'Exemplary in every respect; the panel’s highest rating.';
      const credential = await signedWith(tampered);
      expect((await verifyIndependently(credential)).verified).toBe(true); // the outer signature holds

      const res = await verify(credential);
      expect(res.statusCode, res.body).toBe(422);
      const body = res.json();
      expect(body.verified).toBe(false);
      expect(endorsementCheck(res)?.outcome).toBe('fail');
      expect(checksOf(res).filter(([, outcome]) => outcome !== 'pass')).toEqual([['endorsement', 'fail']]);
    });
  });

  it('DELETE /endorsements/{id}: only the endorser (204, again 204); later credentials no longer embed it', async () => {
    const id = uuidOf(achievementEndorsement);
    const del = (headers?: Headers, which = id) =>
      t.app.inject({ method: 'DELETE', url: `/endorsements/${which}`, ...(headers ? { headers } : {}) });
    expectProblem(await del(), 401);
    expectProblem(await del(await keyWith(t, panel, ['issue'])), 403);
    expectProblem(await del(university.auth), 404);
    expectProblem(await del(panel.auth, NO_SUCH_UUID), 404);

    const first = await del(panel.auth);
    expect(first.statusCode, first.body).toBe(204);
    expect((await del(panel.auth)).statusCode).toBe(204);
    // Its URL keeps resolving: credentials issued while it was current embed it.
    expect((await t.app.inject({ method: 'GET', url: `/endorsements/${id}` })).statusCode).toBe(200);

    const later = await issue(t, university, achievement.id);
    expect(later.credentialSubject.achievement.endorsement).toBeUndefined();
    expect(later.issuer.endorsement).toEqual([issuerEndorsement]);
    expect((await verify(later)).json().verified).toBe(true);

    expect((await del(panel.auth, uuidOf(issuerEndorsement))).statusCode).toBe(204);
    const last = await issue(t, university, achievement.id);
    expect(last.issuer.endorsement).toBeUndefined();
    expect(last.credentialSubject.achievement.endorsement).toBeUndefined();
    const res = await verify(last);
    expect(res.json().verified).toBe(true);
    expect(endorsementCheck(res)).toBeUndefined();
  });
});

describe(`completion reports (${backendName})`, () => {
  let t: TestApp;
  let fixed: Date | undefined;
  const at = (iso: string) => {
    fixed = new Date(iso);
  };
  let university: Issuer;
  let state: Issuer;
  let district: Issuer;
  let x: { id: string };
  let y: { id: string };
  let z: { id: string };
  const xCredentials: Json[] = [];
  const X_NAME = 'Checking for Understanding, Grades 3-5';
  const EMPTY = { minimumCellSize: 10, period: 'month', rows: [], totals: [] };

  interface Report {
    minimumCellSize: number;
    period: string;
    rows: Array<{ achievementId: string; achievementName: string; kind: string; period: string; status: string; count: number | null }>;
    totals: Array<{ achievementId: string; achievementName: string; kind: string; count: number | null }>;
  }

  const get = (query: string, headers: Headers | undefined) =>
    t.app.inject({ method: 'GET', url: `/reports/completions${query}`, ...(headers ? { headers } : {}) });
  const reportOf = async (by: Issuer, query = ''): Promise<Report> => {
    const res = await get(query, by.auth);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const report: Report = res.json();
    expect(report.minimumCellSize).toBe(10);
    for (const c of [...report.rows, ...report.totals]) if (c.count !== null) expect(c.count).toBeGreaterThanOrEqual(10);
    return report;
  };
  /** Rows as achievement|period|status → count, and totals as achievement → count. */
  const cells = (report: Report) => Object.fromEntries(report.rows.map((r) => [`${r.achievementId}|${r.period}|${r.status}`, r.count]));
  const totals = (report: Report) => Object.fromEntries(report.totals.map((r) => [r.achievementId, r.count]));

  beforeAll(async () => {
    t = await createTestApp({ clock: () => fixed ?? new Date() });
    at('2026-08-01T09:00:00Z');
    university = await createIssuer(t.app.services, { name: 'Example State University' });
    state = await createIssuer(t.app.services, { name: 'Illustrative State Department of Education' });
    district = await createIssuer(t.app.services, { name: 'Example Unified School District' });
    x = await createAchievement(t.app, university, { name: X_NAME });
    y = await createAchievement(t.app, university, { name: 'Classroom Discourse' });
    z = await createAchievement(t.app, state, { name: 'State Orientation for New Teachers' });
    const recognition = await t.app.inject({
      method: 'POST',
      url: '/recognitions',
      headers: state.auth,
      payload: {
        achievementId: x.id,
        recognizerType: 'state-agency',
        purpose: 'license-renewal',
        amount: { value: 10, unit: 'clock-hours' },
        jurisdiction: 'US-XX',
        effectiveFrom: '2026-01-01',
      },
    });
    expect(recognition.statusCode, recognition.body).toBe(201);

    const issueAt = async (iso: string, by: Issuer, achievementId: string, n: number) => {
      at(iso);
      const out: Json[] = [];
      for (let i = 0; i < n; i++) out.push(await issue(t, by, achievementId, { assessedAt: undefined }));
      return out;
    };
    // October: X 12 (one on the first instant of the month, one on the last second), Y 3. September: Y 2.
    xCredentials.push(...(await issueAt('2026-10-01T00:00:00Z', university, x.id, 1)));
    xCredentials.push(...(await issueAt('2026-10-15T12:00:00Z', university, x.id, 10)));
    await issueAt('2026-10-15T12:00:00Z', university, y.id, 2);
    xCredentials.push(...(await issueAt('2026-10-31T23:59:59Z', university, x.id, 1)));
    await issueAt('2026-10-31T23:59:59Z', university, y.id, 1);
    await issueAt('2026-09-10T12:00:00Z', university, y.id, 2);
    // The state issues one credential of its own.
    await issueAt('2026-10-20T12:00:00Z', state, z.id, 1);
    fixed = undefined;
  }, 60_000);
  afterAll(() => t?.close());

  it("needs the 'catalogue' scope: 401 without a key, 403 with a key lacking it", async () => {
    expectProblem(await get('', undefined), 401);
    expectProblem(await get('', await keyWith(t, university, ['issue', 'revoke', 'admin'])), 403);
    expectProblem(await get('?format=csv', await keyWith(t, university, ['issue'])), 403);
  });

  it('as issuer: counts by achievement, month and status, small counts and totals suppressed', async () => {
    const report = await reportOf(university);
    expect(await reportOf(university, '?as=issuer&format=json')).toEqual(report);
    expect(cells(report)).toEqual({
      [`${x.id}|2026-10|active`]: 12,
      [`${y.id}|2026-09|active`]: null,
      [`${y.id}|2026-10|active`]: null,
    });
    expect(totals(report)).toEqual({ [x.id]: 12, [y.id]: null });
    expect(report.rows.find((r) => r.achievementId === x.id)).toEqual({
      achievementId: x.id,
      achievementName: X_NAME,
      kind: 'micro-credential',
      period: '2026-10',
      status: 'active',
      count: 12,
    });
    expect(report.totals.find((r) => r.achievementId === y.id)).toEqual({
      achievementId: y.id,
      achievementName: 'Classroom Discourse',
      kind: 'micro-credential',
      count: null,
    });
  });

  it('refuses from and to with 400: windows are the fixed periods only (arbitrary ranges could be differenced)', async () => {
    for (const query of ['?from=2026-10-01&to=2026-10-31', '?from=2026-10-02', '?to=2026-10-30', '?period=month&from=2026-10-01']) {
      const problem = expectProblem(await get(query, university.auth), 400);
      expect(JSON.stringify(problem)).toMatch(/from|to|additional/i);
    }
    expectProblem(await get('?period=all&to=2026-10-02&format=csv', university.auth), 400);
    // Without them, the same report answers.
    expect(cells(await reportOf(university))[`${x.id}|2026-10|active`]).toBe(12);
  });

  it('groups by quarter, year or all time (period, default month), suppressing alike', async () => {
    expect((await reportOf(university, '?period=month')).rows).toEqual((await reportOf(university)).rows);
    const quarter = await reportOf(university, '?period=quarter');
    expect(quarter.period).toBe('quarter');
    expect(cells(quarter)).toEqual({
      [`${x.id}|2026-Q4|active`]: 12,
      [`${y.id}|2026-Q3|active`]: null,
      [`${y.id}|2026-Q4|active`]: null,
    });
    const year = await reportOf(university, '?period=year');
    expect(cells(year)).toEqual({ [`${x.id}|2026|active`]: 12, [`${y.id}|2026|active`]: null }); // Y: 5 in 2026
    expect(totals(year)).toEqual({ [x.id]: 12, [y.id]: null });
    const all = await reportOf(university, '?period=all');
    expect(cells(all)).toEqual({ [`${x.id}|all|active`]: 12, [`${y.id}|all|active`]: null });
    const csv = await get('?period=quarter&format=csv', university.auth);
    expect(csv.body).toContain(`${x.id},"${X_NAME}",micro-credential,2026-Q4,active,12,false\r\n`);
    expectProblem(await get('?period=week', university.auth), 400);
  });

  it('format=csv: an attachment with the same data', async () => {
    const json = await reportOf(university);
    const res = await get('?format=csv', university.auth);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-disposition']).toMatch(/^attachment;\s*filename="?[^"]+\.csv"?$/);
    const lines = res.body.split('\r\n');
    expect(lines[0]).toBe('achievement_id,achievement_name,kind,period,status,count,suppressed');
    expect(lines.at(-1)).toBe('');
    const expected = json.rows.map((r) =>
      [
        r.achievementId,
        r.achievementName.includes(',') ? `"${r.achievementName}"` : r.achievementName,
        r.kind,
        r.period,
        r.status,
        r.count ?? '',
        String(r.count === null),
      ].join(','),
    );
    expect(lines.slice(1, -1)).toEqual(expected);
    expect(lines).toContain(`${x.id},"${X_NAME}",micro-credential,2026-10,active,12,false`);
    expect(lines).toContain(`${y.id},Classroom Discourse,micro-credential,2026-09,active,,true`);
  });

  it('as recognizer: the counts of what it recognises (from another issuer), and nothing else', async () => {
    // A second recognition of X (another purpose and jurisdiction) does not count its credentials twice.
    const again = await t.app.inject({
      method: 'POST',
      url: '/recognitions',
      headers: state.auth,
      payload: {
        achievementId: x.id,
        recognizerType: 'state-agency',
        purpose: 'salary-step',
        jurisdiction: 'US-XX (Region 4)',
        effectiveFrom: '2026-01-01',
      },
    });
    expect(again.statusCode, again.body).toBe(201);
    const report = await reportOf(state, '?as=recognizer');
    expect(cells(report)).toEqual({ [`${x.id}|2026-10|active`]: 12 });
    expect(totals(report)).toEqual({ [x.id]: 12 });
    expect(report.rows[0]?.achievementName).toBe(X_NAME);
    // The university recognises nothing; the district neither.
    expect(await reportOf(university, '?as=recognizer')).toEqual(EMPTY);
    expect(await reportOf(district, '?as=recognizer')).toEqual(EMPTY);
  });

  it("another issuer's report never includes this issuer's credentials", async () => {
    const stateReport = await reportOf(state);
    expect(cells(stateReport)).toEqual({ [`${z.id}|2026-10|active`]: null });
    expect(totals(stateReport)).toEqual({ [z.id]: null });
    expect(await reportOf(district)).toEqual(EMPTY);
    const universityReport = await reportOf(university);
    expect(universityReport.rows.map((r) => r.achievementId)).not.toContain(z.id);
  });

  it('splits statuses: a revoked credential is its own cell, suppressed, and the active cell is hidden with it', async () => {
    await revoke(t, university, xCredentials[5]!);
    const report = await reportOf(university);
    // active 11 and revoked 1: the 1 is under 10, and 11 is hidden too, or the total (12) would give the 1 away.
    expect(cells(report)).toEqual({
      [`${x.id}|2026-10|active`]: null,
      [`${x.id}|2026-10|revoked`]: null,
      [`${y.id}|2026-09|active`]: null,
      [`${y.id}|2026-10|active`]: null,
    });
    expect(totals(report)).toEqual({ [x.id]: 12, [y.id]: null });
    const recognizer = await reportOf(state, '?as=recognizer');
    expect(cells(recognizer)).toEqual({ [`${x.id}|2026-10|active`]: null, [`${x.id}|2026-10|revoked`]: null });
    expect(totals(recognizer)).toEqual({ [x.id]: 12 });
    const csv = (await get('?format=csv', university.auth)).body;
    expect(csv).toContain(`${x.id},"${X_NAME}",micro-credential,2026-10,revoked,,true\r\n`);
    expect(csv).toContain(`${x.id},"${X_NAME}",micro-credential,2026-10,active,,true\r\n`);
  });

  it('as recognizer: a withdrawn recognition no longer shows its achievement', async () => {
    const recognitions: Json[] = (await t.app.inject({ method: 'GET', url: `/recognitions?recognizerId=${state.issuerId}` })).json();
    expect(recognitions).toHaveLength(2);
    const withdraw = async (id: string) => {
      const res = await t.app.inject({ method: 'DELETE', url: `/recognitions/${id}`, headers: state.auth });
      expect(res.statusCode, res.body).toBe(204);
    };
    await withdraw(recognitions[0]!.id);
    expect(totals(await reportOf(state, '?as=recognizer'))).toEqual({ [x.id]: 12 }); // the other one still holds
    await withdraw(recognitions[1]!.id);
    expect(await reportOf(state, '?as=recognizer')).toEqual(EMPTY);
  });

  it.each(['?as=auditor', '?format=xlsx', '?from=2026-13-01', '?to=last-week', '?issuerId=x'])('refuses %s with 400', async (query) => {
    expectProblem(await get(query, university.auth), 400);
  });
});
