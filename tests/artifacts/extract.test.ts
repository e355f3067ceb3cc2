import zlib from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractCredentials, MAX_CREDENTIALS_PER_FILE, UnreadableFileError } from '../../src/artifacts/extract.js';
import { bakePng, PNG_KEYWORDS } from '../../src/artifacts/png.js';
import { rasterize } from '../../src/artifacts/raster.js';
import { badgeSvg, bakeSvg } from '../../src/artifacts/svg.js';
import { insertAfterIhdr, pngChunk, thrown } from '../helpers/png.js';

const credential = (n: number) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: `https://badges.example.org/credentials/${n}`,
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  issuer: { id: 'did:web:badges.example.org', type: ['Profile'], name: 'Example School District' },
  validFrom: '2026-05-01T00:00:00Z',
  credentialSubject: {
    type: ['AchievementSubject'],
    achievement: { id: `https://badges.example.org/achievements/${n}`, type: ['Achievement'], name: `Achievement ${n}` },
  },
  proof: { type: 'DataIntegrityProof', cryptosuite: 'eddsa-rdfc-2022', proofValue: `z${n}` },
});

const presentation = (count: number) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2'],
  type: ['VerifiablePresentation'],
  verifiableCredential: Array.from({ length: count }, (_, i) => credential(i + 1)),
});

const clr = (bundled: number) => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json'],
  id: 'https://badges.example.org/clr/1',
  type: ['VerifiableCredential', 'ClrCredential'],
  issuer: { id: 'did:web:badges.example.org', type: ['Profile'], name: 'Example School District' },
  credentialSubject: { type: ['ClrSubject'], verifiableCredential: Array.from({ length: bundled }, (_, i) => credential(i + 1)) },
});

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');

