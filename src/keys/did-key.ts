/**
 * did:key for Ed25519 (https://w3c-ccg.github.io/did-method-key/): the DID is the multibase public key, so a
 * verifier needs nothing but the string. The document is built, never fetched.
 */
export const DID_CONTEXT = 'https://www.w3.org/ns/did/v1';
export const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';
export const ED25519_2020_CONTEXT = 'https://w3id.org/security/suites/ed25519-2020/v1';

/** `z6Mk…`: base58btc multibase over the 0xed01 multicodec prefix and 32 key bytes. */
const ED25519_MULTIKEY = /^z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/;

export function isEd25519PublicKeyMultibase(value: string): boolean {
  return ED25519_MULTIKEY.test(value);
}

export function didKeyFor(publicKeyMultibase: string): { did: string; verificationMethod: string } {
  if (!isEd25519PublicKeyMultibase(publicKeyMultibase)) {
    throw new TypeError('publicKeyMultibase must be an Ed25519 multikey (z6Mk…)');
  }
  const did = `did:key:${publicKeyMultibase}`;
  return { did, verificationMethod: `${did}#${publicKeyMultibase}` };
}

/**
 * The DID document of an Ed25519 did:key, with the key as a Multikey verification method.
 * @throws {Error} for anything but an Ed25519 did:key.
 */
export function resolveDidKey(did: string): Record<string, unknown> {
  const fingerprint = did.startsWith('did:key:') ? did.slice('did:key:'.length) : '';
  if (!isEd25519PublicKeyMultibase(fingerprint)) {
    throw new Error(`Unsupported did:key (only Ed25519 z6Mk keys are supported): ${did}`);
  }
  const verificationMethod = `${did}#${fingerprint}`;
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT, ED25519_2020_CONTEXT],
    id: did,
    verificationMethod: [{ id: verificationMethod, type: 'Multikey', controller: did, publicKeyMultibase: fingerprint }],
    authentication: [verificationMethod],
    assertionMethod: [verificationMethod],
    capabilityDelegation: [verificationMethod],
    capabilityInvocation: [verificationMethod],
  };
}
