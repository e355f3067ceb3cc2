/**
 * did:web (https://w3c-ccg.github.io/did-method-web/): `did:web:host%3Aport:path:segments` is served at
 * `https://host:port/path/segments/did.json` (`/.well-known/did.json` when there is no path).
 */
import { toDateTimeStamp } from '../credentials/build.js';
import { DID_CONTEXT, ED25519_2020_CONTEXT, MULTIKEY_CONTEXT } from './did-key.js';

/** The did:web for `path` under `baseUrl` (e.g. issuers/abc under https://badges.example). */
export function didWebFor(baseUrl: string, pathSegments: readonly string[]): string {
  const url = new URL(baseUrl);
  const host = encodeURIComponent(url.host); // keeps the port as %3A
  const basePath = url.pathname.split('/').filter((s) => s !== '');
  return ['did:web', host, ...[...basePath, ...pathSegments].map(encodeURIComponent)].join(':');
}

/**
 * The https URL of a did:web document.
 * @param insecure use http (only for loopback development, where https is not available).
 * @throws {Error} when `did` is not a well-formed did:web.
 */
export function didWebDocumentUrl(did: string, insecure = false): string {
  const parts = did.split('#')[0]!.split(':');
  if (parts[0] !== 'did' || parts[1] !== 'web' || parts.length < 3 || parts.some((p) => p === '')) {
    throw new Error(`Not a did:web: ${did}`);
  }
  const host = decodeURIComponent(parts[2]!);
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(host)) throw new Error(`Invalid did:web host: ${host}`);
  const path = parts.slice(3).map((p) => decodeURIComponent(p));
  if (path.some((p) => p.includes('/') || p === '.' || p === '..')) throw new Error(`Invalid did:web path: ${did}`);
  const scheme = insecure ? 'http' : 'https';
  return path.length === 0
    ? `${scheme}://${host}/.well-known/did.json`
    : `${scheme}://${host}/${path.map(encodeURIComponent).join('/')}/did.json`;
}

export interface PublishedKey {
  readonly verificationMethod: string;
  readonly publicKeyMultibase: string;
  /** P-256 keys (ES256 JWTs) are published as JsonWebKey with this public JWK; Ed25519 keys as Multikey. */
  readonly publicKeyJwk?: Record<string, unknown>;
  /** When the key was reported compromised: published as `revoked` (Controlled Identifiers 1.0 §2.2.1). */
  readonly revokedAt?: Date;
}

/**
 * A DID document listing every key, current, retired and revoked (absolute ids, string `assertionMethod`
 * references: the form the 1EdTech validator and digitalbazaar verifiers both accept). Keys stay listed after a
 * rotation so what they signed keeps verifying; a compromised key carries `revoked`, its compromise date.
 */
export function buildDidDocument(did: string, keys: readonly PublishedKey[]): Record<string, unknown> {
  const ids = keys.map((k) => k.verificationMethod);
  return {
    '@context': [DID_CONTEXT, MULTIKEY_CONTEXT, ED25519_2020_CONTEXT],
    id: did,
    verificationMethod: keys.map((k) => ({
      id: k.verificationMethod,
      ...(k.publicKeyJwk === undefined
        ? { type: 'Multikey', controller: did, publicKeyMultibase: k.publicKeyMultibase }
        : { type: 'JsonWebKey', controller: did, publicKeyJwk: k.publicKeyJwk }),
      ...(k.revokedAt === undefined ? {} : { revoked: toDateTimeStamp(k.revokedAt) }),
    })),
    authentication: ids,
    assertionMethod: ids,
  };
}
