/**
 * VC-JWT as Open Badges 3.0 profiles it (§8.2 "JSON Web Token Proof Format", on VC-JOSE-COSE): a compact JWS whose
 * payload is the credential itself (VCDM 2.0) or carries it in a `vc` claim (VCDM 1.1), with the registered claims
 * iss = issuer.id, jti = id, sub = credentialSubject.id, nbf = validFrom and exp = validUntil. The header holds only
 * alg, kid (a DID URL) and typ "JWT". Pure: keys come in as Node KeyObjects or signing functions.
 */
import crypto from 'node:crypto';
import * as base58 from 'base58-universal';
import { asArray, idOf, isObject, textOf, type Json } from './json.js';

/** The algorithms we verify. OB requires at least RS256; the 1EdTech validator accepts RS256 and ES256 only. */
export const JWT_ALGORITHMS = ['ES256', 'RS256', 'EdDSA', 'ES384', 'PS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The media type of a VC-JWT, and the data: URL prefix of an EnvelopedVerifiableCredential holding one. */
export const VC_JWT_MEDIA_TYPE = 'application/vc+jwt';
const ENVELOPE_PREFIXES = ['data:application/vc+jwt,', 'data:application/jwt,'];

export class JwtFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtFormatError';
  }
}

export interface DecodedJws {
  readonly header: Json;
  readonly payload: Json;
  readonly signingInput: string;
  readonly signature: Buffer;
}

const decodePart = (part: string, what: string): Json => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError(`The JWT ${what} is not base64url-encoded JSON`);
  }
  if (!isObject(value)) throw new JwtFormatError(`The JWT ${what} is not a JSON object`);
  return value;
};

/**
 * Splits and decodes a compact JWS without checking its signature.
 * @throws {JwtFormatError} when it is not a compact JWS with a JSON header and payload.
 */
