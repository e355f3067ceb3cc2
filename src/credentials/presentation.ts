/**
 * Verifiable Presentations: the earner's wallet file, and DID authentication in the wallet pickup exchange
 * (VC-API exchanges as the Learner Credential Wallet speaks them).
 */
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';
import type { DocumentLoader } from './document-loader.js';
import { VC_V2_CONTEXT } from './build.js';
import { isObject, textOf, type Json } from './json.js';
import { createVerifyingSuites } from './suites.js';

/** An unsigned VCDM 2.0 presentation holding `credentials`; each keeps its own proof and verifies alone. */
export function buildWalletPresentation(id: string, credentials: readonly Json[]): Json {
  return { '@context': [VC_V2_CONTEXT], id, type: ['VerifiablePresentation'], verifiableCredential: credentials };
}

/** A VC-API verifiable presentation request asking the wallet to authenticate as its DID. */
export function didAuthRequest(options: { challenge: string; domain: string; exchangeUrl: string }): Json {
  return {
    query: [{ type: 'DIDAuthentication', acceptedMethods: [{ method: 'key' }, { method: 'web' }] }],
    challenge: options.challenge,
    domain: options.domain,
    interact: {
      service: [
        { type: 'VerifiableCredentialApiExchangeService', serviceEndpoint: options.exchangeUrl },
        { type: 'UnmediatedPresentationService2021', serviceEndpoint: options.exchangeUrl },
      ],
    },
  };
}

interface ProofResult {
  readonly verified?: boolean;
  readonly proof?: { verificationMethod?: unknown };
  readonly error?: { message?: string };
}

/**
 * The key of a proof that verified. Only such a proof says who signed: with several proofs, another one may name any
 * key (a decoy) without verifying. Several verified proofs by different DIDs are refused as ambiguous.
 */
function verifiedMethodOf(results: readonly ProofResult[] | undefined): string {
  const methods = (results ?? []).filter((r) => r.verified === true).map((r) => textOf(r.proof?.verificationMethod));
  const dids = new Set(methods.map((m) => m.split('#')[0]));
  return dids.size === 1 ? methods[0]! : '';
}

export class DidAuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DidAuthError';
  }
}

/**
 * Verifies a DID authentication presentation: signed by a key its holder's DID authorises for authentication,
 * over our challenge and domain.
 * @returns the holder DID.
 * @throws {DidAuthError} saying why it does not verify.
 */
export async function verifyDidAuth(options: {
  presentation: unknown;
  challenge: string;
  domain: string;
  documentLoader: DocumentLoader;
}): Promise<string> {
  const { presentation, challenge, domain, documentLoader } = options;
  if (!isObject(presentation)) throw new DidAuthError('verifiablePresentation must be an object');
  const holder = textOf(presentation.holder);
  if (!holder.startsWith('did:')) throw new DidAuthError('the presentation must name its holder DID');
  if (presentation.proof === undefined) throw new DidAuthError('the presentation is not signed');
  // vc.verify rejects (rather than answering verified: false) for a presentation of the wrong shape.
  const result = (await vc
    .verify({ presentation, challenge, domain, suite: createVerifyingSuites(), documentLoader })
    .catch((error: unknown) => ({
      verified: false,
      error: { message: error instanceof Error ? error.message : String(error) },
    }))) as {
    verified: boolean;
    error?: { message?: string; errors?: Array<{ message?: string }> };
    presentationResult?: { results?: ProofResult[] };
  };
  if (!result.verified) {
    const reason = result.error?.errors?.[0]?.message ?? result.error?.message ?? 'the proof does not verify';
    throw new DidAuthError(`DID authentication failed: ${reason}`);
  }
  const method = verifiedMethodOf(result.presentationResult?.results);
  if (method.split('#')[0] !== holder) throw new DidAuthError('the presentation is signed by a key of another DID than its holder');
  return holder;
}

export interface PresentationProofResult {
  readonly verified: boolean;
  readonly holder: string | null;
  readonly errors: readonly string[];
}

const VP_CONTEXTS = ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/2018/credentials/v1'];

/**
 * The presentation's own part of VC-API presentation verification: its shape, and its proof when it has one (an
 * authentication proof by a key of its holder, over `challenge` and `domain`). Its credentials are verified
 * separately, each as a credential.
 * @param requireProof a challenge was asked for, so an unsigned presentation cannot answer it.
 */
export async function verifyPresentationProof(options: {
  presentation: unknown;
  challenge?: string;
  domain?: string;
  requireProof: boolean;
  documentLoader: DocumentLoader;
}): Promise<PresentationProofResult> {
  const { presentation, documentLoader } = options;
  if (!isObject(presentation)) return { verified: false, holder: null, errors: ['the presentation must be a JSON object'] };
  const holderValue = presentation.holder;
  const holder = typeof holderValue === 'string' ? holderValue : isObject(holderValue) ? textOf(holderValue.id) || null : null;
  const errors: string[] = [];
  const contexts = presentation['@context'];
  if (!Array.isArray(contexts) || !VP_CONTEXTS.includes(textOf(contexts[0]))) {
    errors.push(`@context must be an array starting with ${VP_CONTEXTS[0]} (or ${VP_CONTEXTS[1]})`);
  }
  const types = Array.isArray(presentation.type) ? presentation.type : [presentation.type];
  if (!types.includes('VerifiablePresentation')) errors.push('type must include VerifiablePresentation');
  if (presentation.proof === undefined) {
    if (options.requireProof) errors.push('the presentation is not signed, so it cannot answer the challenge');
    return { verified: errors.length === 0, holder, errors };
  }
  if (errors.length > 0) return { verified: false, holder, errors };
  const proofs = (Array.isArray(presentation.proof) ? presentation.proof : [presentation.proof]).filter(isObject);
  // Without a challenge of the caller's, the proof's own is checked for consistency only: no replay protection.
  const challenge = options.challenge ?? textOf(proofs[0]?.challenge);
  const domain = options.domain ?? (textOf(proofs[0]?.domain) || undefined);
  // Only the presentation's proof (which covers the credentials as they are); the caller verifies each credential.
  const result = (await jsigs
    .verify(structuredClone(presentation), {
      suite: createVerifyingSuites(),
      purpose: new jsigs.purposes.AuthenticationProofPurpose({ challenge, domain }),
      documentLoader,
    })
    .catch((error: unknown) => ({ verified: false, error }))) as {
    verified: boolean;
    error?: { message?: string; errors?: Array<{ message?: string }> };
    results?: ProofResult[];
  };
  if (!result.verified) {
    const reason =
      result.error?.errors?.[0]?.message ??
      result.results?.find((r) => r.error)?.error?.message ??
      result.error?.message ??
      'it does not verify';
    return { verified: false, holder, errors: [`The presentation's proof does not verify: ${reason}`] };
  }
  const method = verifiedMethodOf(result.results);
  if (holder !== null && method.split('#')[0] !== holder) {
    return {
      verified: false,
      holder,
      errors: [`The presentation is signed with ${method}, a key of another DID than its holder ${holder}`],
    };
  }
  return { verified: true, holder, errors: [] };
}
