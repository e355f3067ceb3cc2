/**
 * W3C Bitstring Status List v1.0: the bitstring codec, the entry a credential carries, and the unsigned status
 * list credential. Bit i lives in byte ⌊i/8⌋ under mask 0x80 >> (i % 8) (left-most bit first, §4.1);
 * `encodedList` is multibase base64url (prefix `u`, no padding) of the GZIP of the bitstring.
 */
import zlib from 'node:zlib';
import { VC_V2_CONTEXT } from './build.js';

export const MIN_LIST_SIZE = 131_072; // 16 KB: the minimum that gives herd privacy (§6.1)

export type StatusPurpose = 'revocation' | 'suspension';

export class StatusListDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatusListDecodeError';
  }
}

/** Encodes a bitstring of `size` bits with `setIndexes` set. */
export function encodeBitstring(options: { size: number; setIndexes: Iterable<number> }): string {
  const { size } = options;
  if (!Number.isInteger(size) || size <= 0 || size % 8 !== 0) throw new TypeError('size must be a positive multiple of 8');
  const bytes = new Uint8Array(size / 8);
  for (const index of options.setIndexes) {
    if (!Number.isInteger(index) || index < 0 || index >= size) throw new RangeError(`index ${index} is outside the list`);
    bytes[index >> 3]! |= 0x80 >> (index & 7);
  }
  return 'u' + zlib.gzipSync(bytes).toString('base64url');
}

/**
 * Decodes `encodedList` (multibase base64url, or the plain base64url StatusList2021 used) into bytes.
 * @throws {StatusListDecodeError} when it is not base64url GZIP data or inflates beyond `maxBytes`.
 */
export function decodeBitstring(encodedList: unknown, maxBytes = 16 * 1024 * 1024): Uint8Array {
  if (typeof encodedList !== 'string' || encodedList === '') throw new StatusListDecodeError('encodedList is missing');
  const text = encodedList.startsWith('u') ? encodedList.slice(1) : encodedList;
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text)) throw new StatusListDecodeError('encodedList is not base64url');
  try {
    return new Uint8Array(zlib.gunzipSync(Buffer.from(text, 'base64url'), { maxOutputLength: maxBytes }));
  } catch (error) {
    throw new StatusListDecodeError(`encodedList is not GZIP data: ${(error as Error).message}`);
  }
}

export function bitAt(bytes: Uint8Array, index: number): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= bytes.length * 8) throw new RangeError(`index ${index} is outside the list`);
  return (bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
}

/** The `credentialStatus` a credential carries (OB 3.0 allows exactly one object). */
export function buildStatusEntry(options: { listUrl: string; index: number; purpose: StatusPurpose }): Record<string, unknown> {
  return {
    id: `${options.listUrl}#${options.index}`,
    type: 'BitstringStatusListEntry',
    statusPurpose: options.purpose,
    statusListIndex: String(options.index),
    statusListCredential: options.listUrl,
  };
}

/** The unsigned BitstringStatusListCredential. */
export function buildStatusListCredential(options: {
  listUrl: string;
  issuer: string;
  purpose: StatusPurpose;
  encodedList: string;
  validFrom: string;
  validUntil: string;
  ttlMs: number;
  /** Contexts the proof suite needs (Ed25519Signature2020). */
  extraContexts?: readonly string[];
}): Record<string, unknown> {
  return {
    '@context': [VC_V2_CONTEXT, ...(options.extraContexts ?? [])],
    id: options.listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: options.issuer,
    validFrom: options.validFrom,
    validUntil: options.validUntil,
    credentialSubject: {
      id: `${options.listUrl}#list`,
      type: 'BitstringStatusList',
      statusPurpose: options.purpose,
      encodedList: options.encodedList,
      ttl: options.ttlMs,
    },
  };
}
