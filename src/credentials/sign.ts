/**
 * Signs a credential. The library writes `proof` into what it is given, so we sign a deep copy. OB 3.0's
 * canonical JSON Schema wants `proof` as an array, so a single proof is returned as a one-element array;
 * the array does not change what was signed (proofs are never part of the signed data).
 */
import * as vc from '@digitalbazaar/vc';
import type { DocumentLoader } from './document-loader.js';

/** @throws {Error} when the library refuses the credential (for example an undefined JSON-LD term). */
export async function signCredential(options: {
  credential: Record<string, unknown>;
  suite: unknown;
  documentLoader: DocumentLoader;
  proofAsArray?: boolean;
}): Promise<Record<string, unknown>> {
  const { credential, suite, documentLoader } = options;
  if (typeof credential !== 'object' || credential === null) throw new TypeError('credential must be an object');
  if ('proof' in credential) throw new TypeError('credential is already signed');
  const signed = await vc.issue({ credential: structuredClone(credential), suite, documentLoader });
  if (options.proofAsArray !== false && signed.proof !== undefined && !Array.isArray(signed.proof)) {
    signed.proof = [signed.proof];
  }
  return signed;
}
