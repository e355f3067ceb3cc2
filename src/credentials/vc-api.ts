/**
 * Credentials given whole to the W3C VC-API issue endpoint (`POST /credentials/issue`): the caller writes the
 * credential, we check it is one we may sign for this issuer, complete it (id, status, proof contexts, and for
 * Open Badges the OB 3.0 schema and validFrom), and sign it unchanged otherwise. Pure.
 */
import { OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, OB_EXTENSIONS_CONTEXT, toDateTimeStamp, VC_V2_CONTEXT } from './build.js';
import { asArray, contextValues, idOf, isObject, textOf, type Json } from './json.js';
import { declaredSchemaIds } from './schema.js';

export const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
export const DATA_INTEGRITY_V2_CONTEXT = 'https://w3id.org/security/data-integrity/v2';
const OB_TYPES = ['OpenBadgeCredential', 'AchievementCredential'];

export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

export interface GivenCredential {
  /** The data model, from the first context. */
  readonly version: '1.1' | '2.0';
  /** An Open Badges 3.0 credential (validated against the OB 3.0 schema before signing). */
  readonly openBadge: boolean;
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** The longest credential id we record (it is indexed). */
export const MAX_ID_BYTES = 2048;
/** An absolute IRI: a scheme, a colon, then no spaces (URLs, URNs and DIDs). */
const ABSOLUTE_IRI = /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]+$/;

/**
 * Checks a credential given for signing by `issuerDid`.
 * @returns what it is, or every problem found (pointers into the request body).
 */
export function inspectGivenCredential(
  credential: unknown,
  issuerDid: string,
  isShippedContext: (url: string) => boolean,
  /** options.credentialId: the id to give a credential that has none. */
  credentialId?: string,
): GivenCredential | { errors: FieldError[] } {
  const errors: FieldError[] = [];
  const at = (path: string, detail: string) => errors.push({ pointer: `#/credential${path}`, detail });
  if (!isObject(credential)) return { errors: [{ pointer: '#/credential', detail: 'credential must be a JSON object' }] };

  const contexts = credential['@context'];
  const first = Array.isArray(contexts) ? contexts[0] : undefined;
  if (!Array.isArray(contexts) || (first !== VC_V2_CONTEXT && first !== VC_V1_CONTEXT)) {
    at('/@context', `@context must be an array whose first item is ${VC_V2_CONTEXT} (VCDM 2.0) or ${VC_V1_CONTEXT} (VCDM 1.1)`);
  } else if (contextValues(credential).some((c) => typeof c !== 'string' && !isObject(c))) {
    at('/@context', 'each @context item must be a URL or an object (an inline context)');
  } else {
    // Remote contexts are never fetched: one we do not ship could define anything.
    const unknown = [...new Set(contextValues(credential).filter((c): c is string => typeof c === 'string' && !isShippedContext(c)))];
    if (unknown.length > 0) {
      at('/@context', `JSON-LD context ${unknown.join(', ')} is not one this service ships (contexts/); remote contexts are never fetched`);
    }
  }
  const version = first === VC_V1_CONTEXT ? '1.1' : '2.0';

  const types = asArray(credential.type);
  if (!(typeof credential.type === 'string' || Array.isArray(credential.type)) || types.some((t) => typeof t !== 'string')) {
    at('/type', 'type must be a string or an array of strings');
  } else if (!types.includes('VerifiableCredential')) {
    at('/type', 'type must include VerifiableCredential');
  }

  const issuer = idOf(credential.issuer);
  if (issuer === undefined) at('/issuer', 'issuer must be a URL or an object with an id');
  else if (issuer !== issuerDid) {
    at('/issuer', `issuer ${issuer} is not the issuer of this API key (${issuerDid}); an API key signs only as its own issuer`);
  }

  const subjects = asArray(credential.credentialSubject);
  if (subjects.length === 0 || !subjects.every((s) => isObject(s) && Object.keys(s).length > 0)) {
    at('/credentialSubject', 'credentialSubject must be a non-empty object (or an array of them)');
  }
  if (credential.id !== undefined && (typeof credential.id !== 'string' || !ABSOLUTE_IRI.test(credential.id))) {
    at('/id', 'id must be an absolute URL or URN');
  } else if (typeof credential.id === 'string' && Buffer.byteLength(credential.id) > MAX_ID_BYTES) {
    at('/id', `id must be at most ${MAX_ID_BYTES} bytes`);
  }
  if (credentialId !== undefined && (!ABSOLUTE_IRI.test(credentialId) || Buffer.byteLength(credentialId) > MAX_ID_BYTES)) {
    errors.push({
      pointer: '#/options/credentialId',
      detail: `options.credentialId must be an absolute URL or URN of at most ${MAX_ID_BYTES} bytes`,
    });
  }
  if (credential.proof !== undefined) at('/proof', 'the credential is already signed; send it without a proof');

  const [fromField, untilField] = version === '1.1' ? ['issuanceDate', 'expirationDate'] : ['validFrom', 'validUntil'];
  const dates: Record<string, Date> = {};
  for (const field of [fromField, untilField]) {
    const value = credential[field];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) {
      at(`/${field}`, `${field} must be a date-time with a time zone, such as 2026-09-01T00:00:00Z`);
    } else dates[field] = new Date(value);
  }
  if (dates[fromField] && dates[untilField] && dates[untilField] < dates[fromField]) {
    at(`/${untilField}`, `${untilField} is before ${fromField}`);
  }
  if (version === '1.1' && (credential.validFrom !== undefined || credential.validUntil !== undefined)) {
    at('/validFrom', 'validFrom and validUntil are VCDM 2.0 terms; a VCDM 1.1 credential uses issuanceDate and expirationDate');
  }

  if (version === '2.0') errors.push(...dataModelErrors(credential));

  const openBadge = types.some((t) => OB_TYPES.includes(textOf(t)));
  if (openBadge && version === '1.1') {
    at('/@context', 'Open Badges 3.0 credentials are issued on VCDM 2.0 (the OB 3.0.3 schema); use the v2 context');
  }
  return errors.length > 0 ? { errors } : { version, openBadge };
}

