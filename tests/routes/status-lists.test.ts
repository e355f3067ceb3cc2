/**
 * Published status lists (src/routes/status-lists.ts) as any verifier fetches them, and the verifier's status step
 * (src/credentials/status-check.ts) against lists served by another issuer: it fails closed, so a list that is
 * unreachable, tampered with or undecodable is an error, never a pass. Lists are decoded with
 * @digitalbazaar/vc-bitstring-status-list, and credentials of other issuers are signed with stock @digitalbazaar/vc.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader, verifyIndependently } from '../helpers/independent-verifier.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';

type Json = Record<string, unknown>;
interface Check {
  readonly check: string;
  readonly outcome: 'pass' | 'fail' | 'error';
  readonly message: string;
}

const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const OB_EXTENSIONS = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
const LIST_SIZE = 131_072;

/** Another implementation's issuer: a did:key and a signer from stock @digitalbazaar libraries. */
async function otherIssuer() {
  const { did, signer } = await createOtherIssuer();
  const sign = (credential: Json) =>
    vc.issue({
      credential,
      suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
      documentLoader: independentDocumentLoader,
    });
  return {
    did,
    /** An OpenBadgeCredential with the given status, VCDM 2.0. */
    badge: (credentialStatus: unknown, options: { id?: string; contexts?: string[] } = {}) =>
      sign({
        '@context': options.contexts ?? [VC_V2, OB_CONTEXT],
        id: options.id ?? `urn:uuid:${crypto.randomUUID()}`,
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        name: 'Culturally Responsive Teaching',
        issuer: { id: did, type: ['Profile'], name: 'Other Platform' },
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: otherAchievementSubject,
        credentialStatus,
      }),
    /** A signed BitstringStatusListCredential. */
    statusList: (url: string, encodedList: string, statusPurpose = 'revocation') =>
      sign({
        '@context': [VC_V2],
        id: url,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: did,
        validFrom: '2025-01-01T00:00:00Z',
        credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose, encodedList },
      }),
  };
}

/** Bitstring Status List §4.1 encoding, written here from the spec: left-most bit first, GZIP, multibase base64url. */
function encodeList(bits: number, set: number[] = []): string {
  const bytes = Buffer.alloc(bits / 8);
  for (const index of set) bytes[index >> 3]! |= 0x80 >> (index & 7);
  return 'u' + zlib.gzipSync(bytes).toString('base64url');
}

