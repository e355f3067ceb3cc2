import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, unknown>;

/** Every path to a leaf value outside the proof. */
function leafPaths(value: unknown, path: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return value.flatMap((v, i) => leafPaths(v, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([k, v]) => (path.length === 0 && k === 'proof' ? [] : leafPaths(v, [...path, k])));
  }
  return [path];
}

function tamper(credential: Json, path: Array<string | number>): Json {
  const copy = structuredClone(credential);
  let node: any = copy;
  for (const key of path.slice(0, -1)) node = node[key];
  const last = path.at(-1)!;
  const old = node[last];
  node[last] =
    typeof old === 'string'
      ? old.endsWith('Z') && !isNaN(Date.parse(old))
        ? old.replace(/^\d{4}/, '2001')
        : `${old}x`
      : typeof old === 'number'
        ? old + 1
        : !old;
  return copy;
}

describe(`POST /credentials/verify (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let credential: Json;
  let credential2020: Json;

  beforeAll(async () => {
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    const { id } = await createAchievement(t.app, issuer);
    credential = (await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(id) })).json();
    credential2020 = (
      await t.app.inject({
        method: 'POST',
        url: '/credentials',
        headers: issuer.auth,
        payload: issueRequest(id, { proofType: 'Ed25519Signature2020' }),
      })
    ).json();
  });
  afterAll(() => t.close());

  const verify = (verifiableCredential: unknown) =>
    t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential, options: { checks: ['proof'] } } });

  it.each([
    ['eddsa-rdfc-2022', () => credential],
    ['Ed25519Signature2020', () => credential2020],
  ])('verifies a %s credential it issued, reporting each check', async (_suite, get) => {
    const res = await verify(get());
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.verified).toBe(true);
    expect(body.errors).toEqual([]);
    expect(body.checks.map((c: Json) => [c.check, c.outcome])).toEqual([
      ['shape', 'pass'],
      ['schema', 'pass'],
      ['issuer', 'pass'],
      ['proof', 'pass'],
      ['validity', 'pass'],
      ['status', 'pass'],
    ]);
  });

  it('fails (422) when any signed field is altered', async () => {
    const paths = leafPaths(credential);
    expect(paths.length).toBeGreaterThan(40);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), async (path) => {
        const res = await verify(tamper(credential, path));
        expect(res.statusCode, `${path.join('.')}: ${res.body}`).toBe(422);
        expect(res.json().verified).toBe(false);
      }),
      { numRuns: 40 },
    );
  });

  it('fails when the proof value is altered, with a readable reason', async () => {
    const forged = structuredClone(credential) as any;
    forged.proof[0].proofValue = forged.proof[0].proofValue.slice(0, -4) + 'abcd';
    const body = (await verify(forged)).json();
    expect(body.verified).toBe(false);
    expect(body.checks.find((c: Json) => c.check === 'proof').outcome).toBe('fail');
  });

  it('fails an expired credential on the validity check only', async () => {
    const t2 = await createTestApp({ clock: () => new Date('2020-01-01T00:00:00Z'), credentialStatus: false });
    try {
      const other = await createIssuer(t2.app.services, { didMethod: 'key' });
      const { id } = await createAchievement(t2.app, other);
      const old = (
        await t2.app.inject({
          method: 'POST',
          url: '/credentials',
          headers: other.auth,
          payload: issueRequest(id, { assessedAt: '2019-12-01T00:00:00Z', validUntil: '2021-01-01T00:00:00Z' }),
        })
      ).json();
      const body = (await t2.app.inject({ method: 'POST', url: '/credentials/verify', payload: { verifiableCredential: old } })).json();
      // verified at the issuing instance's clock (2020) it passes; at today's date on this instance it has expired
      expect(body.verified).toBe(true);
      const now = (await verify(old)).json();
      expect(now.verified).toBe(false);
      expect(now.checks.filter((c: Json) => c.outcome !== 'pass').map((c: Json) => c.check)).toEqual(['validity']);
      expect(now.errors[0]).toMatch(/Expired on 2021-01-01/);
    } finally {
      await t2.close();
    }
  });

  it('reports an issuer key it cannot fetch as an error, never a pass', async () => {
    const unreachable = structuredClone(credential) as any;
    unreachable.issuer.id = 'did:web:127.0.0.1%3A9';
    unreachable.proof[0].verificationMethod = 'did:web:127.0.0.1%3A9#key-1';
    const body = (await verify(unreachable)).json();
    expect(body.verified).toBe(false);
    expect(body.checks.find((c: Json) => c.check === 'issuer').outcome).toBe('error');
  });

  it('rejects a credential that uses a context it does not ship, without fetching it', async () => {
    const foreign = structuredClone(credential) as any;
    foreign['@context'].push('https://evil.example/context.jsonld');
    const body = (await verify(foreign)).json();
    expect(body.verified).toBe(false);
    expect(body.errors.join(' ')).toMatch(/not one this service ships/);
  });

  it('answers a malformed request with 400 problem+json', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/credentials/verify', payload: { credential: {} } });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('answers a non-credential with 422 and a shape failure', async () => {
    const res = await verify({ hello: 'world' });
    expect(res.statusCode).toBe(422);
    expect(res.json().checks[0]).toMatchObject({ check: 'shape', outcome: 'fail' });
  });
});
