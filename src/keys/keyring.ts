/**
 * Issuer signing keys (Ed25519). Secret keys exist in plaintext only inside this module's cache of imported
 * key pairs; at rest they are SecretBox envelopes bound to their key id. A KMS-backed implementation replaces
 * this file behind the same `Keyring` interface.
 */
import crypto from 'node:crypto';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import type { Ed25519MultikeyKeyPair } from '@digitalbazaar/ed25519-multikey';
import type { SecretBox } from './master-key.js';

export interface StoredKey {
  readonly id: string;
  readonly controller: string;
  readonly verificationMethod: string;
  readonly publicKeyMultibase: string;
  readonly secretKeyEnvelope: string;
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
  generate(options: { id: string; controller: string; verificationMethodFor: (publicKeyMultibase: string) => string }): Promise<StoredKey>;
  /** The signer of a stored key (decrypted once, then cached in memory). */
  signerFor(key: StoredKey): Promise<Signer>;
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

export function createKeyring(box: SecretBox): Keyring {
  const cache = new Map<string, Promise<Signer>>();

  const importKey = (key: StoredKey): Promise<Ed25519MultikeyKeyPair> =>
    Ed25519Multikey.from({
      id: key.verificationMethod,
      controller: key.controller,
      type: 'Multikey',
      publicKeyMultibase: key.publicKeyMultibase,
      secretKeyMultibase: box.open(key.secretKeyEnvelope, key.id),
    });

  return {
    async generate({ id, controller, verificationMethodFor }) {
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
      let signer = cache.get(key.verificationMethod);
      if (signer === undefined) {
        signer = importKey(key).then(cachedSigner);
        cache.set(key.verificationMethod, signer);
        signer.catch(() => cache.delete(key.verificationMethod));
      }
      return signer;
    },
    async check(key) {
      await importKey(key);
    },
  };
}