/** Properties whose every value VCDM 2.0 requires to be an object with a `type` (and, for credentialSchema, an `id` URL). */
const TYPED_PROPERTIES = ['credentialStatus', 'credentialSchema', 'refreshService', 'termsOfUse', 'evidence'] as const;

/** VCDM 2.0 requirements on optional properties (§4.9–4.13, §5.3): an issuer must not sign what breaks them. */
function dataModelErrors(credential: Json): FieldError[] {
  const errors: FieldError[] = [];
  for (const property of TYPED_PROPERTIES) {
    asArray(credential[property]).forEach((value, i) => {
      const pointer = `#/credential/${property}${Array.isArray(credential[property]) ? `/${i}` : ''}`;
      if (!isObject(value)) errors.push({ pointer, detail: `each ${property} must be an object` });
      else if (typeof value.type !== 'string' && !(Array.isArray(value.type) && value.type.length > 0)) {
        errors.push({ pointer, detail: `each ${property} must have a type` });
      } else if (property === 'credentialSchema' && (typeof value.id !== 'string' || !ABSOLUTE_IRI.test(value.id))) {
        errors.push({ pointer, detail: 'each credentialSchema must have an id that is a URL' });
      }
    });
  }
  const related = credential.relatedResource;
  if (related !== undefined) {
    const ids = new Set<string>();
    asArray(related).forEach((resource, i) => {
      const pointer = `#/credential/relatedResource/${i}`;
      if (!isObject(resource)) return errors.push({ pointer, detail: 'each relatedResource must be an object' });
      if (typeof resource.id !== 'string' || !ABSOLUTE_IRI.test(resource.id)) {
        return errors.push({ pointer, detail: 'each relatedResource must have an id that is a URL' });
      }
      if (ids.has(resource.id)) errors.push({ pointer, detail: `relatedResource ${resource.id} is listed twice; ids must be unique` });
      ids.add(resource.id);
      if (resource.digestSRI === undefined && resource.digestMultibase === undefined) {
        errors.push({ pointer, detail: 'each relatedResource must have a digestSRI or a digestMultibase' });
      }
      return undefined;
    });
  }
  return errors;
}

/**
 * The credential to sign: the given one with an `id` (when it has none), the contexts its proof needs, a status
 * entry (when given) and, for an Open Badge, the OB 3.0 credentialSchema and validFrom (OB requires both).
 */
export function completeGivenCredential(
  credential: Json,
  given: GivenCredential,
  options: { id: string; now: Date; proofContexts: readonly string[]; credentialStatus?: Json },
): Json {
  const contexts = [...(credential['@context'] as unknown[])];
  const schemas = asArray(credential.credentialSchema);
  const addsSchema = given.openBadge && !schemas.some((s) => idOf(s) === OB_ACHIEVEMENT_CREDENTIAL_SCHEMA);
  // The schema's type, 1EdTechJsonSchemaValidator2019, is defined by the OB extensions context, not the OB context:
  // added with our schema entry, or for a badge that declares one itself.
  const needsExtensions = addsSchema || (given.openBadge && declaredSchemaIds(credential).length > 0);
  for (const context of [...(needsExtensions ? [OB_EXTENSIONS_CONTEXT] : []), ...options.proofContexts]) {
    if (!contexts.includes(context)) contexts.push(context);
  }
  const completed: Json = { ...credential, '@context': contexts };
  if (completed.id === undefined) completed.id = options.id;
  if (options.credentialStatus !== undefined && completed.credentialStatus === undefined)
    completed.credentialStatus = options.credentialStatus;
  if (given.openBadge) {
    if (completed.validFrom === undefined) completed.validFrom = toDateTimeStamp(options.now);
    if (addsSchema) {
      completed.credentialSchema = [...schemas, { id: OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }];
    }
  }
  return completed;
}

/** Contexts a proof type needs in a document of `version`, beyond the document's own. */
export function proofContextsFor(version: GivenCredential['version'], proofContexts: readonly string[], dataIntegrity: boolean): string[] {
  // VCDM 2.0's context defines DataIntegrityProof; 1.1's does not.
  return [...(version === '1.1' && dataIntegrity ? [DATA_INTEGRITY_V2_CONTEXT] : []), ...proofContexts];
}
