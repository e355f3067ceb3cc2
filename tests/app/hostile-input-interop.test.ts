/**
 * Hostile input on the interop endpoints (STYLE §4), as properties: the W3C VC-API (POST /credentials/issue,
 * POST /presentations/verify), VC-JWT verification (POST /credentials/verify), and the 1EdTech Open Badges 3.0 API
 * under /ims/ob/v3p0: OAuth 2.0 (register, authorize, token, revoke) and, with a real access token, getCredentials,
 * upsertCredential and putProfile. Whatever arrives, the answer is a 4xx in the endpoint's own error shape (RFC 9457
 * problem details, with Imsx_StatusInfo under /ims/ob/v3p0; RFC 6749/7591 `{error, error_description}` on the OAuth
 * endpoints; an HTML page or a 303 to the registered redirect URI with `error=` on the authorization endpoint), never
 * a 5xx, and a refused request writes no row (every table these endpoints write is counted before and after).
 * Hosts are looked up through node:dns as in hostile-input.test.ts: `.invalid` names are answered NXDOMAIN here.
 *
 * Every bug these properties found (ten 500s and wrong error shapes) is fixed and keeps a focused regression test at
 * the end of the file; its inputs are part of the properties again.
 */
import crypto from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getAt,
  headerText,
  invalidHost,
  JSON_MEDIA_TYPES,
  kind,
  mayLookUp,
  nested,
  paths,
  rawBytes,
  setAt,
  unicode,
  dropAt,
  foreignContentType,
  fakeDnsLookup,
  type LookupSpy,
} from '../helpers/hostile.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader } from '../helpers/independent-verifier.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';
import { multikeyHolder, signDidAuth } from '../helpers/wallet.js';

type Json = Record<string, any>;
type Method = 'GET' | 'POST' | 'PUT';

const V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const OB = '/ims/ob/v3p0';
const SCOPE = 'https://purl.imsglobal.org/spec/ob/v3p0/scope/';
const ALL_SCOPES = ['credential.readonly', 'credential.upsert', 'profile.readonly', 'profile.update'].map((s) => SCOPE + s);
const REDIRECT = 'https://wallet.example/callback';
const EDUCATOR = 'Educator.Hostile@District.example';
const FORM = 'application/x-www-form-urlencoded';
/** Markup that must never come back unescaped in an HTML page. */
const XSS = '<img src=x onerror=alert(1)>';
/** Every table the endpoints under test write. */
const TABLES = [
  'credentials',
  'status_entries',
  'audit_events',
  'oauth_clients',
  'oauth_grants',
  'oauth_tokens',
  'hosted_credentials',
  'earner_profiles',
] as const;
type Counts = Record<(typeof TABLES)[number], number>;

// ---- JSON paths (as in hostile-input.test.ts) ---------------------------------------------------------------

// ---- generators -------------------------------------------------------------------------------------------

