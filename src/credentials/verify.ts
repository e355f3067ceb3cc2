/**
 * Verifies any VC or OB 3.0 credential (VCDM 1.1 or 2.0; eddsa-rdfc-2022 or Ed25519Signature2020) and reports
 * each check separately, in the order OB 3.0 §Verification runs them. It fails closed: what cannot be checked
 * (an unreachable DID document, an unknown context, a status list that cannot be read) is an `error`, never a pass.
 */
import jsigs from 'jsonld-signatures';
import * as vc from '@digitalbazaar/vc';
import type { DocumentLoader } from './document-loader.js';
import { DidResolutionError, UnknownContextError } from './document-loader.js';
import { asArray, contextValues, idOf as idOrUndefined, isObject, textOf, type Json } from './json.js';
import {
  checkJwsSignature,
  claimProblems,
  credentialOfPayload,
  decodeJws,
  isoOfSeconds,
  jwtTimeProblem,
  publicKeyOf,
  type DecodedJws,
} from './jwt.js';
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

const idOf = (value: unknown): string | null => idOrUndefined(value) ?? null;

/** Structural VCDM and OB 3.0 requirements that every later check relies on; `jwt`: the proof is the JWS around it. */
function checkShape(credential: Json, securedBy: 'proof' | 'jwt' = 'proof'): Check {
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
  if (securedBy === 'proof' && asArray(credential.proof).length === 0) problems.push('the credential has no proof');
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

/**
 * Every context URL must be one we ship, wherever it appears (top, nested, scoped, imported): nothing is ever fetched,
 * and a DID or URL used as a context never reaches the resolver. Inline context objects are processed (VCDM 2.0 allows
 * them; the VC context's terms are protected, and whatever they define is covered by the proof). Named in the shape
 * check, before any JSON-LD work.
 */
function unknownContexts(credential: Json, documentLoader: DocumentLoader): string[] {
  return contextValues(credential)
    .filter((c) => !(typeof c === 'string' ? documentLoader.isShippedContext(c) : isObject(c)))
    .map((c) => (typeof c === 'string' ? c : `an invalid context (${JSON.stringify(c)?.slice(0, 40) ?? 'nothing'})`));
}

function checkContexts(unknown: readonly string[], shape: Check): Check {
  if (unknown.length === 0) return shape;
  const message = `Uses JSON-LD context ${[...new Set(unknown)].join(', ')}, which is not one this service ships; remote contexts are never fetched`;
  return { check: 'shape', outcome: 'fail', message: shape.outcome === 'pass' ? message : `${shape.message}; ${message}` };
}

function checkValidity(credential: Json, now: Date): Check {
  const v1 = asArray(credential['@context'])[0] === VC_V1;
  const fromField = v1 ? 'issuanceDate' : 'validFrom';
  const untilField = v1 ? 'expirationDate' : 'validUntil';
  const from = credential[fromField];
  const until = credential[untilField];
  const fromDate = from === undefined ? undefined : parseDateTime(from);
  const untilDate = until === undefined ? undefined : parseDateTime(until);
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

/**
 * When a credential was signed, by its issuer's records: a Date if this very document was recorded, null if the
 * issuer is ours but it was not, undefined if the issuer is not ours (the proof's own date is all there is).
 */
export type RecordedSigningTime = (issuer: string, presented: PresentedDocument) => Promise<Date | null | undefined>;

/** A document as presented for verification: its id, and the JSON (with its proofs) or the VC-JWT it came as. */
export interface PresentedDocument {
  readonly id: string | null;
  readonly json?: unknown;
  readonly jwt?: string;
}

const parseDateTime = (value: unknown): Date | null => {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};

/**
 * A key reported compromised (`revoked` on its verification method) still vouches for what it signed before that
 * date. The date of signing comes from the issuer's records when the issuer is ours (a thief can write any
 * `created`), else from the proof.
 * @returns a failure message, or undefined when the signature predates the compromise.
 */
async function compromisedKeyProblem(
  credential: Json,
  signature: { presented: PresentedDocument; created: unknown },
  method: string,
  revokedValue: unknown,
  recordedSigningTime: RecordedSigningTime | undefined,
): Promise<string | undefined> {
  const revoked = parseDateTime(revokedValue);
  if (revoked === null) return `the key ${method} is marked revoked`;
  const issuer = idOf(credential.issuer)!;
  const recorded = await recordedSigningTime?.(issuer, signature.presented);
  const when = `reported compromised from ${revoked.toISOString()}`;
  if (recorded === null)
    return `the key ${method} was ${when}, and the issuer has no record of this credential, so its date cannot be trusted`;
  const signedAt = recorded ?? parseDateTime(signature.created);
  if (signedAt === null) return `the key ${method} was ${when}, and the proof has no date`;
  if (signedAt >= revoked) return `signed with ${method} on ${signedAt.toISOString()}, after the key was ${when}`;
  return undefined;
}

type KeyCheck = { outcome: 'pass'; message: string; vm: Json } | { outcome: 'fail' | 'error'; message: string; final: boolean };

/**
 * Resolves one proof's key (a Data Integrity verificationMethod or a JWT kid) and checks that the issuer controls it,
 * lists it for issuing, and had not reported it compromised when it signed. `final`: a resolution failure, where
 * trying another proof would hide that something could not be checked.
 */
async function checkKey(
  credential: Json,
  issuer: string,
  method: string,
  signature: { presented: PresentedDocument; created: unknown },
  documentLoader: DocumentLoader,
  recordedSigningTime?: RecordedSigningTime,
): Promise<KeyCheck> {
  let vm: Json;
  try {
    vm = (await documentLoader(method)).document as Json;
  } catch (error) {
    const outcome = error instanceof DidResolutionError ? 'error' : 'fail';
    return { outcome, final: true, message: `Could not resolve the issuer's key ${method}: ${(error as Error).message}` };
  }
  const controller = idOf(vm.controller);
  if (controller !== issuer) {
    return {
      outcome: 'fail',
      final: false,
      message: `the key ${method} is controlled by ${controller ?? 'nobody'}, not by the issuer ${issuer}`,
    };
  }
  let controllerDocument: Json;
  try {
    controllerDocument = (await documentLoader(controller)).document as Json;
  } catch (error) {
    const outcome = error instanceof DidResolutionError ? 'error' : 'fail';
    return { outcome, final: true, message: `Could not resolve the issuer ${issuer}: ${(error as Error).message}` };
  }
  const assertion = asArray(controllerDocument.assertionMethod).map(idOf);
  if (!assertion.includes(method)) {
    return { outcome: 'fail', final: false, message: `the issuer ${issuer} does not list ${method} as an assertion method` };
  }
  if (vm.revoked !== undefined) {
    const problem = await compromisedKeyProblem(credential, signature, method, vm.revoked, recordedSigningTime);
    if (problem !== undefined) return { outcome: 'fail', final: false, message: problem };
    return {
      outcome: 'pass',
      vm,
      message: `Signed with ${method}, a key the issuer ${issuer} publishes, before it was reported compromised on ${textOf(vm.revoked)}`,
    };
  }
  return { outcome: 'pass', vm, message: `Signed with ${method}, a key the issuer ${issuer} publishes for issuing credentials` };
}

/** Resolves the proofs' verification methods: one must belong to the issuer and be allowed to assert credentials. */
async function checkIssuerKey(credential: Json, documentLoader: DocumentLoader, recordedSigningTime?: RecordedSigningTime): Promise<Check> {
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
    const signature = {
      presented: { id: typeof credential.id === 'string' ? credential.id : null, json: credential },
      created: proof.created,
    };
    const result = await checkKey(credential, issuer, method, signature, documentLoader, recordedSigningTime);
    if (result.outcome === 'pass' || result.final) return { check: 'issuer', outcome: result.outcome, message: result.message };
    messages.push(result.message);
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

/**
 * The signature libraries refuse any key marked `revoked`, whatever the date; the issuer check above judges the date,
 * so the signature itself is checked without the mark.
 */
function withoutRevocation<T extends { document: unknown }>(loaded: T): T {
  const strip = (vm: unknown) => (isObject(vm) && 'revoked' in vm ? (({ revoked: _r, ...rest }) => rest)(vm) : vm);
  const document = loaded.document;
  if (!isObject(document)) return loaded;
  if ('revoked' in document) return { ...loaded, document: strip(document) };
  if (Array.isArray(document.verificationMethod) && document.verificationMethod.some((vm) => isObject(vm) && 'revoked' in vm)) {
    return { ...loaded, document: { ...document, verificationMethod: document.verificationMethod.map(strip) } };
  }
  return loaded;
}

async function checkProof(credential: Json, documentLoader: DocumentLoader): Promise<Check> {
  // A key that cannot be fetched makes the proof uncheckable (error), unlike a wrong signature (fail).
  let unreachable = false;
  const tracingLoader = async (url: string) => {
    try {
      return withoutRevocation(await documentLoader(url));
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
  /** Our records of when our issuers signed what (key compromise dates are judged by them). */
  recordedSigningTime?: RecordedSigningTime;
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
    checks.push(await checkIssuerKey(credential, documentLoader, options.recordedSigningTime));
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

/**
 * Verifies a VC-JWT (OB 3.0 §8.2.4.1): the credential in its payload gets the same shape, schema, validity and status
 * checks as any credential; the key named by `kid` must be the issuer's (as for a Data Integrity proof) and the
 * registered claims must restate the credential. Never throws for a bad JWT.
 */
export async function verifyJwtCredential(options: {
  jwt: string;
  documentLoader: DocumentLoader;
  now: Date;
  checkStatus: StatusChecker;
  checkSchema?: SchemaChecker;
  recordedSigningTime?: RecordedSigningTime;
}): Promise<VerificationReport> {
  const { documentLoader, now } = options;
  let jws: DecodedJws;
  try {
    jws = decodeJws(options.jwt);
  } catch (error) {
    const check: Check = { check: 'shape', outcome: 'fail', message: (error as Error).message };
    return { verified: false, credentialId: null, issuer: null, checks: [check], warnings: [], errors: [check.message] };
  }
  const credential = credentialOfPayload(jws.payload);
  const unknown = unknownContexts(credential, documentLoader);
  let shape = checkContexts(unknown, checkShape(credential, 'jwt'));
  const claims = claimProblems(jws.payload, credential);
  const extraHeaders = Object.keys(jws.header).filter((h) => !['alg', 'kid', 'jwk', 'typ'].includes(h));
  if (extraHeaders.includes('crit')) claims.push('the JWT header has critical extensions (crit) this verifier does not understand');
  if (claims.length > 0)
    shape = { check: 'shape', outcome: 'fail', message: [...(shape.outcome === 'fail' ? [shape.message] : []), ...claims].join('; ') };
  const checks: Check[] = [shape];
  const schema = options.checkSchema?.(credential);
  if (schema !== undefined) checks.push({ check: 'schema', ...schema });

  const issuer = idOf(credential.issuer);
  const kid = textOf(jws.header.kid);
  const alg = textOf(jws.header.alg) || 'none';
  let keyCheck: Check;
  let proofCheck: Check;
  if (issuer === null) {
    keyCheck = { check: 'issuer', outcome: 'fail', message: 'The credential names no issuer' };
    proofCheck = { check: 'proof', outcome: 'fail', message: 'Not checked: no issuer' };
  } else if (!kid.startsWith('did:')) {
    const message = kid
      ? `The JWT key ${kid} is not a DID URL; only keys in the issuer's DID document are accepted`
      : 'The JWT names no key (kid): a bare jwk header does not show the key is the issuer’s';
    keyCheck = { check: 'issuer', outcome: 'fail', message };
    proofCheck = { check: 'proof', outcome: 'fail', message: 'Not checked: the signing key is unknown' };
  } else {
    const presented = { id: typeof credential.id === 'string' ? credential.id : null, jwt: options.jwt.trim() };
    const signature = { presented, created: nbfDate(jws.payload) };
    const key = await checkKey(credential, issuer, kid, signature, documentLoader, options.recordedSigningTime);
    keyCheck = { check: 'issuer', outcome: key.outcome, message: key.message };
    if (key.outcome !== 'pass')
      proofCheck = { check: 'proof', outcome: key.outcome, message: 'Not checked: the signing key is not the issuer’s' };
    else {
      let problem: string | undefined;
      try {
        problem = checkJwsSignature(jws, publicKeyOf(key.vm));
      } catch (error) {
        problem = `The issuer's key ${kid} cannot be read: ${(error as Error).message}`;
      }
      proofCheck =
        problem === undefined
          ? { check: 'proof', outcome: 'pass', message: `The ${alg} JWT signature is valid` }
          : { check: 'proof', outcome: 'fail', message: problem };
      // A proof embedded in the payload (OB 3.0 issuers may sign the credential before the JWT) must verify too: a
      // broken one would fail anyone who takes the credential out of the JWT.
      if (proofCheck.outcome === 'pass' && credential.proof !== undefined) {
        const embedded = await checkProof(credential, documentLoader);
        if (embedded.outcome !== 'pass') {
          proofCheck = { ...embedded, message: `The JWT signature is valid, but the embedded proof is not: ${embedded.message}` };
        } else proofCheck = { ...proofCheck, message: `${proofCheck.message}, and so is the embedded proof` };
      }
    }
  }
  const validity = checkValidity(credential, now);
  const jwtTime = jwtTimeProblem(jws.payload, now);
  checks.push(
    keyCheck,
    proofCheck,
    validity.outcome === 'pass' && jwtTime !== undefined ? { check: 'validity', outcome: 'fail', message: jwtTime } : validity,
  );
  if (proofCheck.outcome !== 'pass' && credential.credentialStatus !== undefined) {
    checks.push({ check: 'status', outcome: 'fail', message: 'Not checked: the JWT signature was not accepted' });
  } else if (proofCheck.outcome === 'pass') {
    const status = await options.checkStatus(credential);
    if (status !== undefined) checks.push({ check: 'status', ...status });
  }
  const warnings: string[] = [];
  if (alg === 'EdDSA') warnings.push('EdDSA VC-JWT: valid, but the 1EdTech validator accepts only RS256 and ES256');
  if (jws.header.typ !== undefined && jws.header.typ !== 'JWT')
    warnings.push(`The JWT typ is ${textOf(jws.header.typ)}; Open Badges 3.0 says JWT`);
  const failed = checks.filter((c) => c.outcome !== 'pass');
  return {
    verified: failed.length === 0,
    credentialId: typeof credential.id === 'string' ? credential.id : null,
    issuer,
    checks,
    warnings,
    errors: failed.map((c) => `${c.check}: ${c.message}`),
  };
}

const nbfDate = (payload: Json): string | undefined => isoOfSeconds(payload.nbf);
