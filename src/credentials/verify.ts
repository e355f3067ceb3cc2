/**
 * Verifies any VC or OB 3.0 credential (VCDM 1.1 or 2.0; eddsa-rdfc-2022 or Ed25519Signature2020) and reports
 * each check separately, in the order OB 3.0 §Verification runs them. It fails closed: what cannot be checked
 * (an unreachable DID document, an unknown context, a status list that cannot be read) is an `error`, never a pass.
 */
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';
import type { DocumentLoader } from './document-loader.js';
import { DidResolutionError, UnknownContextError } from './document-loader.js';
import { asArray, isObject, textOf, type Json } from './json.js';
import { createVerifyingSuites } from './suites.js';

export type CheckName = 'shape' | 'schema' | 'issuer' | 'proof' | 'validity' | 'status' | 'endorsement';
export type Outcome = 'pass' | 'fail' | 'error';

export interface Check {
  readonly check: CheckName;
  readonly outcome: Outcome;
  readonly message: string;
}

export interface VerificationReport {
  readonly verified: boolean;
  readonly credentialId: string | null;
  readonly issuer: string | null;
  readonly checks: readonly Check[];
  readonly warnings: readonly string[];
  readonly errors: readonly string[];
}

export interface StatusOutcome {
  readonly outcome: Outcome;
  readonly message: string;
}

/** The status outcome, or undefined when there is nothing to check (no entry and nothing recorded). */
export type StatusChecker = (credential: Record<string, unknown>) => Promise<StatusOutcome | undefined>;
export type SchemaChecker = (credential: Record<string, unknown>) => { outcome: Outcome; message: string } | undefined;

const VC_V1 = 'https://www.w3.org/2018/credentials/v1';
/** Each proof may cost an outbound DID resolution: more than this many are not checked. */
const MAX_PROOFS = 4;
const VC_V2 = 'https://www.w3.org/ns/credentials/v2';
const OB_TYPES = ['OpenBadgeCredential', 'AchievementCredential'];

const idOf = (value: unknown): string | null =>
  typeof value === 'string' ? value : isObject(value) && typeof value.id === 'string' ? value.id : null;

/** Structural VCDM and OB 3.0 requirements that every later check relies on. */
function checkShape(credential: Json): Check {
  const problems: string[] = [];
  const contexts = asArray(credential['@context']);
  if (!Array.isArray(credential['@context']) || (contexts[0] !== VC_V1 && contexts[0] !== VC_V2)) {
    problems.push(`@context must be an array starting with ${VC_V2} (or ${VC_V1})`);
  }
  const types = asArray(credential.type);
  if (!types.includes('VerifiableCredential')) problems.push('type must include VerifiableCredential');
  if (idOf(credential.issuer) === null) problems.push('issuer must be a URI or an object with an id');
  const subjects = asArray(credential.credentialSubject);
  if (subjects.length === 0 || !subjects.every(isObject)) problems.push('credentialSubject must be an object');
  if (asArray(credential.proof).length === 0) problems.push('the credential has no proof');
  if (types.some((t) => OB_TYPES.includes(textOf(t)))) {
    if (typeof credential.id !== 'string') problems.push('an OB 3.0 credential must have an id');
    const subject = subjects[0];
    if (isObject(subject)) {
      if (!isObject(subject.achievement)) problems.push('credentialSubject.achievement is required');
      if (subject.id === undefined && asArray(subject.identifier).length === 0) {
        problems.push('credentialSubject needs an id or an identifier');
      }
    }
    if (contexts[0] === VC_V2 && typeof credential.validFrom !== 'string') problems.push('validFrom is required');
    if (contexts[0] === VC_V1 && typeof credential.issuanceDate !== 'string') problems.push('issuanceDate is required');
  }
  return problems.length === 0
    ? {
        check: 'shape',
        outcome: 'pass',
        message:
          'The credential has the structure of a verifiable credential' +
          (types.some((t) => OB_TYPES.includes(textOf(t))) ? ' and an Open Badge 3.0' : ''),
      }
    : { check: 'shape', outcome: 'fail', message: problems.join('; ') };
}

/** Every `@context`, at the top or nested in any node (JSON-LD applies embedded and scoped contexts too). */
function contextValues(value: unknown, found: unknown[] = [], depth = 0): unknown[] {
  if (depth > 64 || typeof value !== 'object' || value === null) return found;
  if (Array.isArray(value)) {
    for (const item of value) contextValues(item, found, depth + 1);
    return found;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === '@context') found.push(...asArray(child));
    else contextValues(child, found, depth + 1);
  }
  return found;
}

