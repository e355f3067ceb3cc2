import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createAchievement, createIssuer, definition, issueRequest, type Issuer } from '../helpers/factories.js';

/** Expects an RFC 9457 problem with `status`; returns its body. */
function expectProblem(
  res: LightMyRequestResponse,
  status: number,
): { type: string; status: number; errors?: Array<{ pointer: string; detail: string }> } {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, type: expect.stringContaining('/problems/'), title: expect.any(String) });
  return body;
}

/** The request locations a problem blames, as RFC 6901 pointers (schema errors use the `#` fragment form). */
const pointersOf = (problem: { errors?: Array<{ pointer: string }> }) => (problem.errors ?? []).map((e) => e.pointer.replace(/^#/, ''));

const withRubric = (rubric: unknown[]) => definition({ rubric });
const level = (key: string) => ({ key, name: key });

describe.each(backends)('achievement catalogue routes (%s)', (backend) => {
  let t: TestApp;
  let issuer: Issuer;
  // Every clock() call is one second later, so creation order is unambiguous; a step of 0 makes ties on purpose.
  let now = Date.now() - 86_400_000;
  let step = 1000;

  beforeAll(async () => {
    t = await createTestApp({ backend, clock: () => new Date((now += step)) });
    issuer = await createIssuer(t.app.services);
  });
  afterAll(() => t.close());

  const create = (payload: unknown, headers: Record<string, string> = issuer.auth) =>
    t.app.inject({ method: 'POST', url: '/achievements', headers, payload: payload as object });
  const publish = (id: string, payload: unknown, who: Issuer = issuer) =>
    t.app.inject({ method: 'POST', url: `/achievements/${id}/versions`, headers: who.auth, payload: payload as object });
  const get = (url: string) => t.app.inject({ method: 'GET', url });
  const issue = (payload: object) => t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload });
  const countVersions = async () =>
    Number(
      (
        await t.database.db
          .selectFrom('achievement_versions')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  describe('POST /achievements', () => {
    it('publishes version 1 as an OB 3.0 Achievement, with its public URL in Location', async () => {
      const res = await create(definition());
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json();
      const url = `${t.baseUrl}/achievements/${body.id}`;
      const versionUrl = `${url}/versions/1`;
      expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.location).toBe(url);
      expect(body).toMatchObject({ issuerId: issuer.issuerId, version: 1, latestVersion: 1, url, versionUrl });
      const a = body.achievement;
      expect(a).toMatchObject({
        id: url,
        type: ['Achievement'],
        achievementType: 'MicroCredential',
        name: 'Formative Assessment: Checking for Understanding',
        image: { id: 'https://example.org/badges/formative-assessment.png', type: 'Image', caption: 'Formative Assessment badge' },
        creator: { id: 'https://example.org/learning-network', type: ['Profile'], name: 'Example Educator Learning Network' },
        tag: ['assessment', 'formative'],
        fieldOfStudy: 'Assessment',
        creditsAvailable: 15,
        version: '1',
      });
      expect(a.criteria.narrative).toContain('Submit a lesson plan, two samples of student work');
      expect(a.criteria.narrative).toContain(
        '**Required tasks**\n\n1. Plan a lesson with at least three checks for understanding\n2. Teach the lesson and collect student responses\n3. Reflect on the adjustments made',
      );
      expect(a.criteria.narrative).toContain('**Evidence required**\n\n- Lesson plan\n- Student work samples: Two, anonymised');
      expect(a.alignment).toEqual([
        {
          type: ['Alignment'],
          targetName: 'InTASC Standard 6: Assessment',
          targetUrl: 'https://ccsso.org/intasc/standard-6',
          targetFramework: 'InTASC Model Core Teaching Standards',
          targetCode: 'InTASC-6',
          targetType: 'ceasn:Competency',
        },
      ]);
      expect(a.resultDescription).toHaveLength(2);
      expect(a.resultDescription[0]).toMatchObject({
        id: `${versionUrl}#criterion-lesson-plan`,
        type: ['ResultDescription'],
        resultType: 'RubricCriterionLevel',
        requiredLevel: `${versionUrl}#criterion-lesson-plan-level-proficient`,
      });
      expect(a.resultDescription[0].rubricCriterionLevel.map((l: { id: string }) => l.id)).toEqual(
        ['developing', 'proficient', 'exemplary'].map((key) => `${versionUrl}#criterion-lesson-plan-level-${key}`),
      );
      expect(a.resultDescription[0].rubricCriterionLevel[2]).toMatchObject({
        type: ['RubricCriterionLevel'],
        level: 'Exemplary',
        points: '3',
      });
    });

    it('accepts an ext: achievementType and keeps it as given', async () => {
      const res = await create(definition({ achievementType: 'ext:TeacherLeaderBadge' }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().achievement.achievementType).toBe('ext:TeacherLeaderBadge');
    });

    it('requires an API key (401 problem+json) and publishes nothing without one', async () => {
      const before = await countVersions();
      const res = await create(definition(), {});
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expectProblem(
        await create(definition(), {
          authorization: 'Bearer mck_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        }),
        401,
      );
      expect(await countVersions()).toBe(before);
    });

    it.each([
      ['an unknown property', { ...definition(), colour: 'blue' }, '/colour'],
      ['an achievementType outside the OB enumeration', definition({ achievementType: 'NanoDegree' }), '/achievementType'],
      ['an achievementType in the wrong case', definition({ achievementType: 'microcredential' }), '/achievementType'],
      ['an empty ext: achievementType', definition({ achievementType: 'ext:' }), '/achievementType'],
      [
        'a duplicate rubric level key',
        withRubric([{ key: 'plan', name: 'Plan', levels: [level('met'), level('met')] }]),
        '/rubric/0/levels/1/key',
      ],
      [
        'a duplicate rubric criterion key',
        withRubric([
          { key: 'plan', name: 'A', levels: [level('met')] },
          { key: 'plan', name: 'B', levels: [level('met')] },
        ]),
        '/rubric/1/key',
      ],
      [
        'a requiredLevel naming no level',
        withRubric([{ key: 'plan', name: 'Plan', requiredLevel: 'expert', levels: [level('met')] }]),
        '/rubric/0/requiredLevel',
      ],
    ])('answers %s with 400 problem+json pointing at it, and publishes nothing', async (_name, payload, pointer) => {
      const before = await countVersions();
      const problem = expectProblem(await create(payload), 400);
      expect(problem.type).toBe(`${t.baseUrl}/problems/validation-failed`);
      expect(pointersOf(problem)).toContain(pointer);
      expect(await countVersions()).toBe(before);
    });
  });

  describe('GET /achievements/{id} and /achievements/{id}/versions/{n}', () => {
    it('serves the Achievement JSON publicly, exactly as published and stored', async () => {
      const created = (await create(definition())).json();
      const res = await get(`/achievements/${created.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.json()).toEqual(created.achievement);
      const stored = await t.database.db
        .selectFrom('achievement_versions')
        .select('achievement_json')
        .where('achievement_id', '=', created.id)
        .executeTakeFirstOrThrow();
      expect(res.body).toBe(stored.achievement_json);
    });

    it('serves the latest version at the achievement URL and each exact version under /versions/{n}', async () => {
      const { id } = await createAchievement(t.app, issuer);
      expect((await publish(id, definition({ name: 'Formative Assessment (revised)' }))).statusCode).toBe(201);
      const latest = await get(`/achievements/${id}`);
      const v1 = await get(`/achievements/${id}/versions/1`);
      const v2 = await get(`/achievements/${id}/versions/2`);
      expect(latest.json()).toMatchObject({ version: '2', name: 'Formative Assessment (revised)' });
      expect(v2.body).toBe(latest.body);
      expect(v1.json()).toMatchObject({
        id: `${t.baseUrl}/achievements/${id}`,
        version: '1',
        name: 'Formative Assessment: Checking for Understanding',
      });
      expect(v1.headers['access-control-allow-origin']).toBe('*');
    });

    it('returns 404 problem+json for an unknown achievement or version', async () => {
      const { id } = await createAchievement(t.app, issuer);
      for (const url of [
        '/achievements/00000000-0000-0000-0000-000000000000',
        '/achievements/nope/versions/1',
        `/achievements/${id}/versions/2`,
      ]) {
        expect(expectProblem(await get(url), 404).type).toBe(`${t.baseUrl}/problems/achievement-not-found`);
      }
    });

    it('answers a version that is not a positive integer with 400 problem+json', async () => {
      const { id } = await createAchievement(t.app, issuer);
      for (const version of ['0', '-1', 'latest', '1.5']) expectProblem(await get(`/achievements/${id}/versions/${version}`), 400);
    });
  });

  describe('POST /achievements/{id}/versions', () => {
    it('publishes version 2 and leaves version 1 byte-for-byte unchanged', async () => {
      const { id } = await createAchievement(t.app, issuer);
      const v1Before = (await get(`/achievements/${id}/versions/1`)).body;
      const res = await publish(
        id,
        definition({ description: 'Revised: checks for understanding in every lesson phase.', tags: ['assessment'] }),
      );
      expect(res.statusCode, res.body).toBe(201);
      const versionUrl = `${t.baseUrl}/achievements/${id}/versions/2`;
      expect(res.headers.location).toBe(versionUrl);
      expect(res.json()).toMatchObject({
        id,
        version: 2,
        latestVersion: 2,
        versionUrl,
        achievement: { version: '2', tag: ['assessment'] },
      });
      expect(res.json().achievement.resultDescription[0].id).toBe(`${versionUrl}#criterion-lesson-plan`);
      expect((await get(`/achievements/${id}/versions/1`)).body).toBe(v1Before);
    });

    it("refuses another issuer's key with 403 and changes nothing", async () => {
      const { id } = await createAchievement(t.app, issuer);
      const other = await createIssuer(t.app.services, { name: 'District B' });
      const before = (await get(`/achievements/${id}`)).body;
      const count = await countVersions();
      expectProblem(await publish(id, definition({ name: 'Hijacked' }), other), 403);
      expect((await get(`/achievements/${id}`)).body).toBe(before);
      expectProblem(await get(`/achievements/${id}/versions/2`), 404);
      expect(await countVersions()).toBe(count);
    });

    it('answers an unknown achievement with 404 and an inconsistent definition with 400, publishing nothing', async () => {
      const { id } = await createAchievement(t.app, issuer);
      const count = await countVersions();
      expectProblem(await publish('00000000-0000-0000-0000-000000000000', definition()), 404);
      const bad = withRubric([{ key: 'plan', name: 'Plan', requiredLevel: 'expert', levels: [level('met')] }]);
      expect(pointersOf(expectProblem(await publish(id, bad), 400))).toContain('/rubric/0/requiredLevel');
      expectProblem(await t.app.inject({ method: 'POST', url: `/achievements/${id}/versions`, payload: definition() }), 401);
      expect(await countVersions()).toBe(count);
      expect((await get(`/achievements/${id}`)).json().version).toBe('1');
    });

    it('keeps a credential issued before an edit on version 1 and issues later ones on version 2', async () => {
      const { id } = await createAchievement(t.app, issuer);
      const before = await issue(issueRequest(id));
      expect(before.statusCode, before.body).toBe(201);
      expect((await publish(id, definition({ description: 'Version two.' }))).statusCode).toBe(201);
      const after = await issue(issueRequest(id));
      expect(after.statusCode, after.body).toBe(201);
      expect(before.json().credentialSubject.achievement).toMatchObject({ version: '1', description: definition().description });
      expect(after.json().credentialSubject.achievement).toMatchObject({ version: '2', description: 'Version two.' });
      const reread = await t.app.inject({
        method: 'GET',
        url: new URL(before.json().id).pathname,
        headers: { accept: 'application/json' },
      });
      expect(reread.body).toBe(before.body);
      const rows = await t.database.db
        .selectFrom('credentials')
        .select('achievement_version')
        .where('achievement_id', '=', id)
        .orderBy('created_at')
        .execute();
      expect(rows.map((r) => r.achievement_version)).toEqual([1, 2]);
    });

    it('issues against version 1 when the request pins it after version 2 exists', async () => {
      const { id } = await createAchievement(t.app, issuer);
      expect((await publish(id, definition({ description: 'Version two.' }))).statusCode).toBe(201);
      const res = await issue(issueRequest(id, { achievement: { id, version: 1 } }));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().credentialSubject.achievement).toMatchObject({ version: '1', description: definition().description });
      expectProblem(await issue(issueRequest(id, { achievement: { id, version: 3 } })), 404);
    });

    it('numbers concurrent edits 2..6 with no gap or duplicate', async () => {
      const { id } = await createAchievement(t.app, issuer);
      const responses = await Promise.all([1, 2, 3, 4, 5].map((n) => publish(id, definition({ description: `Concurrent edit ${n}` }))));
      expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
      expect(responses.map((r) => r.json().version).sort()).toEqual([2, 3, 4, 5, 6]);
      for (const r of responses) expect(r.json().achievement.version).toBe(String(r.json().version));
      const stored = await t.database.db
        .selectFrom('achievement_versions')
        .select('version')
        .where('achievement_id', '=', id)
        .orderBy('version')
        .execute();
      expect(stored.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
      expect((await get(`/achievements/${id}`)).json().version).toBe('6');
    });
  });

  describe('GET /achievements', () => {
    type Page = {
      items: Array<{ id: string; issuerId: string; version: number; latestVersion: number; achievement: { version: string } }>;
      nextCursor: string | null;
    };
    const list = async (query: string): Promise<Page> => {
      const res = await get(`/achievements?${query}`);
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    /** Follows nextCursor to the end; returns the pages. */
    const walk = async (query: string): Promise<Page[]> => {
      const pages = [await list(query)];
      for (let cursor = pages[0]!.nextCursor; cursor !== null; cursor = pages.at(-1)!.nextCursor) {
        pages.push(await list(`${query}&cursor=${encodeURIComponent(cursor)}`));
        expect(pages.length).toBeLessThan(100);
      }
      return pages;
    };

    it("lists one issuer's achievements at their latest version, newest first", async () => {
      const owner = await createIssuer(t.app.services, { name: 'Catalogue District' });
      const [a, b, c] = [
        await createAchievement(t.app, owner),
        await createAchievement(t.app, owner),
        await createAchievement(t.app, owner),
      ];
      expect((await publish(a!.id, definition({ description: 'Second edition.' }), owner)).statusCode).toBe(201);
      const page = await list(`issuer=${owner.issuerId}`);
      expect(page.items.map((i) => i.id)).toEqual([c!.id, b!.id, a!.id]);
      expect(page.items.every((i) => i.issuerId === owner.issuerId)).toBe(true);
      expect(page.items[2]).toMatchObject({ version: 2, latestVersion: 2, achievement: { version: '2' } });
      expect(page.nextCursor).toBeNull();
      expect(await list('issuer=no-such-issuer')).toEqual({ items: [], nextCursor: null });
    });

    it('lists the whole catalogue newest first, with other issuers included', async () => {
      const someone = await createIssuer(t.app.services, { name: 'Elsewhere District' });
      const newest = await createAchievement(t.app, someone);
      const page = await list('limit=100');
      expect(page.items[0]!.id).toBe(newest.id);
      expect(new Set(page.items.map((i) => i.issuerId)).size).toBeGreaterThan(1);
    });

    it('walks every page with limit and nextCursor, seeing each achievement exactly once', async () => {
      const all = (await t.database.db.selectFrom('achievements').select('id').execute()).map((r) => r.id);
      expect(all.length).toBeGreaterThan(5);
      const pages = await walk('limit=3');
      expect(pages.slice(0, -1).every((p) => p.items.length === 3)).toBe(true);
      const seen = pages.flatMap((p) => p.items.map((i) => i.id));
      expect(seen).toHaveLength(all.length);
      expect([...seen].sort()).toEqual([...all].sort());
      expect(seen).toEqual((await list('limit=100')).items.map((i) => i.id));
    });

    it('paginates without loss or repeat when achievements share a creation time', async () => {
      const owner = await createIssuer(t.app.services, { name: 'Same Instant District' });
      step = 0;
      try {
        const ids = [];
        for (let i = 0; i < 5; i++) ids.push((await createAchievement(t.app, owner)).id);
        const pages = await walk(`issuer=${owner.issuerId}&limit=2`);
        expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
        expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual([...ids].sort().reverse());
      } finally {
        step = 1000;
      }
    });

    it.each([
      ['a garbage cursor', 'cursor=garbage'],
      ['a cursor whose time is not a date', `cursor=${Buffer.from('yesterday|abc').toString('base64url')}`],
      ['limit=0', 'limit=0'],
      ['a limit above 100', 'limit=101'],
      ['a non-numeric limit', 'limit=ten'],
      ['an unknown query parameter', 'sort=oldest'],
    ])('answers %s with 400 problem+json', async (_name, query) => {
      expectProblem(await get(`/achievements?${query}`), 400);
    });
  });
});
