/**
 * Unbaking for the verifier: finds every credential in an uploaded file, whatever form an educator was given.
 * - PNG: the `openbadgecredential` (or `clrcredential`) iTXt chunk;
 * - SVG: the `<openbadges:credential>` (or CLR `credential`) element;
 * - JSON: one credential, an array of credentials, a Verifiable Presentation (our wallet file) or a CLR, whose
 *   bundled credentials are checked one by one as well as the CLR itself.
 * Pure; the caller verifies what comes out.
 */
import sjson from 'secure-json-parse';
import { isObject, jsonDepth, MAX_JSON_DEPTH, type Json } from '../credentials/json.js';
import { COMPACT_JWS, credentialOfPayload, decodeJws, jwtOf } from '../credentials/jwt.js';
import { extractFromPng, ImageFormatError, isPng, PNG_KEYWORDS } from './png.js';
import { extractFromSvg } from './svg.js';

const typesOf = (v: Json): unknown[] => (Array.isArray(v.type) ? v.type : [v.type]);

/** More than this many credentials in one file are not checked. */
export const MAX_CREDENTIALS_PER_FILE = 100;

export type FileFormat = 'png' | 'svg' | 'json' | 'jwt';
export type ItemRole = 'credential' | 'clr' | 'bundled';

export interface ExtractedItem {
  /** `bundled`: carried inside a CLR or presentation; `clr`: the CLR itself. */
  readonly role: ItemRole;
  /** The credential (for a VC-JWT, the one in its payload, read before any check: verify `jwt`). */
  readonly credential: Json;
  /** The VC-JWT the credential came in, when it came as one: this is what must be verified. */
  readonly jwt?: string;
}

export interface Extracted {
  readonly format: FileFormat;
  /** What the file holds, in words: "a baked PNG badge", "a wallet file (presentation) with 3 credentials". */
  readonly description: string;
  readonly items: readonly ExtractedItem[];
  readonly warnings: readonly string[];
}

export class UnreadableFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnreadableFileError';
  }
}

function parseJson(text: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new UnreadableFileError(`The JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new UnreadableFileError('The file is not valid JSON');
  }
}

/** A VC-JWT as an item: its payload's credential, unverified, for naming it; `jwt` is what gets verified. */
function jwtItem(jws: string, role: ItemRole): ExtractedItem {
  try {
    return { role, credential: credentialOfPayload(decodeJws(jws).payload), jwt: jws };
  } catch (error) {
    throw new UnreadableFileError(`A VC-JWT in the file cannot be read: ${(error as Error).message}`);
  }
}

function credentialsIn(value: unknown, where: string, role: ItemRole): ExtractedItem[] {
  const entries = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return entries.map((entry) => {
    const jws = jwtOf(entry);
    if (jws !== undefined) return jwtItem(jws, role);
    if (!isObject(entry)) throw new UnreadableFileError(`${where} holds something that is not a credential`);
    return { role, credential: entry };
  });
}

/** Interprets a JSON document: credential, array, presentation or CLR. */
function fromJson(value: unknown): { description: string; items: ExtractedItem[] } {
  if (Array.isArray(value)) {
    const items = credentialsIn(value, 'The array', 'credential');
    return { description: `a list of ${items.length} credential${items.length === 1 ? '' : 's'}`, items };
  }
  if (!isObject(value)) throw new UnreadableFileError('The JSON is not a credential, a presentation or a CLR');
  const types = typesOf(value);
  if (types.includes('VerifiablePresentation')) {
    const items = credentialsIn(value.verifiableCredential, 'The presentation', 'bundled');
    return {
      description: `a wallet file (Verifiable Presentation) with ${items.length} credential${items.length === 1 ? '' : 's'}`,
      items,
    };
  }
  if (types.includes('ClrCredential')) {
    const subject = Array.isArray(value.credentialSubject) ? value.credentialSubject[0] : value.credentialSubject;
    const bundled = isObject(subject) ? credentialsIn(subject.verifiableCredential, 'The CLR', 'bundled') : [];
    return {
      description: `a Comprehensive Learner Record (CLR 2.0) bundling ${bundled.length} credential${bundled.length === 1 ? '' : 's'}`,
      items: [{ role: 'clr', credential: value }, ...bundled],
    };
  }
  if (types.includes('EnvelopedVerifiableCredential'))
    return { description: 'a VC-JWT (enveloped)', items: credentialsIn(value, 'The envelope', 'credential') };
  if (types.includes('VerifiableCredential')) return { description: 'a credential', items: [{ role: 'credential', credential: value }] };
  throw new UnreadableFileError('The JSON is not a credential, a presentation or a CLR (its type names none of them)');
}

function fromBaked(text: string, what: string): { description: string; items: ExtractedItem[] } {
  const trimmed = text.trim();
  // OB 3.0 §5.3: text that is not JSON is a VC-JWT.
  if (!trimmed.startsWith('{')) return { description: `${what} holding a VC-JWT`, items: [jwtItem(trimmed, 'credential')] };
  const inner = fromJson(parseJson(trimmed));
  return { ...inner, description: `${what} holding ${inner.description}` };
}

export function extractCredentials(bytes: Buffer): Extracted {
  if (bytes.length === 0) throw new UnreadableFileError('The file is empty');
  let result: { format: FileFormat; description: string; items: ExtractedItem[] };
  try {
    if (isPng(bytes)) {
      const baked = extractFromPng(bytes);
      if (baked === undefined) throw new UnreadableFileError('This PNG image has no credential baked into it');
      if (baked.keyword === 'openbadges') {
        throw new UnreadableFileError('This is an Open Badges 2.0 baked image; this verifier checks Open Badges 3.0 credentials');
      }
      result = { format: 'png', ...fromBaked(baked.text, baked.keyword === PNG_KEYWORDS.clr ? 'a baked PNG CLR' : 'a baked PNG badge') };
    } else {
      const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
      const head = text.trimStart();
      if (head.startsWith('<')) {
        const baked = extractFromSvg(text);
        if (baked === undefined) throw new UnreadableFileError('This SVG image has no Open Badges 3.0 credential baked into it');
        result = { format: 'svg', ...fromBaked(baked.text, 'a baked SVG badge') };
      } else if (head.startsWith('{') || head.startsWith('[')) {
        result = { format: 'json', ...fromJson(parseJson(text)) };
      } else if (COMPACT_JWS.test(text.trim())) {
        result = { format: 'jwt', description: 'a VC-JWT (compact JWS)', items: [jwtItem(text.trim(), 'credential')] };
      } else {
        throw new UnreadableFileError('The file is not a PNG or SVG badge, nor a JSON credential, VC-JWT, wallet file or CLR');
      }
    }
  } catch (error) {
    if (error instanceof ImageFormatError) throw new UnreadableFileError(error.message);
    if (error instanceof RangeError) throw new UnreadableFileError('A compressed chunk in the image is too large');
    throw error;
  }
  const warnings: string[] = [];
  let items = result.items;
  if (items.length === 0) throw new UnreadableFileError(`The file is ${result.description}: there is nothing to verify`);
  if (items.length > MAX_CREDENTIALS_PER_FILE) {
    warnings.push(`Only the first ${MAX_CREDENTIALS_PER_FILE} of ${items.length} credentials were checked`);
    items = items.slice(0, MAX_CREDENTIALS_PER_FILE);
  }
  return { format: result.format, description: result.description, items, warnings };
}
