/**
 * The wallet's side of earner access, sharing no code with src/ (like independent-verifier.ts, whose loader it
 * extends): verifying a wallet file (an unsigned presentation) and a CLR 2.0 ClrCredential with stock
 * @digitalbazaar libraries, and holders with a did:key that sign DID authentication presentations as the
 * Learner Credential Wallet does in a VC-API exchange.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import { DataIntegrityProof } from '@digitalbazaar/data-integrity';
import { Ed25519Signature2020 } from '@digitalbazaar/ed25519-signature-2020';
import { cryptosuite as eddsaRdfc2022 } from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
// @ts-expect-error -- the package ships no type declarations; the little used here is typed by Key2020 below
import { Ed25519VerificationKey2020 as UntypedKey2020 } from '@digitalbazaar/ed25519-verification-key-2020';
import { checkStatus } from '@digitalbazaar/vc-bitstring-status-list';
import { independentDocumentLoader } from './independent-verifier.js';

declare module '@digitalbazaar/vc' {
  export function createPresentation(options?: {
    verifiableCredential?: unknown;
    id?: string;
    holder?: string;
    version?: number;
  }): Record<string, unknown>;
  export function signPresentation(options: {
    presentation: Record<string, unknown>;
    suite: unknown;
    challenge: string;
    domain?: string;
    documentLoader: (url: string) => Promise<unknown>;
  }): Promise<Record<string, unknown>>;
}

interface Key2020 {
  id: string;
  controller: string;
  fingerprint(): string;
}
const Ed25519VerificationKey2020 = UntypedKey2020 as { generate(): Promise<Key2020> };

type Loader = (url: string) => Promise<{ contextUrl: null; documentUrl: string; document: unknown }>;
export type VerifyResult = { verified: boolean; error?: unknown; statusResult?: unknown; credentialResults?: unknown[] };

export const CLR_CONTEXT_URL = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';

/** The CLR 2.0.1 context, public 1EdTech data shipped in contexts/ and pinned by sha256 in contexts/manifest.json. */
function readClrContext(): unknown {
  const dir = new URL('../../contexts/', import.meta.url);
  const manifest = JSON.parse(fs.readFileSync(new URL('manifest.json', dir), 'utf8')) as Array<{
    url: string;
    file: string;
    sha256: string;
  }>;
  const entry = manifest.find((e) => e.url === CLR_CONTEXT_URL);
  if (entry === undefined) throw new Error(`contexts/manifest.json does not list ${CLR_CONTEXT_URL}`);
  const bytes = fs.readFileSync(new URL(entry.file, dir));
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  if (digest !== entry.sha256) throw new Error(`contexts/${entry.file} does not match its pinned sha256`);
  return JSON.parse(bytes.toString('utf8'));
}
const clrContext = readClrContext();

/** The independent loader plus the CLR 2.0.1 context, and nothing else. */
export const clrDocumentLoader: Loader = async (url) =>
  url === CLR_CONTEXT_URL
    ? { contextUrl: null, documentUrl: url, document: clrContext }
    : (independentDocumentLoader(url) as ReturnType<Loader>);

const suites = () => [new DataIntegrityProof({ cryptosuite: eddsaRdfc2022 }), new Ed25519Signature2020()];

/** As verifyIndependently: the library's `verified` means "the list could be read"; a set bit fails. */
const statusChecker = (documentLoader: Loader) => async (options: unknown) => {
  const result = (await checkStatus({ ...(options as object), suite: suites(), documentLoader })) as {
    verified: boolean;
    results?: Array<{ status?: boolean }>;
  };
  return { ...result, verified: result.verified && !(result.results ?? []).some((r) => r.status === true) };
};

/** A wallet file: the presentation is unsigned; each credential in it must verify (status included). */
export async function verifyPresentationIndependently(presentation: unknown): Promise<VerifyResult> {
  return vc.verify({
    presentation,
    unsignedPresentation: true,
    suite: suites(),
    documentLoader: independentDocumentLoader,
    checkStatus: statusChecker(independentDocumentLoader),
  });
}

/** A ClrCredential (signed by its issuer; its own proof, not the bundled credentials' ones). */
export async function verifyClrIndependently(clr: unknown): Promise<VerifyResult> {
  return vc.verifyCredential({
    credential: clr,
    suite: suites(),
    documentLoader: clrDocumentLoader,
    checkStatus: statusChecker(clrDocumentLoader),
  });
}

/** A wallet holder: a did:key and a suite signing with its key. */
export interface Holder {
  readonly did: string;
  readonly proofType: 'eddsa-rdfc-2022' | 'Ed25519Signature2020';
  suite(): unknown;
}

/** A did:key holder with an Ed25519 Multikey, signing DataIntegrityProof eddsa-rdfc-2022 (as LCW does). */
export async function multikeyHolder(): Promise<Holder> {
  const pair = await Ed25519Multikey.generate();
  const did = `did:key:${pair.publicKeyMultibase}`;
  const key = await Ed25519Multikey.from({
    ...(await pair.export({ publicKey: true, secretKey: true, includeContext: true })),
    id: `${did}#${pair.publicKeyMultibase}`,
    controller: did,
  });
  return { did, proofType: 'eddsa-rdfc-2022', suite: () => new DataIntegrityProof({ signer: key.signer(), cryptosuite: eddsaRdfc2022 }) };
}

/** A did:key holder with an Ed25519VerificationKey2020, signing Ed25519Signature2020 (older wallets). */
export async function ed25519Signature2020Holder(): Promise<Holder> {
  const key = await Ed25519VerificationKey2020.generate();
  const did = `did:key:${key.fingerprint()}`;
  key.controller = did;
  key.id = `${did}#${key.fingerprint()}`;
  return { did, proofType: 'Ed25519Signature2020', suite: () => new Ed25519Signature2020({ key }) };
}

/** A DID authentication presentation over `challenge` and `domain`, naming `holderDid` (default: the signer's DID). */
export async function signDidAuth(
  holder: Holder,
  options: { challenge: string; domain: string; holderDid?: string; verifiableCredential?: unknown[] },
): Promise<Record<string, unknown>> {
  const presentation = vc.createPresentation({
    holder: options.holderDid ?? holder.did,
    verifiableCredential: options.verifiableCredential,
  });
  return vc.signPresentation({
    presentation,
    suite: holder.suite(),
    challenge: options.challenge,
    domain: options.domain,
    documentLoader: independentDocumentLoader,
  });
}

/** The same presentation, unsigned (no proof). */
export const unsignedDidAuth = (holder: Holder): Record<string, unknown> => vc.createPresentation({ holder: holder.did });
