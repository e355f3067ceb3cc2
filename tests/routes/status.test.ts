/**
 * Revocation and suspension of issued credentials (src/routes/status.ts, src/services/status.ts): the entry each
 * credential carries, the issuer API and the VC-API status endpoint, what our verifier, an independent verifier
 * and the verification page then say, and that refused changes write nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { verifyIndependently } from '../helpers/independent-verifier.js';
import { launchChromium } from '../helpers/browser.js';

type Json = Record<string, unknown>;
interface Check {
  readonly check: string;
  readonly outcome: 'pass' | 'fail' | 'error';
  readonly message: string;
}

const SCREENSHOTS = path.resolve('test-results');
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const BITSTRING_ENTRY = { type: 'BitstringStatusListEntry', statusPurpose: 'revocation' } as const;

describe(`credential status (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let otherIssuer: Issuer;
  let achievementId: string;
  let apiKeyId: string;

  beforeAll(async () => {
    // Listening: the independent verifier fetches did:web documents and status lists over HTTP.
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    otherIssuer = await createIssuer(t.app.services, { name: 'District B' });
    achievementId = (await createAchievement(t.app, issuer)).id;
    apiKeyId = (await t.database.db.selectFrom('api_keys').select('id').where('issuer_id', '=', issuer.issuerId).executeTakeFirstOrThrow())
      .id;
  });
  afterAll(() => t.close());

  const issue = async (overrides: Json = {}): Promise<Json> => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievementId, overrides),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const uuidOf = (credential: Json) => String(credential.id).split('/').pop()!;
  const changeStatus = (credential: Json | string, action: string, reason: string, auth: Record<string, string> = issuer.auth) =>
    t.app.inject({
      method: 'POST',
      url: `/credentials/${typeof credential === 'string' ? credential : uuidOf(credential)}/status`,
      headers: auth,
      payload: { action, reason },
    });
  const history = (credential: Json, auth: Record<string, string> = issuer.auth) =>
    t.app.inject({ method: 'GET', url: `/credentials/${uuidOf(credential)}/status`, headers: auth });
  const vcApi = (payload: unknown, auth: Record<string, string> = issuer.auth) =>
    t.app.inject({ method: 'POST', url: '/credentials/status', headers: auth, payload: payload as object });
  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });
  const checksOf = (res: LightMyRequestResponse): Check[] => res.json().checks;
  const statusCheck = (res: LightMyRequestResponse) => checksOf(res).find((c) => c.check === 'status');
  const notPassing = (res: LightMyRequestResponse) =>
    checksOf(res)
      .filter((c) => c.outcome !== 'pass')
      .map((c) => c.check);
  const expectProblem = (res: LightMyRequestResponse, status: number) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, type: expect.stringContaining('/problems/'), title: expect.any(String) });
  };

  describe('the credentialStatus of issued credentials', () => {
    it.each(['eddsa-rdfc-2022', 'Ed25519Signature2020'])(
      'gives a %s credential one revocation BitstringStatusListEntry and still verifies it, status included',
      async (proofType) => {
        const credential = await issue({ proofType });
        const entry = credential.credentialStatus as Json;
        expect(Array.isArray(entry)).toBe(false);
        expect(Object.keys(entry).sort()).toEqual(['id', 'statusListCredential', 'statusListIndex', 'statusPurpose', 'type']);
        expect(entry).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation' });
        expect(entry.statusListIndex).toMatch(/^(0|[1-9]\d*)$/);
        expect(Number(entry.statusListIndex)).toBeLessThan(131_072);
        expect(entry.statusListCredential).toMatch(new RegExp(`^${t.baseUrl}/status-lists/${UUID}$`));
        expect(entry.id).toBe(`${String(entry.statusListCredential)}#${String(entry.statusListIndex)}`);

        const res = await verify(credential);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().verified).toBe(true);
        expect(checksOf(res).find((c) => c.check === 'schema')?.outcome).toBe('pass');
        expect(statusCheck(res)).toEqual({ check: 'status', outcome: 'pass', message: 'Not revoked' });
        const independent = await verifyIndependently(credential);
        expect(independent.verified, String(independent.error)).toBe(true);
      },
    );

    it('draws distinct, random (not sequential) indexes for 30 credentials of one issuer', async () => {
      const entries: Json[] = [];
      for (let i = 0; i < 30; i++) entries.push((await issue()).credentialStatus as Json);
      const indexes = entries.map((e) => Number(e.statusListIndex));
      expect(new Set(indexes).size).toBe(30);
      expect(new Set(entries.map((e) => e.statusListCredential)).size).toBe(1);
      // Sequential allocation would give consecutive or sorted indexes; 30 random draws from 131,072 are neither.
      const steps = indexes.slice(1).map((index, i) => index - indexes[i]!);
      expect(steps.filter((step) => Math.abs(step) === 1).length).toBeLessThan(3);
      expect(steps.every((step) => step > 0)).toBe(false);
      expect(Math.max(...indexes) - Math.min(...indexes)).toBeGreaterThan(10_000);
    });
  });

  describe('POST /credentials/{id}/status', () => {
    it('revokes: our verifier fails the status check with the date and reason, and revocation is permanent', async () => {
      const credential = await issue();
      expect((await verifyIndependently(credential)).verified).toBe(true);
      const reason = 'Evidence found to be plagiarised';
      const res = await changeStatus(credential, 'revoke', reason);
      expect(res.statusCode, res.body).toBe(200);
      const change = res.json();
      expect(change).toEqual({ credentialId: credential.id, status: 'revoked', changedAt: expect.any(String), reason });
      const day = String(change.changedAt).slice(0, 10);
      expect(day).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      const verified = await verify(credential);
      expect(verified.statusCode).toBe(422);
      expect(verified.json().verified).toBe(false);
      expect(notPassing(verified)).toEqual(['status']);
      expect(statusCheck(verified)).toEqual({ check: 'status', outcome: 'fail', message: `Revoked on ${day}: ${reason}` });

      for (const action of ['reinstate', 'suspend', 'revoke']) {
        const again = await changeStatus(credential, action, 'second thoughts');
        expectProblem(again, 409);
        expect(again.json().detail).toMatch(/revocation is permanent/);
      }
    });

    it('revokes so that the independent verifier (@digitalbazaar/vc-bitstring-status-list) refuses the credential too', async () => {
      const credential = await issue();
      expect((await changeStatus(credential, 'revoke', 'Issued to the wrong educator')).statusCode).toBe(200);
      const independent = (await verifyIndependently(credential)) as {
        verified: boolean;
        statusResult?: { results?: Array<{ status?: boolean }> };
      };
      // The library reads the published list: the credential's bit is set.
      expect(independent.statusResult?.results?.map((r) => r.status)).toEqual([true]);
      expect(independent.verified).toBe(false);
    });

    it('suspends and reinstates, recording each change with who, when and why', async () => {
      const credential = await issue();
      const suspended = await changeStatus(credential, 'suspend', 'Under review after a complaint');
      expect(suspended.statusCode, suspended.body).toBe(200);
      expect(suspended.json()).toMatchObject({ status: 'suspended', reason: 'Under review after a complaint' });
      const day = String(suspended.json().changedAt).slice(0, 10);

      const whileSuspended = await verify(credential);
      expect(whileSuspended.statusCode).toBe(422);
      expect(notPassing(whileSuspended)).toEqual(['status']);
      expect(statusCheck(whileSuspended)).toEqual({
        check: 'status',
        outcome: 'fail',
        message: `Suspended on ${day}: Under review after a complaint`,
      });
      expectProblem(await changeStatus(credential, 'suspend', 'again'), 409);

      const reinstated = await changeStatus(credential, 'reinstate', 'Review found no problem');
      expect(reinstated.statusCode, reinstated.body).toBe(200);
      expect(reinstated.json()).toMatchObject({ status: 'active' });
      const after = await verify(credential);
      expect(after.statusCode, after.body).toBe(200);
      expect(statusCheck(after)?.outcome).toBe('pass');
      expectProblem(await changeStatus(credential, 'reinstate', 'again'), 409);

      const res = await history(credential);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        credentialId: credential.id,
        status: 'active',
        reason: 'Review found no problem',
        changedAt: reinstated.json().changedAt,
      });
      expect(body.history).toEqual([
        {
          action: 'suspend',
          from: 'active',
          to: 'suspended',
          reason: 'Under review after a complaint',
          apiKeyId,
          at: suspended.json().changedAt,
        },
        {
          action: 'reinstate',
          from: 'suspended',
          to: 'active',
          reason: 'Review found no problem',
          apiKeyId,
          at: reinstated.json().changedAt,
        },
      ]);
    });

    it('revokes a suspended credential, and the history shows both steps', async () => {
      const credential = await issue();
      await changeStatus(credential, 'suspend', 'Under review');
      const revoked = await changeStatus(credential, 'revoke', 'Review upheld the complaint');
      expect(revoked.statusCode, revoked.body).toBe(200);
      const verified = await verify(credential);
      expect(statusCheck(verified)?.message).toMatch(/^Revoked on \d{4}-\d{2}-\d{2}: Review upheld the complaint$/);
      expect((await history(credential)).json().history.map((e: Json) => [e.action, e.from, e.to])).toEqual([
        ['suspend', 'active', 'suspended'],
        ['revoke', 'suspended', 'revoked'],
      ]);
    });

    it('shows an untouched credential as active with an empty history', async () => {
      const credential = await issue();
      expect((await history(credential)).json()).toEqual({
        credentialId: credential.id,
        status: 'active',
        changedAt: null,
        reason: null,
        history: [],
      });
    });

    it('answers 401 without a key, 403 for another issuer and 404 for an unknown credential, as problem+json', async () => {
      const credential = await issue();
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: `/credentials/${uuidOf(credential)}/status`,
          payload: { action: 'revoke', reason: 'x' },
        }),
        401,
      );
      expectProblem(await t.app.inject({ method: 'GET', url: `/credentials/${uuidOf(credential)}/status` }), 401);
      expectProblem(await changeStatus(credential, 'revoke', 'not mine', otherIssuer.auth), 403);
      expectProblem(await history(credential, otherIssuer.auth), 403);
      expectProblem(await changeStatus('00000000-0000-4000-8000-000000000000', 'revoke', 'nobody'), 404);
    });
  });

  describe('POST /credentials/status (VC-API)', () => {
    it('sets revocation by credential URL, after which the credential fails verification', async () => {
      const credential = await issue();
      const res = await vcApi({ credentialId: credential.id, credentialStatus: BITSTRING_ENTRY, status: true });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ credentialId: credential.id, status: 'revoked' });
      const verified = await verify(credential);
      expect(verified.statusCode).toBe(422);
      expect(statusCheck(verified)).toMatchObject({ outcome: 'fail', message: expect.stringMatching(/^Revoked on \d{4}-\d{2}-\d{2}/) });
      expectProblem(await vcApi({ credentialId: credential.id, credentialStatus: BITSTRING_ENTRY, status: false }), 409);
    });

    it('sets and clears suspension', async () => {
      const credential = await issue();
      const suspension = { type: 'BitstringStatusListEntry', statusPurpose: 'suspension' };
      const set = await vcApi({ credentialId: credential.id, credentialStatus: suspension, status: true });
      expect(set.statusCode, set.body).toBe(200);
      expect(set.json().status).toBe('suspended');
      expect(statusCheck(await verify(credential))?.message).toMatch(/^Suspended on \d{4}-\d{2}-\d{2}/);
      const cleared = await vcApi({ credentialId: uuidOf(credential), credentialStatus: suspension, status: false });
      expect(cleared.statusCode, cleared.body).toBe(200);
      expect(cleared.json().status).toBe('active');
      expect((await verify(credential)).statusCode).toBe(200);
      expect((await history(credential)).json().history.map((e: Json) => e.action)).toEqual(['suspend', 'reinstate']);
    });

    it('answers 404, 401 and 403 as problem+json', async () => {
      const credential = await issue();
      expectProblem(
        await vcApi({ credentialId: `${t.baseUrl}/credentials/00000000-0000-4000-8000-000000000000`, credentialStatus: BITSTRING_ENTRY }),
        404,
      );
      expectProblem(
        await t.app.inject({
          method: 'POST',
          url: '/credentials/status',
          payload: { credentialId: credential.id, credentialStatus: BITSTRING_ENTRY },
        }),
        401,
      );
      expectProblem(await vcApi({ credentialId: credential.id, credentialStatus: BITSTRING_ENTRY }, otherIssuer.auth), 403);
    });

    it.each([
      ['no credentialId', { credentialStatus: BITSTRING_ENTRY }],
      ['an empty credentialId', { credentialId: '', credentialStatus: BITSTRING_ENTRY }],
      ['no credentialStatus', { credentialId: 'x' }],
      ['another status type', { credentialId: 'x', credentialStatus: { type: 'StatusList2021Entry', statusPurpose: 'revocation' } }],
      ['an unknown statusPurpose', { credentialId: 'x', credentialStatus: { type: 'BitstringStatusListEntry', statusPurpose: 'message' } }],
      ['a non-boolean status', { credentialId: 'x', credentialStatus: BITSTRING_ENTRY, status: 'yes' }],
      ['an array', [{ credentialId: 'x', credentialStatus: BITSTRING_ENTRY }]],
    ])('answers a body with %s with 400 problem+json', async (_name, payload) => {
      expectProblem(await vcApi(payload), 400);
    });
  });

  describe('refused status changes', () => {
    const snapshot = async () => ({
      credentials: await t.database.db
        .selectFrom('credentials')
        .select(['id', 'status', 'status_changed_at', 'status_reason'])
        .orderBy('id')
        .execute(),
      events: await t.database.db.selectFrom('credential_status_events').selectAll().orderBy('id').execute(),
      lists: await t.database.db.selectFrom('status_lists').select(['id', 'version', 'full']).orderBy('id').execute(),
    });
    let active: Json;
    let suspended: Json;
    let revoked: Json;
    beforeAll(async () => {
      [active, suspended, revoked] = [await issue(), await issue(), await issue()];
      await changeStatus(suspended, 'suspend', 'Under review');
      await changeStatus(revoked, 'revoke', 'Withdrawn');
    });

    const unknownId = '00000000-0000-4000-8000-000000000000';
    const purpose = (statusPurpose: string) => ({ type: 'BitstringStatusListEntry', statusPurpose });
    it.each<[string, number, () => Promise<LightMyRequestResponse>]>([
      [
        'a change without a key',
        401,
        () => t.app.inject({ method: 'POST', url: `/credentials/${uuidOf(active)}/status`, payload: { action: 'revoke', reason: 'x' } }),
      ],
      ["a change with another issuer's key", 403, () => changeStatus(active, 'revoke', 'x', otherIssuer.auth)],
      ['a change of an unknown credential', 404, () => changeStatus(unknownId, 'revoke', 'x')],
      ['reinstating a revoked credential', 409, () => changeStatus(revoked, 'reinstate', 'x')],
      ['suspending a suspended credential', 409, () => changeStatus(suspended, 'suspend', 'x')],
      ['reinstating an active credential', 409, () => changeStatus(active, 'reinstate', 'x')],
      ['an unknown action', 400, () => changeStatus(active, 'delete', 'x')],
      ['a blank reason', 400, () => changeStatus(active, 'revoke', '   ')],
      [
        'a body with an extra property',
        400,
        () =>
          t.app.inject({
            method: 'POST',
            url: `/credentials/${uuidOf(active)}/status`,
            headers: issuer.auth,
            payload: { action: 'revoke', reason: 'x', by: 'me' },
          }),
      ],
      [
        'a VC-API update without a key',
        401,
        () =>
          t.app.inject({
            method: 'POST',
            url: '/credentials/status',
            payload: { credentialId: active.id, credentialStatus: BITSTRING_ENTRY },
          }),
      ],
      [
        "a VC-API update with another issuer's key",
        403,
        () => vcApi({ credentialId: active.id, credentialStatus: BITSTRING_ENTRY }, otherIssuer.auth),
      ],
      ['a VC-API update of an unknown credential', 404, () => vcApi({ credentialId: unknownId, credentialStatus: BITSTRING_ENTRY })],
      ['a VC-API clearing of revocation', 409, () => vcApi({ credentialId: revoked.id, credentialStatus: BITSTRING_ENTRY, status: false })],
      [
        'a VC-API suspension of a revoked credential',
        409,
        () => vcApi({ credentialId: revoked.id, credentialStatus: purpose('suspension') }),
      ],
      ['a VC-API update with another purpose', 400, () => vcApi({ credentialId: active.id, credentialStatus: purpose('refresh') })],
    ])('writes nothing for %s (%i)', async (_name, status, send) => {
      const before = await snapshot();
      expectProblem(await send(), status);
      expect(await snapshot()).toEqual(before);
    });

    const isValidChange = (body: unknown) =>
      typeof body === 'object' &&
      body !== null &&
      !Array.isArray(body) &&
      Object.keys(body).length === 2 &&
      ['revoke', 'suspend', 'reinstate'].includes((body as Json).action as string) &&
      typeof (body as Json).reason === 'string' &&
      /\S/.test((body as Json).reason as string);
    const changeBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          action: fc.oneof(fc.constantFrom('revoke', 'suspend', 'reinstate', 'REVOKE', ''), fc.jsonValue({ maxDepth: 1 })),
          reason: fc.jsonValue({ maxDepth: 1 }),
          extra: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
    );
    const vcApiBody = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          credentialId: fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-f-]{36}$/), fc.jsonValue({ maxDepth: 1 })),
          credentialStatus: fc.oneof(
            fc.record({
              type: fc.constantFrom('BitstringStatusListEntry', 'x'),
              statusPurpose: fc.constantFrom('revocation', 'suspension', 'message'),
            }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
          status: fc.jsonValue({ maxDepth: 1 }),
        },
        { requiredKeys: [] },
      ),
    );

    it('answers any malformed status change with a 4xx problem and writes nothing', async () => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(
          changeBody.filter((b) => !isValidChange(b)),
          fc.constantFrom('active', 'suspended', 'revoked'),
          async (payload, which) => {
            const target = { active, suspended, revoked }[which];
            const res = await t.app.inject({
              method: 'POST',
              url: `/credentials/${uuidOf(target)}/status`,
              headers: { ...issuer.auth, 'content-type': 'application/json' },
              payload: JSON.stringify(payload),
            });
            expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
            expect(res.statusCode, res.body).toBeLessThan(500);
            expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
          },
        ),
        { numRuns: 100 },
      );
      expect(await snapshot()).toEqual(before);
    });

    it('answers any VC-API update of an unknown or malformed credential with a 4xx problem and writes nothing', async () => {
      const before = await snapshot();
      await fc.assert(
        fc.asyncProperty(vcApiBody, async (payload) => {
          const res = await t.app.inject({
            method: 'POST',
            url: '/credentials/status',
            headers: { ...issuer.auth, 'content-type': 'application/json' },
            payload: JSON.stringify(payload),
          });
          expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, res.body).toBeLessThan(500);
          expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        }),
        { numRuns: 100 },
      );
      expect(await snapshot()).toEqual(before);
    });

    it('keeps credential_status_events append-only: the database refuses UPDATE and DELETE', async () => {
      const before = await snapshot();
      const rows = t.database.db.selectFrom('credential_status_events').select('id').where('credential_id', '=', uuidOf(suspended));
      expect((await rows.execute()).length).toBe(1);
      await expect(
        t.database.db
          .updateTable('credential_status_events')
          .set({ reason: 'rewritten' })
          .where('credential_id', '=', uuidOf(suspended))
          .execute(),
      ).rejects.toThrow(/append-only/);
      await expect(
        t.database.db.deleteFrom('credential_status_events').where('credential_id', '=', uuidOf(suspended)).execute(),
      ).rejects.toThrow(/append-only/);
      await expect(sql`update credential_status_events set to_status = 'active'`.execute(t.database.db)).rejects.toThrow(/append-only/);
      expect(await snapshot()).toEqual(before);
    });

    it('keeps credential_status_events append-only: the database refuses TRUNCATE', async () => {
      const before = await snapshot();
      // Inside a transaction that is always rolled back, so the history survives even when TRUNCATE is allowed.
      const outcome = await t.database.db
        .transaction()
        .execute(async (trx) => {
          await sql`truncate credential_status_events`.execute(trx);
          throw new Error('TRUNCATE was allowed');
        })
        .catch((error: Error) => error.message);
      expect(await snapshot()).toEqual(before);
      expect(outcome).toMatch(/append-only/);
    });
  });

  describe('the verification page', () => {
    it('says Revoked or Suspended, with the reason, at the credential URL', async () => {
      const revoked = await issue();
      const suspended = await issue();
      await changeStatus(revoked, 'revoke', 'Evidence found to be plagiarised');
      await changeStatus(suspended, 'suspend', 'Under review <b>pending</b> a complaint');
      const page = (credential: Json) =>
        t.app.inject({ method: 'GET', url: `/credentials/${uuidOf(credential)}`, headers: { accept: 'text/html' } });

      const revokedPage = await page(revoked);
      expect(revokedPage.statusCode).toBe(200);
      expect(revokedPage.headers['content-type']).toMatch(/^text\/html/);
      expect(revokedPage.body).toContain('<p class="verdict-title">Revoked</p>');
      expect(revokedPage.body).toMatch(/Revoked on \d{4}-\d{2}-\d{2}: Evidence found to be plagiarised/);
      const suspendedPage = await page(suspended);
      expect(suspendedPage.body).toContain('<p class="verdict-title">Suspended</p>');
      expect(suspendedPage.body).toContain('Under review &lt;b&gt;pending&lt;/b&gt; a complaint');
      expect(suspendedPage.body).not.toContain('<b>pending</b>');

      const browser = await launchChromium();
      try {
        const tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
        const response = await tab.goto(String(revoked.id));
        expect(response?.status()).toBe(200);
        await expect(tab.locator('.verdict-title').textContent()).resolves.toBe('Revoked');
        await expect(tab.locator('.verdict-detail').textContent()).resolves.toContain('Evidence found to be plagiarised');
        expect((await tab.locator('.check.fail').innerText()).replace(/\s+/g, ' ')).toMatch(/Revocation status failed Revoked on/);
        fs.mkdirSync(SCREENSHOTS, { recursive: true });
        await tab.screenshot({ path: path.join(SCREENSHOTS, 'verification-page-revoked.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    });
  });
});
