/**
 * CLR 2.0 `ClrCredential` (1EdTech Comprehensive Learner Record): one issuer's credentials for one earner,
 * bundled and signed by that issuer, a transcript a registrar or licensing office reads as a whole.
 * Pure: ids, clock and the credentials come from the caller.
 */
import { OB_CONTEXT, OB_EXTENSIONS_CONTEXT, toDateTimeStamp, VC_V2_CONTEXT } from './build.js';
import { asArray, isObject, type Json } from './json.js';

export const CLR_CONTEXT = 'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
export const CLR_SCHEMA = 'https://purl.imsglobal.org/spec/clr/v2p0/schema/json/clr_v2p0_clrcredential_schema.json';

export interface BuildClrOptions {
  readonly id: string;
  readonly issuer: Json;
  /** The signed OpenBadgeCredentials to bundle, as stored. */
  readonly credentials: readonly Json[];
  readonly now: Date;
  readonly extraContexts?: readonly string[];
}

/**
 * @returns the unsigned ClrCredential. The subject is identified the way the bundled credentials identify it:
 * the salted hashes they carry (the service never holds the plain identifier), deduplicated.
 */
export function buildClr({ id, issuer, credentials, now, extraContexts = [] }: BuildClrOptions): Json {
  if (credentials.length === 0) throw new TypeError('a CLR bundles at least one credential');
  const subjects = credentials.map((c) => asArray(c.credentialSubject)[0]).filter(isObject);
  const identifiers = new Map<string, Json>();
  for (const subject of subjects) {
    for (const identifier of asArray(subject.identifier).filter(isObject)) identifiers.set(JSON.stringify(identifier), identifier);
  }
  // A stack's achievement lists its components as `related`: in the record, the stack is their parent.
  const achievementsOf = subjects.map((s) => s.achievement).filter(isObject);
  const bundled = new Set(achievementsOf.map((a) => a.id).filter((id): id is string => typeof id === 'string'));
  const associations = achievementsOf.flatMap((a) =>
    asArray(a.related)
      .filter(isObject)
      .map((r) => r.id)
      .filter((id): id is string => typeof id === 'string' && bundled.has(id) && typeof a.id === 'string')
      .map((targetId) => ({ type: 'Association', associationType: 'isParentOf', sourceId: a.id as string, targetId })),
  );
  const dids = [...new Set(subjects.map((s) => s.id).filter((v): v is string => typeof v === 'string'))];
  const issuerName = typeof issuer.name === 'string' ? issuer.name : 'the issuer';
  return {
    '@context': [VC_V2_CONTEXT, CLR_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT, ...extraContexts],
    id,
    type: ['VerifiableCredential', 'ClrCredential'],
    issuer,
    name: `Micro-credential record from ${issuerName}`,
    description: `Every current micro-credential ${issuerName} has awarded to this educator (${credentials.length}), as one Comprehensive Learner Record.`,
    partial: false,
    validFrom: toDateTimeStamp(now),
    awardedDate: toDateTimeStamp(now),
    credentialSubject: {
      ...(dids.length === 1 ? { id: dids[0] } : {}),
      type: ['ClrSubject'],
      ...(identifiers.size > 0 ? { identifier: [...identifiers.values()] } : {}),
      verifiableCredential: credentials,
      ...(associations.length > 0 ? { association: associations } : {}),
    },
    credentialSchema: [{ id: CLR_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
  };
}