/** The UnreadableFileError `f` throws (fails when it throws anything else, or nothing). */
function unreadable(f: () => unknown): UnreadableFileError {
  const error = thrown(f);
  expect(error).toBeInstanceOf(UnreadableFileError);
  const message = (error as UnreadableFileError).message;
  expect(message.length).toBeGreaterThan(10);
  expect(message).not.toMatch(/undefined|\[object|at position|Unexpected token/);
  return error as UnreadableFileError;
}

const face = { title: 'Achievement 1', kind: 'Micro-credential', issuer: 'Example School District', date: 'Awarded May 1, 2026' };
let plainPng: Buffer;

beforeAll(() => {
  plainPng = rasterize(badgeSvg(face));
});

describe(extractCredentials.name, () => {
  describe('reads', () => {
    it('a JSON credential', () => {
      expect(extractCredentials(json(credential(1)))).toEqual({
        format: 'json',
        description: 'a credential',
        items: [{ role: 'credential', credential: credential(1) }],
        warnings: [],
      });
    });

    it('a pretty-printed JSON credential with a byte order mark', () => {
      const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`\n  ${JSON.stringify(credential(1), null, 2)}\n`)]);
      const result = extractCredentials(bytes);
      expect(result.format).toBe('json');
      expect(result.items).toEqual([{ role: 'credential', credential: credential(1) }]);
    });

    it('a JSON array of 2 credentials', () => {
      const result = extractCredentials(json([credential(1), credential(2)]));
      expect(result.format).toBe('json');
      expect(result.description).toBe('a list of 2 credentials');
      expect(result.items).toEqual([
        { role: 'credential', credential: credential(1) },
        { role: 'credential', credential: credential(2) },
      ]);
      expect(result.warnings).toEqual([]);
    });

    it('a Verifiable Presentation with 3 credentials, as bundled items', () => {
      const result = extractCredentials(json(presentation(3)));
      expect(result.format).toBe('json');
      expect(result.description).toBe('a wallet file (Verifiable Presentation) with 3 credentials');
      expect(result.items.map((i) => i.role)).toEqual(['bundled', 'bundled', 'bundled']);
      expect(result.items.map((i) => i.credential.id)).toEqual([1, 2, 3].map((n) => `https://badges.example.org/credentials/${n}`));
    });

    it('a CLR with 2 bundled credentials: the CLR first, then the bundled ones', () => {
      const result = extractCredentials(json(clr(2)));
      expect(result.format).toBe('json');
      expect(result.description).toBe('a Comprehensive Learner Record (CLR 2.0) bundling 2 credentials');
      expect(result.items.map((i) => i.role)).toEqual(['clr', 'bundled', 'bundled']);
      expect(result.items[0]?.credential).toEqual(clr(2));
      expect(result.items.slice(1).map((i) => i.credential)).toEqual([credential(1), credential(2)]);
    });

    it('a baked PNG badge', () => {
      const result = extractCredentials(bakePng(plainPng, JSON.stringify(credential(1))));
      expect(result).toEqual({
        format: 'png',
        description: 'a baked PNG badge holding a credential',
        items: [{ role: 'credential', credential: credential(1) }],
        warnings: [],
      });
    });

    it('a baked PNG CLR', () => {
      const result = extractCredentials(bakePng(plainPng, JSON.stringify(clr(1)), PNG_KEYWORDS.clr));
      expect(result.format).toBe('png');
      expect(result.description).toBe('a baked PNG CLR holding a Comprehensive Learner Record (CLR 2.0) bundling 1 credential');
      expect(result.items.map((i) => i.role)).toEqual(['clr', 'bundled']);
    });

    it('a baked SVG badge', () => {
      const svg = bakeSvg(badgeSvg(face), JSON.stringify(credential(1), null, 2));
      const result = extractCredentials(Buffer.from(svg, 'utf8'));
      expect(result).toEqual({
        format: 'svg',
        description: 'a baked SVG badge holding a credential',
        items: [{ role: 'credential', credential: credential(1) }],
        warnings: [],
      });
    });

    it(`at most ${MAX_CREDENTIALS_PER_FILE} credentials, with a warning`, () => {
      const count = MAX_CREDENTIALS_PER_FILE + 20;
      const result = extractCredentials(json(presentation(count)));
      expect(result.items).toHaveLength(MAX_CREDENTIALS_PER_FILE);
      expect(result.items.at(-1)?.credential.id).toBe(`https://badges.example.org/credentials/${MAX_CREDENTIALS_PER_FILE}`);
      expect(result.description).toContain(`${count} credentials`);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]).toContain(String(MAX_CREDENTIALS_PER_FILE));
      expect(result.warnings[0]).toContain(String(count));
    });

    it(`exactly ${MAX_CREDENTIALS_PER_FILE} credentials without a warning`, () => {
      const result = extractCredentials(json(presentation(MAX_CREDENTIALS_PER_FILE)));
      expect(result.items).toHaveLength(MAX_CREDENTIALS_PER_FILE);
      expect(result.warnings).toEqual([]);
    });
  });

  it('reads VC-JWTs (OB 3.0 §5.3): baked in a PNG or an SVG verify attribute, in a presentation, enveloped, or as a .jws file', () => {
    const payload = Buffer.from(JSON.stringify({ ...credential(7), iss: 'did:example:issuer' })).toString('base64url');
    const jws = `eyJhbGciOiJFUzI1NiJ9.${payload}.c2ln`;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="${jws}"/></svg>`;
    const enveloped = {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: 'EnvelopedVerifiableCredential',
      id: `data:application/vc+jwt,${jws}`,
    };
    for (const [bytes, format] of [
      [bakePng(plainPng, jws), 'png'],
      [Buffer.from(svg), 'svg'],
      [Buffer.from(`${jws}\n`), 'jwt'],
      [json({ type: ['VerifiablePresentation'], verifiableCredential: [jws] }), 'json'],
      [json(enveloped), 'json'],
    ] as const) {
      const extracted = extractCredentials(bytes);
      expect(extracted.format).toBe(format);
      expect(extracted.items).toHaveLength(1);
      expect(extracted.items[0]!.jwt).toBe(jws);
      expect(extracted.items[0]!.credential.id).toBe(credential(7).id);
      expect(extracted.items[0]!.credential.iss).toBeUndefined();
    }
  });

  describe('refuses with UnreadableFileError', () => {
    it('an empty file', () => {
      expect(unreadable(() => extractCredentials(Buffer.alloc(0))).message).toMatch(/empty/);
    });

    it('random text', () => {
      expect(unreadable(() => extractCredentials(Buffer.from('Dear committee, please find my badge attached.'))).message).toMatch(
        /not a PNG or SVG/,
      );
    });

    it('invalid JSON', () => {
      expect(unreadable(() => extractCredentials(Buffer.from('{"type": ["VerifiableCredential"'))).message).toMatch(/not valid JSON/);
    });

    it('JSON that is not a credential', () => {
      for (const value of [{ hello: 'world' }, { type: ['Achievement'], name: 'x' }, [1, 2], ['eyJhbGciOiJFZERTQSJ9.e30'], []]) {
        unreadable(() => extractCredentials(json(value)));
      }
      expect(unreadable(() => extractCredentials(json({ type: 'Achievement' }))).message).toMatch(/not a credential/);
    });

    it('JSON nested deeper than 64 levels', () => {
      let deep: unknown = credential(1);
      for (let i = 0; i < 70; i++) deep = { type: ['VerifiableCredential'], nested: deep };
      expect(unreadable(() => extractCredentials(json(deep))).message).toMatch(/deeper than 64/);
      // the limit counts objects and arrays alike: 62 arrays around {"type":[…]} are 64 levels, 63 are one too many
      const nested = (arrays: number) => Buffer.from(`${'['.repeat(arrays)}{"type":["VerifiableCredential"]}${']'.repeat(arrays)}`);
      expect(unreadable(() => extractCredentials(nested(62))).message).toMatch(/not a credential/);
      expect(unreadable(() => extractCredentials(nested(63))).message).toMatch(/deeper than 64/);
    });

    it('a VC-JWT whose header or payload is not JSON', () => {
      const value = { type: ['VerifiablePresentation'], verifiableCredential: [credential(1), 'bm90IGpzb24.e30.c2ln'] };
      expect(unreadable(() => extractCredentials(json(value))).message).toMatch(/VC-JWT.*not base64url-encoded JSON/);
    });

    it('a presentation or CLR with nothing in it', () => {
      expect(unreadable(() => extractCredentials(json(presentation(0)))).message).toMatch(/nothing to verify/);
      expect(
        unreadable(() => extractCredentials(json({ type: ['VerifiablePresentation'], verifiableCredential: [null] }))).message,
      ).toMatch(/not a credential/);
    });

    it('a PNG without a baked credential', () => {
      expect(unreadable(() => extractCredentials(plainPng)).message).toMatch(/no credential baked/);
    });

    it('an Open Badges 2.0 baked PNG', () => {
      const png = insertAfterIhdr(plainPng, pngChunk('tEXt', Buffer.from('openbadges\0https://example.org/assertions/1', 'latin1')));
      expect(unreadable(() => extractCredentials(png)).message).toMatch(/Open Badges 2\.0/);
    });

    it('a baked PNG holding text that is neither JSON nor a JWT', () => {
      expect(unreadable(() => extractCredentials(bakePng(plainPng, 'not a credential'))).message).toMatch(/VC-JWT/);
    });

    it('a truncated or corrupted PNG', () => {
      const baked = bakePng(plainPng, JSON.stringify(credential(1)));
      unreadable(() => extractCredentials(baked.subarray(0, 100)));
      const corrupt = Buffer.from(baked);
      corrupt[40] = corrupt[40]! ^ 0xff;
      unreadable(() => extractCredentials(corrupt));
    });

    it('a PNG whose compressed iTXt chunk is not zlib data', () => {
      const data = Buffer.concat([Buffer.from('openbadgecredential\0\x01\x00\0\0', 'latin1'), Buffer.from('definitely not deflate')]);
      unreadable(() => extractCredentials(insertAfterIhdr(plainPng, pngChunk('iTXt', data))));
    });

    it('a PNG whose compressed iTXt chunk inflates past the limit', () => {
      const bomb = zlib.deflateSync(Buffer.alloc(9 * 1024 * 1024, 0x20));
      const data = Buffer.concat([Buffer.from('openbadgecredential\0\x01\x00\0\0', 'latin1'), bomb]);
      unreadable(() => extractCredentials(insertAfterIhdr(plainPng, pngChunk('iTXt', data))));
    });

    it('an SVG without a baked credential', () => {
      expect(unreadable(() => extractCredentials(Buffer.from(badgeSvg(face)))).message).toMatch(/no Open Badges 3.0 credential/);
    });

    it('malformed XML', () => {
      for (const xml of [
        '<svg xmlns="http://www.w3.org/2000/svg">',
        '<',
        '<svg><g></a></svg>',
        '<?xml version="1.0"?><svg a="1" a="2"/>',
      ]) {
        unreadable(() => extractCredentials(Buffer.from(xml)));
      }
    });

    it('{"__proto__": …}, without polluting Object.prototype', () => {
      const texts = [
        '{"__proto__":{"x":1}, "type":["VerifiableCredential"]}',
        '{"type":["VerifiableCredential"],"credentialSubject":{"__proto__":{"x":1}}}',
        '{"constructor":{"prototype":{"x":1}}, "type":["VerifiableCredential"]}',
        '[{"__proto__":{"x":1}, "type":["VerifiableCredential"]}]',
      ];
      for (const text of texts) {
        unreadable(() => extractCredentials(Buffer.from(text)));
        expect(({} as Record<string, unknown>).x).toBeUndefined();
        expect(Object.prototype).not.toHaveProperty('x');
      }
      const baked = bakePng(plainPng, texts[0]!);
      unreadable(() => extractCredentials(baked));
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });
  });

  it('either returns or throws UnreadableFileError for arbitrary bytes', () => {
    const png = bakePng(Buffer.from(plainPng), JSON.stringify(credential(1)));
    const prefix = fc.constantFrom(
      Buffer.alloc(0),
      Buffer.from('<'),
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">'),
      Buffer.from('{'),
      Buffer.from('['),
      Buffer.from(' \n{"type":'),
      Buffer.from([0xef, 0xbb, 0xbf]),
      png.subarray(0, 8),
      png.subarray(0, 60),
    );
    fc.assert(
      fc.property(prefix, fc.uint8Array({ maxLength: 4096 }), (head, tail) => {
        const error = thrown(() => extractCredentials(Buffer.concat([head, tail])));
        if (error !== undefined) expect(error).toBeInstanceOf(UnreadableFileError);
      }),
      { numRuns: 300 },
    );
  });

  it('either returns or throws UnreadableFileError for any mutation of a baked file', () => {
    const files = [
      bakePng(Buffer.from(plainPng), JSON.stringify(credential(1))),
      Buffer.from(bakeSvg(badgeSvg(face), JSON.stringify(credential(1)))),
      json(presentation(2)),
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: files.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (which, mutations, cut) => {
          const bytes = Buffer.from(files[which]!);
          for (const [position, value] of mutations) bytes[position % Math.min(bytes.length, 400)] = value;
          const error = thrown(() => extractCredentials(bytes.subarray(0, 1 + (cut % bytes.length))));
          if (error !== undefined) expect(error).toBeInstanceOf(UnreadableFileError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