/** A second HTTP server on 127.0.0.1: another issuer's host, serving whatever a test puts in `routes`. */
async function startOtherHost() {
  const routes = new Map<string, { status: number; type: string; body: string }>();
  const server = http.createServer((request, response) => {
    const route = routes.get(request.url ?? '');
    if (route === undefined) return void response.writeHead(404).end();
    response.writeHead(route.status, { 'content-type': route.type }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    serve: (pathname: string, body: unknown, status = 200, type = 'application/json') =>
      routes.set(pathname, { status, type, body: typeof body === 'string' ? body : JSON.stringify(body) }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const entry = (listUrl: string, index: number) => ({
  id: `${listUrl}#${index}`,
  type: 'BitstringStatusListEntry',
  statusPurpose: 'revocation',
  statusListIndex: String(index),
  statusListCredential: listUrl,
});

describe(`status lists (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;

  beforeAll(async () => {
    // Listening: the independent verifier fetches status lists over HTTP, as a wallet would.
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
  });
  afterAll(() => t.close());

  const issue = async (): Promise<Json> => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(achievementId) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const statusOf = (credential: Json) => credential.credentialStatus as { statusListCredential: string; statusListIndex: string };
  const uuidOf = (credential: Json) => String(credential.id).split('/').pop()!;
  const changeStatus = async (credential: Json, action: string, reason: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/credentials/${uuidOf(credential)}/status`,
      headers: issuer.auth,
      payload: { action, reason },
    });
    expect(res.statusCode, res.body).toBe(200);
  };
  const getList = (listUrl: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: new URL(listUrl).pathname, headers });
  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential } });
  const statusCheck = (res: LightMyRequestResponse): Check | undefined => (res.json().checks as Check[]).find((c) => c.check === 'status');

  describe('GET /status-lists/{id}', () => {
    it('serves the list without authentication as application/vc+ld+json, with an ETag, a short max-age and CORS', async () => {
      const { statusListCredential } = statusOf(await issue());
      const res = await getList(statusListCredential);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/vc\+ld\+json/);
      expect(res.headers.etag).toMatch(/^"[^"]+"$/);
      const maxAge = /max-age=(\d+)/.exec(String(res.headers['cache-control']));
      expect(maxAge).not.toBeNull();
      expect(Number(maxAge![1])).toBeGreaterThan(0);
      expect(Number(maxAge![1])).toBeLessThanOrEqual(300);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const list = res.json();
      expect(list).toMatchObject({
        id: statusListCredential,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: issuer.did,
        credentialSubject: { type: 'BitstringStatusList', statusPurpose: 'revocation' },
      });
      expect(list.credentialStatus).toBeUndefined();
      const independent = await verifyIndependently(list);
      expect(independent.verified, String(independent.error)).toBe(true);
    });

    it('answers a matching If-None-Match with 304 and no body', async () => {
      const { statusListCredential } = statusOf(await issue());
      const first = await getList(statusListCredential);
      const again = await getList(statusListCredential, { 'if-none-match': String(first.headers.etag) });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect(again.headers.etag).toBe(first.headers.etag);
      expect((await getList(statusListCredential, { 'if-none-match': '"something-else"' })).statusCode).toBe(200);
    });

    it('sets the bit of a revoked credential and changes the ETag; the new list still verifies independently', async () => {
      const revoked = await issue();
      const active = await issue();
      const suspended = await issue();
      const { statusListCredential, statusListIndex } = statusOf(revoked);
      expect(statusOf(active).statusListCredential).toBe(statusListCredential);
      const before = await getList(statusListCredential);

      await changeStatus(suspended, 'suspend', 'Under review');
      // Suspension lives in this service's records only (OB 3.0 carries one entry: revocation): the list is unchanged.
      expect((await getList(statusListCredential)).headers.etag).toBe(before.headers.etag);
      await changeStatus(revoked, 'revoke', 'Evidence found to be plagiarised');

      const after = await getList(statusListCredential);
      expect(after.statusCode).toBe(200);
      expect(after.headers.etag).not.toBe(before.headers.etag);
      expect((await getList(statusListCredential, { 'if-none-match': String(before.headers.etag) })).statusCode).toBe(200);
      expect((await getList(statusListCredential, { 'if-none-match': String(after.headers.etag) })).statusCode).toBe(304);

      const list = await decodeList({ encodedList: after.json().credentialSubject.encodedList });
      expect(list.length).toBeGreaterThanOrEqual(LIST_SIZE);
      expect(list.getStatus(Number(statusListIndex))).toBe(true);
      expect(list.getStatus(Number(statusOf(active).statusListIndex))).toBe(false);
      expect(list.getStatus(Number(statusOf(suspended).statusListIndex))).toBe(false);

      // Over HTTP, as any verifier reads it.
      const fetched = await fetch(statusListCredential);
      expect(fetched.headers.get('etag')).toBe(after.headers.etag);
      const independent = await verifyIndependently(await fetched.json());
      expect(independent.verified, String(independent.error)).toBe(true);
    });

    it('returns 404 problem+json for an unknown list id', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-list']) {
        const res = await t.app.inject({ method: 'GET', url: `/status-lists/${id}` });
        expect(res.statusCode, res.body).toBe(404);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(res.json()).toMatchObject({ status: 404, type: expect.stringContaining('/problems/') });
      }
    });
  });

  describe('lists served by another issuer', () => {
    let host: Awaited<ReturnType<typeof startOtherHost>>;
    let other: Awaited<ReturnType<typeof otherIssuer>>;
    const SET = 4242;
    const CLEAR = 77;

    beforeAll(async () => {
      host = await startOtherHost();
      other = await otherIssuer();
      // A real list of ours (one revoked credential), copied as served, and the same copy with one character changed.
      const revoked = await issue();
      await changeStatus(revoked, 'revoke', 'Withdrawn');
      const real = (await getList(statusOf(revoked).statusListCredential)).json();
      host.serve('/lists/copy', real);
      const encoded = String(real.credentialSubject.encodedList);
      const at = Math.floor(encoded.length / 2);
      const tampered = structuredClone(real);
      tampered.credentialSubject.encodedList = encoded.slice(0, at) + (encoded[at] === 'A' ? 'B' : 'A') + encoded.slice(at + 1);
      host.serve('/lists/tampered', tampered);
      host.serve('/lists/down', { error: 'boom' }, 500);
      host.serve('/lists/html', '<!doctype html><title>Maintenance</title>', 200, 'text/html');
      host.serve(
        '/lists/not-gzip',
        await other.statusList(`${host.url}/lists/not-gzip`, 'u' + Buffer.from('definitely not gzip').toString('base64url')),
      );
      host.serve('/lists/short', await other.statusList(`${host.url}/lists/short`, encodeList(8192)));
      host.serve('/lists/suspension', await other.statusList(`${host.url}/lists/suspension`, encodeList(LIST_SIZE), 'suspension'));
      host.serve('/lists/clear', await other.statusList(`${host.url}/lists/clear`, encodeList(LIST_SIZE)));
      host.serve('/lists/set', await other.statusList(`${host.url}/lists/set`, encodeList(LIST_SIZE, [SET])));
    });
    afterAll(() => host?.close());

    it('encodes the fixture lists as @digitalbazaar/vc-bitstring-status-list reads them', async () => {
      const list = await decodeList({ encodedList: encodeList(LIST_SIZE, [SET]) });
      expect(list.length).toBe(LIST_SIZE);
      expect([list.getStatus(SET), list.getStatus(SET - 1), list.getStatus(SET + 1)]).toEqual([true, false, false]);
    });

    it.each([
      ['a copy of a real list with one character of encodedList changed', '/lists/tampered', /does not verify/],
      ['HTTP 500', '/lists/down', /could not be retrieved/],
      ['a response that is not JSON', '/lists/html', /could not be retrieved/],
      ['a signed list whose encodedList is not GZIP', '/lists/not-gzip', /not GZIP data/],
      ['a signed list shorter than 131,072 entries', '/lists/short', /shorter than 131,072/],
      ['a signed list for another purpose', '/lists/suspension', /for suspension, not revocation/],
      ['nothing (404)', '/lists/missing', /could not be retrieved/],
    ])('makes the status an error, never a pass, for %s', async (_name, pathname, reason) => {
      const res = await verify(await other.badge(entry(`${host.url}${pathname}`, CLEAR)));
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().verified).toBe(false);
      const check = statusCheck(res);
      expect(check?.outcome, check?.message).toBe('error');
      expect(check?.message).toMatch(/^Status could not be checked/);
      expect(check?.message).toMatch(reason);
      expect((res.json().checks as Check[]).filter((c) => c.outcome !== 'pass').map((c) => c.check)).toEqual(['status']);
    });

    it('reads the bits of our own lists for any credential that points at them, not only our records', async () => {
      const revoked = await issue();
      await changeStatus(revoked, 'revoke', 'Withdrawn');
      const { statusListCredential, statusListIndex } = statusOf(revoked);
      // A credential we hold no record of (urn:uuid id), so only the published bit can make it fail.
      const res = await verify(await other.badge(entry(statusListCredential, Number(statusListIndex))));
      expect(res.statusCode, res.body).toBe(422);
      expect(statusCheck(res)).toMatchObject({ outcome: 'fail', message: 'Revoked' });
      const clear = (Number(statusListIndex) + 1) % LIST_SIZE;
      const list = await decodeList({ encodedList: (await getList(statusListCredential)).json().credentialSubject.encodedList });
      expect(list.getStatus(clear)).toBe(false);
      expect((await verify(await other.badge(entry(statusListCredential, clear)))).statusCode).toBe(200);
    });

    it('passes the untouched copy of that list (the control for the tampered one)', async () => {
      const res = await verify(await other.badge(entry(`${host.url}/lists/copy`, CLEAR)));
      expect(res.statusCode, res.body).toBe(200);
      expect(statusCheck(res)).toMatchObject({ outcome: 'pass', message: 'Not revoked' });
    });

    it("fails a credential whose bit is set in the other issuer's list, and passes one whose bit is clear", async () => {
      const revoked = await verify(await other.badge(entry(`${host.url}/lists/set`, SET)));
      expect(revoked.statusCode).toBe(422);
      expect(statusCheck(revoked)).toMatchObject({ outcome: 'fail', message: 'Revoked' });
      const fine = await verify(await other.badge(entry(`${host.url}/lists/set`, CLEAR)));
      expect(fine.statusCode, fine.body).toBe(200);
    });

    it('fails an array of two entries when either list has the bit set, and errors when either cannot be read', async () => {
      for (const entries of [
        [entry(`${host.url}/lists/clear`, SET), entry(`${host.url}/lists/set`, SET)],
        [entry(`${host.url}/lists/set`, SET), entry(`${host.url}/lists/clear`, SET)],
      ]) {
        const res = await verify(await other.badge(entries));
        expect(res.json().verified).toBe(false);
        expect(statusCheck(res)).toMatchObject({ outcome: 'fail', message: expect.stringMatching(/^Revoked/) });
      }
      const partly = await verify(await other.badge([entry(`${host.url}/lists/clear`, SET), entry(`${host.url}/lists/down`, SET)]));
      expect(partly.json().verified).toBe(false);
      expect(statusCheck(partly)).toMatchObject({ outcome: 'error', message: expect.stringMatching(/^Status could not be checked/) });
      const both = await verify(await other.badge([entry(`${host.url}/lists/clear`, SET), entry(`${host.url}/lists/clear`, CLEAR)]));
      expect(both.statusCode, both.body).toBe(200);
    });

    it("reads a 1EdTechRevocationList: a listed credential fails with the issuer's reason, an unlisted one passes", async () => {
      const listed = `urn:uuid:${crypto.randomUUID()}`;
      host.serve('/revocations', {
        revokedCredential: [{ id: listed, revocationReason: 'Issued in error' }, { id: 'urn:uuid:someone-else' }],
      });
      const status = { id: `${host.url}/revocations`, type: '1EdTechRevocationList' };
      const contexts = [VC_V2, OB_CONTEXT, OB_EXTENSIONS];

      const revoked = await verify(await other.badge(status, { id: listed, contexts }));
      expect(revoked.statusCode, revoked.body).toBe(422);
      expect(statusCheck(revoked)).toEqual({ check: 'status', outcome: 'fail', message: 'Revoked: Issued in error' });
      const notListed = await verify(await other.badge(status, { contexts }));
      expect(notListed.statusCode, notListed.body).toBe(200);
      expect(statusCheck(notListed)?.outcome).toBe('pass');
    });
  });
});

