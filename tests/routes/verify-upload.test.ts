/**
 * Verifying uploaded files through a real listening server (multipart/form-data, as browsers and curl send it):
 * the badges and credential files this service hands out verify when uploaded back, tampered bakes fail on their
 * proof, other issuers' baked badges verify, and nothing a client can send makes the verifier answer 5xx or write
 * to the database. Also the HTML form at /verify, which works without scripts.
 */
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import fc from 'fast-check';
import { sql } from 'kysely';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bakePng } from '../../src/artifacts/png.js';
import { bakeSvg } from '../../src/artifacts/svg.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backendName } from '../helpers/database.js';
import { createAchievement, createIssuer, issueRequest, type Issuer } from '../helpers/factories.js';
import { independentDocumentLoader } from '../helpers/independent-verifier.js';
import { createOtherIssuer, otherAchievementSubject } from '../helpers/other-issuer.js';
import { pngChunk } from '../helpers/png.js';

type Json = Record<string, any>;
type ProofType = 'eddsa-rdfc-2022' | 'Ed25519Signature2020';

const ACHIEVEMENT_NAME = 'Formative Assessment: Checking for Understanding';
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
const TABLES = [
  'settings',
  'issuers',
  'issuer_keys',
  'api_keys',
  'achievements',
  'achievement_versions',
  'credentials',
  'status_lists',
  'status_entries',
  'credential_status_events',
  'audit_events',
  'earner_links',
  'clr_credentials',
] as const;

interface Part {
  readonly field?: string;
  readonly name?: string;
  readonly type?: string;
  readonly bytes: Uint8Array | string;
}

/** A multipart/form-data body with the given file parts (Blob copies the bytes, so callers may reuse buffers). */
function formOf(...parts: Part[]): FormData {
  const form = new FormData();
  for (const part of parts) {
    const bytes = typeof part.bytes === 'string' ? part.bytes : new Uint8Array(part.bytes);
    form.append(part.field ?? 'file', new Blob([bytes], { type: part.type ?? 'application/octet-stream' }), part.name ?? 'upload.bin');
  }
  return form;
}

/** A plain 16×16 PNG made without anything from src/ (pngjs). */
function plainPng(): Buffer {
  const image = new PNG({ width: 16, height: 16 });
  image.data.fill(0x80);
  return PNG.sync.write(image);
}

/** Inserts a chunk right after IHDR. */
function withChunkAfterIhdr(png: Buffer, chunk: Buffer): Buffer {
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** The credential with another achievement name (its proof no longer matches). */
const renamed = (credential: Json, name = 'Forged Achievement'): Json => ({
  ...credential,
  credentialSubject: { ...credential.credentialSubject, achievement: { ...credential.credentialSubject.achievement, name } },
});

const checkOf = (report: Json, name: string) => (report.checks as Json[]).find((c) => c.check === name);

async function expectProblem(res: Response, status: number, slug?: string): Promise<Json> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(text) as Json;
  expect(body).toMatchObject({ status, title: expect.any(String) });
  if (slug !== undefined) expect(body.type).toMatch(new RegExp(`/problems/${slug}$`));
  return body;
}

