/**
 * Recipient identities (OB 3.0 IdentityObject). Emails are trimmed and lower-cased before hashing, as OB 2.0
 * practice did, so a verifier who knows the address can check it; other identifier types are only trimmed.
 * The hash is `sha256$<hex of sha256(identifier + salt)>` with a fresh 16-byte salt per credential, so two
 * credentials of one educator cannot be linked by their hashes.
 */
import crypto from 'node:crypto';

export interface IdentityObject {
  type: 'IdentityObject';
  identityType: string;
  hashed: boolean;
  identityHash: string;
  salt?: string;
}

/** Canonical form of an identifier of a given type. */
export function normalizeIdentifier(identityType: string, identifier: string): string {
  const trimmed = identifier.trim();
  return identityType === 'emailAddress' ? trimmed.toLowerCase() : trimmed;
}

/** A salted, hashed IdentityObject (OB 3.0 §IdentityObject). */
export function hashRecipient(options: { identityType: string; identifier: string; salt?: string }): IdentityObject {
  const { identityType, identifier } = options;
  if (typeof identityType !== 'string' || identityType === '') throw new TypeError('identityType is required');
  if (typeof identifier !== 'string' || identifier.trim() === '') throw new TypeError('identifier is required');
  const salt = options.salt ?? crypto.randomBytes(16).toString('hex');
  const digest = crypto
    .createHash('sha256')
    .update(normalizeIdentifier(identityType, identifier) + salt, 'utf8')
    .digest('hex');
  return { type: 'IdentityObject', identityType, hashed: true, identityHash: `sha256$${digest}`, salt };
}

/**
 * Whether `identity` names `identifier` (OB 3.0 verification, recipient step).
 * Unsalted and md5 hashes are accepted for credentials from other issuers.
 */
export function identityMatches(identity: IdentityObject, identifier: string): boolean {
  const value = normalizeIdentifier(identity.identityType, identifier);
  if (!identity.hashed) return identity.identityHash === value;
  const [algorithm, hex] = identity.identityHash.split('$', 2);
  if ((algorithm !== 'sha256' && algorithm !== 'md5') || hex === undefined) return false;
  const digest = crypto
    .createHash(algorithm)
    .update(value + (identity.salt ?? ''), 'utf8')
    .digest('hex');
  return digest === hex.toLowerCase();
}