export function decodeJws(text: string): DecodedJws {
  const jws = text.trim();
  if (!COMPACT_JWS.test(jws)) throw new JwtFormatError('Not a compact JWS (three base64url parts separated by dots)');
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  return {
    header: decodePart(header, 'header'),
    payload: decodePart(payload, 'payload'),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/** The compact JWS inside a VC-JWT given as a string or as a VCDM 2.0 EnvelopedVerifiableCredential; else undefined. */
export function jwtOf(value: unknown): string | undefined {
  if (typeof value === 'string') return COMPACT_JWS.test(value.trim()) ? value.trim() : undefined;
  if (!isObject(value) || !asArray(value.type).includes('EnvelopedVerifiableCredential') || typeof value.id !== 'string') return undefined;
  const prefix = ENVELOPE_PREFIXES.find((p) => (value.id as string).startsWith(p));
  let jws: string | undefined;
  try {
    jws = prefix === undefined ? undefined : decodeURIComponent((value.id as string).slice(prefix.length));
  } catch {
    return undefined; // malformed %-encoding: not a VC-JWT envelope we can read
  }
  return jws !== undefined && COMPACT_JWS.test(jws) ? jws : undefined;
}

/** The credential a VC-JWT payload carries: the `vc` claim (VCDM 1.1 style) or the payload itself (VCDM 2.0). */
export function credentialOfPayload(payload: Json): Json {
  if (isObject(payload.vc)) {
    // VC-JWT 1.1: registered claims stand for credential properties the `vc` claim may leave out.
    const vc: Json = { ...payload.vc };
    if (vc.id === undefined && typeof payload.jti === 'string') vc.id = payload.jti;
    if (vc.issuer === undefined && typeof payload.iss === 'string') vc.issuer = payload.iss;
    return vc;
  }
  const { iss: _iss, sub: _sub, jti: _jti, nbf: _nbf, exp: _exp, iat: _iat, aud: _aud, ...credential } = payload;
  return credential;
}

const seconds = (iso: unknown): number | undefined =>
  typeof iso === 'string' && !Number.isNaN(Date.parse(iso)) ? Math.floor(Date.parse(iso) / 1000) : undefined;

/**
 * Differences between the registered claims and the credential they restate (OB 3.0 §8.2.4.1 step 4): each is a
 * reason to refuse the JWT. Claims the credential has no value for are not compared.
 */
export function claimProblems(payload: Json, credential: Json): string[] {
  const problems: string[] = [];
  const compare = (claim: string, expected: unknown, what: string) => {
    if (payload[claim] !== undefined && expected !== undefined && payload[claim] !== expected) {
      problems.push(`the ${claim} claim (${textOf(payload[claim])}) is not the credential's ${what} (${textOf(expected)})`);
    }
  };
  // OB 3.0 §8.2.3: iss, jti, sub and nbf are required (exp when the credential expires).
  const required: Array<[string, unknown]> = [
    ['jti', credential.id],
    ['sub', idOf(asArray(credential.credentialSubject)[0])],
    ['nbf', true],
    ['exp', credential.validUntil ?? credential.expirationDate],
  ];
  for (const [claim, needed] of required)
    if (needed !== undefined && payload[claim] === undefined) problems.push(`the ${claim} claim is missing`);
  for (const claim of ['nbf', 'exp', 'iat']) {
    if (payload[claim] !== undefined && (typeof payload[claim] !== 'number' || !Number.isFinite(payload[claim]))) {
      problems.push(`the ${claim} claim is not a number of seconds`);
    }
  }
  compare('iss', idOf(credential.issuer), 'issuer');
  compare('jti', credential.id, 'id');
  compare('sub', idOf(asArray(credential.credentialSubject)[0]), 'credentialSubject.id');
  compare('nbf', seconds(credential.validFrom ?? credential.issuanceDate), 'validFrom');
  compare('exp', seconds(credential.validUntil ?? credential.expirationDate), 'validUntil');
  if (typeof payload.iss !== 'string') problems.push('the iss claim is missing');
  return problems;
}

/** Node's verify/sign parameters for a JOSE algorithm. */
function joseParameters(alg: JwtAlgorithm): { hash: string | null; options: Partial<crypto.VerifyKeyObjectInput> } {
  switch (alg) {
    case 'ES256':
      return { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } };
    case 'ES384':
      return { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } };
    case 'RS256':
      return { hash: 'sha256', options: { padding: crypto.constants.RSA_PKCS1_PADDING } };
    case 'PS256':
      return { hash: 'sha256', options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case 'EdDSA':
      return { hash: null, options: {} };
  }
}

/** The key types each algorithm must use: a key of another type is refused (no algorithm confusion). */
const KEY_TYPES: Record<JwtAlgorithm, { type: string; curve?: string }> = {
  ES256: { type: 'ec', curve: 'prime256v1' },
  ES384: { type: 'ec', curve: 'secp384r1' },
  RS256: { type: 'rsa' },
  PS256: { type: 'rsa' },
  EdDSA: { type: 'ed25519' },
};

/**
 * Checks a JWS signature with `key` under the header's algorithm.
 * @returns undefined when it holds, else why not.
 */
export function checkJwsSignature(jws: DecodedJws, key: crypto.KeyObject): string | undefined {
  const alg = jws.header.alg;
  if (!(JWT_ALGORITHMS as readonly unknown[]).includes(alg)) {
    return `The JWT algorithm ${textOf(alg) || '(none)'} is not accepted (accepted: ${JWT_ALGORITHMS.join(', ')})`;
  }
  const expected = KEY_TYPES[alg as JwtAlgorithm];
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== expected.type || (expected.curve !== undefined && curve !== expected.curve)) {
    return `The JWT says ${textOf(alg)}, but the issuer's key is ${key.asymmetricKeyType}${curve ? ` (${curve})` : ''}`;
  }
  const { hash, options } = joseParameters(alg as JwtAlgorithm);
  const ok = crypto.verify(hash, Buffer.from(jws.signingInput, 'ascii'), { key, ...options } as crypto.VerifyKeyObjectInput, jws.signature);
  return ok ? undefined : 'The JWT signature does not match: it was altered after signing or signed with another key';
}

