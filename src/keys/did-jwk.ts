/**
 * did:jwk (https://github.com/quartzjer/did-jwk): the DID is a public JWK, base64url-encoded; the document is built,
 * never fetched, with the key as `#0`.
 */
import { DID_CONTEXT } from './did-key.js';

const JWK_CONTEXT = 'https://w3id.org/security/jwk/v1';

/**
 * The DID document of a did:jwk.
 * @throws {Error} when the identifier is not a base64url public JWK.
 */
export function resolveDidJwk(did: string): Record<string, unknown> {
  const encoded = did.startsWith('did:jwk:') ? did.slice('did:jwk:'.length) : '';
  let jwk: unknown;
  try {
    jwk = /^[A-Za-z0-9_-]+$/.test(encoded) ? JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) : undefined;
  } catch {
    jwk = undefined;
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || typeof (jwk as { kty?: unknown }).kty !== 'string') {
    throw new Error(`Not a did:jwk: ${did.slice(0, 80)}`);
  }
  if ('d' in jwk) throw new Error('A did:jwk must not hold a private key');
  const id = `${did}#0`;
  return {
    '@context': [DID_CONTEXT, JWK_CONTEXT],
    id: did,
    verificationMethod: [{ id, type: 'JsonWebKey', controller: did, publicKeyJwk: jwk }],
    assertionMethod: [id],
    authentication: [id],
  };
}
