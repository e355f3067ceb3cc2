/**
 * Baking and unbaking PNG images (OB 3.0 §Baking): the credential goes in one uncompressed `iTXt` chunk keyed
 * `openbadgecredential` (`clrcredential` for a CLR), placed right after IHDR. Pure functions over bytes.
 */
import zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Decompressed iTXt text larger than this is refused (a zip bomb in a chunk). */
const MAX_TEXT_BYTES = 8 * 1024 * 1024;

export const PNG_KEYWORDS = { credential: 'openbadgecredential', clr: 'clrcredential' } as const;

export class ImageFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFormatError';
  }
}

export const isPng = (bytes: Uint8Array): boolean => bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(SIGNATURE);

interface Chunk {
  readonly type: string;
  readonly data: Buffer;
  /** Offset of the chunk's length field; the whole chunk is data.length + 12 bytes from here. */
  readonly offset: number;
}

/** The chunks up to and including IEND. Refuses a truncated or malformed file and bad checksums. */
function chunksOf(png: Buffer): Chunk[] {
  if (!isPng(png)) throw new ImageFormatError('Not a PNG file (wrong signature)');
  const chunks: Chunk[] = [];
  let offset = 8;
  while (offset < png.length) {
    if (offset + 12 > png.length) throw new ImageFormatError('Truncated PNG chunk');
    const length = png.readUInt32BE(offset);
    const end = offset + 12 + length;
    if (length > 0x7fffffff || end > png.length) throw new ImageFormatError('Truncated PNG chunk');
    const type = png.toString('latin1', offset + 4, offset + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new ImageFormatError('Malformed PNG chunk type');
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (zlib.crc32(png.subarray(offset + 4, offset + 8 + length)) !== png.readUInt32BE(offset + 8 + length)) {
      throw new ImageFormatError(`PNG ${type} chunk has a bad checksum`);
    }
    chunks.push({ type, data, offset });
    offset = end;
    if (type === 'IEND') return chunks;
  }
  throw new ImageFormatError('PNG has no IEND chunk');
}

function encodeChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

interface Itxt {
  readonly keyword: string;
  /** Decodes the text (inflating a compressed chunk within a size limit). @throws {ImageFormatError} */
  text(): string;
}

/** Splits an iTXt chunk; its text is decoded only when asked for, so unrelated chunks never cost an inflate. */
function parseItxt(data: Buffer): Itxt {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 1 || keywordEnd > 79 || keywordEnd + 3 > data.length) throw new ImageFormatError('Malformed iTXt chunk');
  const keyword = data.toString('latin1', 0, keywordEnd);
  const compressed = data[keywordEnd + 1] === 1;
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) throw new ImageFormatError('Malformed iTXt chunk');
  const body = data.subarray(translatedEnd + 1);
  return {
    keyword,
    text: () => {
      if (!compressed) return body.toString('utf8');
      // OB 3.0 says the flag MUST be 0; a compressed chunk is still read, within a size limit.
      try {
        return zlib.inflateSync(body, { maxOutputLength: MAX_TEXT_BYTES }).toString('utf8');
      } catch (error) {
        throw new ImageFormatError(
          error instanceof RangeError ? 'A compressed text chunk in the PNG is too large' : 'A compressed text chunk in the PNG is corrupt',
        );
      }
    },
  };
}

function itxtChunk(keyword: string, text: string): Buffer {
  // keyword \0, compression flag 0, method 0, empty language tag \0, empty translated keyword \0, UTF-8 text.
  return encodeChunk('iTXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]));
}

/** Bakes `text` into the PNG under `keyword`, replacing any chunk already baked under it (a file holds one credential). */
export function bakePng(png: Buffer, text: string, keyword: string = PNG_KEYWORDS.credential): Buffer {
  const chunks = chunksOf(png);
  if (chunks[0]?.type !== 'IHDR') throw new ImageFormatError('PNG must start with IHDR');
  const parts: Buffer[] = [SIGNATURE];
  for (const chunk of chunks) {
    const whole = png.subarray(chunk.offset, chunk.offset + chunk.data.length + 12);
    if (chunk.type === 'iTXt' && parseItxt(chunk.data).keyword === keyword) continue;
    parts.push(whole);
    if (chunk.type === 'IHDR') parts.push(itxtChunk(keyword, text));
  }
  return Buffer.concat(parts);
}

export interface BakedText {
  readonly keyword: string;
  readonly text: string;
}

/**
 * The text baked under the first OB 3.0 or CLR keyword, or under OB 2.0's `openbadges` (so the caller can say
 * what it found); undefined when nothing is baked.
 */
export function extractFromPng(png: Buffer): BakedText | undefined {
  let legacy: BakedText | undefined;
  for (const chunk of chunksOf(png)) {
    if (chunk.type === 'iTXt') {
      const itxt = parseItxt(chunk.data);
      if (itxt.keyword === PNG_KEYWORDS.credential || itxt.keyword === PNG_KEYWORDS.clr)
        return { keyword: itxt.keyword, text: itxt.text() };
      if (itxt.keyword === 'openbadges') legacy ??= { keyword: itxt.keyword, text: itxt.text() };
    } else if (chunk.type === 'tEXt') {
      const at = chunk.data.indexOf(0);
      if (at > 0 && chunk.data.toString('latin1', 0, at) === 'openbadges')
        legacy ??= { keyword: 'openbadges', text: chunk.data.toString('latin1', at + 1) };
    }
  }
  // An OB 2.0 bake is reported only when no OB 3.0 credential is baked anywhere in the file.
  return legacy;
}