/** Multicodec headers of the Multikey public keys we read (Ed25519, P-256 compressed). */
const ED25519_PREFIX = [0xed, 0x01];
const P256_PREFIX = [0x80, 0x24];
/** SPKI DER header of a compressed P-256 point (id-ecPublicKey, prime256v1, 33-byte BIT STRING). */
const P256_COMPRESSED_SPKI = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * The public key of a verification method: a `publicKeyJwk` (any JOSE key type; a private member is refused), or a
 * Multikey / Ed25519VerificationKey2020 `publicKeyMultibase` (Ed25519 or P-256).
 * @throws {Error} saying why the key cannot be read.
 */
export function publicKeyOf(vm: Json): crypto.KeyObject {
  if (isObject(vm.publicKeyJwk)) {
    const jwk = vm.publicKeyJwk;
    if ('d' in jwk || 'p' in jwk || 'q' in jwk) throw new Error('The verification method publishes a private key');
    return crypto.createPublicKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
  }
  const multibase = textOf(vm.publicKeyMultibase);
  if (!multibase.startsWith('z')) throw new Error('The verification method has no publicKeyJwk or base58btc publicKeyMultibase');
  const bytes = Buffer.from(base58.decode(multibase.slice(1)));
  const has = (prefix: number[]) => bytes[0] === prefix[0] && bytes[1] === prefix[1];
  if (has(ED25519_PREFIX) && bytes.length === 34) {
    return crypto.createPublicKey({ key: Buffer.concat([ED25519_SPKI, bytes.subarray(2)]), format: 'der', type: 'spki' });
  }
  if (has(P256_PREFIX) && bytes.length === 35) {
    return crypto.createPublicKey({ key: Buffer.concat([P256_COMPRESSED_SPKI, bytes.subarray(2)]), format: 'der', type: 'spki' });
  }
  throw new Error('The verification method’s key is neither Ed25519 nor P-256');
}

export interface JwsSigningKey {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  sign(data: Uint8Array): Uint8Array;
}

/**
 * The VC-JWT of a (signed) VCDM 2.0 credential: the payload is the credential with the registered claims added,
 * the header alg, kid and typ only (OB 3.0 §8.2.3).
 * @throws {JwtFormatError} when the credential has no credentialSubject.id (the sub claim is required).
 */
export function encodeVcJwt(credential: Json, key: JwsSigningKey): string {
  const subject = idOf(asArray(credential.credentialSubject)[0]);
  if (subject === undefined) throw new JwtFormatError('A VC-JWT needs credentialSubject.id (its sub claim): give the recipient a DID');
  const payload: Json = {
    ...credential,
    iss: idOf(credential.issuer),
    jti: credential.id,
    sub: subject,
    nbf: seconds(credential.validFrom),
    ...(credential.validUntil === undefined ? {} : { exp: seconds(credential.validUntil) }),
  };
  const header = { alg: key.alg, kid: key.kid, typ: 'JWT' };
  const signingInput = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${signingInput}.${Buffer.from(key.sign(Buffer.from(signingInput, 'ascii'))).toString('base64url')}`;
}

/** How far a verifier's clock may differ from the issuer's when reading nbf and exp. */
const CLOCK_SKEW_S = 60;

/** The JWT's own validity (RFC 7519 §4.1.4–5): expired by `exp`, or not yet valid by `nbf`. @returns why not, or undefined. */
export function jwtTimeProblem(payload: Json, now: Date): string | undefined {
  const seconds = now.getTime() / 1000;
  if (typeof payload.exp === 'number' && payload.exp <= seconds - CLOCK_SKEW_S) {
    return `Expired on ${isoOfSeconds(payload.exp) ?? payload.exp} (the JWT exp claim)`;
  }
  if (typeof payload.nbf === 'number' && payload.nbf > seconds + CLOCK_SKEW_S) {
    return `Not yet valid: valid from ${isoOfSeconds(payload.nbf) ?? payload.nbf} (the JWT nbf claim)`;
  }
  return undefined;
}

/** A NumericDate (seconds) as an ISO date-time, or undefined when it is outside the dates JavaScript can hold. */
export function isoOfSeconds(value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > 8.64e12) return undefined;
  return new Date(value * 1000).toISOString();
}