/**
 * Every context must be a URL we ship, wherever it appears: an inline context could import or scope anything
 * (even a DID URL), so it is refused rather than processed. Named in the shape check, before any JSON-LD work.
 */
function unknownContexts(credential: Json, documentLoader: DocumentLoader): string[] {
  return contextValues(credential)
    .filter((c) => typeof c !== 'string' || !documentLoader.isShippedContext(c))
    .map((c) => (typeof c === 'string' ? c : 'an inline context'));
}

function checkContexts(unknown: readonly string[], shape: Check): Check {
  if (unknown.length === 0) return shape;
  const message = `Uses JSON-LD context ${[...new Set(unknown)].join(', ')}, which is not one this service ships; remote and inline contexts are never processed`;
  return { check: 'shape', outcome: 'fail', message: shape.outcome === 'pass' ? message : `${shape.message}; ${message}` };
}

function checkValidity(credential: Json, now: Date): Check {
  const v1 = asArray(credential['@context'])[0] === VC_V1;
  const fromField = v1 ? 'issuanceDate' : 'validFrom';
  const untilField = v1 ? 'expirationDate' : 'validUntil';
  const from = credential[fromField];
  const until = credential[untilField];
  const parse = (value: unknown): Date | null => {
    if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? null : date;
  };
  const fromDate = from === undefined ? undefined : parse(from);
  const untilDate = until === undefined ? undefined : parse(until);
  if (fromDate === null) return { check: 'validity', outcome: 'fail', message: `${fromField} is not a date-time with a time zone` };
  if (untilDate === null) return { check: 'validity', outcome: 'fail', message: `${untilField} is not a date-time with a time zone` };
  if (fromDate && untilDate && untilDate < fromDate) {
    return { check: 'validity', outcome: 'fail', message: `${untilField} is before ${fromField}` };
  }
  if (fromDate && fromDate > now) {
    return { check: 'validity', outcome: 'fail', message: `Not yet valid: valid from ${fromDate.toISOString()}` };
  }
  if (untilDate && untilDate < now) {
    return { check: 'validity', outcome: 'fail', message: `Expired on ${untilDate.toISOString()}` };
  }
  return {
    check: 'validity',
    outcome: 'pass',
    message: untilDate
      ? `Valid from ${fromDate?.toISOString() ?? 'issuance'} until ${untilDate.toISOString()}`
      : `Valid from ${fromDate?.toISOString() ?? 'issuance'}, no expiry`,
  };
}

/** Resolves the proof's verification method and checks it belongs to the issuer and may assert credentials. */
async function checkIssuerKey(credential: Json, documentLoader: DocumentLoader): Promise<Check> {
  const issuer = idOf(credential.issuer);
  const proofs = asArray(credential.proof).filter(isObject);
  if (issuer === null || proofs.length === 0) return { check: 'issuer', outcome: 'fail', message: 'No issuer or no proof to check' };
  const messages: string[] = [];
  for (const proof of proofs) {
    const method = idOf(proof.verificationMethod);
    if (method === null) {
      messages.push('a proof names no verificationMethod');
      continue;
    }
    let vm: Json;
    try {
      vm = (await documentLoader(method)).document as Json;
    } catch (error) {
      const outcome = error instanceof DidResolutionError ? 'error' : 'fail';
      return { check: 'issuer', outcome, message: `Could not resolve the issuer's key ${method}: ${(error as Error).message}` };
    }
    const controller = idOf(vm.controller);
    if (controller !== issuer) {
      messages.push(`the key ${method} is controlled by ${controller ?? 'nobody'}, not by the issuer ${issuer}`);
      continue;
    }
    let controllerDocument: Json;
    try {
      controllerDocument = (await documentLoader(controller)).document as Json;
    } catch (error) {
      const outcome = error instanceof DidResolutionError ? 'error' : 'fail';
      return { check: 'issuer', outcome, message: `Could not resolve the issuer ${issuer}: ${(error as Error).message}` };
    }
    const assertion = asArray(controllerDocument.assertionMethod).map(idOf);
    if (!assertion.includes(method)) {
      messages.push(`the issuer ${issuer} does not list ${method} as an assertion method`);
      continue;
    }
    return {
      check: 'issuer',
      outcome: 'pass',
      message: `Signed with ${method}, a key the issuer ${issuer} publishes for issuing credentials`,
    };
  }
  return { check: 'issuer', outcome: 'fail', message: messages.join('; ') };
}

function describeError(error: unknown): string {
  if (error instanceof UnknownContextError) return error.message;
  const e = error as { message?: string; errors?: unknown[]; cause?: unknown; details?: { cause?: unknown } };
  const cause = e.details?.cause ?? e.cause;
  if (cause !== undefined && cause !== error) return describeError(cause);
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.map(describeError).join('; ');
  if (e.message?.includes('Invalid signature'))
    return 'The signature does not match the credential: it was altered after signing or signed with another key';
  if (e.message) return e.message;
  return typeof error === 'string' ? error : 'verification failed';
}

