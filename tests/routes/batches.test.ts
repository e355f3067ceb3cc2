/**
 * Batch issuance (src/routes/batches.ts, src/services/batches.ts, src/db/job-queue.ts): a cohort accepted in one
 * call and issued in the background by pg-boss workers inside the app. What is checked: a batch issues every item
 * once, each to its own request; items are paged and filtered; one bad item fails alone with the problem the
 * single-issue call would have answered; a refused batch writes nothing (no batch, items, credentials or jobs),
 * also for junk and mutated bodies (fast-check); the batch's and the items' Idempotency-Keys; the signed completion
 * webhook and its retry; batches are the submitting issuer's only; a revoked submitting key fails what is left.
 *
 * Three kinds of app: `t` works batches (two workers, as in production); `idle` (BATCH_WORKERS=0) only accepts
 * them, so what a request wrote can be counted without work running under it; a test of its own pairs an idle
 * instance with a working one over one database.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends, createTestDatabase } from '../helpers/database.js';
import { createAchievement, createIssuer, definition, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, any>;
type Headers = Record<string, string>;
type Item = { idempotencyKey: string; request: Json };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000';
/** Items per chunk job (src/services/batches.ts CHUNK_SIZE). */
const CHUNK_SIZE = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pathOf = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};
/** JSON Pointers are compared without the URI-fragment '#' (the batch check writes them without, validation with). */
const bare = (pointer: string) => pointer.replace(/^#/, '');

/** Expects an RFC 9457 problem with `status` (and `slug`); returns its body. */
function expectProblem(res: LightMyRequestResponse, status: number, slug?: string): Json {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, type: expect.stringContaining('/problems/'), title: expect.any(String) });
  if (slug !== undefined) expect(body.type).toMatch(new RegExp(`/problems/${slug}$`));
  return body;
}

/** Rows a batch request may write: batches, their items, credentials, and queued jobs (pg-boss). */
async function rowCounts(db: Kysely<Database>) {
  const count = async (table: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(db)).rows[0]!.n);
  return {
    batches: await count('batches'),
    batchItems: await count('batch_items'),
    credentials: await count('credentials'),
    jobs: await count('pgboss.job'),
  };
}

/** Chunk jobs queued for one batch, in any state. */
async function chunkJobs(db: Kysely<Database>, batchId: string) {
  return (
    await sql<{
      state: string;
      data: { from: number; to: number };
    }>`select state, data from pgboss.job where name = 'batch-chunk' and data->>'batchId' = ${batchId}`.execute(db)
  ).rows;
}

