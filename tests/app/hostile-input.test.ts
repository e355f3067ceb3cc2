/**
 * Hostile input on every write endpoint (STYLE §4): whatever arrives, the answer is a 4xx problem+json (or, for
 * verify, a "not verified" report), no row is written, and nothing is looked up on the network. DNS is observed
 * through node:dns's lookup, which src/net/safe-fetch.ts calls for every outbound host; names under `.invalid`
 * are answered NXDOMAIN here (RFC 6761) so the suite needs no resolver.
 */
import fs from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countCredentials } from '../../src/db/repositories/credentials.js';
import {
  getAt,
  invalidHost,
  JSON_MEDIA_TYPES,
  kind,
  mayLookUp,
  nested,
  paths,
  rawBytes,
  setAt,
  unicode,
  type Path,
  dropAt,
  foreignContentType,
  fakeDnsLookup,
  type LookupSpy,
} from '../helpers/hostile.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, definition, issueRequest, type Issuer } from '../helpers/factories.js';

type Json = Record<string, unknown>;
const shippedContexts = new Set(
  (JSON.parse(fs.readFileSync(new URL('../../contexts/manifest.json', import.meta.url), 'utf8')) as Array<{ url: string }>).map(
    (c) => c.url,
  ),
);

// ---- JSON paths -------------------------------------------------------------------------------------------

const p = (dotted: string): Path => dotted.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));

// ---- generators -------------------------------------------------------------------------------------------

const deep = fc
  .tuple(fc.integer({ min: 150, max: 250 }), fc.constantFrom<'array' | 'object'>('array', 'object'), fc.jsonValue({ maxDepth: 1 }))
  .map(([depth, shape, leaf]) => nested(depth, shape, leaf));
/** Longer than any maxLength in the API (20 000), ASCII or multi-byte. */
const huge = fc
  .tuple(fc.constantFrom('x', 'é', '中', '😀', '\u0000', '\u202e'), fc.integer({ min: 20_001, max: 60_000 }))
  .map(([c, n]) => c.repeat(n));
/** A value of another JSON type than `original` (so never valid where `original` was). */
const wrongType = (original: unknown) => fc.oneof(fc.jsonValue({ maxDepth: 2 }), unicode, deep).filter((v) => kind(v) !== kind(original));
const PROTO_KEY = '__hostile_key_4f1c__';
/** Raw JSON text with a "__proto__" or "constructor.prototype" member injected into the object at `path`. */
const withPoisonKey = (valid: unknown) =>
  fc
    .tuple(
      fc.constantFrom(...paths(valid, true)),
      fc.constantFrom('__proto__', 'constructor'),
      fc.dictionary(unicode, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    )
    .map(([path, key, extra]) => {
      const payload = { polluted: true, ...extra };
      const value = key === 'constructor' ? { prototype: payload } : payload;
      const text = JSON.stringify(setAt(valid, [...path, PROTO_KEY], value));
      return text.replace(JSON.stringify(PROTO_KEY), JSON.stringify(key));
    });

/**
 * Bodies that cannot be valid: any JSON value, or the valid body with a required field dropped, a field of the
 * wrong type, an unknown (unicode) property, an over-long string, 200-level nesting or a poisoned key.
 */
function hostileBody(valid: unknown, droppable: Path[], options: { openObjects?: boolean; ignored?: string } = {}): fc.Arbitrary<string> {
  // Below an ignored member (verify's `options`) anything goes: only replacing the member itself by a non-object counts.
  const all = paths(valid).filter((path) => path[0] !== options.ignored);
  const strings = all.filter((path) => typeof getAt(valid, path) === 'string');
  const mutations: Array<fc.Arbitrary<unknown>> = [
    fc.jsonValue(),
    fc.constantFrom(...droppable).map((path) => dropAt(valid, path)),
    fc.constantFrom(...all).chain((path) => wrongType(getAt(valid, path)).map((v) => setAt(valid, path, v))),
    fc.tuple(fc.constantFrom(...strings), huge).map(([path, filler]) => setAt(valid, path, `${String(getAt(valid, path))}${filler}`)),
    fc.tuple(fc.constantFrom(...all), deep).map(([path, value]) => setAt(valid, path, value)),
    deep,
  ];
  if (options.ignored !== undefined)
    mutations.push(
      wrongType({})
        .filter((v) => kind(v) !== 'undefined')
        .map((v) => setAt(valid, [options.ignored!], v)),
    );
  if (!options.openObjects) {
    // The request schemas are closed: a key no schema defines (the emoji makes sure) is a 400.
    const objects = paths(valid, true);
    mutations.push(
      fc
        .tuple(fc.constantFrom(...objects), unicode, fc.jsonValue({ maxDepth: 1 }))
        .map(([path, key, v]) => setAt(valid, [...path, `💥${key}`], v)),
    );
  }
  return fc.oneof(
    { arbitrary: fc.oneof(...mutations).map((v) => JSON.stringify(v) ?? 'null'), weight: 6 },
    { arbitrary: withPoisonKey(valid), weight: 1 },
  );
}

/** A did:web under `.invalid`, sometimes with a port or a path. */
const didWeb = fc
  .tuple(invalidHost, fc.option(fc.integer({ min: 1, max: 65_535 })), fc.array(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), { maxLength: 3 }))
  .map(([host, port, segments]) => ['did:web', `${host}${port === null ? '' : `%3A${port}`}`, ...segments].join(':'));
