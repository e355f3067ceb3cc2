import zlib from 'node:zlib';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bakePng, extractFromPng, ImageFormatError, isPng, PNG_KEYWORDS } from '../../src/artifacts/png.js';
import { rasterize } from '../../src/artifacts/raster.js';
import { badgeSvg } from '../../src/artifacts/svg.js';
import { insertAfterIhdr, pngChunk, thrown } from '../helpers/png.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface RawChunk {
  readonly type: string;
  readonly data: Buffer;
  readonly offset: number;
  readonly crc: number;
}

/** An independent chunk reader (no CRC check: the tests check CRCs themselves). */
function rawChunks(png: Buffer): RawChunk[] {
  expect(png.subarray(0, 8).equals(SIGNATURE)).toBe(true);
  const chunks: RawChunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    chunks.push({ type, data: png.subarray(offset + 8, offset + 8 + length), offset, crc: png.readUInt32BE(offset + 8 + length) });
    offset += 12 + length;
  }
  return chunks;
}

function itxtData(keyword: string, flag: number, method: number, language: string, translated: string, body: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(`${keyword}\0`, 'latin1'),
    Buffer.from([flag, method]),
    Buffer.from(`${language}\0`, 'latin1'),
    Buffer.from(`${translated}\0`, 'utf8'),
    body,
  ]);
}

const credentialText = JSON.stringify({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'],
  id: 'https://badges.example.org/credentials/1',
  type: ['VerifiableCredential', 'OpenBadgeCredential'],
  name: 'Formative Assessment — Checking for Understanding',
  credentialSubject: { identifier: [{ identityType: 'name', hashed: false, identityHash: 'Zoë Ramírez 🎓' }] },
});

let plain: Buffer;
let baked: Buffer;

beforeAll(() => {
  plain = rasterize(
    badgeSvg({ title: 'Formative Assessment', kind: 'Micro-credential', issuer: 'Example School District', date: 'Awarded May 1, 2026' }),
  );
  baked = bakePng(plain, credentialText);
});