describe.each(backends)('batch issuance (%s)', (backend) => {
  let t: TestApp;
  let idle: TestApp;
  let issuer: Issuer;
  let other: Issuer;
  let achievementId: string;
  let otherAchievementId: string;
  /** The same issuer's on `idle` (its own database). */
  let idleIssuer: Issuer;
  let idleOther: Issuer;
  let idleAchievementId: string;
  let idleOtherAchievementId: string;
  let idleStackId: string;

  beforeAll(async () => {
    [t, idle] = await Promise.all([createTestApp({ backend }), createTestApp({ backend, batchWorkers: 0 })]);
    issuer = await createIssuer(t.app.services);
    other = await createIssuer(t.app.services, { name: 'District B' });
    achievementId = (await createAchievement(t.app, issuer)).id;
    otherAchievementId = (await createAchievement(t.app, other)).id;
    idleIssuer = await createIssuer(idle.app.services);
    idleOther = await createIssuer(idle.app.services, { name: 'District B' });
    idleAchievementId = (await createAchievement(idle.app, idleIssuer)).id;
    idleOtherAchievementId = (await createAchievement(idle.app, idleOther)).id;
    const stack = await idle.app.inject({
      method: 'POST',
      url: '/achievements',
      headers: idleIssuer.auth,
      payload: definition({
        name: 'Assessment for Learning Pathway',
        achievementType: 'LearningProgram',
        criteria: { narrative: 'Earn the component micro-credentials.' },
        rubric: undefined,
        evidenceRequirements: undefined,
        stack: { requirements: [{ components: [{ achievementId: idleAchievementId }] }] },
      }),
    });
    expect(stack.statusCode, stack.body).toBe(201);
    idleStackId = stack.json().id;
  });
  afterAll(async () => {
    await t?.close();
    await idle?.close();
  });

  let serial = 0;
  /** `n` valid items for `achievement`, each with its own key and educator. */
  const items = (achievement: string, n: number, tag = crypto.randomBytes(4).toString('hex')): Item[] =>
    Array.from({ length: n }, (_, i) => ({
      idempotencyKey: `item-${tag}-${i}`,
      request: issueRequest(achievement, {
        recipient: { identity: `Educator.${tag}.${i}.${++serial}@District.example`, name: `Educator ${i}` },
      }),
    }));

  /** POST /batches; a string payload is sent as it is, as JSON. */
  const post = (app: TestApp, auth: Headers, payload: unknown, headers: Headers = {}) =>
    app.app.inject({
      method: 'POST',
      url: '/batches',
      headers: { ...(typeof payload === 'string' ? { 'content-type': 'application/json' } : {}), ...auth, ...headers },
      payload: payload as string | object,
    });
  const progress = async (app: TestApp, auth: Headers, id: string): Promise<Json> => {
    const res = await app.app.inject({ method: 'GET', url: `/batches/${id}`, headers: auth });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    return res.json();
  };
  /** Polls the progress URL until the batch has completed (the workers poll the queue every second). */
  const completed = async (app: TestApp, auth: Headers, id: string, timeoutMs = 120_000): Promise<Json> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const body = await progress(app, auth, id);
      expect(body.pending + body.issued + body.failed).toBe(body.total);
      if (body.state === 'completed') return body;
      if (Date.now() > deadline) throw new Error(`batch ${id} did not complete within ${timeoutMs} ms: ${JSON.stringify(body)}`);
      await sleep(250);
    }
  };
  /** Every item, following `next` from `url` (which carries limit and state); also returns the pages' sizes. */
  const allItems = async (app: TestApp, auth: Headers, url: string): Promise<{ items: Json[]; pages: number[] }> => {
    const found: Json[] = [];
    const pages: number[] = [];
    let next: string | null = url;
    while (next !== null) {
      const res: LightMyRequestResponse = await app.app.inject({
        method: 'GET',
        url: next.startsWith('http') ? pathOf(next) : next,
        headers: auth,
      });
      expect(res.statusCode, res.body).toBe(200);
      const body: Json = res.json();
      found.push(...body.items);
      pages.push(body.items.length);
      next = body.next;
      if (pages.length > 1000) throw new Error('next never ends');
    }
    return { items: found, pages };
  };
  const accept = async (app: TestApp, auth: Headers, payload: unknown, headers: Headers = {}): Promise<Json> => {
    const res = await post(app, auth, payload, headers);
    expect(res.statusCode, res.body).toBe(202);
    return res.json();
  };
  const newKey = async (app: TestApp, admin: Issuer, scopes: string[]): Promise<{ id: string; auth: Headers }> => {
    const res = await app.app.inject({
      method: 'POST',
      url: '/api-keys',
      headers: admin.auth,
      payload: { name: `only ${scopes}`, scopes },
    });
    expect(res.statusCode, res.body).toBe(201);
    return { id: res.json().id, auth: { authorization: `Bearer ${res.json().apiKey}` } };
  };
  /** Runs `send` and expects it to have written no batch, item, credential or job on `idle`. */
  const writesNothing = async <T>(send: () => Promise<T>): Promise<T> => {
    const before = await rowCounts(idle.database.db);
    const result = await send();
    expect(await rowCounts(idle.database.db)).toEqual(before);
    return result;
  };

  describe('issuing', () => {
    it(
      'issues a batch of 60: one distinct credential per item, each for its own request, paged and filtered',
      { timeout: 180_000 },
      async () => {
        const before = await rowCounts(t.database.db);
        const batch = items(achievementId, 60);
        const res = await post(t, issuer.auth, { items: batch });
        expect(res.statusCode, res.body).toBe(202);
        const accepted = res.json();
        expect(accepted.id).toMatch(UUID);
        expect(res.headers.location).toBe(`${t.baseUrl}/batches/${accepted.id}`);
        expect(accepted).toMatchObject({
          url: res.headers.location,
          itemsUrl: `${t.baseUrl}/batches/${accepted.id}/items`,
          total: 60,
          completedAt: null,
        });
        expect(accepted.pending + accepted.issued + accepted.failed).toBe(60);
        expect(accepted).not.toHaveProperty('webhookSecret'); // no webhook asked for
        expect(res.headers['idempotent-replayed']).toBeUndefined();
        // All its work was queued with it: one job per chunk of 50, covering every item once.
        const jobs = await chunkJobs(t.database.db, accepted.id);
        expect(jobs.map((j) => [j.data.from, j.data.to]).sort((a, b) => a[0]! - b[0]!)).toEqual([
          [0, CHUNK_SIZE],
          [CHUNK_SIZE, 2 * CHUNK_SIZE],
        ]);

        const done = await completed(t, issuer.auth, accepted.id);
        expect(done).toMatchObject({ id: accepted.id, state: 'completed', total: 60, pending: 0, issued: 60, failed: 0 });
        expect(Date.parse(done.completedAt)).toBeGreaterThanOrEqual(Date.parse(done.createdAt));

        // Pages of 20: 20, 20, 20, then an empty last page (the third was full, so it had a next).
        const paged = await allItems(t, issuer.auth, `/batches/${accepted.id}/items?limit=20`);
        expect(paged.pages).toEqual([20, 20, 20, 0]);
        const first = await t.app.inject({ method: 'GET', url: `/batches/${accepted.id}/items?limit=20`, headers: issuer.auth });
        expect(first.json().next).toBe(`${t.baseUrl}/batches/${accepted.id}/items?after=19&limit=20`);
        // Pages of 25: the last one is short and ends the list.
        expect((await allItems(t, issuer.auth, `/batches/${accepted.id}/items?limit=25`)).pages).toEqual([25, 25, 10]);
        // One page by default (up to 1000), in submission order; `after` is a cursor on seq.
        const all = (await allItems(t, issuer.auth, done.itemsUrl)).items;
        expect(all.map((i) => i.seq)).toEqual(batch.map((_, i) => i));
        expect(all.map((i) => i.idempotencyKey)).toEqual(batch.map((i) => i.idempotencyKey));
        const after = await t.app.inject({ method: 'GET', url: `/batches/${accepted.id}/items?after=57`, headers: issuer.auth });
        expect(after.json()).toEqual({ items: all.slice(58), next: null });

        for (const item of all) {
          expect(item).toEqual({
            seq: item.seq,
            idempotencyKey: batch[item.seq]!.idempotencyKey,
            state: 'issued',
            credentialUrl: expect.stringMatching(new RegExp(`^${t.baseUrl}/credentials/[0-9a-f-]{36}$`)),
            replayed: false,
          });
        }
        const urls = all.map((i) => i.credentialUrl as string);
        expect(new Set(urls).size).toBe(60);

        // Each URL serves its credential, made from its own item's request (the recipient's salted hash).
        for (const item of all) {
          const got = await t.app.inject({ method: 'GET', url: pathOf(item.credentialUrl), headers: { accept: 'application/json' } });
          expect(got.statusCode, got.body).toBe(200);
          expect(got.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
          const credential = got.json();
          expect(credential.id).toBe(item.credentialUrl);
          expect(credential.credentialSubject.achievement.id).toContain(achievementId);
          const identity = credential.credentialSubject.identifier[0];
          const email = (batch[item.seq]!.request.recipient.identity as string).toLowerCase();
          expect(identity.identityHash, `item ${item.seq}`).toBe(
            `sha256$${crypto
              .createHash('sha256')
              .update(email + identity.salt)
              .digest('hex')}`,
          );
        }
        // A few verify (signature and status).
        for (const item of all.slice(0, 3)) {
          const credential = (await t.app.inject({ method: 'GET', url: pathOf(item.credentialUrl) })).json();
          const verified = await t.app.inject({
            method: 'POST',
            url: '/credentials/verify',
            payload: { verifiableCredential: credential },
          });
          expect(verified.statusCode, verified.body).toBe(200);
          expect(verified.json().verified, verified.body).toBe(true);
        }

        // Exactly 60 new credential rows: those of the items, under the items' keys.
        const after60 = await rowCounts(t.database.db);
        expect(after60.credentials - before.credentials).toBe(60);
        expect(after60.batches - before.batches).toBe(1);
        expect(after60.batchItems - before.batchItems).toBe(60);
        const rows = await t.database.db
          .selectFrom('credentials')
          .select(['credential_url', 'idempotency_key', 'achievement_id'])
          .where(
            'idempotency_key',
            'in',
            batch.map((i) => i.idempotencyKey),
          )
          .execute();
        expect(rows).toHaveLength(60);
        const byKey = new Map(rows.map((r) => [r.idempotency_key, r.credential_url]));
        for (const item of all) expect(byKey.get(item.idempotencyKey)).toBe(item.credentialUrl);
        // Sealed requests are dropped once their items are done.
        const sealed = await t.database.db
          .selectFrom('batch_items')
          .select('seq')
          .where('batch_id', '=', accepted.id)
          .where('request_envelope', 'is not', null)
          .execute();
        expect(sealed).toEqual([]);

        // Filtered by state.
        expect((await allItems(t, issuer.auth, `/batches/${accepted.id}/items?state=issued&limit=50`)).items).toEqual(all);
        expect((await allItems(t, issuer.auth, `/batches/${accepted.id}/items?state=failed`)).items).toEqual([]);
        expect((await allItems(t, issuer.auth, `/batches/${accepted.id}/items?state=pending`)).items).toEqual([]);
      },
    );

    it(
      'fails a bad item alone, with the problem POST /credentials answers for it, and issues the others',
      { timeout: 180_000 },
      async () => {
        const before = await rowCounts(t.database.db);
        const batch = items(achievementId, 8);
        // 2: a level the rubric does not have; 5: below the required level; 6: a key used before for another request.
        batch[2]!.request.results = [
          { criterion: 'lesson-plan', level: 'exemplary' },
          { criterion: 'reflection', level: 'legendary' },
        ];
        batch[5]!.request.results = [
          { criterion: 'lesson-plan', level: 'developing' },
          { criterion: 'reflection', level: 'proficient' },
        ];
        const single = await t.app.inject({
          method: 'POST',
          url: '/credentials',
          headers: { ...issuer.auth, 'idempotency-key': batch[6]!.idempotencyKey },
          payload: issueRequest(achievementId, { recipient: { identity: 'someone.else@district.example' } }),
        });
        expect(single.statusCode, single.body).toBe(201);
        const accepted = await accept(t, issuer.auth, { items: batch });
        const done = await completed(t, issuer.auth, accepted.id);
        expect(done).toMatchObject({ total: 8, issued: 5, failed: 3, pending: 0 });

        const all = (await allItems(t, issuer.auth, done.itemsUrl)).items;
        expect(all.map((i) => i.state)).toEqual(['issued', 'issued', 'failed', 'issued', 'issued', 'failed', 'failed', 'issued']);
        // Each failure is the problem the single-issue call answers for that request (less its instance).
        for (const seq of [2, 5, 6]) {
          const alone = await t.app.inject({
            method: 'POST',
            url: '/credentials',
            headers: { ...issuer.auth, 'idempotency-key': batch[seq]!.idempotencyKey },
            payload: batch[seq]!.request,
          });
          const expected = alone.json();
          delete expected.instance;
          expect(all[seq], `item ${seq}`).toEqual({ seq, idempotencyKey: batch[seq]!.idempotencyKey, state: 'failed', problem: expected });
        }
        const legendary = all[2]!.problem;
        expect(legendary).toMatchObject({ status: 422, type: `${t.baseUrl}/problems/unprocessable-credential` });
        expect(legendary.detail).toEqual(expect.any(String));
        expect(JSON.stringify(legendary)).toContain('legendary');
        expect(all[5]!.problem).toMatchObject({ status: 422, type: `${t.baseUrl}/problems/result-below-required-level` });
        expect(all[6]!.problem).toMatchObject({ status: 409, type: `${t.baseUrl}/problems/idempotency-conflict` });

        // Filtered by state, with the state kept in `next`.
        const failed = await allItems(t, issuer.auth, `/batches/${accepted.id}/items?state=failed&limit=2`);
        expect(failed.items.map((i) => i.seq)).toEqual([2, 5, 6]);
        expect(failed.pages).toEqual([2, 1]);
        const firstPage = await t.app.inject({
          method: 'GET',
          url: `/batches/${accepted.id}/items?state=failed&limit=2`,
          headers: issuer.auth,
        });
        expect(firstPage.json().next).toBe(`${t.baseUrl}/batches/${accepted.id}/items?after=5&limit=2&state=failed`);
        const issued = await allItems(t, issuer.auth, `/batches/${accepted.id}/items?state=issued`);
        expect(issued.items.map((i) => i.seq)).toEqual([0, 1, 3, 4, 7]);

        // Five from the batch, one from the single issue above; none for the failed items.
        expect((await rowCounts(t.database.db)).credentials - before.credentials).toBe(6);
      },
    );

    it(
      'reports an item whose key was used by POST /credentials for the same request as issued, replayed, without a new credential',
      { timeout: 180_000 },
      async () => {
        const batch = items(achievementId, 3);
        const single = await t.app.inject({
          method: 'POST',
          url: '/credentials',
          headers: { ...issuer.auth, 'idempotency-key': batch[1]!.idempotencyKey },
          payload: batch[1]!.request,
        });
        expect(single.statusCode, single.body).toBe(201);
        const before = await rowCounts(t.database.db);
        const first = await accept(t, issuer.auth, { items: batch });
        await completed(t, issuer.auth, first.id);
        const firstItems = (await allItems(t, issuer.auth, first.itemsUrl)).items;
        expect(firstItems.map((i) => [i.state, i.replayed])).toEqual([
          ['issued', false],
          ['issued', true],
          ['issued', false],
        ]);
        expect(firstItems[1]!.credentialUrl).toBe(single.headers.location);
        expect((await rowCounts(t.database.db)).credentials - before.credentials).toBe(2);

        // The same items in another batch: all replayed, the same credentials, nothing new.
        const second = await accept(t, issuer.auth, { items: batch });
        expect(second.id).not.toBe(first.id);
        await completed(t, issuer.auth, second.id);
        const secondItems = (await allItems(t, issuer.auth, second.itemsUrl)).items;
        expect(secondItems.map((i) => [i.state, i.replayed, i.credentialUrl])).toEqual(
          firstItems.map((i) => ['issued', true, i.credentialUrl]),
        );
        expect((await rowCounts(t.database.db)).credentials - before.credentials).toBe(2);
        // And a single issue after the batch replays the batch's credential.
        const again = await t.app.inject({
          method: 'POST',
          url: '/credentials',
          headers: { ...issuer.auth, 'idempotency-key': batch[2]!.idempotencyKey },
          payload: batch[2]!.request,
        });
        expect(again.statusCode, again.body).toBe(201);
        expect(again.headers['idempotent-replayed']).toBe('true');
        expect(again.headers.location).toBe(firstItems[2]!.credentialUrl);
      },
    );
  });

  describe('refusing a whole batch writes nothing', () => {
    const expectPointer = (body: Json, pointer: string) =>
      expect(
        (body.errors as Array<{ pointer: string }>).map((e) => bare(e.pointer)),
        JSON.stringify(body),
      ).toContain(pointer);

    it('refuses repeated item Idempotency-Keys (400, pointing at the repeat)', async () => {
      const batch = items(idleAchievementId, 3);
      batch[1]!.idempotencyKey = batch[0]!.idempotencyKey;
      const body = expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: batch })), 400, 'validation-failed');
      expectPointer(body, '/items/1/idempotencyKey');
      expect(body.errors).toHaveLength(1);
    });

    it('writes its pointers as every other refusal does, as URI fragments (#/items/1/idempotencyKey)', async () => {
      const batch = items(idleAchievementId, 4);
      batch[1]!.idempotencyKey = batch[0]!.idempotencyKey;
      const repeated = expectProblem(await post(idle, idleIssuer.auth, { items: batch }), 400);
      batch[1]!.idempotencyKey = 'has space';
      const invalid = expectProblem(await post(idle, idleIssuer.auth, { items: batch }), 400);
      expect(invalid.errors[0].pointer).toBe('#/items/1/idempotencyKey');
      expect(repeated.errors[0].pointer).toBe('#/items/1/idempotencyKey');
    });

    it('refuses an unknown achievement (404), another issuer’s (403) and a stack (422), pointing at the item', async () => {
      const cases: Array<[string, number, string]> = [
        [NO_SUCH_UUID, 404, 'achievement-not-found'],
        [idleOtherAchievementId, 403, 'forbidden'],
        [idleStackId, 422, 'unprocessable-credential'],
      ];
      for (const [achievement, status, slug] of cases) {
        const batch = items(idleAchievementId, 5);
        batch[3]!.request.achievement = { id: achievement };
        const body = expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: batch })), status, slug);
        expectPointer(body, '/items/3/request/achievement/id');
        expect(body.detail).toMatch(/^Item 3: /);
      }
      // A version that does not exist.
      const batch = items(idleAchievementId, 2);
      batch[1]!.request.achievement = { id: idleAchievementId, version: 99 };
      expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: batch })), 404);
    });

    it('refuses a schema-invalid item (400, with a pointer into that item’s request)', async () => {
      const invalid: Array<[string, (request: Json) => void, string]> = [
        ['no recipient', (r) => delete r.recipient, '/items/2/request/recipient'],
        ['a level that is not a key', (r) => (r.results[0].level = 'Not A Key!'), '/items/2/request/results/0/level'],
        ['an unknown property', (r) => (r.colour = 'blue'), '/items/2/request/colour'],
        ['a bad proof type', (r) => (r.proofType = 'rsa'), '/items/2/request/proofType'],
      ];
      for (const [what, mutate, pointer] of invalid) {
        const batch = items(idleAchievementId, 4);
        mutate(batch[2]!.request);
        const body = expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: batch })), 400, 'validation-failed');
        expect(body.errors.length, what).toBeGreaterThan(0);
        for (const error of body.errors) expect(bare(error.pointer), what).toMatch(/^\/items\/2\/request(\/|$)/);
        expectPointer(body, pointer);
      }
      // The item's own fields, and the batch's.
      const batch = items(idleAchievementId, 2);
      const refusals: Array<[unknown, string]> = [
        [{ items: [{ ...batch[0], idempotencyKey: 'has space' }] }, '/items/0/idempotencyKey'],
        [{ items: [{ ...batch[0], idempotencyKey: 'k'.repeat(256) }] }, '/items/0/idempotencyKey'],
        [{ items: [{ request: batch[0]!.request }] }, '/items/0/idempotencyKey'],
        [{ items: [{ idempotencyKey: 'k' }] }, '/items/0/request'],
        [{ items: [{ ...batch[0], extra: 1 }] }, '/items/0/extra'],
        [{ items: batch, webhookUrl: 'ftp://example.org/hook' }, '/webhookUrl'],
        [{ items: batch, extra: true }, '/extra'],
        [{}, '/items'],
      ];
      for (const [payload, pointer] of refusals) {
        const body = expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, payload)), 400, 'validation-failed');
        expectPointer(body, pointer);
      }
    });

    it(
      'refuses no items and more than 10,000 (400), and accepts exactly 10,000 with all its chunks queued',
      { timeout: 180_000 },
      async () => {
        expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: [] })), 400, 'validation-failed');
        const minimal = (i: number): Item => ({
          idempotencyKey: `max-${i}`,
          request: { achievement: { id: idleAchievementId }, recipient: { identity: `e${i}@d.example` } },
        });
        const tooMany = Array.from({ length: 10_001 }, (_, i) => minimal(i));
        expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, { items: tooMany })), 400, 'validation-failed');

        const before = await rowCounts(idle.database.db);
        const accepted = await accept(idle, idleIssuer.auth, { items: tooMany.slice(0, 10_000) });
        expect(accepted).toMatchObject({ total: 10_000, pending: 10_000, issued: 0, failed: 0, state: 'running' });
        const after = await rowCounts(idle.database.db);
        expect(after).toEqual({
          batches: before.batches + 1,
          batchItems: before.batchItems + 10_000,
          credentials: before.credentials,
          jobs: before.jobs + 10_000 / CHUNK_SIZE,
        });
        const jobs = await chunkJobs(idle.database.db, accepted.id);
        const covered = jobs.map((j) => j.data.from).sort((a, b) => a - b);
        expect(covered).toEqual(Array.from({ length: 10_000 / CHUNK_SIZE }, (_, i) => i * CHUNK_SIZE));
        expect(jobs.every((j) => j.data.to - j.data.from === CHUNK_SIZE && j.state === 'created')).toBe(true);
      },
    );

    it('refuses a body over the batch body limit (413) before reading it', async () => {
      const batch = items(idleAchievementId, 1);
      const huge = JSON.stringify({ items: [{ ...batch[0], request: { ...batch[0]!.request, narrative: 'x'.repeat(17 * 1024 * 1024) } }] });
      expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, huge)), 413, 'body-too-large');
      // A body larger than the other routes' limit (256 KiB in tests) is still a batch's.
      const large = items(idleAchievementId, 400);
      expect(JSON.stringify({ items: large }).length).toBeGreaterThan(262_144);
      await accept(idle, idleIssuer.auth, { items: large });
    });

    it('refuses without an API key (401), with a bad one (401), and without the issue scope (403)', async () => {
      const payload = { items: items(idleAchievementId, 2) };
      expectProblem(await writesNothing(() => post(idle, {}, payload)), 401, 'unauthorized');
      expectProblem(await writesNothing(() => post(idle, { authorization: 'Bearer mck_nope' }, payload)), 401, 'unauthorized');
      expectProblem(
        await writesNothing(() => post(idle, { authorization: `${idleIssuer.auth.authorization}x` }, payload)),
        401,
        'unauthorized',
      );
      const catalogue = await newKey(idle, idleIssuer, ['catalogue', 'revoke', 'admin']);
      expectProblem(await writesNothing(() => post(idle, catalogue.auth, payload)), 403, 'forbidden');
      for (const url of [`/batches/${NO_SUCH_UUID}`, `/batches/${NO_SUCH_UUID}/items`]) {
        expectProblem(await idle.app.inject({ method: 'GET', url, headers: catalogue.auth }), 403, 'forbidden');
        expectProblem(await idle.app.inject({ method: 'GET', url }), 401, 'unauthorized');
      }
    });

    it('refuses a body that is not JSON (400) or not declared JSON (415)', async () => {
      expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, '{"items": [')), 400);
      const res = await writesNothing(() =>
        idle.app.inject({
          method: 'POST',
          url: '/batches',
          headers: { ...idleIssuer.auth, 'content-type': 'text/plain' },
          payload: JSON.stringify({ items: items(idleAchievementId, 1) }),
        }),
      );
      expectProblem(res, 415);
    });

    it('answers junk and mutated bodies with a 4xx problem, never a 5xx, and writes nothing (property)', { timeout: 180_000 }, async () => {
      const valid = () => ({ items: items(idleAchievementId, 3, 'prop'), webhookUrl: 'https://hooks.example.org/batches' });
      // Values of another JSON type than any field of a batch has at that place.
      const otherThan = (value: unknown) =>
        fc
          .constantFrom<unknown>(null, 7, -1.5, true, 'text', [], [1], {}, { a: 1 })
          .filter((v) => typeof v !== typeof value || Array.isArray(v) !== Array.isArray(value) || (v === null) !== (value === null));
      /** Every path in a JSON value, objects and arrays included (not the root). */
      const paths = (value: unknown, at: Array<string | number> = []): Array<Array<string | number>> => {
        if (value === null || typeof value !== 'object') return [];
        const entries: Array<[string | number, unknown]> = Array.isArray(value)
          ? value.map((v, i) => [i, v])
          : Object.entries(value as Record<string, unknown>);
        return entries.flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
      };
      const parentOf = (root: Json, path: Array<string | number>) => path.slice(0, -1).reduce<any>((o, k) => o[k], root);
      /** Mutations each of which makes a valid batch invalid. */
      const mutation = (body: Json) => {
        const all = paths(body);
        const objects = [[] as Array<string | number>, ...all].filter((p) => {
          const v = p.reduce<any>((o, k) => o[k], body);
          return v !== null && typeof v === 'object' && !Array.isArray(v);
        });
        const required = all.filter((p) => {
          const [key, parent] = [String(p.at(-1)), String(p.at(-2))];
          if (['items', 'idempotencyKey', 'request', 'achievement', 'recipient', 'identity', 'criterion', 'level'].includes(key))
            return true;
          return (key === 'name' && ['assessor', 'organization'].includes(parent)) || (key === 'id' && parent === 'achievement');
        });
        // Strings that no value of these patterns may be.
        const patterned = all.filter((p) =>
          ['idempotencyKey', 'id', 'url', 'criterion', 'level', 'assessedAt', 'webhookUrl'].includes(String(p.at(-1))),
        );
        return fc.oneof(
          // A value of the wrong type anywhere.
          fc.constantFrom(...all).chain((path) => {
            const value = path.reduce<any>((o, k) => o[k], body);
            return otherThan(value).map((v) => (b: Json) => void (parentOf(b, path)[path.at(-1)!] = v));
          }),
          // An unknown property on any object.
          fc.tuple(fc.constantFrom(...objects), fc.string({ minLength: 1, maxLength: 8 }), fc.jsonValue({ maxDepth: 2 })).map(
            ([path, key, v]) =>
              (b: Json) =>
                void (path.reduce<any>((o, k) => o[k], b)[`x-${key}`] = v),
          ),
          // A required property removed.
          fc.constantFrom(...required).map((path) => (b: Json) => void delete parentOf(b, path)[path.at(-1)!]),
          // Strings broken: too long, empty, or not of their pattern.
          fc.tuple(fc.constantFrom(...patterned), fc.constantFrom('', ' ', 'k'.repeat(70_000), 'UPPER CASE', 'not a url', '\u0000')).map(
            ([path, v]) =>
              (b: Json) =>
                void (parentOf(b, path)[path.at(-1)!] = v),
          ),
          // Two items with one key; no items; an achievement that is not issuable.
          fc.nat({ max: 2 }).map((i) => (b: Json) => void (b.items[i].idempotencyKey = b.items[(i + 1) % 3].idempotencyKey)),
          fc.constant((b: Json) => void (b.items = [])),
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.nat({ max: 2 }), fc.constantFrom(NO_SUCH_UUID, idleOtherAchievementId, idleStackId, 'x'.repeat(65), 'no spaces'))
              .map(
                ([i, id]) =>
                  (b: Json) =>
                    void (b.items[i].request.achievement.id = id),
              ),
          },
        );
      };
      const sample = valid();
      const mutated = fc
        .oneof(
          { weight: 2, arbitrary: mutation(sample).map((m) => [m]) },
          { weight: 1, arbitrary: fc.array(mutation(sample), { minLength: 2, maxLength: 3 }) },
        )
        .map((mutations) => {
          const body = structuredClone(sample);
          for (const mutate of mutations) {
            try {
              mutate(body);
            } catch {
              // an earlier mutation removed what this one changes: it stays invalid anyway
            }
          }
          return JSON.stringify(body);
        })
        // A later mutation may undo an earlier one (restore a removed key...): keep only bodies that differ.
        .filter((text) => text !== JSON.stringify(sample));
      const junk = fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
        fc.string({ maxLength: 200 }),
        fc.jsonValue().map((v) => JSON.stringify({ items: v })),
        fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }).map((v) => JSON.stringify({ items: v })),
        fc
          .array(fc.record({ idempotencyKey: fc.string(), request: fc.jsonValue({ maxDepth: 3 }) }), { maxLength: 5 })
          .map((v) => JSON.stringify({ items: v })),
      );
      // Accepted: the sample itself (as a sanity check that mutations start from a valid body), exactly once.
      const res = await post(idle, idleIssuer.auth, JSON.stringify(sample), { 'idempotency-key': `prop-${crypto.randomUUID()}` });
      expect(res.statusCode, res.body).toBe(202);

      const before = await rowCounts(idle.database.db);
      const seen: string[] = [];
      await fc.assert(
        fc.asyncProperty(fc.oneof(mutated, junk), fc.boolean(), async (text, keyed) => {
          const res = await post(idle, idleIssuer.auth, text, keyed ? { 'idempotency-key': `prop-${crypto.randomUUID()}` } : {});
          seen.push(`${res.statusCode}`);
          expect(res.statusCode, `${text.slice(0, 500)} → ${res.body}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${text.slice(0, 500)} → ${res.body}`).toBeLessThan(500);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(res.json()).toMatchObject({ status: res.statusCode, type: expect.stringContaining('/problems/') });
        }),
        { numRuns: 150 },
      );
      expect(await rowCounts(idle.database.db)).toEqual(before);
      // The property exercised refusals of the checks after the schema too (404, 403, 422).
      expect(seen.filter((status) => status !== '400').length).toBeGreaterThan(0);
    });
  });

  describe('batch Idempotency-Key', () => {
    it('replays the same batch for the same key and body (200), refuses another body (409)', async () => {
      const key = `batch-${crypto.randomUUID()}`;
      const payload = { items: items(idleAchievementId, 3), webhookUrl: 'https://hooks.example.org/b' };
      const first = await post(idle, idleIssuer.auth, payload, { 'idempotency-key': key });
      expect(first.statusCode, first.body).toBe(202);
      expect(first.json().webhookSecret).toEqual(expect.any(String));
      const before = await rowCounts(idle.database.db);
      const again = await writesNothing(() => post(idle, idleIssuer.auth, payload, { 'idempotency-key': key }));
      expect(again.statusCode, again.body).toBe(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.headers.location).toBe(first.headers.location);
      expect(again.json()).toEqual(first.json()); // nothing ran in between (no workers): the same progress
      // Another key of the same issuer replays it too (the key is the issuer's).
      const second = await newKey(idle, idleIssuer, ['issue']);
      expect((await writesNothing(() => post(idle, second.auth, payload, { 'idempotency-key': key }))).json().id).toBe(first.json().id);

      const changed = { ...payload, items: [...payload.items.slice(0, 2), items(idleAchievementId, 1)[0]!] };
      expectProblem(
        await writesNothing(() => post(idle, idleIssuer.auth, changed, { 'idempotency-key': key })),
        409,
        'idempotency-conflict',
      );
      const withoutHook = { items: payload.items };
      expectProblem(
        await writesNothing(() => post(idle, idleIssuer.auth, withoutHook, { 'idempotency-key': key })),
        409,
        'idempotency-conflict',
      );
      // Another issuer's key space is its own.
      const theirs = await post(idle, idleOther.auth, { items: items(idleOtherAchievementId, 1) }, { 'idempotency-key': key });
      expect(theirs.statusCode, theirs.body).toBe(202);
      expect(theirs.json().id).not.toBe(first.json().id);
      expect((await rowCounts(idle.database.db)).batches).toBe(before.batches + 1);
      // A bad key is refused.
      expectProblem(await writesNothing(() => post(idle, idleIssuer.auth, payload, { 'idempotency-key': 'two words' })), 400);
    });

    it('makes one batch of concurrent identical POSTs with one key', async () => {
      for (let round = 0; round < 3; round++) {
        const key = `race-${crypto.randomUUID()}`;
        const payload = { items: items(idleAchievementId, 60) };
        const before = await rowCounts(idle.database.db);
        const answers = await Promise.all(
          Array.from({ length: 4 }, () => post(idle, idleIssuer.auth, payload, { 'idempotency-key': key })),
        );
        const statuses = answers.map((a) => a.statusCode).sort();
        expect(statuses, answers.map((a) => a.body).join('\n')).toEqual([200, 200, 200, 202]);
        expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
        for (const a of answers.filter((a) => a.statusCode === 200)) expect(a.headers['idempotent-replayed']).toBe('true');
        expect(await rowCounts(idle.database.db)).toEqual({
          ...before,
          batches: before.batches + 1,
          batchItems: before.batchItems + 60,
          jobs: before.jobs + 2,
        });
      }
    });
  });

  describe('webhook', () => {
    /** A receiver on 127.0.0.1 (the test app allows private addresses) answering with `statuses` in turn, then 204. */
    async function receiver(statuses: number[] = []) {
      const received: Array<{ headers: http.IncomingHttpHeaders; body: string; at: number }> = [];
      const server = http.createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          received.push({ headers: req.headers, body, at: Date.now() });
          res.statusCode = statuses.shift() ?? 204;
          res.end(res.statusCode >= 400 ? 'nope' : '');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/batches?tenant=1`;
      return {
        url,
        received,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
        /** Waits until `n` deliveries have arrived. */
        async deliveries(n: number, timeoutMs = 60_000) {
          const deadline = Date.now() + timeoutMs;
          while (received.length < n) {
            if (Date.now() > deadline) throw new Error(`${received.length} of ${n} webhook deliveries within ${timeoutMs} ms`);
            await sleep(100);
          }
          return received;
        },
      };
    }

    /** Checks the Webhook-Signature of a delivery with the secret; returns the parsed body. */
    function verifySignature(delivery: { headers: http.IncomingHttpHeaders; body: string }, secret: string): Json {
      const header = String(delivery.headers['webhook-signature']);
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
      expect(match, header).not.toBeNull();
      const [, timestamp, signature] = match!;
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      const expected = crypto.createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex');
      expect(crypto.timingSafeEqual(Buffer.from(signature!, 'hex'), Buffer.from(expected, 'hex'))).toBe(true);
      // A signature over another body or time does not match.
      const forged = crypto
        .createHmac('sha256', secret)
        .update(`${Number(timestamp) + 1}.${delivery.body}`)
        .digest('hex');
      expect(forged).not.toBe(signature);
      expect(delivery.headers['content-type']).toMatch(/^application\/json/);
      return JSON.parse(delivery.body);
    }

    const webhookJobs = async (batchId: string) =>
      (
        await sql<{
          state: string;
          retry_count: number;
        }>`select state, retry_count from pgboss.job where name = 'batch-webhook' and data->>'batchId' = ${batchId}`.execute(t.database.db)
      ).rows;
    const webhookJobSettled = async (batchId: string, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await webhookJobs(batchId);
        if (jobs.length > 0 && jobs.every((j) => j.state === 'completed')) return jobs;
        if (Date.now() > deadline) throw new Error(`webhook job not completed: ${JSON.stringify(jobs)}`);
        await sleep(200);
      }
    };

    it('POSTs one signed batch.completed with the final counts to the webhook URL', { timeout: 180_000 }, async () => {
      const hook = await receiver();
      try {
        const batch = items(achievementId, 4);
        batch[1]!.request.results = [{ criterion: 'reflection', level: 'legendary' }];
        const accepted = await accept(t, issuer.auth, { items: batch, webhookUrl: hook.url });
        const secret = accepted.webhookSecret as string;
        expect(secret).toEqual(expect.any(String));
        expect(secret.length).toBeGreaterThanOrEqual(32);
        const done = await completed(t, issuer.auth, accepted.id);
        expect(done).not.toHaveProperty('webhookSecret'); // only in the answer to POST
        const [delivery] = await hook.deliveries(1);
        expect(delivery!.headers['webhook-id']).toBe(accepted.id);
        const body = verifySignature(delivery!, secret);
        expect(body).toEqual({ type: 'batch.completed', batch: done });
        expect(body.batch).toMatchObject({ id: accepted.id, state: 'completed', total: 4, issued: 3, failed: 1, pending: 0 });
        // Delivered (the job completed), and once.
        expect(await webhookJobSettled(accepted.id)).toHaveLength(1);
        expect(hook.received).toHaveLength(1);
        // The secret is the batch's own: another batch's differs.
        const another = await accept(t, issuer.auth, { items: items(achievementId, 1), webhookUrl: hook.url });
        expect(another.webhookSecret).not.toBe(secret);
        await completed(t, issuer.auth, another.id);
        await hook.deliveries(2);
        await webhookJobSettled(another.id);
        expect(hook.received).toHaveLength(2);
        expect(JSON.parse(hook.received[1]!.body).batch.id).toBe(another.id);
        verifySignature(hook.received[1]!, another.webhookSecret);
      } finally {
        await hook.close();
      }
    });

    it('retries a delivery the receiver refused (500) until it answers 2xx', { timeout: 180_000 }, async () => {
      const hook = await receiver([500]);
      try {
        const accepted = await accept(t, issuer.auth, { items: items(achievementId, 2), webhookUrl: hook.url });
        const done = await completed(t, issuer.auth, accepted.id);
        await hook.deliveries(1);
        // The failure is recorded for a retry, with backoff (30 s and up in src: too slow to wait for here).
        const deadline = Date.now() + 30_000;
        let jobs = await webhookJobs(accepted.id);
        while (!(jobs.length === 1 && jobs[0]!.state === 'retry')) {
          if (Date.now() > deadline) throw new Error(`webhook job not up for retry: ${JSON.stringify(jobs)}`);
          await sleep(100);
          jobs = await webhookJobs(accepted.id);
        }
        const due = (
          await sql<{ seconds: number }>`
            select extract(epoch from start_after - now())::float8 as seconds from pgboss.job
            where name = 'batch-webhook' and data->>'batchId' = ${accepted.id}`.execute(t.database.db)
        ).rows[0]!.seconds;
        expect(due).toBeGreaterThan(20);
        // Bring the retry forward instead of waiting for it.
        await sql`update pgboss.job set start_after = now() where name = 'batch-webhook' and data->>'batchId' = ${accepted.id} and state = 'retry'`.execute(
          t.database.db,
        );
        await hook.deliveries(2);
        expect(await webhookJobSettled(accepted.id)).toEqual([{ state: 'completed', retry_count: 1 }]);
        expect(hook.received).toHaveLength(2);
        for (const delivery of hook.received) {
          expect(verifySignature(delivery, accepted.webhookSecret)).toEqual({ type: 'batch.completed', batch: done });
          expect(delivery.headers['webhook-id']).toBe(accepted.id);
        }
      } finally {
        await hook.close();
      }
    });
  });

  describe('the job queue', () => {
    it(
      'queues chunks with the BATCH_JOB_TIMEOUT_SECONDS of the instance that accepts them, also after the setting changed',
      { timeout: 120_000 },
      async () => {
        // pg-boss createQueue keeps a queue's first settings (ON CONFLICT DO NOTHING): the queue is updated at each start.
        const database = await createTestDatabase(backend);
        try {
          await (await createTestApp({ backend, database, batchWorkers: 0 })).close(); // first start: default 300 s
          const restarted = await createTestApp({ backend, database, batchWorkers: 0, batchJobTimeoutSeconds: 3 });
          try {
            const owner = await createIssuer(restarted.app.services);
            const achievement = (await createAchievement(restarted.app, owner)).id;
            const accepted = await accept(restarted, owner.auth, { items: items(achievement, 1) });
            const expiry = (
              await sql<{ seconds: number }>`
                select extract(epoch from expire_in)::float8 as seconds from pgboss.job
                where name = 'batch-chunk' and data->>'batchId' = ${accepted.id}`.execute(database.db)
            ).rows;
            expect(expiry).toEqual([{ seconds: 3 }]);
          } finally {
            await restarted.close();
          }
        } finally {
          await database.close();
        }
      },
    );

    // PGlite answers in this thread without I/O: the dialect lets the event loop turn before each turn of the session,
    // so requests, health checks and timers are served while a batch runs.
    it('keeps the event loop turning while it works a batch (timers fire within 0.75 s)', { timeout: 180_000 }, async () => {
      // A 50 ms ticker for the whole run: the longest gap between its ticks is how long the event loop stood still.
      let last = performance.now();
      let worst = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last - 50);
        last = now;
      }, 50);
      try {
        const accepted = await accept(t, issuer.auth, { items: items(achievementId, 200) });
        await completed(t, issuer.auth, accepted.id);
      } finally {
        clearInterval(ticker);
      }
      expect(worst, 'ms a 50 ms timer fired late while the batch ran').toBeLessThan(750);
    });
  });

  describe('access', () => {
    it('shows a batch only to its issuer (403 to another), 404 for unknown ids', { timeout: 120_000 }, async () => {
      const accepted = await accept(t, issuer.auth, { items: items(achievementId, 1) });
      for (const url of [`/batches/${accepted.id}`, `/batches/${accepted.id}/items`]) {
        expectProblem(await t.app.inject({ method: 'GET', url, headers: other.auth }), 403, 'forbidden');
        expectProblem(await t.app.inject({ method: 'GET', url }), 401, 'unauthorized');
      }
      for (const id of [NO_SUCH_UUID, crypto.randomUUID(), 'not-a-uuid']) {
        expectProblem(await t.app.inject({ method: 'GET', url: `/batches/${id}`, headers: issuer.auth }), 404, 'batch-not-found');
        expectProblem(await t.app.inject({ method: 'GET', url: `/batches/${id}/items`, headers: issuer.auth }), 404, 'batch-not-found');
      }
      expectProblem(await t.app.inject({ method: 'GET', url: '/batches/bad%20id', headers: issuer.auth }), 400);
      // Query parameters are checked.
      for (const query of ['limit=0', 'limit=1001', 'after=-2', 'state=done', 'after=x', 'other=1']) {
        expectProblem(await t.app.inject({ method: 'GET', url: `/batches/${accepted.id}/items?${query}`, headers: issuer.auth }), 400);
      }
      // Another issuer's achievement in a batch is refused (on the working app too), and the batch is the issuer's.
      expectProblem(await post(t, other.auth, { items: items(achievementId, 1) }), 403, 'forbidden');
      expectProblem(await post(t, issuer.auth, { items: items(otherAchievementId, 1) }), 403, 'forbidden');
      await completed(t, issuer.auth, accepted.id);
    });

    it(
      'fails the remaining items with a 403 problem when the submitting key is revoked before they run',
      { timeout: 180_000 },
      async () => {
        // Accepted by an instance that works no batches; worked by a second instance on the same database.
        const front = await createTestApp({ backend, batchWorkers: 0 });
        let worker: TestApp | undefined;
        try {
          const owner = await createIssuer(front.app.services);
          const achievement = (await createAchievement(front.app, owner)).id;
          const key = await newKey(front, owner, ['issue']);
          const accepted = await accept(front, key.auth, { items: items(achievement, 5) });
          expect(accepted.pending).toBe(5);
          const revoked = await front.app.inject({ method: 'DELETE', url: `/api-keys/${key.id}`, headers: owner.auth });
          expect(revoked.statusCode, revoked.body).toBe(204);
          // The revoked key no longer reads the batch; another key of the issuer does.
          expectProblem(await front.app.inject({ method: 'GET', url: `/batches/${accepted.id}`, headers: key.auth }), 401);

          worker = await createTestApp({ backend, database: front.database, batchWorkers: 1 });
          const done = await completed(front, owner.auth, accepted.id);
          expect(done).toMatchObject({ total: 5, issued: 0, failed: 5, pending: 0 });
          const all = (await allItems(front, owner.auth, done.itemsUrl)).items;
          for (const item of all) {
            expect(item.state).toBe('failed');
            expect(item.problem).toMatchObject({
              status: 403,
              type: `${front.baseUrl}/problems/forbidden`,
              detail: expect.stringMatching(/revoked/),
            });
            expect(item).not.toHaveProperty('credentialUrl');
          }
          expect((await rowCounts(front.database.db)).credentials).toBe(0);
        } finally {
          await worker?.close();
          await front.close();
        }
      },
    );
  });
});