describe(`verifying uploaded files (${backendName})`, () => {
  let t: TestApp;
  let issuer: Issuer;
  let achievementId: string;
  /** An eddsa-rdfc-2022 credential and its files, shared by the tests that only need some valid file. */
  let credential: Json;
  let credentialUrl: string;
  let png: Buffer;
  let svg: string;

  beforeAll(async () => {
    t = await createTestApp({ listen: true });
    issuer = await createIssuer(t.app.services);
    achievementId = (await createAchievement(t.app, issuer)).id;
    credential = await issue('eddsa-rdfc-2022');
    credentialUrl = credential.id;
    png = Buffer.from(await (await fetch(`${credentialUrl}/badge.png`)).arrayBuffer());
    svg = await (await fetch(`${credentialUrl}/badge.svg`)).text();
  });
  afterAll(() => t?.close());

  async function issue(proofType: ProofType): Promise<Json> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/credentials',
      headers: issuer.auth,
      payload: issueRequest(achievementId, { proofType }),
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  }
  const upload = (form: FormData, path = '/credentials/verify') => fetch(`${t.baseUrl}${path}`, { method: 'POST', body: form });
  const verifyJson = (verifiableCredential: unknown) =>
    fetch(`${t.baseUrl}/credentials/verify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verifiableCredential }),
    });

  /** A fingerprint of every row of every table: equal before and after means nothing was written. */
  const snapshot = async (): Promise<Record<string, string>> => {
    const entries: Array<[string, string]> = [];
    for (const table of TABLES) {
      const { rows } = await sql<{
        n: number;
        h: string;
      }>`select count(*)::int as n, md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from ${sql.table(table)} as x`.execute(
        t.database.db,
      );
      entries.push([table, `${rows[0]!.n}:${rows[0]!.h}`]);
    }
    return Object.fromEntries(entries);
  };

  describe('round trip: the files this service hands out verify when uploaded back', () => {
    it.each<ProofType>(['eddsa-rdfc-2022', 'Ed25519Signature2020'])(
      'badge.png, badge.svg and the JSON download of a %s credential',
      async (proofType) => {
        const issued = await issue(proofType);
        expect((issued.proof as Json[])[0]!.type).toBe(proofType === 'eddsa-rdfc-2022' ? 'DataIntegrityProof' : 'Ed25519Signature2020');
        const uuid = String(issued.id).split('/').pop()!;

        const pngRes = await fetch(`${issued.id}/badge.png`);
        expect(pngRes.status).toBe(200);
        expect(pngRes.headers.get('content-type')).toBe('image/png');
        expect(pngRes.headers.get('content-disposition')).toBe(`inline; filename="badge-${uuid}.png"`);
        const pngBytes = Buffer.from(await pngRes.arrayBuffer());
        expect(pngBytes.subarray(1, 4).toString('latin1')).toBe('PNG');

        const svgRes = await fetch(`${issued.id}/badge.svg`);
        expect(svgRes.status).toBe(200);
        expect(svgRes.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
        expect(svgRes.headers.get('content-disposition')).toBe(`inline; filename="badge-${uuid}.svg"`);
        expect(svgRes.headers.get('content-security-policy')).toMatch(/(^|;)\s*default-src 'none'/);
        const svgText = await svgRes.text();
        expect(svgText).toContain('<openbadges:credential>');

        const jsonRes = await fetch(`${issued.id}/download`);
        expect(jsonRes.status).toBe(200);
        expect(jsonRes.headers.get('content-disposition')).toMatch(/^attachment; filename="credential-.+\.json"$/);
        const jsonBytes = Buffer.from(await jsonRes.arrayBuffer());

        for (const [format, part] of [
          ['png', { bytes: pngBytes, name: 'badge.png', type: 'image/png' }],
          ['svg', { bytes: svgText, name: 'badge.svg', type: 'image/svg+xml' }],
          ['json', { bytes: jsonBytes, name: 'credential.json', type: 'application/json' }],
        ] as const) {
          const res = await upload(formOf(part));
          const body = (await res.json()) as Json;
          expect(res.status, JSON.stringify(body)).toBe(200);
          expect(res.headers.get('content-type')).toMatch(/^application\/json/);
          expect(body).toMatchObject({
            verified: true,
            format,
            warnings: [],
            results: [
              {
                role: 'credential',
                name: ACHIEVEMENT_NAME,
                issuerName: 'Example School District',
                result: { verified: true, credentialId: issued.id },
              },
            ],
          });
          expect(body.results).toHaveLength(1);
          expect((body.results[0].result.checks as Json[]).every((c) => c.outcome === 'pass')).toBe(true);
        }
      },
    );

    it('accepts a file larger than the JSON body limit, up to the upload limit', async () => {
      // 300 KB of whitespace after the JSON: more than bodyLimitBytes (256 KiB), well under the 5 MiB upload limit.
      const padded = bakePng(png, `${JSON.stringify(credential)}${' '.repeat(300_000)}`);
      expect(padded.length).toBeGreaterThan(262_144);
      const res = await upload(formOf({ bytes: padded, name: 'big.png', type: 'image/png' }));
      expect(res.status).toBe(200);
      expect(((await res.json()) as Json).verified).toBe(true);
    });
  });

  describe('tampered bakes', () => {
    it('fails the proof of an SVG whose baked achievement name was changed', async () => {
      const cdata = /<!\[CDATA\[([\s\S]*?)\]\]>/.exec(svg);
      expect(cdata).not.toBeNull();
      const inside = cdata![1]!;
      const forgedInside = inside.replace(`"name":"${ACHIEVEMENT_NAME}"`, '"name":"Forged Achievement"');
      expect(forgedInside).not.toBe(inside);
      // Only the JSON inside the CDATA changes; the drawn badge still says the real name.
      const tampered = svg.slice(0, cdata!.index) + cdata![0].replace(inside, forgedInside) + svg.slice(cdata!.index + cdata![0].length);
      expect(tampered).toContain(`<title>${ACHIEVEMENT_NAME}</title>`);

      const res = await upload(formOf({ bytes: tampered, name: 'badge.svg', type: 'image/svg+xml' }));
      const body = (await res.json()) as Json;
      expect(res.status).toBe(422);
      expect(body).toMatchObject({
        verified: false,
        format: 'svg',
        results: [{ role: 'credential', name: 'Forged Achievement', result: { verified: false } }],
      });
      expect(checkOf(body.results[0].result, 'proof')).toMatchObject({ outcome: 'fail' });
    });

    it('fails the proof of a PNG re-baked with a modified credential', async () => {
      const tampered = bakePng(png, JSON.stringify(renamed(credential)));
      const res = await upload(formOf({ bytes: tampered, name: 'badge.png', type: 'image/png' }));
      const body = (await res.json()) as Json;
      expect(res.status).toBe(422);
      expect(body).toMatchObject({ verified: false, format: 'png', results: [{ role: 'credential', result: { verified: false } }] });
      expect(body.results).toHaveLength(1);
      expect(checkOf(body.results[0].result, 'proof')).toMatchObject({ outcome: 'fail' });
    });

    it('fails a file with two credentials when one of them was tampered with, and says which', async () => {
      const res = await upload(
        formOf({ bytes: JSON.stringify([credential, renamed(credential)]), name: 'two.json', type: 'application/json' }),
      );
      const body = (await res.json()) as Json;
      expect(res.status).toBe(422);
      expect(body.verified).toBe(false);
      expect(body.format).toBe('json');
      expect(body.description).toMatch(/2 credentials/);
      expect((body.results as Json[]).map((r) => r.result.verified)).toEqual([true, false]);
      expect(checkOf(body.results[1].result, 'proof')).toMatchObject({ outcome: 'fail' });
    });
  });

  describe("another issuer's conformant credential", () => {
    let other: Json;
    beforeAll(async () => {
      const { did, signer } = await createOtherIssuer();
      other = await vc.issue({
        credential: {
          '@context': ['https://www.w3.org/ns/credentials/v2', OB_CONTEXT],
          id: 'urn:uuid:3d5c1e0a-7b7f-4c1e-9a55-0c5e2f1d9b42',
          type: ['VerifiableCredential', 'OpenBadgeCredential'],
          name: 'Culturally Responsive Teaching',
          issuer: { id: did, type: ['Profile'], name: 'Other Platform' },
          validFrom: '2025-01-01T00:00:00Z',
          credentialSubject: otherAchievementSubject,
        },
        suite: new DataIntegrityProof({ signer, cryptosuite: eddsaRdfc2022 }),
        documentLoader: independentDocumentLoader,
      });
    });

    it('verifies when baked into a PNG', async () => {
      const baked = bakePng(plainPng(), JSON.stringify(other));
      const res = await upload(formOf({ bytes: baked, name: 'other.png', type: 'image/png' }));
      const body = (await res.json()) as Json;
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(body).toMatchObject({
        verified: true,
        format: 'png',
        results: [
          {
            role: 'credential',
            name: 'Culturally Responsive Teaching',
            issuerName: 'Other Platform',
            result: { verified: true, credentialId: other.id },
          },
        ],
      });
    });

    it('verifies when baked into an SVG', async () => {
      const baked = bakeSvg(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
        JSON.stringify(other),
      );
      const res = await upload(formOf({ bytes: baked, name: 'other.svg', type: 'image/svg+xml' }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ verified: true, format: 'svg', results: [{ result: { verified: true } }] });
    });
  });

  describe('malformed uploads: a problem, never 5xx, nothing written', () => {
    let before: Record<string, string>;
    beforeAll(async () => {
      before = await snapshot();
    });

    it('refuses a text file as unreadable (422)', async () => {
      const body = await expectProblem(
        await upload(formOf({ bytes: 'Dear district, please find my badge attached.\n', name: 'note.txt', type: 'text/plain' })),
        422,
        'unreadable-file',
      );
      expect(body.detail).toMatch(/not a PNG or SVG badge/);
    });

    it('refuses an empty file as unreadable (422)', async () => {
      const body = await expectProblem(await upload(formOf({ bytes: '', name: 'empty.png' })), 422, 'unreadable-file');
      expect(body.detail).toMatch(/empty/);
    });

    it('refuses a file in another field than "file" (400)', async () => {
      const body = await expectProblem(
        await upload(formOf({ field: 'upload', bytes: png, name: 'badge.png', type: 'image/png' })),
        400,
        'validation-failed',
      );
      expect(body.detail).toMatch(/"file"/);
    });

    it('refuses a multipart body without any part (400)', async () => {
      await expectProblem(await upload(new FormData()), 400, 'validation-failed');
    });

    it('refuses a multipart body with only a text field (400)', async () => {
      const form = new FormData();
      form.append('file', 'not a file, a text field');
      await expectProblem(await upload(form), 400, 'validation-failed');
    });

    it('refuses an Open Badges 2.0 baked PNG, saying so (422)', async () => {
      const ob2 = withChunkAfterIhdr(plainPng(), pngChunk('tEXt', Buffer.from('openbadges\0https://example.org/assertions/123', 'latin1')));
      const body = await expectProblem(await upload(formOf({ bytes: ob2, name: 'ob2.png', type: 'image/png' })), 422, 'unreadable-file');
      expect(body.detail).toMatch(/Open Badges 2\.0/);
    });

    it.each([
      ['a truncated SVG', '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"'],
      ['an SVG that is never closed', '<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/>'],
      ['an HTML page', '<html><body><p>My badge:<br><img src="badge.png"></body></html>'],
      [
        'an SVG using an undeclared prefix',
        '<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential>{}</openbadges:credential></svg>',
      ],
      ['a lone "<"', '<'],
    ])('refuses %s as unreadable (422), not as a server error', async (_name, text) => {
      await expectProblem(await upload(formOf({ bytes: text, name: 'badge.svg', type: 'image/svg+xml' })), 422, 'unreadable-file');
      // The page says so too, as a page.
      const page = await upload(formOf({ bytes: text, name: 'badge.svg', type: 'image/svg+xml' }), '/verify');
      expect(page.status).toBe(422);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await page.text()).toContain('Nothing to verify in badge.svg');
    });

    it('refuses a PNG with nothing baked into it (422)', async () => {
      const body = await expectProblem(
        await upload(formOf({ bytes: plainPng(), name: 'plain.png', type: 'image/png' })),
        422,
        'unreadable-file',
      );
      expect(body.detail).toMatch(/no credential baked/);
    });

    it.each(['/credentials/verify', '/verify'])(
      'refuses two files in one request to %s (4xx), not verifying only the first',
      async (path) => {
        // The first file verifies; the second was tampered with. Answering for the first alone would tell the
        // uploader "verified" about a request that carried a forged badge.
        const form = formOf(
          { bytes: png, name: 'real.png', type: 'image/png' },
          { bytes: bakePng(png, JSON.stringify(renamed(credential))), name: 'forged.png', type: 'image/png' },
        );
        const res = await upload(form, path);
        const text = await res.text();
        expect(res.status, text.slice(0, 300)).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      },
    );

    it('answers random bytes with 200, 400, 413 or 422, never 5xx (fast-check, 30 runs)', async () => {
      const bytes = fc.oneof(
        fc.uint8Array({ maxLength: 4096 }),
        // Prefixes that lead into each reader: PNG, SVG (XML) and JSON.
        fc
          .tuple(
            fc.constantFrom('\x89PNG\r\n\x1a\n', '<svg', '<?xml version="1.0"?><svg', '{', '[', '\ufeff{'),
            fc.uint8Array({ maxLength: 2048 }),
          )
          .map(([prefix, rest]) => Buffer.concat([Buffer.from(prefix, 'latin1'), rest])),
        // A real baked badge with one byte changed.
        fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
          const copy = Buffer.from(png);
          const i = at % copy.length;
          copy[i] = copy[i]! ^ xor;
          return copy;
        }),
      );
      await fc.assert(
        fc.asyncProperty(bytes, async (data) => {
          const res = await upload(formOf({ bytes: data, name: 'random.bin' }));
          const text = await res.text();
          expect([200, 400, 413, 422], `${res.status} ${text.slice(0, 300)}`).toContain(res.status);
          if (res.status !== 200 && !text.startsWith('{"verified"'))
            expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }),
        { numRuns: 30 },
      );
    });

    it('wrote nothing to the database', async () => {
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('JSON body verification (VC-API shape) alongside multipart', () => {
    it('still verifies {verifiableCredential}', async () => {
      const res = await verifyJson(credential);
      const body = (await res.json()) as Json;
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ verified: true, credentialId: credentialUrl });
      expect(body).not.toHaveProperty('results');
    });

    it('still reports a tampered {verifiableCredential} (422)', async () => {
      const res = await verifyJson(renamed(credential));
      const body = (await res.json()) as Json;
      expect(res.status).toBe(422);
      expect(checkOf(body, 'proof')).toMatchObject({ outcome: 'fail' });
    });
  });

  describe('the HTML verification page', () => {
    it('GET /verify is a plain form for a file, allowed to post to this service only, with no scripts', async () => {
      const res = await fetch(`${t.baseUrl}/verify`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/form-action 'self'/);
      expect(csp).toMatch(/default-src 'none'/);
      expect(csp).not.toMatch(/script-src/);
      const html = await res.text();
      const form = /<form\b[^>]*>/.exec(html)?.[0] ?? '';
      expect(form).toMatch(/method="post"/);
      expect(form).toMatch(/action="\/verify"/);
      expect(form).toMatch(/enctype="multipart\/form-data"/);
      expect(html).toMatch(/<input\b[^>]*type="file"[^>]*name="file"/);
      expect(html).toMatch(/<button\b[^>]*type="submit"/);
      expect(html).not.toMatch(/<script/i);
    });

    it('POST /verify with a baked PNG says it verifies', async () => {
      const res = await upload(formOf({ bytes: png, name: 'badge.png', type: 'image/png' }), '/verify');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/form-action 'self'/);
      const html = await res.text();
      expect(html).toContain('<p class="verdict-title">Verified</p>');
      expect(html).toContain('is a baked PNG badge holding a credential. It verifies.');
      expect(html).toContain(ACHIEVEMENT_NAME);
      expect(html).toContain(`href="${credentialUrl}"`);
      // The form is offered again for the next file.
      expect(html).toMatch(/<input\b[^>]*type="file"/);
    });

    it('POST /verify with garbage explains that nothing could be read (422 HTML)', async () => {
      const res = await upload(formOf({ bytes: 'garbage, not a badge', name: 'garbage.bin' }), '/verify');
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const html = await res.text();
      expect(html).toContain('Nothing to verify in garbage.bin');
      expect(html).toContain('The file is not a PNG or SVG badge, nor a JSON credential, VC-JWT, wallet file or CLR');
      expect(html).not.toContain('Verified');
    });

    it('POST /verify with a tampered file shows it is not valid', async () => {
      const res = await upload(
        formOf({ bytes: bakePng(png, JSON.stringify(renamed(credential))), name: 'forged.png', type: 'image/png' }),
        '/verify',
      );
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(html).toContain('1 of 1 did not verify.');
      expect(html).toMatch(/<strong>Digital signature<\/strong> <span class="outcome">failed<\/span>/);
      expect(html).not.toContain('It verifies');
      // The signature failed: the verdict must say so, not that the issuer is reviewing (suspended) or revoked it.
      const verdict = /<p class="verdict-title">([^<]*)<\/p><p class="verdict-detail">([^<]*)<\/p>/.exec(html);
      expect({ title: verdict?.[1], detail: verdict?.[2] }).toEqual({
        title: 'Not valid',
        detail: expect.stringMatching(/^Digital signature: /),
      });
    });

    it('POST /verify escapes the uploaded file name', async () => {
      const res = await upload(formOf({ bytes: 'x', name: '<img src=x onerror=alert(1)>.png' }), '/verify');
      const html = await res.text();
      expect(res.status).toBe(422);
      expect(html).not.toContain('<img src=x');
      expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;.png');
    });
  });

  describe('badges of withdrawn credentials', () => {
    it.each(['badge.png', 'badge.svg', 'certificate.pdf'])('%s of a revoked credential is 410 Gone', async (file) => {
      const revoked = await issue('eddsa-rdfc-2022');
      const uuid = String(revoked.id).split('/').pop()!;
      const res = await t.app.inject({
        method: 'POST',
        url: `/credentials/${uuid}/status`,
        headers: issuer.auth,
        payload: { action: 'revoke', reason: 'Evidence found plagiarised' },
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = await expectProblem(await fetch(`${revoked.id}/${file}`), 410, 'credential-revoked');
      expect(body.detail).toMatch(/revoked/);
      // Its JSON stays public so verifiers can see why.
      const json = await fetch(`${revoked.id}/download`);
      expect(json.status).toBe(200);
      expect(((await json.json()) as Json).id).toBe(revoked.id);
    });
  });
});

describe(`upload size limit (${backendName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ listen: true, uploadLimitBytes: 2048 });
  });
  afterAll(() => t?.close());

  const upload = (bytes: Uint8Array, path = '/credentials/verify') =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', body: formOf({ bytes, name: 'big.bin' }) });

  it('reads a file of exactly the limit', async () => {
    // Read (and found unreadable), not refused for its size.
    await expectProblem(await upload(Buffer.alloc(2048, 0x41)), 422, 'unreadable-file');
  });

  it.each([2049, 64 * 1024, 3 * 1024 * 1024])('refuses a file of %i bytes with 413', async (size) => {
    const body = await expectProblem(await upload(Buffer.alloc(size, 0x41)), 413, 'body-too-large');
    expect(body.detail).toMatch(/larger than this verifier accepts/);
  });

  it('refuses it on the HTML page with 413 too, as a page', async () => {
    const res = await upload(Buffer.alloc(4096, 0x41), '/verify');
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('The file is larger than this verifier accepts');
  });
});