describe(`status list capacity (${backendName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ statusListCapacity: 3 });
  });
  afterAll(() => t.close());

  const issueMany = async (issuer: Issuer, count: number) => {
    const { id } = await createAchievement(t.app, issuer);
    const urls: string[] = [];
    for (let i = 0; i < count; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) });
      expect(res.statusCode, res.body).toBe(201);
      urls.push(res.json().credentialStatus.statusListCredential);
    }
    return urls;
  };
  const listsOf = (issuer: Issuer) =>
    t.database.db.selectFrom('status_lists').select(['id', 'seq']).where('issuer_id', '=', issuer.issuerId).orderBy('seq').execute();

  it('starts a new list when one holds its capacity, numbering them per issuer, and never shares a list between issuers', async () => {
    const a = await createIssuer(t.app.services, { name: 'District A' });
    const b = await createIssuer(t.app.services, { name: 'District B' });
    const urlsA = await issueMany(a, 7);
    const urlsB = await issueMany(b, 2);

    const entries = await t.database.db
      .selectFrom('status_entries')
      .select(['list_id', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('list_id')
      .execute();
    const sizeOf = (listId: string) => Number(entries.find((e) => e.list_id === listId)?.n ?? 0);
    const listsA = await listsOf(a);
    const listsB = await listsOf(b);
    expect(listsA.map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(listsA.map((l) => sizeOf(l.id))).toEqual([3, 3, 1]);
    expect(listsB.map((l) => [l.seq, sizeOf(l.id)])).toEqual([[1, 2]]);

    const urlOf = (id: string) => `${t.baseUrl}/status-lists/${id}`;
    expect(new Set(urlsA)).toEqual(new Set(listsA.map((l) => urlOf(l.id))));
    expect(new Set(urlsB)).toEqual(new Set(listsB.map((l) => urlOf(l.id))));
    expect(urlsA.filter((url) => urlsB.includes(url))).toEqual([]);
  });
});