const proofValue = fc.oneof(fc.stringMatching(/^z[1-9A-HJ-NP-Za-km-z]{40,90}$/), fc.base64String({ maxLength: 120 }), unicode);
const randomProof = (method: fc.Arbitrary<string>) =>
  fc.record(
    {
      type: fc.oneof(
        fc.constantFrom('DataIntegrityProof', 'Ed25519Signature2020', 'Ed25519Signature2018', 'JsonWebSignature2020'),
        unicode,
      ),
      cryptosuite: fc.oneof(fc.constantFrom('eddsa-rdfc-2022', 'eddsa-jcs-2022', 'ecdsa-rdfc-2019', 'bbs-2023'), unicode),
      created: fc.oneof(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
        unicode,
      ),
      verificationMethod: fc.oneof(method, fc.jsonValue({ maxDepth: 1 })),
      proofPurpose: fc.oneof(fc.constantFrom('assertionMethod', 'authentication', 'capabilityInvocation'), unicode),
      proofValue,
      jws: fc.string({ maxLength: 80 }),
    },
    { requiredKeys: ['type', 'verificationMethod'] },
  );

// ---- the suite --------------------------------------------------------------------------------------------

describe(`hostile input on write endpoints (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;
  let credential: Json;
  let baseline: Awaited<ReturnType<typeof countRows>>;
  let lookupSpy: LookupSpy;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);

  const countRows = async () => {
    const count = async (table: 'achievements' | 'achievement_versions' | 'api_keys' | 'audit_events') =>
      Number(
        (
          await t.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const erased = Number(
      (
        await t.database.db
          .selectFrom('credentials')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('recipient_erased_at', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
    return {
      credentials: await countCredentials(t.database.db),
      achievements: await count('achievements'),
      versions: await count('achievement_versions'),
      apiKeys: await count('api_keys'),
      auditEvents: await count('audit_events'),
      erased,
    };
  };
  const lookedUp = () => lookupSpy.mock.calls.map((call) => String(call[0]));

  beforeAll(async () => {
    lookupSpy = fakeDnsLookup();
    t = await createTestApp();
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
    const issued = await t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(achievementId) });
    if (issued.statusCode !== 201) throw new Error(issued.body);
    credential = issued.json();
    baseline = await countRows();
  });
  afterAll(async () => {
    lookupSpy.mockRestore();
    await t.close();
  });

  const send = (url: string, payload: string | Buffer, headers: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, payload, headers });

  /** A 4xx whose body is RFC 9457 problem details with the same status. */
  const expectProblem = (res: LightMyRequestResponse, statuses?: number[]) => {
    expect(res.statusCode, res.body.slice(0, 500)).toBeGreaterThanOrEqual(400);
    expect(res.statusCode, res.body.slice(0, 500)).toBeLessThan(500);
    if (statuses) expect(statuses).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({
      type: expect.stringMatching(/\/problems\/[a-z-]+$/),
      title: expect.any(String),
      status: res.statusCode,
    });
  };
  /** A 422 whose body is a VerificationResult that says "not verified". */
  const expectReport = (res: LightMyRequestResponse) => {
    expect(res.statusCode, res.body.slice(0, 500)).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(['checks', 'credentialId', 'errors', 'issuer', 'verified', 'warnings']);
    expect(body.verified).toBe(false);
    expect(body.credentialId === null || typeof body.credentialId === 'string').toBe(true);
    expect(body.issuer === null || typeof body.issuer === 'string').toBe(true);
    for (const check of body.checks) {
      expect(check).toEqual({
        check: expect.stringMatching(/^(shape|schema|issuer|proof|validity|status)$/),
        outcome: expect.stringMatching(/^(pass|fail|error)$/),
        message: expect.any(String),
      });
    }
    expect(body.errors.length).toBeGreaterThan(0);
    expect(body.warnings.every((w: unknown) => typeof w === 'string')).toBe(true);
    return body as { checks: Array<{ check: string; outcome: string }>; errors: string[] };
  };
  /** Verify answers a "not verified" report, or a problem for a malformed request; never 200 or 5xx. */
  const expectUnverified = (res: LightMyRequestResponse) =>
    res.statusCode === 422 ? void expectReport(res) : expectProblem(res, [400, 413, 415]);
  /** Nothing written, no prototype touched, no host looked up outside `.invalid` and loopback. */
  const expectNoSideEffects = async () => {
    expect(await countRows()).toEqual(baseline);
    expect(({} as Json).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(lookedUp().filter((host) => !mayLookUp(host))).toEqual([]);
  };

  interface Endpoint {
    readonly name: string;
    readonly url: () => fc.Arbitrary<string>;
    /** The URL of the example-based tests. */
    readonly example: () => string;
    readonly headers: () => Record<string, string>;
    readonly valid: () => unknown;
    readonly droppable: () => Path[];
    readonly verify?: true;
  }
  const DEFINITION_REQUIRED = [
    'name',
    'description',
    'criteria',
    'criteria.narrative',
    'image.url',
    'alignments.0.targetName',
    'alignments.0.targetUrl',
    'rubric.0.key',
    'rubric.0.name',
    'rubric.0.levels',
    'rubric.1.levels.0.key',
    'rubric.0.levels.2.name',
    'evidenceRequirements.1.name',
    'creator.name',
  ].map(p);
  const endpoints: Endpoint[] = [
    {
      name: 'POST /achievements',
      url: () => fc.constant('/achievements'),
      example: () => '/achievements',
      headers: () => issuer.auth,
      valid: () => definition(),
      droppable: () => DEFINITION_REQUIRED,
    },
    {
      name: 'POST /achievements/{id}/versions',
      url: () =>
        fc
          .oneof(fc.constant(achievementId), fc.uuid(), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }))
          .map((id) => `/achievements/${encodeURIComponent(id)}/versions`),
      example: () => `/achievements/${achievementId}/versions`,
      headers: () => issuer.auth,
      valid: () => definition(),
      droppable: () => DEFINITION_REQUIRED,
    },
    {
      name: 'POST /credentials',
      url: () => fc.constant('/credentials'),
      example: () => '/credentials',
      headers: () => issuer.auth,
      valid: () => issueRequest(achievementId),
      droppable: () =>
        [
          'achievement',
          'achievement.id',
          'recipient',
          'recipient.identity',
          'evidence',
          'results.0.criterion',
          'results.1.level',
          'assessor.name',
          'assessor.organization.name',
        ].map(p),
    },
    {
      name: 'POST /api-keys',
      url: () => fc.constant('/api-keys'),
      example: () => '/api-keys',
      headers: () => issuer.auth,
      valid: () => ({ name: 'LMS integration', scopes: ['issue', 'revoke'], expiresAt: '2030-01-01T00:00:00Z' }),
      droppable: () => ['name', 'scopes'].map(p),
    },
    {
      name: 'POST /recipients/erase',
      url: () => fc.constant('/recipients/erase'),
      example: () => '/recipients/erase',
      headers: () => issuer.auth,
      valid: () => ({ identity: 'teacher.one@district.example', identityType: 'emailAddress' }),
      droppable: () => ['identity'].map(p),
    },
    {
      name: 'POST /credentials/verify',
      url: () => fc.constant('/credentials/verify'),
      example: () => '/credentials/verify',
      headers: () => ({}),
      valid: () => ({ verifiableCredential: credential, options: { checks: ['proof'] } }),
      // Every field of a signed credential is signed: dropping any of them must fail verification.
      droppable: () => [['verifiableCredential'], ...paths(credential).map((path) => ['verifiableCredential', ...path])],
      verify: true,
    },
  ];

  describe.each(endpoints.map((e) => [e.name, e] as const))('%s', (_name, endpoint) => {
    const answer = (res: LightMyRequestResponse) => (endpoint.verify ? expectUnverified(res) : expectProblem(res));

    it('answers hostile JSON bodies with a 4xx problem (verify: not verified), writing and fetching nothing', async () => {
      await fc.assert(
        fc.asyncProperty(
          endpoint.url(),
          hostileBody(endpoint.valid(), endpoint.droppable(), endpoint.verify ? { openObjects: true, ignored: 'options' } : {}),
          fc.constantFrom(...JSON_MEDIA_TYPES),
          async (url, body, type) => {
            answer(await send(url, body, { ...endpoint.headers(), 'content-type': type }));
            await expectNoSideEffects();
          },
        ),
        { numRuns: 100 },
      );
    });

    it('answers other media types, raw bytes and truncated JSON with a 4xx problem, writing nothing', async () => {
      const valid = endpoint.valid();
      const wrongMedia = fc.tuple(foreignContentType(JSON_MEDIA_TYPES), fc.constant(Buffer.from(JSON.stringify(valid))));
      const badBytes = fc.tuple(fc.constantFrom(...JSON_MEDIA_TYPES, 'application/json; charset=utf-8'), rawBytes(valid));
      await fc.assert(
        fc.asyncProperty(endpoint.url(), fc.oneof(wrongMedia, badBytes), async (url, [type, bytes]) => {
          const res = await send(url, bytes, { ...endpoint.headers(), ...(type === '' ? {} : { 'content-type': type }) });
          expectProblem(res);
          await expectNoSideEffects();
        }),
        { numRuns: 60 },
      );
    });

    it('answers a 5 MB body with 413 problem+json', async () => {
      const res = await send(endpoint.example(), `{"name":"${'x'.repeat(5 * 1024 * 1024)}"}`, {
        ...endpoint.headers(),
        'content-type': 'application/json',
      });
      expectProblem(res, [413]);
      await expectNoSideEffects();
    });

    it.each([
      ['arrays', `${'['.repeat(10_000)}${']'.repeat(10_000)}`],
      ['objects', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`],
    ])('answers JSON nested 10,000 levels deep (%s) with a 4xx, not a crash', async (_shape, nestedText) => {
      const text = endpoint.verify ? `{"verifiableCredential":${nestedText}}` : nestedText;
      answer(await send(endpoint.example(), text, { ...endpoint.headers(), 'content-type': 'application/json' }));
      expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      await expectNoSideEffects();
    });
  });

  describe('POST /credentials/verify with foreign material', () => {
    const verify = (verifiableCredential: unknown) =>
      send('/credentials/verify', JSON.stringify({ verifiableCredential }), { 'content-type': 'application/json' });

    it('names every remote context it does not ship, and fetches none of them', async () => {
      const remote = fc
        .webUrl({ validSchemes: ['http', 'https'], withQueryParameters: true, withFragments: true })
        .filter((url) => !shippedContexts.has(url));
      await fc.assert(
        fc.asyncProperty(fc.uniqueArray(remote, { minLength: 1, maxLength: 3 }), fc.nat(), async (urls, at) => {
          const foreign = structuredClone(credential);
          const contexts = foreign['@context'] as unknown[];
          contexts.splice(1 + (at % contexts.length), 0, ...urls);
          const errors = expectReport(await verify(foreign)).errors.join('\n');
          expect(errors).toMatch(/not one this service ships; remote contexts are never fetched/);
          for (const url of urls) expect(errors).toContain(url);
          await expectNoSideEffects();
        }),
        { numRuns: 50 },
      );
    });

    it.each([['did:web:context-host.invalid'], ['did:web:context-host.invalid:contexts:v1']])(
      'treats the DID URL %s used as a JSON-LD context as a context it does not ship, and never resolves it',
      async (context) => {
        const foreign = structuredClone(credential);
        (foreign['@context'] as unknown[]).push(context);
        const before = lookedUp().length;
        const errors = expectReport(await verify(foreign)).errors.join('\n');
        expect(lookedUp().slice(before)).not.toContain('context-host.invalid');
        expect(errors).toMatch(/not one this service ships/);
        expect(errors).toContain(context);
        await expectNoSideEffects();
      },
    );

    it('never verifies random proofs, and resolves random did:web issuers only by looking up their (unresolvable) host', async () => {
      const before = lookedUp().length;
      await fc.assert(
        fc.asyncProperty(
          didWeb,
          fc.boolean(),
          fc.nat(5),
          fc.oneof(randomProof(fc.constant('')), fc.array(randomProof(fc.constant('')), { maxLength: 3 })),
          async (did, asObject, keyNo, proofs) => {
            const forged = structuredClone(credential);
            forged.issuer = asObject ? { ...(forged.issuer as Json), id: did } : did;
            const withMethod = (proof: Json) =>
              typeof proof.verificationMethod === 'string' ? { ...proof, verificationMethod: `${did}#key-${keyNo}` } : proof;
            forged.proof = Array.isArray(proofs) ? proofs.map(withMethod) : withMethod(proofs);
            const body = expectReport(await verify(forged));
            expect(body.checks.find((c) => c.check === 'issuer')?.outcome).not.toBe('pass');
            expect(body.checks.find((c) => c.check === 'proof')?.outcome).not.toBe('pass');
            await expectNoSideEffects();
          },
        ),
        { numRuns: 50 },
      );
      // The spy did see the did:web hosts: the "no other host" assertion above is not vacuous.
      expect(
        lookedUp()
          .slice(before)
          .some((host) => host.endsWith('.invalid')),
      ).toBe(true);
    });

    it('never verifies the real credential with a random proof object in place of its own', async () => {
      const method = fc.oneof(
        didWeb.map((did) => `${did}#key-1`),
        fc.webUrl(),
        fc.constant(String((credential.proof as Json[])[0]!.verificationMethod)),
        unicode,
      );
      await fc.assert(
        fc.asyncProperty(fc.oneof(randomProof(method), fc.jsonValue({ maxDepth: 2 })), async (proof) => {
          expectUnverified(await verify({ ...credential, proof }));
          await expectNoSideEffects();
        }),
        { numRuns: 50 },
      );
    });
  });

  it('refuses {"__proto__": {"polluted": true}} as an issue body with 400, leaving Object.prototype alone', async () => {
    for (const text of [
      '{"__proto__": {"polluted": true}}',
      JSON.stringify(issueRequest(achievementId)).replace(/^\{/, '{"__proto__":{"polluted":true},'),
      '{"constructor": {"prototype": {"polluted": true}}}',
    ]) {
      const res = await send('/credentials', text, { ...issuer.auth, 'content-type': 'application/json' });
      expectProblem(res, [400]);
      expect(({} as Json).polluted).toBeUndefined();
    }
    await expectNoSideEffects();
  });

  describe('control characters in text fields', () => {
    const achievement = (overrides: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/achievements', headers: issuer.auth, payload: definition(overrides) });
    const issue = (overrides: Record<string, unknown>) =>
      t.app.inject({ method: 'POST', url: '/credentials', headers: issuer.auth, payload: issueRequest(achievementId, overrides) });

    it.each([
      ['an achievement named A\\u0001B', () => achievement({ name: 'A\u0001B' })],
      ['a NUL in a description', () => achievement({ description: 'Checks for understanding\u0000' })],
      ['an escape sequence in a tag', () => achievement({ tags: ['assessment', '\u001b[31mred'] })],
      ['a vertical tab in a criteria narrative', () => achievement({ criteria: { narrative: 'Submit\u000ba plan' } })],
      [
        'a form feed in an alignment name',
        () => achievement({ alignments: [{ targetName: 'InTASC\u000c6', targetUrl: 'https://ccsso.org/intasc' }] }),
      ],
      ['DEL in a recipient name', () => issue({ recipient: { identity: 'teacher.two@district.example', name: 'Jordan\u007f' } })],
      ['a control character in a recipient identity', () => issue({ recipient: { identity: 'teacher.two\u0007@district.example' } })],
      [
        'a control character in an evidence name',
        () => issue({ evidence: [{ url: 'https://portfolio.example.org/1', name: 'Plan\u0002' }] }),
      ],
    ])('refuses %s with 400, writing nothing', async (_name, send) => {
      const res = await send();
      expectProblem(res, [400]);
      expect(JSON.parse(res.body).type).toMatch(/\/problems\/validation-failed$/);
      await expectNoSideEffects();
    });

    it('accepts tab, CR and LF in text (and refuses text that is only controls or blank)', async () => {
      expectProblem(await achievement({ name: '\t\r\n' }), [400]);
      await expectNoSideEffects();
      const res = await achievement({ name: 'Assessment\tPlanning', description: 'First line.\r\nSecond line.\nThird.' });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json().achievement.name).toBe('Assessment\tPlanning');
      baseline = await countRows(); // later tests compare with what exists now
    });

    // Possible bug (src/schemas/common.ts Text): only C0 controls and DEL are refused; C1 controls (U+0080–U+009F,
    // Unicode category Cc, e.g. U+009B, the 8-bit CSI that terminals read as an escape, and U+0085 NEL) pass.
    it('refuses C1 control characters too, e.g. A\\u009bB and A\\u0085B (bug: 201)', async () => {
      const statuses: number[] = [];
      for (const name of ['A\u009bB', 'A\u0085B']) {
        const res = await achievement({ name });
        statuses.push(res.statusCode);
      }
      baseline = await countRows();
      expect(statuses).toEqual([400, 400]);
    });
  });
});
