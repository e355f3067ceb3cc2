/**
 * Verifiable Presentations: the earner's wallet file, and DID authentication in the wallet pickup exchange
 * (VC-API exchanges as the Learner Credential Wallet speaks them).
 */
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
    presentationResult?: { results?: Array<{ proof?: { verificationMethod?: unknown } }> };
  };
  if (!result.verified) {
    const reason = result.error?.errors?.[0]?.message ?? result.error?.message ?? 'the proof does not verify';
    throw new DidAuthError(`DID authentication failed: ${reason}`);
  }
  const method = textOf(result.presentationResult?.results?.[0]?.proof?.verificationMethod);
  if (method.split('#')[0] !== holder) throw new DidAuthError('the presentation is signed by a key of another DID than its holder');
  return holder;
}
