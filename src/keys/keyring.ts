/**
 * Issuer signing keys (Ed25519). Secret keys exist in plaintext only inside this module's cache of imported
 * key pairs; at rest they are SecretBox envelopes bound to their key id. A KMS-backed implementation replaces
 * this file behind the same `Keyring` interface.
 */
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

export function createKeyring(box: SecretBox): Keyring {
  const cache = new Map<string, Promise<Ed25519MultikeyKeyPair>>();

  const importKey = async (key: StoredKey): Promise<Ed25519MultikeyKeyPair> =>
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
      let pair = cache.get(key.verificationMethod);
      if (pair === undefined) {
        pair = importKey(key);
        cache.set(key.verificationMethod, pair);
        pair.catch(() => cache.delete(key.verificationMethod));
      }
      return (await pair).signer();
    },
    async check(key) {
      await importKey(key);
    },
  };
}
