/**
 * Issuer signing keys (Ed25519). Secret keys exist in plaintext only inside this module's cache of imported
 * key pairs; at rest they are SecretBox envelopes bound to their key id. A KMS-backed implementation replaces
 * this file behind the same `Keyring` interface.
 */
import crypto from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import * as base58 from 'base58-universal';
import type { Ed25519MultikeyKeyPair } from '@digitalbazaar/ed25519-multikey';
import type { SecretBox } from './master-key.js';

export type KeyAlgorithm = 'Ed25519' | 'P-256';

export interface StoredKey {
  readonly id: string;
  readonly controller: string;
  readonly verificationMethod: string;
  readonly publicKeyMultibase: string;
  readonly secretKeyEnvelope: string;
  /** Ed25519 when absent (keys made before P-256 existed). */
  readonly algorithm?: KeyAlgorithm;
  /** P-256: the public JWK (JSON text). */
  readonly publicKeyJwk?: string | null;
}

/** Signs JWS signing input with a key's JOSE algorithm (EdDSA for Ed25519, ES256 for P-256: raw r||s). */
export interface JwsSigner {
  readonly kid: string;
  readonly alg: 'EdDSA' | 'ES256';
  sign(data: Uint8Array): Uint8Array;
}

export interface Signer {
  readonly id: string;
  readonly algorithm: string;
  sign(options: { data: Uint8Array }): Promise<Uint8Array>;
}

export interface Keyring {
  /**
   * Generates a key for `controller`; `verificationMethodFor` names it from its public key.
   * @returns the record to store (the secret only as an envelope).
   */
  generate(options: {
    id: string;
    controller: string;
    verificationMethodFor: (publicKeyMultibase: string) => string;
    algorithm?: KeyAlgorithm;
  }): Promise<StoredKey>;
  /** The Data Integrity signer of a stored Ed25519 key (decrypted once, then cached in memory). */
  signerFor(key: StoredKey): Promise<Signer>;
  /** The JWS signer of a stored key of either algorithm (cached likewise). */
  jwsSignerFor(key: StoredKey): Promise<JwsSigner>;
  /** Decrypts a stored key without caching: proves the master key opens it. */
  check(key: StoredKey): Promise<void>;
}

/** PKCS #8 DER header of an Ed25519 private key (RFC 8410); the 32-byte seed follows. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A signer over a key object made once. The library's own signer rebuilds a Node key object from DER on every
 * call (about 1 ms); Ed25519 is deterministic, so both give the same signature bytes.
 */
export function cachedSigner(pair: Ed25519MultikeyKeyPair): Signer {
  const seed = pair.secretKey?.subarray(0, 32);
  if (seed === undefined || seed.length !== 32) throw new Error(`Key ${pair.id} has no Ed25519 secret key`);
  const keyObject = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return {
    id: pair.id,
    algorithm: 'Ed25519',
    sign: async ({ data }) => new Uint8Array(crypto.sign(null, data, keyObject)),
  };
}

/** Multikey header of a compressed P-256 public key (multicodec 0x1200 as a varint). */
const P256_MULTIKEY_PREFIX = Uint8Array.from([0x80, 0x24]);

/** `zDn…`: the Multikey form of a P-256 public key. */
export function p256PublicKeyMultibase(publicKey: crypto.KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const compressed = Buffer.concat([Buffer.from([(y[y.length - 1]! & 1) === 1 ? 0x03 : 0x02]), x]);
  return `z${base58.encode(Buffer.concat([P256_MULTIKEY_PREFIX, compressed]))}`;
}

function memo<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  let value = cache.get(key);
  if (value === undefined) {
    value = make();
    cache.set(key, value);
    value.catch(() => cache.delete(key));
  }
  return value;
}

export function createKeyring(box: SecretBox): Keyring {
  const cache = new Map<string, Promise<Signer>>();
  const jwsCache = new Map<string, Promise<JwsSigner>>();

  const importKey = (key: StoredKey): Promise<Ed25519MultikeyKeyPair> =>
    Ed25519Multikey.from({
      id: key.verificationMethod,
      controller: key.controller,
      type: 'Multikey',
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase: box.open(key.secretKeyEnvelope, key.id),
    });

  return {
    async generate({ id, controller, verificationMethodFor, algorithm = 'Ed25519' }) {
      if (algorithm === 'P-256') {
        const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const publicKeyMultibase = p256PublicKeyMultibase(publicKey);
        return {
          id,
          controller,
          algorithm,
          verificationMethod: verificationMethodFor(publicKeyMultibase),
          publicKeyMultibase,
          publicKeyJwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
          secretKeyEnvelope: box.seal(JSON.stringify(privateKey.export({ format: 'jwk' })), id),
        };
      }
      const pair = await Ed25519Multikey.generate({ controller });
      const { publicKeyMultibase, secretKeyMultibase } = pair;
      if (secretKeyMultibase === undefined) throw new Error('Key generation returned no secret key');
      return {
        id,
        controller,
        verificationMethod: verificationMethodFor(publicKeyMultibase),
        publicKeyMultibase,
        secretKeyEnvelope: box.seal(secretKeyMultibase, id),
      };
    },
    async signerFor(key) {
      if ((key.algorithm ?? 'Ed25519') !== 'Ed25519')
        throw new Error(`Key ${key.id} is ${key.algorithm}: Data Integrity proofs need Ed25519`);
      return memo(cache, key.verificationMethod, () => importKey(key).then(cachedSigner));
    },
    async jwsSignerFor(key) {
      return memo(jwsCache, key.verificationMethod, async () => {
        if (key.algorithm === 'P-256') {
          const privateKey = crypto.createPrivateKey({
            key: JSON.parse(box.open(key.secretKeyEnvelope, key.id)) as crypto.JsonWebKey,
            format: 'jwk',
          });
          return {
            kid: key.verificationMethod,
            alg: 'ES256' as const,
            sign: (data: Uint8Array) => new Uint8Array(crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
          };
        }
        const pair = await importKey(key);
        const seed = pair.secretKey!.subarray(0, 32);
        const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
        return {
          kid: key.verificationMethod,
          alg: 'EdDSA' as const,
          sign: (data: Uint8Array) => new Uint8Array(crypto.sign(null, data, privateKey)),
        };
      });
    },
    async check(key) {
      if (key.algorithm === 'P-256')
        crypto.createPrivateKey({ key: JSON.parse(box.open(key.secretKeyEnvelope, key.id)) as crypto.JsonWebKey, format: 'jwk' });
      else await importKey(key);
    },
  };
}