describe(bakePng.name, () => {
  it('bakes text that extractFromPng reads back exactly, under openbadgecredential', () => {
    expect(isPng(baked)).toBe(true);
    expect(extractFromPng(baked)).toEqual({ keyword: 'openbadgecredential', text: credentialText });
  });

  it('round-trips any Unicode text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary', maxLength: 300 })), (text) => {
        expect(extractFromPng(bakePng(plain, text))).toEqual({ keyword: PNG_KEYWORDS.credential, text });
      }),
      { numRuns: 200 },
    );
  });

  it('leaves a valid PNG with the same size and pixels, and valid checksums on every chunk', () => {
    const before = PNG.sync.read(plain);
    const after = PNG.sync.read(baked); // pngjs checks every chunk's CRC
    expect([after.width, after.height]).toEqual([before.width, before.height]);
    expect(after.width).toBe(512);
    expect(Buffer.compare(after.data, before.data)).toBe(0);
    for (const chunk of rawChunks(baked)) {
      const typeAndData = baked.subarray(chunk.offset + 4, chunk.offset + 8 + chunk.data.length);
      expect(zlib.crc32(typeAndData), `${chunk.type} CRC`).toBe(chunk.crc);
    }
  });

  it('adds exactly one chunk and keeps every other chunk byte for byte', () => {
    const before = rawChunks(plain);
    const after = rawChunks(baked);
    expect(after).toHaveLength(before.length + 1);
    const withoutItxt = after.filter((c) => !(c.type === 'iTXt' && c.data.toString('latin1').startsWith('openbadgecredential\0')));
    expect(withoutItxt.map((c) => [c.type, c.data.toString('hex')])).toEqual(before.map((c) => [c.type, c.data.toString('hex')]));
    expect(after.at(-1)?.type).toBe('IEND');
  });

  it('writes an uncompressed iTXt chunk right after IHDR with empty language tag and translated keyword', () => {
    const chunks = rawChunks(baked);
    expect(chunks[0]?.type).toBe('IHDR');
    const itxt = chunks[1];
    expect(itxt?.type).toBe('iTXt');
    const data = itxt!.data;
    const keyword = Buffer.from('openbadgecredential', 'latin1');
    expect(data.subarray(0, keyword.length).equals(keyword)).toBe(true);
    let at = keyword.length;
    expect(data[at++]).toBe(0); // keyword terminator
    expect(data[at++]).toBe(0); // compression flag
    expect(data[at++]).toBe(0); // compression method
    expect(data[at++]).toBe(0); // empty language tag
    expect(data[at++]).toBe(0); // empty translated keyword
    expect(data.subarray(at).toString('utf8')).toBe(credentialText);
    expect(data.subarray(at).equals(Buffer.from(credentialText, 'utf8'))).toBe(true);
  });

  it('replaces the baked chunk when baking again: one openbadgecredential chunk, holding the new text', () => {
    const rebaked = bakePng(baked, '{"second":true}');
    const ours = rawChunks(rebaked).filter((c) => c.type === 'iTXt' && c.data.toString('latin1').startsWith('openbadgecredential\0'));
    expect(ours).toHaveLength(1);
    expect(extractFromPng(rebaked)).toEqual({ keyword: 'openbadgecredential', text: '{"second":true}' });
    expect(rebaked.length).toBe(baked.length - Buffer.byteLength(credentialText) + Buffer.byteLength('{"second":true}'));
    expect(rawChunks(rebaked)[1]?.type).toBe('iTXt');
  });

  it('bakes a CLR under clrcredential', () => {
    const clr = bakePng(plain, '{"type":["ClrCredential"]}', PNG_KEYWORDS.clr);
    expect(extractFromPng(clr)).toEqual({ keyword: 'clrcredential', text: '{"type":["ClrCredential"]}' });
    expect(rawChunks(clr)[1]?.data.toString('latin1').startsWith('clrcredential\0\0\0\0\0')).toBe(true);
    // re-baking the CLR replaces it, too
    const again = bakePng(clr, '{"v":2}', PNG_KEYWORDS.clr);
    expect(rawChunks(again).filter((c) => c.type === 'iTXt')).toHaveLength(1);
    expect(extractFromPng(again)?.text).toBe('{"v":2}');
  });

  it('refuses to bake into something that is not a PNG', () => {
    expect(() => bakePng(Buffer.from('GIF89a not a png'), 'x')).toThrow(ImageFormatError);
    expect(() => bakePng(plain.subarray(0, plain.length - 5), 'x')).toThrow(ImageFormatError);
  });
});