const b64u = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
/** Keys a JSON parser in "error" mode refuses are not generated as ordinary keys (they have their own generator). */
const plainKey = unicode.filter((k) => k !== '__proto__' && k !== 'constructor');
const anyJson = fc.jsonValue({ maxDepth: 2 });
/** Deeper than the parser's limit (64): refused before parsing. */
const deep = fc
  .tuple(fc.integer({ min: 65, max: 250 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.jsonValue({ maxDepth: 1 }))
  .map(([depth, shape, leaf]) => nested(depth, shape, leaf));
/** Within the parser's limit, so it reaches JSON-LD processing and the verifiers. */
const moderatelyDeep = fc
  .tuple(fc.integer({ min: 5, max: 50 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.jsonValue({ maxDepth: 1 }))
  .map(([depth, shape, leaf]) => nested(depth, shape, leaf));
/** Longer than any maxLength in the API (20 000), ASCII or multi-byte. */
const huge = fc
  .tuple(fc.constantFrom('x', 'é', '中', '😀', '\u0000', '\u202e'), fc.integer({ min: 20_001, max: 30_000 }))
  .map(([c, n]) => c.repeat(n));
/** Long and incompressible (an index entry holds at most 2704 bytes, compressed): for ids, which are indexed. */
const longRandom = fc
  .tuple(fc.constantFrom('urn:x:', 'https://example.org/', 'did:example:'), fc.integer({ min: 600, max: 4_000 }), fc.boolean())
  .map(([scheme, n, wide]) =>
    wide
      ? scheme + Array.from(crypto.randomBytes(n), (b, i) => String.fromCharCode(0x4e00 + b * 64 + (i % 64))).join('')
      : scheme + crypto.randomBytes(n).toString('base64url'),
  );
const wrongType = (original: unknown) => fc.oneof(anyJson, unicode, deep).filter((v) => kind(v) !== kind(original));
const PROTO_KEY = '__hostile_key_9b2e__';
/** Raw JSON text with a "__proto__" or "constructor.prototype" member injected into an object of `valid`. */
const withPoisonKey = (valid: unknown) =>
  fc
    .tuple(
      fc.constantFrom(...paths(valid, true)),
      fc.constantFrom('__proto__', 'constructor'),
      fc.dictionary(plainKey, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    )
    .map(([path, key, extra]) => {
      const payload = { polluted: true, ...extra };
      const text = JSON.stringify(setAt(valid, [...path, PROTO_KEY], key === 'constructor' ? { prototype: payload } : payload));
      return text.replace(JSON.stringify(PROTO_KEY), JSON.stringify(key));
    });

/** Mutations of a valid document: dropped, mistyped, replaced, over-long, nested or unknown members; any JSON at all. */
function mutations(valid: unknown, extra: Array<fc.Arbitrary<unknown>> = []): fc.Arbitrary<string> {
  const all = paths(valid);
  const strings = all.filter((path) => typeof getAt(valid, path) === 'string');
  const objects = paths(valid, true);
  const values: Array<fc.Arbitrary<unknown>> = [
    fc.jsonValue(),
    fc.constantFrom(...all).map((path) => dropAt(valid, path)),
    fc.constantFrom(...all).chain((path) => wrongType(getAt(valid, path)).map((v) => setAt(valid, path, v))),
    fc.tuple(fc.constantFrom(...all), fc.oneof(anyJson, unicode)).map(([path, v]) => setAt(valid, path, v)),
    fc.tuple(fc.constantFrom(...strings), huge).map(([path, filler]) => setAt(valid, path, `${String(getAt(valid, path))}${filler}`)),
    fc.tuple(fc.constantFrom(...all), fc.oneof(deep, moderatelyDeep)).map(([path, value]) => setAt(valid, path, value)),
    fc.tuple(fc.constantFrom(...objects), plainKey, anyJson).map(([path, key, v]) => setAt(valid, [...path, key], v)),
    deep,
    ...extra,
  ];
  return fc.oneof(
    { arbitrary: fc.oneof(...values).map((v) => JSON.stringify(v) ?? 'null'), weight: 8 },
    { arbitrary: withPoisonKey(valid), weight: 1 },
  );
}

/** `valid` with up to `changes` of its members replaced by an alternative or dropped (none: `valid` itself). */
function tweaked<T>(valid: Record<string, T>, alternatives: Record<string, fc.Arbitrary<unknown>>, changes: number) {
  return fc.subarray(Object.keys(alternatives), { maxLength: changes }).chain((chosen) =>
    fc.tuple(...chosen.map((name) => fc.option(alternatives[name]!, { freq: 6 }))).map((values) => {
      const changed: Record<string, unknown> = { ...valid };
      chosen.forEach((name, i) => {
        if (values[i] === null) delete changed[name];
        else changed[name] = values[i];
      });
      return changed;
    }),
  );
}

const didWebInvalid = fc
  .tuple(invalidHost, fc.option(fc.integer({ min: 1, max: 65_535 })), fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 2 }))
  .map(([host, port, segments]) => ['did:web', `${host}${port === null ? '' : `%3A${port}`}`, ...segments].join(':'));
/** did:web on loopback: resolved by connecting to a port nothing here serves. */
const didWebLoopback = fc.constantFrom(
  'did:web:127.0.0.1',
  'did:web:127.0.0.1%3A1',
  'did:web:127.0.0.1%3A1:issuers:x',
  'did:web:localhost%3A1',
);
const dateText = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date('1970-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString().replace(/\.\d+Z$/, 'Z')),
  fc.constantFrom(
    '2026-02-30T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01',
    '2026-01-01T00:00:00',
    '2026-01-01t00:00:00z',
    '2026-01-01 00:00:00Z',
    '2026-01-01T00:00:00+14:00',
    '2026-01-01T00:00:00+99:00',
    '2026-01-01T00:00:00.123456789Z',
    '9999-12-31T23:59:59-23:59',
  ),
  unicode,
);
const randomProof = (method: fc.Arbitrary<unknown>) =>
  fc.record(
    {
      type: fc.oneof(fc.constantFrom('DataIntegrityProof', 'Ed25519Signature2020', 'JsonWebSignature2020'), unicode, anyJson),
      cryptosuite: fc.oneof(fc.constantFrom('eddsa-rdfc-2022', 'eddsa-jcs-2022', 'ecdsa-rdfc-2019', 'bbs-2023'), unicode),
      created: dateText,
      verificationMethod: method,
      proofPurpose: fc.oneof(fc.constantFrom('assertionMethod', 'authentication', 'capabilityInvocation'), unicode),
      challenge: fc.oneof(fc.constantFrom('c-1', ''), unicode),
      domain: fc.oneof(fc.constant('verifier.example'), unicode),
      proofValue: fc.oneof(fc.stringMatching(/^z[1-9A-HJ-NP-Za-km-z]{40,90}$/), fc.base64String({ maxLength: 120 }), unicode),
    },
    { requiredKeys: ['type'] },
  );

const wellFormed = (s: string) => !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
/** The id of an EnvelopedVerifiableCredential holding `jws`: percent-encoded or not, with malformed %-escapes (bug 3: once a 500). */
const envelopeId = (jws: string) =>
  fc
    .tuple(
      fc.constantFrom('data:application/vc+jwt,', 'data:application/jwt,', 'data:application/vc+jwt;base64,', 'data:,'),
      fc.oneof(
        fc.constant(wellFormed(jws) ? encodeURIComponent(jws) : jws),
        fc.constant(jws),
        fc.constantFrom('%', '%E0%A4%A', '%zz', '%').map((bad) => `${jws}${bad}`),
      ),
    )
    .map(([prefix, body]) => prefix + body);

// ---- the suite --------------------------------------------------------------------------------------------

describe(`hostile input on the interop endpoints (${backendName})`, () => {
  let t: TestApp;
  let vcIssuer: Issuer;
  let issued: Json;
  let ourKid: string;
  let realJwk: Json;
  let client: { client_id: string; client_secret: string };
  let access: string;
  let refresh: string;
  let claimUrl: string;
  let signedOther: Json;
  let signedVp: Json;
  let unsignedVp: Json;
  let lookupSpy: LookupSpy;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);

  const countRows = async (): Promise<Counts> => {
    const counts = {} as Counts;
    for (const table of TABLES) {
      const row = await t.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      counts[table] = Number(row.n);
    }
    return counts;
  };
  const lookedUp = () => lookupSpy.mock.calls.map((call) => String(call[0]));
  const basic = () => `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
  /** Whether an Authorization header authenticates the registered client (RFC 6749 §2.3.1). */
  const authenticatesClient = (authorization: string | undefined) => {
    const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
    return match !== null && Buffer.from(match[1]!, 'base64').toString('utf8') === `${client.client_id}:${client.client_secret}`;
  };
  const send = (method: Method, url: string, payload?: string | Buffer, headers: Record<string, string | undefined> = {}) =>
    t.app.inject({
      method,
      url,
      payload,
      headers: Object.fromEntries(Object.entries(headers).filter((e): e is [string, string] => e[1] !== undefined)),
    });

  /**
   * Sends one hostile request and checks what holds for every answer: no 5xx, nothing written unless it succeeded,
   * no prototype touched, no host looked up outside `.invalid` and loopback. @returns the answer and the rows written.
   */
  async function hostile(request: () => Promise<LightMyRequestResponse>) {
    const before = await countRows();
    const res = await request();
    expect(res.statusCode, `${res.statusCode} ${res.body.slice(0, 500)}`).toBeLessThan(500);
    expect(res.statusCode).toBeGreaterThanOrEqual(200);
    const after = await countRows();
    const written = Object.fromEntries(
      TABLES.filter((table) => after[table] !== before[table]).map((table) => [table, after[table] - before[table]]),
    );
    if (res.statusCode >= 400) expect(written, `a refused request (${res.statusCode}) wrote rows`).toEqual({});
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(lookedUp().filter((host) => !mayLookUp(host))).toEqual([]);
    return { res, written };
  }

  /** A 4xx whose body is RFC 9457 problem details with the same status. */
  const expectProblem = (res: LightMyRequestResponse, statuses?: number[]) => {
    expect(res.statusCode, res.body.slice(0, 500)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
    if (statuses) expect(statuses, res.body.slice(0, 500)).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ type: expect.stringMatching(/\/problems\/[a-z-]+$/), title: expect.any(String), status: res.statusCode });
    return body as Json;
  };
  /** A problem that is also an OB 3.0 Imsx_StatusInfo (the resource endpoints under /ims/ob/v3p0). @returns its codeMinor. */
  const expectImsxProblem = (res: LightMyRequestResponse, statuses?: number[]) => {
    const body = expectProblem(res, statuses);
    expect(body).toMatchObject({
      imsx_codeMajor: 'failure',
      imsx_severity: expect.stringMatching(/^(error|status)$/),
      imsx_description: expect.any(String),
    });
    const minor = body.imsx_codeMinor?.imsx_codeMinorField?.[0]?.imsx_codeMinorFieldValue;
    expect(minor).toMatch(/^[a-z_]+$/);
    expect(['unknown', 'internal_server_error']).not.toContain(minor);
    return minor as string;
  };
  /** RFC 6749 §5.2 / RFC 7591 §3.2.2: 400 (401 for client authentication) with `{error, error_description}` as JSON. */
  const expectOAuthError = (res: LightMyRequestResponse, errors: string[], statuses = [400, 401]) => {
    expect(statuses, res.body.slice(0, 500)).toContain(res.statusCode);
    expect(res.headers['content-type'], res.body.slice(0, 500)).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toContain('no-store');
    const body = JSON.parse(res.body);
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description']);
    expect(errors).toContain(body.error);
    expect(body.error_description).toEqual(expect.any(String));
    if (res.statusCode === 401) {
      expect(body.error).toBe('invalid_client');
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    } else expect(body.error).not.toBe('invalid_client');
  };
  /** A VerificationResult; for hostile input it never says "verified". */
  const expectReport = (report: Json, verified?: boolean) => {
    expect(Object.keys(report).sort()).toEqual(['checks', 'credentialId', 'errors', 'issuer', 'verified', 'warnings']);
    expect(typeof report.verified).toBe('boolean');
    if (verified !== undefined) expect(report.verified).toBe(verified);
    expect(report.credentialId === null || typeof report.credentialId === 'string').toBe(true);
    expect(report.issuer === null || typeof report.issuer === 'string').toBe(true);
    for (const check of report.checks) {
      expect(check).toEqual({
        check: expect.stringMatching(/^(shape|schema|issuer|proof|validity|status|endorsement)$/),
        outcome: expect.stringMatching(/^(pass|fail|error)$/),
        message: expect.any(String),
      });
    }
    if (!report.verified) expect(report.errors.length).toBeGreaterThan(0);
    expect(report.warnings.every((w: unknown) => typeof w === 'string')).toBe(true);
  };
  /** POST /credentials/verify with hostile input: 422 with a "not verified" report, or a problem for a malformed request. */
  const expectUnverified = (res: LightMyRequestResponse) => {
    if (res.statusCode !== 422) return void expectProblem(res, [400, 413, 415]);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectReport(res.json(), false);
  };

  beforeAll(async () => {
    lookupSpy = fakeDnsLookup();
    t = await createTestApp();

    // The VC-API: a did:key issuer, its API key, a credential it signed.
    vcIssuer = await createIssuer(t.app.services, { didMethod: 'key', name: 'VC-API issuer' });
    ourKid = `${vcIssuer.did}#${vcIssuer.did.slice('did:key:'.length)}`;
    const first = await send('POST', '/credentials/issue', JSON.stringify(validIssue()), {
      ...vcIssuer.auth,
      'content-type': 'application/json',
    });
    expect(first.statusCode, first.body).toBe(201);
    issued = first.json().verifiableCredential;
    realJwk = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as Json;

    // Presentations of it, signed and unsigned.
    const holder = await multikeyHolder();
    signedVp = await signDidAuth(holder, { challenge: 'c-1', domain: 'verifier.example', verifiableCredential: [issued] });
    unsignedVp = { '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: [issued] };
    for (const body of validPresentationRequests()) {
      const res = await send('POST', '/presentations/verify', JSON.stringify(body), { 'content-type': 'application/json' });
      expect(res.statusCode, res.body).toBe(200);
    }

    // The OB 3.0 API: an educator with a badge link, a registered client, the authorization code flow.
    const obIssuer = await createIssuer(t.app.services);
    const achievement = await createAchievement(t.app, obIssuer);
    const badge = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: obIssuer.auth,
      payload: issueRequest(achievement.id, { recipient: { identity: EDUCATOR } }),
    });
    expect(badge.statusCode, badge.body).toBe(201);
    claimUrl = String(badge.headers['claim-url']);
    const registered = await send('POST', `${OB}/oauth/register`, JSON.stringify(registration()), { 'content-type': 'application/json' });
    expect(registered.statusCode, registered.body).toBe(201);
    client = registered.json();
    const verifier = crypto.randomBytes(32).toString('base64url');
    const params = {
      ...authorizeParams(),
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
    };
    const approved = await send(
      'POST',
      `${OB}/oauth/authorize`,
      new URLSearchParams({ ...params, link: claimUrl, decision: 'approve' }).toString(),
      {
        'content-type': 'application/x-www-form-urlencoded',
      },
    );
    expect(approved.statusCode, approved.body).toBe(303);
    const code = new URL(String(approved.headers.location)).searchParams.get('code')!;
    const tokens = await send(
      'POST',
      `${OB}/oauth/token`,
      new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }).toString(),
      { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
    );
    expect(tokens.statusCode, tokens.body).toBe(200);
    access = tokens.json().access_token;
    refresh = tokens.json().refresh_token;

    // Another platform's Open Badge, signed with stock libraries, for upsertCredential.
    const other = await createOtherIssuer();
    signedOther = await vc.issue({
      credential: {
        '@context': [V2, OB_CONTEXT],
        id: 'urn:uuid:0d7f4c52-3c55-4a4e-a9a4-49d6a2f1c6b1',
        type: ['VerifiableCredential', 'OpenBadgeCredential'],
        issuer: { id: other.did, type: ['Profile'], name: 'Other Platform' },
        validFrom: '2026-01-05T00:00:00Z',
        name: 'Culturally Responsive Teaching',
        credentialSubject: otherAchievementSubject,
      },
      suite: new DataIntegrityProof({ signer: other.signer, cryptosuite: eddsaRdfc2022 }),
      documentLoader: independentDocumentLoader,
    });
  });
  afterAll(async () => {
    lookupSpy.mockRestore();
    await t.close();
  });

  // ---- valid requests, the starting points of the mutations -------------------------------------------------

  function validCredential(): Json {
    return {
      '@context': [V2, 'https://www.w3.org/ns/credentials/examples/v2'],
      id: 'urn:uuid:6a1f0f50-4f7e-4c2b-9a53-1d8c1c0f3a11',
      type: ['VerifiableCredential', 'ExampleDegreeCredential'],
      issuer: { id: vcIssuer.did, name: 'VC-API issuer' },
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2036-01-01T00:00:00Z',
      credentialSubject: {
        id: 'did:example:ebfeb1f712ebc6f1c276e12ec21',
        degree: { type: 'ExampleBachelorDegree', name: 'Bachelor of Science and Arts' },
      },
      evidence: [{ id: 'https://example.org/evidence/1', type: ['Evidence'], name: 'Portfolio' }],
      relatedResource: [
        { id: 'https://example.org/syllabus', digestSRI: 'sha384-S57yQDg1MTzF56Oi9DbSQ14u7jBy0RDdx0YbeV7shwhCS88G8SCXeFq82PafhCrW' },
      ],
    };
  }
  const validIssue = () => ({ credential: validCredential(), options: { proofType: 'eddsa-rdfc-2022' } });
  const validPresentationRequests = () => [
    { verifiablePresentation: signedVp, options: { challenge: 'c-1', domain: 'verifier.example' } },
    { presentation: unsignedVp },
  ];
  const registration = (): Json => ({
    client_name: 'Example Wallet',
    client_uri: 'https://wallet.example/',
    logo_uri: 'https://wallet.example/logo.png',
    tos_uri: 'https://wallet.example/terms',
    policy_uri: 'https://wallet.example/privacy',
    software_id: 'c88b6ed8-269e-448e-99be-7e2ff47167d1',
    software_version: '1.0.0',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: [...ALL_SCOPES, 'offline_access'].join(' '),
  });
  const authorizeParams = (): Record<string, string> => ({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT,
    scope: ALL_SCOPES.join(' '),
    state: 'xyz-123',
    code_challenge: crypto.randomBytes(32).toString('base64url'),
    code_challenge_method: 'S256',
  });
  const validProfile = (): Json => ({
    '@context': [OB_CONTEXT],
    id: 'https://wallet.example/profiles/jordan',
    type: ['Profile'],
    name: 'Jordan Rivera',
    email: 'jordan@example.org',
    url: 'https://jordan.example.org',
    description: 'Grade 5 teacher',
  });

  /** A compact JWS: header and payload of `jsonParts` (or, with `raw`, any base64url), a random signature. */
  const jwsLike = (raw: boolean) => {
    const kid = fc.oneof(
      { arbitrary: fc.constant(ourKid), weight: 3 },
      fc.constant(`${vcIssuer.did}#z6MkwrongKey`),
      fc
        .constantFrom(
          realJwk,
          { ...realJwk, d: 'AAAA' },
          { kty: 'oct', k: 'AAAA' },
          { kty: 'RSA', n: 'AQAB', e: 'AQAB' },
          { kty: 'OKP', crv: 'Ed25519', x: 'garbage' },
          { kty: 'EC', crv: 'P-256', x: '', y: '' },
        )
        .map((jwk) => `did:jwk:${b64u(jwk)}#0`),
      fc.oneof(anyJson.map(b64u), unicode).map((garbage) => `did:jwk:${garbage}#0`),
      didWebLoopback.map((did) => `${did}#key-1`),
      didWebInvalid.map((did) => `${did}#key-1`),
      fc.integer({ min: 2_000, max: 40_000 }).map((n) => `did:key:z${'6Mk'.repeat(n)}#x`),
      unicode,
      fc.jsonValue({ maxDepth: 1 }),
    );
    const header = kid.chain((k) =>
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom('none', 'ES256', 'RS256', 'EdDSA', 'ES384', 'PS256', 'HS256', 'ES256K', ''), anyJson),
          kid: fc.constant(k),
          typ: fc.oneof(fc.constantFrom('JWT', 'vc+jwt', 'vc+ld+json+jwt'), anyJson),
          crit: fc.array(unicode, { maxLength: 2 }),
          jwk: fc.oneof(fc.constant(realJwk), anyJson),
        },
        { requiredKeys: ['alg', 'kid'] },
      ),
    );
    // Any number, also beyond the Date range (bug 2: once a 500).
    const seconds = fc.oneof(
      fc.double(),
      fc.constantFrom(1e300, -1e300, 8.64e12 + 1, Number.MAX_VALUE),
      fc.integer(),
      fc.double({ min: -8e12, max: 8e12, noNaN: true }),
      fc.constantFrom(0, 1.5, -1, 1767225600),
    );
    const payload = (issuerId: unknown) =>
      fc.oneof(
        { arbitrary: fc.dictionary(plainKey, anyJson, { maxKeys: 4 }), weight: 1 },
        {
          arbitrary: fc.record(
            {
              '@context': fc.oneof(
                fc.constant([V2]),
                fc.constant([V2, OB_CONTEXT]),
                anyJson,
                fc.webUrl().map((u) => [V2, u]),
              ),
              id: fc.oneof(fc.constant('urn:uuid:5a3c1d7e-0b1f-4a5e-8f1e-2d2f9c1a7b3c'), unicode, anyJson),
              type: fc.oneof(fc.constant(['VerifiableCredential']), fc.constant(['VerifiableCredential', 'OpenBadgeCredential']), anyJson),
              issuer: fc.oneof({ arbitrary: fc.constant(issuerId), weight: 3 }, fc.constant({ id: issuerId }), anyJson),
              credentialSubject: fc.oneof(fc.constant({ id: 'did:example:teacher-42' }), anyJson),
              validFrom: dateText,
              validUntil: dateText,
              credentialStatus: fc.oneof(
                fc.record({ type: fc.constant('BitstringStatusListEntry'), statusListCredential: fc.webUrl(), statusListIndex: unicode }),
                anyJson,
              ),
              iss: fc.oneof(fc.constant(issuerId), anyJson),
              sub: fc.oneof(fc.constant('did:example:teacher-42'), anyJson),
              jti: fc.oneof(fc.constant('urn:uuid:5a3c1d7e-0b1f-4a5e-8f1e-2d2f9c1a7b3c'), anyJson),
              nbf: fc.oneof(seconds, unicode),
              exp: fc.oneof(seconds, unicode),
              vc: fc.oneof(
                anyJson,
                fc.record({ '@context': fc.constant(['https://www.w3.org/2018/credentials/v1']), issuer: fc.constant(issuerId) }),
              ),
            },
            { requiredKeys: [] },
          ),
          weight: 4,
        },
      );
    const signature = fc.uint8Array({ minLength: 1, maxLength: 600 }).map((bytes) => Buffer.from(bytes).toString('base64url'));
    const structured = header.chain((h) =>
      fc.tuple(payload(typeof h.kid === 'string' ? h.kid.split('#')[0] : h.kid), signature).map(([p, s]) => `${b64u(h)}.${b64u(p)}.${s}`),
    );
    if (!raw) return structured;
    const part = fc.oneof(
      fc.base64String({ maxLength: 80 }).map((s) => s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')),
      anyJson.map(b64u),
    );
    return fc.oneof(
      { arbitrary: structured, weight: 4 },
      fc.tuple(part, part, signature).map((parts) => parts.join('.')),
      fc.stringMatching(/^[A-Za-z0-9_=+/-]{0,30}(\.[A-Za-z0-9_=+/-]{0,30}){0,4}$/),
      fc.constantFrom('', '..', 'a..b', '.a.b', 'a.b.', 'a.b.c.d', 'e30.e30.', 'e30.e30.AA', 'eyJhbGciOiJub25lIn0.e30.', 'e30.e30.AA '),
      unicode,
    );
  };

  // ---- 1. POST /credentials/issue --------------------------------------------------------------------------

  describe('POST /credentials/issue (VC-API)', () => {
    const FIELDS = [
      '@context',
      'id',
      'type',
      'issuer',
      'credentialSubject',
      'validFrom',
      'validUntil',
      'credentialStatus',
      'evidence',
      'relatedResource',
      'credentialSchema',
      'refreshService',
      'termsOfUse',
      'proof',
      'issuanceDate',
      'expirationDate',
    ];
    const typedObject = fc.record(
      {
        id: fc.oneof(fc.webUrl(), unicode, anyJson),
        type: fc.oneof(
          fc.constantFrom('Evidence', 'BitstringStatusListEntry', 'JsonSchema', '1EdTechJsonSchemaValidator2019'),
          unicode,
          anyJson,
        ),
        digestSRI: fc.oneof(fc.constant('sha384-S57yQDg1MTzF56Oi9DbSQ14u7jBy0RDdx0YbeV7shwhCS88G8SCXeFq82PafhCrW'), unicode),
        digestMultibase: unicode,
        statusPurpose: fc.oneof(fc.constantFrom('revocation', 'suspension'), unicode),
        statusListCredential: fc.oneof(fc.webUrl(), didWebInvalid),
      },
      { requiredKeys: [] },
    );
    const fieldValue = fc.oneof(
      anyJson,
      unicode,
      dateText,
      fc.webUrl(),
      didWebInvalid,
      typedObject,
      fc.array(typedObject, { maxLength: 3 }),
      moderatelyDeep,
      deep,
    );
    const inlineContext = fc.dictionary(
      fc.oneof(
        fc.constantFrom('@vocab', '@base', '@version', '@protected', '@import', '@propagate', '@type', 'degree', 'id', 'type'),
        plainKey,
      ),
      fc.oneof(anyJson, fc.webUrl(), fc.constant(1.1)),
      { maxKeys: 4 },
    );
    const issueBodies = () => {
      const valid = validIssue();
      const credential = valid.credential;
      const withCredential = (c: unknown) => ({ ...valid, credential: c });
      return mutations(valid, [
        fc.jsonValue().map(withCredential),
        // Any of the credential's well-known members set to anything (present or not before).
        fc.tuple(fc.constantFrom(...FIELDS), fieldValue).map(([field, value]) => withCredential({ ...credential, [field]: value })),
        // Long, incompressible ids (bug 4: once a 500).
        longRandom.map((id) => withCredential({ ...credential, id })),
        fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...FIELDS)).map(([a, b]) => {
          const { [a]: _a, [b]: _b, ...rest } = credential;
          return withCredential(rest);
        }),
        // Contexts it does not ship (remote, DID URLs, inline definitions), anywhere in the list.
        fc.tuple(fc.oneof(fc.webUrl(), didWebInvalid, inlineContext, unicode, anyJson), fc.nat()).map(([context, at]) => {
          const contexts = [...(credential['@context'] as unknown[])];
          contexts.splice(at % (contexts.length + 1), 0, context);
          return withCredential({ ...credential, '@context': contexts });
        }),
        // Terms no context defines: the examples context (whose @vocab defines every term) dropped, a key added.
        fc
          .tuple(fc.constantFrom(...paths(credential, true)), plainKey, anyJson)
          .map(([path, key, v]) => withCredential(setAt({ ...credential, '@context': [V2] }, [...path, key], v))),
        // VC-API options: an id to give, a proof type, anything else.
        fc
          .record(
            {
              credentialId: fc.oneof(
                fc.constant('urn:uuid:4a1c4bd2-4c3a-4d1f-9b7e-6d4f4c1e2a10'),
                unicode,
                fc.webUrl(),
                anyJson,
                // Over-long ids (bug 10): 2000 incompressible multi-byte characters.
                fc
                  .uint8Array({ minLength: 2000, maxLength: 2000 })
                  .map((b) => `urn:x:${Array.from(b, (x, i) => String.fromCharCode(0x4e00 + x * 64 + (i % 64))).join('')}`),
              ),
              proofType: fc.oneof(fc.constantFrom('eddsa-rdfc-2022', 'Ed25519Signature2020', 'ecdsa-rdfc-2019'), unicode, anyJson),
              extra: anyJson,
            },
            { requiredKeys: [] },
          )
          .map((options) => ({ credential: { ...credential, id: undefined }, options })),
        fc.record({ credential: fc.constant(credential), options: fc.oneof(anyJson, fc.dictionary(plainKey, anyJson)) }),
      ]);
    };
    const idempotencyKey = fc.option(fc.oneof(fc.constantFrom('retry-1', 'retry-2'), headerText), { freq: 4 });

    it('answers hostile credentials with 201 (signed as given) or a 4xx problem, never a 5xx, writing nothing when refused', async () => {
      await fc.assert(
        fc.asyncProperty(issueBodies(), fc.constantFrom(...JSON_MEDIA_TYPES), idempotencyKey, async (body, type, key) => {
          const { res, written } = await hostile(() =>
            send('POST', '/credentials/issue', body, { ...vcIssuer.auth, 'content-type': type, 'idempotency-key': key ?? undefined }),
          );
          if (res.statusCode >= 400) return void expectProblem(res, [400, 409, 413, 415, 422]);
          expect(res.statusCode).toBe(201);
          expect(res.headers['content-type']).toMatch(/^application\/json/);
          const signed = res.json().verifiableCredential;
          expect(signed.proof).toMatchObject({ type: expect.any(String), proofValue: expect.any(String) });
          expect(typeof signed.issuer === 'string' ? signed.issuer : signed.issuer.id).toBe(vcIssuer.did);
          // One credential (none when the Idempotency-Key replays an earlier one), its audit event and status entry.
          if (res.headers['idempotent-replayed'] === 'true') expect(written).toEqual({});
          else expect(written.credentials).toBe(1);
        }),
        { numRuns: 60 },
      );
    });

    it('answers other media types, raw bytes and truncated JSON with a 4xx problem, writing nothing', async () => {
      const valid = validIssue();
      const wrongMedia = fc.tuple(foreignContentType(JSON_MEDIA_TYPES), fc.constant(Buffer.from(JSON.stringify(valid))));
      const badBytes = fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES, 'application/json; charset=utf-8'), rawBytes(valid));
      await fc.assert(
        fc.asyncProperty(fc.oneof(wrongMedia, badBytes), async ([type, bytes]) => {
          const { res } = await hostile(() =>
            send('POST', '/credentials/issue', bytes, { ...vcIssuer.auth, 'content-type': type || undefined }),
          );
          expectProblem(res);
        }),
        { numRuns: 40 },
      );
    });
  });

  // ---- 2. POST /presentations/verify -----------------------------------------------------------------------

  describe('POST /presentations/verify (VC-API)', () => {
    const expectPresentationAnswer = (res: LightMyRequestResponse) => {
      if (res.statusCode !== 200 && res.statusCode !== 422) return void expectProblem(res, [400, 413, 415]);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['credentialResults', 'errors', 'presentationResult', 'verified']);
      expect(body.verified).toBe(res.statusCode === 200);
      expect(Object.keys(body.presentationResult).sort()).toEqual(['errors', 'holder', 'verified']);
      expect(typeof body.presentationResult.verified).toBe('boolean');
      expect(body.presentationResult.holder === null || typeof body.presentationResult.holder === 'string').toBe(true);
      for (const report of body.credentialResults) expectReport(report);
      expect(body.errors.every((e: unknown) => typeof e === 'string')).toBe(true);
      if (!body.verified) expect(body.errors.length).toBeGreaterThan(0);
    };

    it('answers hostile presentations with 200/422 and the result, or a 400 problem; never a 5xx, never a write', async () => {
      const method = fc.oneof(
        didWebInvalid.map((did) => `${did}#key-1`),
        didWebLoopback.map((did) => `${did}#key-1`),
        fc.constant(String(signedVp.proof.verificationMethod)),
        fc.webUrl(),
        unicode,
        anyJson,
      );
      const bodies = fc.constantFrom(...validPresentationRequests()).chain((valid) => {
        const key = 'verifiablePresentation' in valid ? 'verifiablePresentation' : 'presentation';
        const vp = (valid as Json)[key] as Json;
        const withVp = (p: unknown) => ({ ...valid, [key]: p });
        return mutations(valid, [
          fc.jsonValue().map(withVp),
          fc.oneof(randomProof(method), fc.array(randomProof(method), { maxLength: 3 }), anyJson).map((proof) => withVp({ ...vp, proof })),
          fc
            .oneof(fc.constant(issued), fc.constant(signedOther), anyJson, jwsLike(true))
            .chain((item) =>
              fc
                .oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 21, max: 30 }))
                .map((n) => withVp({ ...vp, verifiableCredential: Array.from({ length: n }, () => item) })),
            ),
          jwsLike(true)
            .filter(wellFormed)
            .chain((jws) => envelopeId(jws))
            .map((id) => withVp({ ...vp, verifiableCredential: [{ '@context': [V2], type: 'EnvelopedVerifiableCredential', id }] })),
          fc
            .record(
              {
                challenge: fc.oneof(
                  fc.constant('c-1'),
                  unicode,
                  anyJson,
                  fc.integer({ min: 1000, max: 1100 }).map((n) => 'c'.repeat(n)),
                ),
                domain: fc.oneof(fc.constant('verifier.example'), unicode, anyJson),
                checks: anyJson,
              },
              { requiredKeys: [] },
            )
            .map((options) => ({ ...valid, options })),
          fc.record({ verifiablePresentation: anyJson, presentation: anyJson }, { requiredKeys: [] }),
        ]);
      });
      await fc.assert(
        fc.asyncProperty(bodies, fc.constantFrom(...JSON_MEDIA_TYPES), async (body, type) => {
          const { res } = await hostile(() => send('POST', '/presentations/verify', body, { 'content-type': type }));
          expectPresentationAnswer(res);
        }),
        { numRuns: 50 },
      );
    });

    it('answers other media types and raw bytes with a 4xx problem', async () => {
      const valid = validPresentationRequests()[1];
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(foreignContentType(JSON_MEDIA_TYPES), fc.constant(Buffer.from(JSON.stringify(valid)))),
            fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES), rawBytes(valid)),
          ),
          async ([type, bytes]) => {
            const { res } = await hostile(() => send('POST', '/presentations/verify', bytes, { 'content-type': type || undefined }));
            expectProblem(res);
          },
        ),
        { numRuns: 30 },
      );
    });
  });

  // ---- 3. POST /credentials/verify with VC-JWTs ------------------------------------------------------------

  describe('POST /credentials/verify with VC-JWT-shaped strings', () => {
    it('never verifies a random compact JWS, however it is sent, and never answers 5xx', async () => {
      const delivery = fc.constantFrom('json', 'vc+jwt', 'enveloped');
      await fc.assert(
        fc.asyncProperty(
          jwsLike(true).chain((jws) => envelopeId(jws).map((id) => [jws, id] as const)),
          delivery,
          async ([jws, id], how) => {
            const { res } = await hostile(() => {
              if (how === 'vc+jwt') return send('POST', '/credentials/verify', jws, { 'content-type': 'application/vc+jwt' });
              const verifiableCredential = how === 'json' ? jws : { '@context': [V2], type: 'EnvelopedVerifiableCredential', id };
              return send('POST', '/credentials/verify', JSON.stringify({ verifiableCredential }), { 'content-type': 'application/json' });
            });
            expectUnverified(res);
          },
        ),
        { numRuns: 60 },
      );
    });

    it('never verifies a JWS signed by an attacker’s did:jwk key claiming to be the did:key issuer here', async () => {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const attackerKid = `did:jwk:${b64u(publicKey.export({ format: 'jwk' }))}#0`;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(ourKid, attackerKid, `${vcIssuer.did}#0`),
          fc.constantFrom(vcIssuer.did, attackerKid.split('#')[0]!),
          async (kid, iss) => {
            const payload = {
              '@context': [V2],
              id: `urn:uuid:${crypto.randomUUID()}`,
              type: ['VerifiableCredential'],
              issuer: vcIssuer.did,
              validFrom: '2026-01-01T00:00:00Z',
              credentialSubject: { id: 'did:example:teacher-42' },
              iss,
            };
            const input = `${b64u({ alg: 'ES256', kid, typ: 'JWT' })}.${b64u(payload)}`;
            const signature = crypto
              .sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
              .toString('base64url');
            const { res } = await hostile(() =>
              send('POST', '/credentials/verify', `${input}.${signature}`, { 'content-type': 'application/vc+jwt' }),
            );
            expectUnverified(res);
          },
        ),
        { numRuns: 6 },
      );
    });
  });

  // ---- 4. OAuth --------------------------------------------------------------------------------------------

  describe('OAuth 2.0 endpoints (/ims/ob/v3p0/oauth)', () => {
    const REGISTER_ERRORS = ['invalid_client_metadata', 'invalid_redirect_uri'];
    const TOKEN_ERRORS = [
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'invalid_scope',
      'unsupported_grant_type',
      'unauthorized_client',
    ];
    const REVOKE_ERRORS = ['invalid_request', 'invalid_client'];
    const AUTHORIZE_ERRORS = ['invalid_request', 'unsupported_response_type', 'invalid_scope', 'access_denied'];

    const urlish = fc.oneof(
      fc.constantFrom(
        'https://wallet.example/x',
        'http://wallet.example/x',
        'https://elsewhere.example/x',
        'https://wallet.example/x#frag',
        'wallet.example/x',
        '//wallet.example/x',
        'javascript:alert(1)',
        'data:text/html,hi',
        'https://WALLET.example/x',
        'https://wallet.example:8443/x',
        'https://user:pw@wallet.example/x',
        'https://[::1]/x',
        'https://wallet.example/x?y=1',
        ' https://wallet.example/x',
        '',
      ),
      fc.webUrl({ validSchemes: ['http', 'https', 'ftp'], withFragments: true, withQueryParameters: true }),
      fc.integer({ min: 2_000, max: 5_000 }).map((n) => `https://wallet.example/${'a'.repeat(n)}`),
      unicode,
    );
    // fc.jsonValue() makes "__proto__" keys on purpose: the parser refuses them (bug 7: once with problem+json).
    const anyValue = fc.oneof(anyJson, unicode);
    const listOf = (item: fc.Arbitrary<unknown>) =>
      fc.oneof(fc.array(item, { maxLength: 4 }), item, fc.array(item, { minLength: 21, maxLength: 24 }), anyValue);
    const metadata = () => {
      const valid = registration();
      const text = fc.oneof(
        unicode,
        fc.constantFrom('', '   ', XSS),
        fc.integer({ min: 2_049, max: 3_000 }).map((n) => 'n'.repeat(n)),
      );
      const scopes = fc
        .subarray([...ALL_SCOPES, 'offline_access', `${SCOPE}admin`, 'openid'])
        .chain((list) => fc.constantFrom(' ', '  ', ',', '+').map((sep) => list.join(sep)));
      const alternatives: Record<string, fc.Arbitrary<unknown>> = {
        client_name: text,
        client_uri: urlish,
        logo_uri: urlish,
        tos_uri: urlish,
        policy_uri: urlish,
        software_id: text,
        software_version: text,
        redirect_uris: fc.oneof(listOf(urlish), fc.constant(REDIRECT), fc.constant([REDIRECT, 'https://wallet.example/second'])),
        token_endpoint_auth_method: fc.constantFrom('client_secret_basic', 'none', 'client_secret_post', 'private_key_jwt'),
        grant_types: listOf(fc.constantFrom('authorization_code', 'refresh_token', 'implicit', 'client_credentials', 'password', '')),
        response_types: listOf(fc.constantFrom('code', 'token', 'id_token', '')),
        scope: scopes,
        contacts: listOf(fc.oneof(fc.emailAddress(), unicode)),
      };
      return fc.oneof(
        // One to three members replaced by anything (or dropped): often still acceptable.
        {
          arbitrary: tweaked(
            valid,
            Object.fromEntries(
              Object.entries(alternatives).map(([name, other]) => [name, fc.oneof({ arbitrary: other, weight: 3 }, anyValue)]),
            ),
            3,
          ),
          weight: 3,
        },
        // Every member drawn at random, unknown members added.
        fc
          .record(
            Object.fromEntries(
              Object.entries(alternatives).map(([name, other]) => [name, fc.oneof(fc.constant(valid[name]), other, anyValue)]),
            ),
            { requiredKeys: [] },
          )
          .chain((m) => fc.dictionary(plainKey, anyValue, { maxKeys: 3 }).map((extra) => ({ ...extra, ...m }))),
      );
    };

    it('register: 201 for acceptable metadata, else 400 with an RFC 7591 error, never a 5xx, writing nothing when refused', async () => {
      await fc.assert(
        fc.asyncProperty(metadata(), async (body) => {
          const { res, written } = await hostile(() =>
            send('POST', `${OB}/oauth/register`, JSON.stringify(body), { 'content-type': 'application/json' }),
          );
          if (res.statusCode !== 201) return void expectOAuthError(res, REGISTER_ERRORS);
          const answer = res.json();
          expect(answer).toMatchObject({
            client_id: expect.stringMatching(/^[0-9a-f]{32}$/),
            client_secret: expect.stringMatching(/^obs_/),
          });
          expect(answer.client_secret_expires_at).toBe(0);
          expect(written).toEqual({ oauth_clients: 1 });
        }),
        { numRuns: 60 },
      );
    });

    // What the route cannot read as a JSON object gets RFC 7591 errors too (bug 7: once problem+json).
    it('register: non-object JSON, other media types and raw bytes get an RFC 7591 error, never a 5xx, writing nothing', async () => {
      const valid = registration();
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(
              fc.constant('application/json'),
              fc
                .jsonValue()
                .filter((v) => kind(v) !== 'object')
                .map((v) => JSON.stringify(v)),
            ),
            fc.tuple(fc.constant('application/json'), withPoisonKey(valid)),
            fc.tuple(foreignContentType(['application/json', 'application/x-www-form-urlencoded']), fc.constant(JSON.stringify(valid))),
            fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES), rawBytes(valid)),
            fc.tuple(fc.constant(FORM), fc.string({ unit: 'binary', maxLength: 200 })),
          ),
          async ([type, body]) => {
            const { res } = await hostile(() => send('POST', `${OB}/oauth/register`, body, { 'content-type': type || undefined }));
            expectOAuthError(res, REGISTER_ERRORS, [400, 413, 415]);
          },
        ),
        { numRuns: 40 },
      );
    });

    const formKey = fc.oneof(
      {
        arbitrary: fc.constantFrom(
          'grant_type',
          'code',
          'redirect_uri',
          'code_verifier',
          'refresh_token',
          'scope',
          'token',
          'token_type_hint',
        ),
        weight: 4,
      },
      fc.constantFrom('client_id', 'client_secret', 'assertion', 'username', 'password'),
      fc.string({ maxLength: 12 }),
    );
    const formValue = fc.oneof(
      fc.constantFrom(
        'authorization_code',
        'refresh_token',
        'client_credentials',
        'password',
        'access_token',
        '',
        REDIRECT,
        ALL_SCOPES.join(' '),
        XSS,
      ),
      fc.constantFrom('obc_', 'obr_', 'oba_').chain((prefix) => fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => prefix + s)),
      fc.stringMatching(/^[A-Za-z0-9._~-]{43,128}$/),
      fc.string({ unit: 'binary', maxLength: 60 }),
    );
    /** Form bodies, repeated names included (those are RFC 6749 §3.2 invalid_request). */
    const formBody = fc.oneof(
      {
        arbitrary: fc.array(fc.tuple(formKey, formValue), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
        weight: 4,
      },
      fc.constantFrom(
        '%',
        '%zz',
        'grant_type=%E0%A4%A',
        '=&=&',
        '&&&',
        'grant_type',
        '=x',
        'a=1;b=2',
        'grant_type=refresh_token&grant_type=refresh_token',
      ),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    const basicAuthorization = () => {
      const part = fc.oneof(
        fc.constant(client.client_id),
        fc.constant(client.client_secret),
        fc.constantFrom('', '%', '%zz', '%E0%A4%A', '+', ':', '%3A', 'obs_'),
        fc.stringMatching(/^[0-9a-f]{32}$/),
        unicode,
      );
      return fc.oneof(
        fc.constant(undefined),
        fc.constant(basic()),
        fc
          .tuple(part, part, fc.constantFrom(':', '', '::', '%3A'))
          .map(([id, secret, sep]) => `Basic ${Buffer.from(`${id}${sep}${secret}`).toString('base64')}`),
        fc
          .tuple(
            fc.constantFrom('Basic', 'basic', 'BASIC', 'Bearer', 'Digest', ''),
            fc.constantFrom(' ', '  ', '\t', ''),
            fc.oneof(fc.base64String({ maxLength: 80 }), fc.stringMatching(/^[A-Za-z0-9+/=]{0,40}$/), headerText),
          )
          .map(([scheme, space, value]) => `${scheme}${space}${value}`),
        headerText,
      );
    };

    it('token and revoke: random form bodies and Basic credentials get an RFC 6749 error (revoke: 200), never a 5xx or a write', async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('token', 'revoke'), formBody, basicAuthorization(), async (endpoint, body, authorization) => {
          const { res } = await hostile(() => send('POST', `${OB}/oauth/${endpoint}`, body, { 'content-type': FORM, authorization }));
          if (endpoint === 'revoke' && res.statusCode === 200) {
            // RFC 7009 §2.2: an unknown token is "revoked" too; only an authenticated client gets here.
            expect(authenticatesClient(authorization)).toBe(true);
            expect(res.body).toBe('');
            return;
          }
          expectOAuthError(res, endpoint === 'token' ? TOKEN_ERRORS : REVOKE_ERRORS);
        }),
        { numRuns: 60 },
      );
    });

    // What the routes cannot read gets RFC 6749 errors too (bug 7: once problem+json).
    it('token and revoke: other media types and raw bytes get an RFC 6749 error, never a 5xx, writing nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom('token', 'revoke'),
          fc.oneof(
            // Media types the routes do not read get 415 with an RFC 6749 body (bug 9).
            fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES, 'text/plain', 'application/xml'), rawBytes({ grant_type: 'refresh_token' })),
            fc.tuple(
              fc.constantFrom(...JSON_MEDIA_TYPES, 'text/plain'),
              fc.constant(Buffer.from('grant_type=refresh_token&refresh_token=obr_x')),
            ),
            fc.tuple(
              fc.constant(FORM),
              fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)),
            ),
            fc.tuple(fc.constant(FORM), fc.constant(Buffer.from(`token=${'x'.repeat(70_000)}`))),
          ),
          basicAuthorization(),
          async (endpoint, [type, bytes], authorization) => {
            const { res } = await hostile(() =>
              send('POST', `${OB}/oauth/${endpoint}`, bytes, { 'content-type': type || undefined, authorization }),
            );
            if (endpoint === 'revoke' && res.statusCode === 200) return void expect(authenticatesClient(authorization)).toBe(true);
            expectOAuthError(res, endpoint === 'token' ? TOKEN_ERRORS : REVOKE_ERRORS, [400, 401, 413, 415]);
          },
        ),
        { numRuns: 40 },
      );
    });

    /** Authorization request parameters, each valid or not (valid ones weighted, so requests get deep). */
    const authorizeRequest = (): fc.Arbitrary<Record<string, string>> => {
      const valid = authorizeParams();
      const names = Object.keys(valid);
      const alternatives: Record<string, fc.Arbitrary<string>> = {
        response_type: fc.constantFrom('token', 'id_token', 'code token', 'CODE', ''),
        client_id: fc.oneof(fc.constantFrom('', 'nobody', '../../etc/passwd'), fc.stringMatching(/^[0-9a-f]{32}$/)),
        redirect_uri: fc.oneof(
          fc.constantFrom(`${REDIRECT}/other`, 'http://wallet.example/callback', `${REDIRECT}?x=1`, `${REDIRECT}#f`, 'javascript:alert(1)'),
          fc.webUrl(),
        ),
        scope: fc.oneof(
          fc.subarray([...ALL_SCOPES, 'offline_access', `${SCOPE}admin`]).map((list) => list.join(' ')),
          fc.constantFrom('', ' ', `${SCOPE}admin`),
        ),
        state: fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('', XSS)),
        code_challenge: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{0,42}$/), fc.stringMatching(/^[A-Za-z0-9_+/=-]{44,100}$/)),
        code_challenge_method: fc.constantFrom('plain', 's256', 'S512', ''),
      };
      for (const name of names) alternatives[name] = fc.oneof(alternatives[name]!, unicode, fc.constant(XSS));
      const extra = fc.dictionary(
        plainKey.filter((k) => !names.includes(k) && !['link', 'decision'].includes(k)),
        unicode,
        { maxKeys: 2 },
      );
      return fc
        .tuple(tweaked(valid, alternatives, 3), fc.option(extra, { freq: 4 }))
        .map(([params, more]) => ({ ...(more ?? {}), ...(params as Record<string, string>) }));
    };
    /** The authorization endpoint's answers: a page (200 consent, 400 refusal) or a 303 to the registered URI with an error. */
    const expectAuthorizeAnswer = (res: LightMyRequestResponse, sent: Record<string, string> | undefined, pageStatuses: number[]) => {
      expect(res.body).not.toContain(XSS);
      if (res.statusCode === 303) {
        const back = new URL(String(res.headers.location));
        expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
        expect(AUTHORIZE_ERRORS).toContain(back.searchParams.get('error'));
        expect(back.searchParams.has('code')).toBe(false);
        // The state goes back as sent (none: empty), unless it was not well-formed text or the query was garbled.
        if (sent !== undefined && wellFormed(sent.state ?? '')) expect(back.searchParams.get('state')).toBe(sent.state ?? '');
        return;
      }
      expect(pageStatuses, res.body.slice(0, 300)).toContain(res.statusCode);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers.location).toBeUndefined();
    };

    it('authorize (GET): random query parameters get a page or a 303 with error= to the registered URI, never a 5xx or a write', async () => {
      const rawQuery = fc.constantFrom(
        'client_id=%',
        'client_id=%E0%A4%A',
        'state=%zz',
        '&&&',
        '=',
        'client_id[]=1',
        'client_id[0]=1',
        'response_type=code&response_type=token',
      );
      await fc.assert(
        fc.asyncProperty(authorizeRequest(), fc.option(rawQuery, { freq: 5 }), async (params, raw) => {
          const query = [new URLSearchParams(params).toString(), raw].filter((q) => q).join('&');
          const { res } = await hostile(() => send('GET', `${OB}/oauth/authorize?${query}`));
          expectAuthorizeAnswer(res, raw === null ? params : undefined, [200, 400]);
        }),
        { numRuns: 60 },
      );
    });

    it('authorize (POST): random consent forms get a page or a 303 with error=, never a code, a 5xx or a write', async () => {
      const answer = fc.oneof(
        // The educator's real link, but never with decision=approve (that would rightly write a grant).
        fc.record({
          link: fc.constant(claimUrl),
          decision: fc.oneof(fc.constantFrom('deny', '', 'Approve', 'APPROVE', 'approve ', 'yes'), unicode),
        }),
        fc.record(
          {
            link: fc.oneof(
              fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((token) => `${t.baseUrl}/claim/${token}`),
              fc.constantFrom('', `${t.baseUrl}/claim/`, `${claimUrl}x`, claimUrl.slice(0, -1), 'javascript:alert(1)', XSS),
              unicode,
            ),
            decision: fc.oneof({ arbitrary: fc.constant('approve'), weight: 3 }, fc.constantFrom('deny', ''), unicode),
          },
          { requiredKeys: [] },
        ),
      );
      // Where the form says it came from: our own page (or no header), or another site (403).
      const own = new URL(t.baseUrl).origin;
      const provenance = fc.oneof(
        { arbitrary: fc.constant({} as { origin?: string; 'sec-fetch-site'?: string }), weight: 3 },
        fc.record(
          {
            origin: fc.oneof(
              { arbitrary: fc.constant(own), weight: 2 },
              fc.constantFrom('https://wallet.example', 'null', `${own}/`),
              headerText,
            ),
            'sec-fetch-site': fc.constantFrom('same-origin', 'none', 'same-site', 'cross-site', ''),
          },
          { requiredKeys: [] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(authorizeRequest(), answer, provenance, async (params, consent, from) => {
          const form = new URLSearchParams({ ...params, ...consent }).toString();
          const { res } = await hostile(() => send('POST', `${OB}/oauth/authorize`, form, { 'content-type': FORM, ...from }));
          const foreign =
            (from.origin !== undefined && from.origin !== own) ||
            (from['sec-fetch-site'] !== undefined && !['same-origin', 'none'].includes(from['sec-fetch-site']));
          expectAuthorizeAnswer(res, params, foreign ? [400, 403] : [400]);
          if (!foreign) expect(res.statusCode).not.toBe(403);
        }),
        { numRuns: 60 },
      );
    });

    it('authorize (POST): other media types and raw bytes get the error page, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(foreignContentType([FORM, ...JSON_MEDIA_TYPES, 'text/plain']), fc.constant(Buffer.from('decision=approve'))),
            fc.tuple(
              fc.constantFrom(FORM, 'text/plain', 'application/json'),
              fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)),
            ),
            fc.tuple(
              fc.constant('application/json'),
              fc.jsonValue().map((v) => JSON.stringify(v)),
            ),
            // Forms that repeat a name (bug 8: once JSON instead of the page).
            fc.tuple(
              fc.constant(FORM),
              fc.constantFrom('state=a&state=b', 'decision=approve&decision=deny', 'a=1&a=2').map((f) => Buffer.from(f)),
            ),
          ),
          async ([type, bytes]) => {
            const { res } = await hostile(() => send('POST', `${OB}/oauth/authorize`, bytes, { 'content-type': type || undefined }));
            expectAuthorizeAnswer(res, undefined, [400, 413, 415]);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('the consent page escapes whatever a registered client says about itself', async () => {
      const marked = (url: string) => fc.constantFrom(`${url}${XSS}`, `${url}"${XSS}`, `${url}'><script>alert(1)</script>`, url);
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            client_name: fc.constantFrom(XSS, `Wallet ${XSS}`, '"><script>alert(1)</script>'),
            client_uri: marked('https://wallet.example/'),
            logo_uri: marked('https://wallet.example/logo.png?'),
            tos_uri: marked('https://wallet.example/terms#'.replace('#', '/')),
            policy_uri: marked('https://wallet.example/privacy/'),
          }),
          async (said) => {
            const registered = await send('POST', `${OB}/oauth/register`, JSON.stringify({ ...registration(), ...said }), {
              'content-type': 'application/json',
            });
            if (registered.statusCode !== 201) return void expectOAuthError(registered, REGISTER_ERRORS);
            const page = await send(
              'GET',
              `${OB}/oauth/authorize?${new URLSearchParams({ ...authorizeParams(), client_id: registered.json().client_id })}`,
            );
            expect(page.statusCode, page.body.slice(0, 300)).toBe(200);
            expect(page.body).not.toContain(XSS);
            expect(page.body).not.toContain('<script>alert(1)</script>');
          },
        ),
        { numRuns: 15 },
      );
    });

    it('after all that, the access and refresh tokens still work', async () => {
      const list = await send('GET', `${OB}/credentials`, undefined, { authorization: `Bearer ${access}` });
      expect(list.statusCode, list.body).toBe(200);
      expect(JSON.parse(String(list.headers['x-total-count']))).toBeGreaterThanOrEqual(1);
      const tokens = await send(
        'POST',
        `${OB}/oauth/token`,
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refresh }).toString(),
        {
          'content-type': FORM,
          authorization: basic(),
        },
      );
      expect(tokens.statusCode, tokens.body).toBe(200);
      access = tokens.json().access_token;
      refresh = tokens.json().refresh_token;
    });
  });

  // ---- 5. The resource endpoints, with a valid access token ------------------------------------------------

  describe('OB 3.0 resource endpoints with a valid access token', () => {
    const bearer = () => ({ authorization: `Bearer ${access}` });

    it('upsertCredential (JSON): hostile credentials get a 400 problem with Imsx_StatusInfo, never a 5xx or a write', async () => {
      const identities = fc.record(
        {
          id: fc.oneof(
            fc.constant('urn:uuid:0d7f4c52-3c55-4a4e-a9a4-49d6a2f1c6b1'),
            fc.constantFrom('%', '%E0%A4%A', ' '),
            longRandom,
            unicode,
            anyJson,
          ),
          issuer: fc.oneof(
            fc.constant(signedOther.issuer),
            didWebInvalid,
            didWebLoopback,
            fc.record({ id: fc.oneof(didWebInvalid, unicode) }),
            anyJson,
          ),
          '@context': fc.oneof(fc.constant([V2, OB_CONTEXT]), anyJson),
          type: fc.oneof(fc.constant(['VerifiableCredential', 'OpenBadgeCredential']), anyJson),
          proof: fc.oneof(
            randomProof(
              fc.oneof(
                didWebInvalid.map((d) => `${d}#k`),
                fc.constant(signedOther.proof.verificationMethod),
                unicode,
              ),
            ),
            anyJson,
          ),
        },
        { requiredKeys: [] },
      );
      const enveloped = jwsLike(true)
        .chain(envelopeId)
        .map((id) => ({ '@context': [V2], type: 'EnvelopedVerifiableCredential', id, issuer: vcIssuer.did }));
      const bodies = fc.oneof(
        { arbitrary: mutations(signedOther, [identities, enveloped]), weight: 4 },
        fc.jsonValue().map((v) => JSON.stringify(v)),
        // JSON strings that look like a compact JWS (bug 1: once a 500).
        fc.oneof(jwsLike(true), fc.constantFrom('abc.def.ghi', 'e30.e30.AA')).map((jws) => JSON.stringify(jws)),
      );
      await fc.assert(
        fc.asyncProperty(
          bodies,
          fc.constantFrom('application/json', 'application/vc+ld+json', 'application/ld+json'),
          async (body, type) => {
            const { res, written } = await hostile(() => send('POST', `${OB}/credentials`, body, { ...bearer(), 'content-type': type }));
            if (res.statusCode < 400) return void expect(written).toEqual(res.statusCode === 201 ? { hosted_credentials: 1 } : {});
            expectImsxProblem(res, [400, 413]);
          },
        ),
        { numRuns: 50 },
      );
    });

    it('upsertCredential (text/plain): random text and random VC-JWTs get a 400 problem with Imsx_StatusInfo, never a 5xx or a write', async () => {
      const text = fc.oneof(
        { arbitrary: jwsLike(false), weight: 3 },
        // Compact-JWS-shaped text whose header or payload is not base64url JSON (bug 1: once a 500), and any text.
        jwsLike(true),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.constantFrom('', ' ', '.', '..', 'a.b', 'a.b.c.d', 'e30.e30.', 'e30.e30.AA', ' e30.e30.AA\n', '.e30.AA', 'e30..AA'),
      );
      await fc.assert(
        fc.asyncProperty(text, fc.constantFrom('text/plain', 'text/plain; charset=utf-8'), async (body, type) => {
          const { res } = await hostile(() => send('POST', `${OB}/credentials`, body, { ...bearer(), 'content-type': type }));
          expectImsxProblem(res, [400, 413]);
        }),
        { numRuns: 50 },
      );
    });

    it('upsertCredential: other media types and raw bytes get a 4xx problem with Imsx_StatusInfo, never a 5xx or a write', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(foreignContentType([...JSON_MEDIA_TYPES, 'text/plain']), fc.constant(Buffer.from(JSON.stringify(signedOther)))),
            // Forms that repeat a name (bug 6: once a 500).
            fc.tuple(
              fc.constant(FORM),
              fc.constantFrom('a=1&a=2', 'id=x&issuer=y&id=z').map((f) => Buffer.from(f)),
            ),
            fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES), rawBytes(signedOther)),
            fc.tuple(
              fc.constant('text/plain'),
              fc.uint8Array({ maxLength: 1024 }).map((b) => Buffer.from(b)),
            ),
          ),
          async ([type, bytes]) => {
            const { res } = await hostile(() =>
              send('POST', `${OB}/credentials`, bytes, { ...bearer(), 'content-type': type || undefined }),
            );
            expectImsxProblem(res);
          },
        ),
        { numRuns: 40 },
      );
    });

    it('putProfile: hostile profiles get 200 (stored as sent) or a 400 problem with Imsx_StatusInfo, never a 5xx', async () => {
      await fc.assert(
        fc.asyncProperty(mutations(validProfile()), fc.constantFrom('application/json', 'application/ld+json'), async (body, type) => {
          const { res, written } = await hostile(() => send('PUT', `${OB}/profile`, body, { ...bearer(), 'content-type': type }));
          if (res.statusCode >= 400) return void expectImsxProblem(res, [400, 413]);
          expect(res.statusCode).toBe(200);
          expect(res.json()).toEqual(JSON.parse(body));
          expect(Object.keys(written).filter((table) => table !== 'earner_profiles')).toEqual([]);
        }),
        { numRuns: 50 },
      );
    });

    it('putProfile: other media types and raw bytes get a 4xx problem with Imsx_StatusInfo', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(foreignContentType(JSON_MEDIA_TYPES), fc.constant(Buffer.from(JSON.stringify(validProfile())))),
            // Forms that repeat a name (bug 6: once a 500).
            fc.tuple(
              fc.constant(FORM),
              fc.constantFrom('a=1&a=2', 'name=x&type=Profile&name=y').map((f) => Buffer.from(f)),
            ),
            fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES), rawBytes(validProfile())),
          ),
          async ([type, bytes]) => {
            const { res } = await hostile(() => send('PUT', `${OB}/profile`, bytes, { ...bearer(), 'content-type': type || undefined }));
            expectImsxProblem(res);
          },
        ),
        { numRuns: 30 },
      );
    });

    it('getCredentials: random query strings get 200 or a 400 problem with Imsx_StatusInfo, never a 5xx', async () => {
      const number = fc.oneof(
        fc.integer({ min: -5, max: 600 }).map(String),
        fc.constantFrom(
          '0',
          '1',
          '500',
          '501',
          '10000000',
          '10000001',
          '-1',
          '1.5',
          '1e2',
          '0x10',
          ' 1',
          '1 ',
          '+1',
          '',
          'NaN',
          'Infinity',
          '9007199254740993',
          '1,2',
          '٣',
        ),
        unicode,
      );
      const since = fc.oneof(
        fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }).chain((d) => {
          const iso = d.toISOString();
          return fc.constantFrom(
            iso,
            iso.toLowerCase(),
            iso.replace('T', ' '),
            iso.replace(/\.\d+Z$/, 'Z'),
            iso.replace('Z', '+00:00'),
            iso.replace('Z', '-23:59'),
            iso.replace('Z', '+05:30'),
          );
        }),
        dateText,
      );
      const pair = fc.oneof(
        { arbitrary: fc.tuple(fc.constantFrom('limit', 'offset'), number), weight: 3 },
        { arbitrary: fc.tuple(fc.constant('since'), since), weight: 3 },
        fc.tuple(fc.string({ maxLength: 8 }), fc.oneof(number, unicode)),
      );
      const rawQuery = fc.constantFrom(
        'limit=%',
        'limit=%E0%A4%A',
        'since=%zz',
        '&&&',
        '=',
        'limit[]=1',
        'limit[0]=1',
        'limit=1&limit=2',
        'limit=1;offset=2',
        'since',
      );
      await fc.assert(
        fc.asyncProperty(fc.array(pair, { maxLength: 4 }), fc.option(rawQuery, { freq: 4 }), async (pairs, raw) => {
          const query = [new URLSearchParams(pairs).toString(), raw].filter((q) => q).join('&');
          const { res } = await hostile(() => send('GET', `${OB}/credentials?${query}`, undefined, bearer()));
          if (res.statusCode >= 400) return void expectImsxProblem(res, [400]);
          expect(res.statusCode).toBe(200);
          const body = res.json();
          expect(Array.isArray(body.credential) && Array.isArray(body.compactJwsString)).toBe(true);
          expect(String(res.headers['x-total-count'])).toMatch(/^\d+$/);
          expect(res.headers.link).toContain('rel="first"');
        }),
        { numRuns: 60 },
      );
    });

    it('every resource endpoint answers a missing, malformed or wrong bearer token with 401 Imsx_StatusInfo', async () => {
      const authorization = fc.oneof(
        fc.constant(undefined),
        fc.stringMatching(/^[A-Za-z0-9_-]{43}$/).map((s) => `Bearer oba_${s}`),
        fc.constantFrom(
          `Bearer ${refresh}`,
          `Bearer ${access}x`,
          `Bearer:${access}`, // (RFC 6750 allows one or more spaces, and any case, after Bearer)
          `Basic ${Buffer.from('a:b').toString('base64')}`,
          'Bearer',
          'Bearer ',
        ),
        headerText,
      );
      const operation = fc.constantFrom<[Method, string]>(
        ['GET', '/credentials'],
        ['POST', '/credentials'],
        ['GET', '/profile'],
        ['PUT', '/profile'],
      );
      await fc.assert(
        fc.asyncProperty(operation, authorization, async ([method, path], auth) => {
          const { res } = await hostile(() =>
            send(method, `${OB}${path}`, method === 'GET' ? undefined : JSON.stringify(validProfile()), {
              authorization: auth,
              'content-type': method === 'GET' ? undefined : 'application/json',
            }),
          );
          expect(expectImsxProblem(res, [401])).toBe('unauthorizedrequest');
          expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
        }),
        { numRuns: 30 },
      );
    });
  });

  // ---- regressions: bugs these properties found ---------------------------------------------------------------

  describe('regressions', () => {
    const upsert = (payload: string, type: string) =>
      send('POST', `${OB}/credentials`, payload, { authorization: `Bearer ${access}`, 'content-type': type });
    const verifyJson = (verifiableCredential: unknown) =>
      send('POST', '/credentials/verify', JSON.stringify({ verifiableCredential }), { 'content-type': 'application/json' });
    /** The answer must have one of `statuses` and the request must have written nothing. */
    async function expectRefused(request: () => Promise<LightMyRequestResponse>, statuses = [400]) {
      const before = await countRows();
      const res = await request();
      expect(await countRows()).toEqual(before);
      expect(statuses, `${res.statusCode} ${res.body.slice(0, 300)}`).toContain(res.statusCode);
      return res;
    }

    // Bug 1 (fixed in aeee6c7). src/services/ob3-api.ts upsert: decodeJws threw JwtFormatError (not a Problem) for
    // compact-JWS-shaped text whose header or payload is not base64url JSON: a 500.
    it.each([
      ['text/plain "abc.def.ghi"', 'abc.def.ghi', 'text/plain'],
      ['a JSON string "abc.def.ghi"', '"abc.def.ghi"', 'application/json'],
      ['a JWS with a JSON header and a non-JSON payload', `${b64u({ alg: 'ES256' })}.AAAA.AAAA`, 'text/plain'],
    ])('bug 1 (fixed): upsertCredential answers %s with a 400 problem, not 500', async (_name, body, type) => {
      expectImsxProblem(await expectRefused(() => upsert(body, type)), [400]);
    });

    // Bug 2 (fixed in a2d6a05). new Date(seconds * 1000).toISOString() threw RangeError for an nbf or exp beyond the
    // Date range (|n| > 8.64e12 s; 1e300 is an ordinary JSON number): src/credentials/verify.ts nbfDate (whenever the
    // kid is a DID URL) and jwtTimeProblem (whatever the kid). A 500.
    const outOfRange = (claims: Json, kid?: string) =>
      `${b64u({ alg: 'EdDSA', ...(kid === undefined ? {} : { kid }) })}.${b64u({
        '@context': [V2],
        id: 'urn:uuid:1b1b1b1b-0000-4000-8000-000000000001',
        type: ['VerifiableCredential'],
        issuer: vcIssuer.did,
        credentialSubject: { id: 'did:example:1' },
        ...claims,
      })}.AAAA`;
    it('bug 2 (fixed): /credentials/verify answers VC-JWTs with nbf or exp out of the Date range with 422, not 500', async () => {
      for (const jwt of [outOfRange({ nbf: 1e300 }, ourKid), outOfRange({ nbf: -1e300 }, ourKid), outOfRange({ exp: -1e300 })]) {
        expectUnverified(await expectRefused(() => verifyJson(jwt), [422]));
        expectUnverified(
          await expectRefused(() => send('POST', '/credentials/verify', jwt, { 'content-type': 'application/vc+jwt' }), [422]),
        );
      }
    });
    it('bug 2 (fixed): upsertCredential answers such a VC-JWT with a 400 problem, not 500', async () => {
      expectImsxProblem(await expectRefused(() => upsert(outOfRange({ nbf: 1e300 }, ourKid), 'text/plain')), [400]);
    });

    // Bug 3 (fixed in a2d6a05). src/credentials/jwt.ts jwtOf: decodeURIComponent on an EnvelopedVerifiableCredential's
    // data: URL threw URIError for malformed %-encoding: a 500 on every endpoint that verifies.
    const envelope = {
      '@context': [V2],
      type: 'EnvelopedVerifiableCredential',
      id: 'data:application/vc+jwt,%E0%A4%A',
      issuer: 'did:example:x',
    };
    it('bug 3 (fixed): an envelope with malformed %-encoding is 422 at /credentials/verify and /presentations/verify, 400 at upsert', async () => {
      expectUnverified(await expectRefused(() => verifyJson(envelope), [422]));
      const presentation = { '@context': [V2], type: ['VerifiablePresentation'], verifiableCredential: [envelope] };
      await expectRefused(
        () => send('POST', '/presentations/verify', JSON.stringify({ presentation }), { 'content-type': 'application/json' }),
        [422],
      );
      expectImsxProblem(await expectRefused(() => upsert(JSON.stringify(envelope), 'application/json')), [400]);
    });

    // Bug 4 (fixed in a2d6a05 for credential.id and upsert). A credential id too long for a btree index entry (after
    // compression, > 2704 bytes) failed the insert with PostgreSQL error 54000: credentials_issuer_vc_id_idx (VC-API
    // issue) and the hosted_credentials_identity unique index (upsertCredential). A 500.
    const longId = () => `urn:x:${crypto.randomBytes(3000).toString('base64url')}`;
    it('bug 4 (fixed): /credentials/issue answers a credential whose id is 4000 random characters with a 400 problem, not 500', async () => {
      const body = JSON.stringify({ credential: { ...validCredential(), id: longId() } });
      expectProblem(
        await expectRefused(() => send('POST', '/credentials/issue', body, { ...vcIssuer.auth, 'content-type': 'application/json' })),
        [400],
      );
    });
    it('bug 4 (fixed): upsertCredential answers a validly signed credential whose id is 4000 random characters with 400, not 500', async () => {
      const other = await createOtherIssuer();
      const { proof: _proof, ...unsigned } = signedOther;
      const signed = await vc.issue({
        credential: { ...unsigned, id: longId(), issuer: { id: other.did, type: ['Profile'], name: 'Other Platform' } },
        suite: new DataIntegrityProof({ signer: other.signer, cryptosuite: eddsaRdfc2022 }),
        documentLoader: independentDocumentLoader,
      });
      expectImsxProblem(await expectRefused(() => upsert(JSON.stringify(signed), 'application/json')), [400]);
    });

    // Bug 5 (fixed). getCredentials: ajv-formats accepts a leap second (RFC 3339 allows :60) as a date-time, but
    // new Date('…T23:59:60Z') is Invalid Date, which PGlite's serializer cannot write: a 500. (On PostgreSQL the driver
    // sends "NaN…" and the database's 22007 became a 400 by accident.) Now a 400 on both, checked before the query.
    it('bug 5 (fixed): getCredentials?since=2016-12-31T23:59:60Z answers 200 or 400, not 500', async () => {
      const res = await send('GET', `${OB}/credentials?since=2016-12-31T23%3A59%3A60Z`, undefined, { authorization: `Bearer ${access}` });
      expect([200, 400], res.body.slice(0, 300)).toContain(res.statusCode);
    });

    // Bug 6 (fixed in a2d6a05). The OAuth form parser rejected a repeated name with an OAuthError, whose body the
    // resource routes' 400 response schema (Problem) could not serialize: a 500 on upsertCredential and putProfile.
    it('bug 6 (fixed): upsertCredential and putProfile answer a form that repeats a name with a 400 problem, not 500', async () => {
      expectImsxProblem(await expectRefused(() => upsert('a=1&a=2', FORM)), [400]);
      const put = () => send('PUT', `${OB}/profile`, 'a=1&a=2', { authorization: `Bearer ${access}`, 'content-type': FORM });
      expectImsxProblem(await expectRefused(put), [400]);
    });

    // Bug 7 (fixed in a2d6a05; shape). Fastify's body validation and JSON parser answered register, token and revoke
    // with problem+json, where RFC 6749 / 7591 (and register's own response schema) say {error, error_description}.
    it.each([
      ['register', 'a JSON array', '[]'],
      ['register', 'a JSON string', '"client"'],
      ['register', 'metadata with a "__proto__" member', '{"client_name":"W","__proto__":{}}'],
      ['register', 'malformed JSON', '{"client_name":'],
      ['token', 'malformed JSON', '{'],
      ['revoke', 'malformed JSON', '{'],
    ])('bug 7 (fixed): %s answers %s with an RFC 6749/7591 error body', async (endpoint, _what, body) => {
      const res = await expectRefused(() =>
        send('POST', `${OB}/oauth/${endpoint}`, body, { 'content-type': 'application/json', authorization: basic() }),
      );
      expectOAuthError(res, endpoint === 'register' ? ['invalid_client_metadata'] : ['invalid_request']);
    });

    // Bug 8 (fixed in a2d6a05; shape). POST /oauth/authorize with a repeated form name answered the person with JSON.
    it('bug 8 (fixed): the consent form with a repeated name gets the HTML error page, not JSON', async () => {
      const form = `${new URLSearchParams({ ...authorizeParams(), decision: 'approve' }).toString()}&state=again`;
      const res = await expectRefused(() => send('POST', `${OB}/oauth/authorize`, form, { 'content-type': FORM }));
      expect(res.headers['content-type'], res.body.slice(0, 200)).toMatch(/^text\/html/);
    });

    // Bug 9 (fixed; found after a2d6a05). The OAuth endpoints answer an unreadable body with {error, error_description}
    // and its status, but /oauth/token and /oauth/revoke declare 415 as a Problem response: serializing the OAuth body
    // through that schema failed, so a body without Content-Type, or of a type they do not read, was a 500.
    it.each([
      ['token', 'no Content-Type', undefined],
      ['token', 'application/xml', 'application/xml'],
      ['revoke', 'no Content-Type', undefined],
      ['revoke', 'application/xml', 'application/xml'],
    ])('bug 9 (fixed): /oauth/%s answers a body with %s with 415 and an RFC 6749 error, not 500', async (endpoint, _what, type) => {
      const res = await expectRefused(
        () => send('POST', `${OB}/oauth/${endpoint}`, 'grant_type=refresh_token&token=x', { 'content-type': type, authorization: basic() }),
        [415],
      );
      expectOAuthError(res, ['invalid_request'], [415]);
    });

    // Bug 10 (fixed). POST /credentials/issue: options.credentialId is limited to 2048 characters by the schema, and only
    // credential.id to 2048 bytes (MAX_ID_BYTES); 2048 CJK characters are 6 KB, too long for credentials_issuer_vc_id_idx
    // when incompressible (PostgreSQL 54000): a 500. options.credentialId now has the same byte limit (a 400).
    it('bug 10 (fixed): /credentials/issue answers options.credentialId of 2000 random CJK characters with 400 (or 201), not 500', async () => {
      const cjk = Array.from(crypto.randomBytes(2000), (b, i) => String.fromCharCode(0x4e00 + b * 64 + (i % 64))).join('');
      const { id: _id, ...credential } = validCredential(); // credentialId names a credential that has no id
      const body = JSON.stringify({ credential, options: { credentialId: `urn:x:${cjk}` } });
      const before = await countRows();
      const res = await send('POST', '/credentials/issue', body, { ...vcIssuer.auth, 'content-type': 'application/json' });
      expect([201, 400], `${res.statusCode} ${res.body.slice(0, 300)}`).toContain(res.statusCode);
      if (res.statusCode === 400) expect(await countRows()).toEqual(before);
    });
  });
});
