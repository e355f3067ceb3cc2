/**
 * Resolves DIDs for verification. did:key and did:jwk are computed. did:web DIDs under our own PUBLIC_URL are answered
 * from the database (we are their authority, so no request to ourselves); others are fetched over https with
 * the safe fetcher. http is used only for loopback hosts when private fetches are allowed (local development).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as issuers from '../db/repositories/issuers.js';
import { DidResolutionError, type DidResolver } from '../credentials/document-loader.js';
import { resolveDidKey } from '../keys/did-key.js';
import { resolveDidJwk } from '../keys/did-jwk.js';
import { buildDidDocument, didWebDocumentUrl, didWebFor } from '../keys/did-web.js';
import { fetchJson, type SafeFetchOptions } from '../net/safe-fetch.js';
import { toPublishedKey } from './issuers.js';
import { toDateTimeStamp } from '../credentials/build.js';

export function createDidResolver(deps: { db: Kysely<Database>; publicUrl: string; fetchOptions: SafeFetchOptions }): DidResolver {
  const { db, publicUrl, fetchOptions } = deps;
  const localPrefix = didWebFor(publicUrl, []) + ':';

  return async (did: string) => {
    if (did.startsWith('did:key:')) {
      // A did:key document is computed, so it cannot say a key was compromised; for our own issuers' keys we know.
      const document = resolveDidKey(did);
      const [method] = document.verificationMethod as Array<Record<string, unknown>>;
      const ours = await issuers.findIssuerKeyByVerificationMethod(db, String(method!.id));
      if (!ours?.revoked_at) return document;
      return { ...document, verificationMethod: [{ ...method, revoked: toDateTimeStamp(new Date(ours.revoked_at)) }] };
    }
    if (did.startsWith('did:jwk:')) return resolveDidJwk(did);
    if (!did.startsWith('did:web:')) throw new Error(`Unsupported DID method: ${did.split(':').slice(0, 2).join(':')}`);

    if (did.startsWith(localPrefix)) {
      const issuer = await issuers.findIssuerByDid(db, did);
      if (issuer === undefined) throw new Error(`${did} is not an issuer of this service`);
      return buildDidDocument(did, (await issuers.listIssuerKeys(db, issuer.id)).map(toPublishedKey));
    }

    const host = decodeURIComponent(did.split(':')[2] ?? '').replace(/:\d+$/, '');
    const insecure = fetchOptions.allowPrivate && (host === 'localhost' || host === '127.0.0.1' || host === '[::1]');
    const url = didWebDocumentUrl(did, insecure);
    let document: unknown;
    try {
      document = await fetchJson(url, { ...fetchOptions, accept: 'application/did+json, application/json' });
    } catch (error) {
      throw new DidResolutionError(`Could not fetch the DID document of ${did} from ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (typeof document !== 'object' || document === null || (document as { id?: unknown }).id !== did) {
      throw new Error(`The document at ${url} is not the DID document of ${did}`);
    }
    return document as Record<string, unknown>;
  };
}