async function checkProof(credential: Json, documentLoader: DocumentLoader): Promise<Check> {
  // A key that cannot be fetched makes the proof uncheckable (error), unlike a wrong signature (fail).
  let unreachable = false;
  const tracingLoader = async (url: string) => {
    try {
      return await documentLoader(url);
    } catch (error) {
      if (error instanceof DidResolutionError) unreachable = true;
      throw error;
    }
  };
  try {
    const result = await jsigs.verify(structuredClone(credential), {
      suite: createVerifyingSuites(),
      purpose: new vc.CredentialIssuancePurpose(),
      documentLoader: tracingLoader,
    });
    if (result.verified) {
      const types = asArray(credential.proof)
        .filter(isObject)
        .map((p) => (p.cryptosuite ? `${textOf(p.type)} (${textOf(p.cryptosuite)})` : textOf(p.type)));
      return { check: 'proof', outcome: 'pass', message: `The ${types.join(', ')} signature is valid` };
    }
    const errors = [result.error, ...(result.results ?? []).map((r) => r.error)].filter((e) => e !== undefined);
    const message = errors.length > 0 ? [...new Set(errors.map(describeError))].join('; ') : 'No supported proof was found';
    return { check: 'proof', outcome: unreachable ? 'error' : 'fail', message };
  } catch (error) {
    return { check: 'proof', outcome: 'fail', message: describeError(error) };
  }
}

/**
 * Verifies `credential` at time `now`.
 * @returns a report; never throws for a bad credential.
 */
export async function verifyCredential(options: {
  credential: unknown;
  documentLoader: DocumentLoader;
  now: Date;
  checkStatus: StatusChecker;
  checkSchema?: SchemaChecker;
  /** Verifies the endorsements embedded in the credential (OB 3.0 §Verification step 6); run only when its proof holds. */
  checkEndorsements?: (credential: Json) => Promise<StatusOutcome | undefined>;
}): Promise<VerificationReport> {
  const { credential, documentLoader, now } = options;
  if (!isObject(credential)) {
    const check: Check = { check: 'shape', outcome: 'fail', message: 'The credential must be a JSON object' };
    return { verified: false, credentialId: null, issuer: null, checks: [check], warnings: [], errors: [check.message] };
  }
  const unknown = unknownContexts(credential, documentLoader);
  const checks: Check[] = [checkContexts(unknown, checkShape(credential))];
  const schema = options.checkSchema?.(credential);
  if (schema !== undefined) checks.push({ check: 'schema', ...schema });
  const proofs = asArray(credential.proof).length;
  if (unknown.length > 0 || proofs > MAX_PROOFS) {
    // Processing a document with a context we do not ship could make JSON-LD resolve it: never try.
    const message =
      unknown.length > 0
        ? 'Not checked: the credential uses a JSON-LD context this service does not ship'
        : `Not checked: more than ${MAX_PROOFS} proofs`;
    checks.push({ check: 'issuer', outcome: 'fail', message }, { check: 'proof', outcome: 'fail', message });
  } else {
    checks.push(await checkIssuerKey(credential, documentLoader));
    checks.push(await checkProof(credential, documentLoader));
  }
  checks.push(checkValidity(credential, now));
  // Status lists are fetched only for credentials whose signature holds: an unsigned body cannot make us fetch.
  const signed = checks.every((c) => c.check !== 'proof' || c.outcome === 'pass');
  if (credential.credentialStatus !== undefined && !signed) {
    checks.push({ check: 'status', outcome: 'fail', message: 'Not checked: the credential’s proof does not verify' });
  } else {
    const status = await options.checkStatus(credential);
    if (status !== undefined) checks.push({ check: 'status', ...status });
  }
  if (signed && options.checkEndorsements !== undefined) {
    const endorsements = await options.checkEndorsements(credential);
    if (endorsements !== undefined) checks.push({ check: 'endorsement', ...endorsements });
  }

  const warnings: string[] = [];
  if (asArray(credential['@context'])[0] === VC_V1)
    warnings.push('VCDM 1.1 credential: accepted for verification, not the current data model');
  const failed = checks.filter((c) => c.outcome !== 'pass');
  return {
    verified: failed.length === 0,
    credentialId: typeof credential.id === 'string' ? credential.id : null,
    issuer: idOf(credential.issuer),
    checks,
    warnings,
    errors: failed.map((c) => `${c.check}: ${c.message}`),
  };
}