describe(extractFromPng.name, () => {
  it('finds nothing in an unbaked PNG', () => {
    expect(extractFromPng(plain)).toBeUndefined();
  });

  it('reads a compressed iTXt chunk (flag 1, zlib)', () => {
    const text = `${credentialText} ${'padding '.repeat(50)}`;
    const chunk = pngChunk('iTXt', itxtData('openbadgecredential', 1, 0, 'en', 'Credential', zlib.deflateSync(Buffer.from(text, 'utf8'))));
    expect(extractFromPng(insertAfterIhdr(plain, chunk))).toEqual({ keyword: 'openbadgecredential', text });
  });

  it('reads a non-empty language tag and translated keyword', () => {
    const chunk = pngChunk('iTXt', itxtData('openbadgecredential', 0, 0, 'fr-CA', 'Attestation', Buffer.from('{"a":"é"}', 'utf8')));
    expect(extractFromPng(insertAfterIhdr(plain, chunk))).toEqual({ keyword: 'openbadgecredential', text: '{"a":"é"}' });
  });

  it('refuses a compressed chunk that inflates past the size limit (zip bomb) without escaping as an untyped error', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(9 * 1024 * 1024, 0x20));
    const png = insertAfterIhdr(plain, pngChunk('iTXt', itxtData('openbadgecredential', 1, 0, '', '', bomb)));
    const error = thrown(() => extractFromPng(png));
    // extract.ts maps both to UnreadableFileError; anything else would escape as a server error.
    expect(error instanceof ImageFormatError || error instanceof RangeError, String(error)).toBe(true);
  });

  it('throws ImageFormatError for a compressed chunk whose body is not zlib data', () => {
    const png = insertAfterIhdr(plain, pngChunk('iTXt', itxtData('openbadgecredential', 1, 0, '', '', Buffer.from('not zlib at all'))));
    expect(() => extractFromPng(png)).toThrow(ImageFormatError);
  });

  it('reports an OB 2.0 tEXt chunk keyed openbadges', () => {
    const url = 'https://example.org/assertions/123';
    const png = insertAfterIhdr(plain, pngChunk('tEXt', Buffer.from(`openbadges\0${url}`, 'latin1')));
    expect(extractFromPng(png)).toEqual({ keyword: 'openbadges', text: url });
  });

  it('ignores other text chunks', () => {
    const png = insertAfterIhdr(
      insertAfterIhdr(plain, pngChunk('tEXt', Buffer.from('Comment\0hello', 'latin1'))),
      pngChunk('iTXt', itxtData('XML:com.adobe.xmp', 0, 0, '', '', Buffer.from('<x/>'))),
    );
    expect(extractFromPng(png)).toBeUndefined();
  });

  it('throws ImageFormatError for data that is not a PNG', () => {
    for (const bytes of [
      Buffer.alloc(0),
      Buffer.from('{"type":"VerifiableCredential"}'),
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]),
      SIGNATURE.subarray(0, 7),
    ]) {
      expect(() => extractFromPng(bytes)).toThrow(ImageFormatError);
    }
  });

  it('throws ImageFormatError for a PNG truncated anywhere', () => {
    const chunks = rawChunks(baked);
    const offsets = new Set<number>([0, 1, 7, 8, 9, 12, 15, 16, 20, 32, baked.length - 1, baked.length - 4, baked.length - 12]);
    for (const chunk of chunks) {
      for (const delta of [-1, 1, 4, 8, 9]) offsets.add(chunk.offset + delta);
      offsets.add(chunk.offset + 8 + chunk.data.length); // just before the CRC
    }
    for (let at = 0; at < baked.length; at += 997) offsets.add(at);
    for (const at of offsets) {
      if (at < 0 || at >= baked.length) continue;
      const error = thrown(() => extractFromPng(baked.subarray(0, at)));
      expect(error, `cut at ${at}`).toBeInstanceOf(ImageFormatError);
    }
  });

  it('throws ImageFormatError for a bad checksum', () => {
    for (const chunk of rawChunks(baked).slice(0, 3)) {
      const copy = Buffer.from(baked);
      const crcAt = chunk.offset + 8 + chunk.data.length;
      copy[crcAt] = copy[crcAt]! ^ 0x01;
      expect(() => extractFromPng(copy), chunk.type).toThrow(/checksum/);
      expect(() => extractFromPng(copy), chunk.type).toThrow(ImageFormatError);
    }
    const copy = Buffer.from(baked);
    const itxt = rawChunks(baked)[1]!;
    copy[itxt.offset + 8 + 30] = copy[itxt.offset + 8 + 30]! ^ 0x20; // a byte of the text
    expect(() => extractFromPng(copy)).toThrow(ImageFormatError);
  });

  it('either extracts or throws ImageFormatError for any byte mutation or truncation of a baked PNG', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.option(fc.nat(), { nil: undefined }),
        (mutations, cut) => {
          // Mutations are concentrated on the first 200 bytes (signature, IHDR, the iTXt head) half the time.
          const bytes = Buffer.from(baked);
          for (const [i, [position, value]] of mutations.entries()) bytes[position % (i % 2 === 0 ? 200 : bytes.length)] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % bytes.length);
          const error = thrown(() => extractFromPng(input));
          if (error !== undefined) expect(error).toBeInstanceOf(ImageFormatError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('either extracts or throws ImageFormatError for any iTXt chunk with a valid checksum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('openbadgecredential', 'clrcredential', 'openbadges', 'Comment'),
        fc.constantFrom(0, 1, 2, 255),
        fc.integer({ min: 0, max: 255 }),
        fc.string({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.boolean(),
        (keyword, flag, method, language, body, terminated) => {
          const data = itxtData(keyword, flag, method, language, '', Buffer.from(body));
          const chunk = pngChunk('iTXt', terminated ? data : data.subarray(0, keyword.length + 3));
          const error = thrown(() => extractFromPng(insertAfterIhdr(plain, chunk)));
          if (error !== undefined) expect(error).toBeInstanceOf(ImageFormatError);
        },
      ),
      { numRuns: 200 },
    );
  });
});
