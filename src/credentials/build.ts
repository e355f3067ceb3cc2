/**
 * Builds the unsigned OpenBadgeCredential (OB 3.0 §B.1.3, VCDM 2.0) from an issue request, the issuer's Profile
 * and the pinned Achievement version. Pure: ids, clock and salt come from the caller.
 *
 * Where our fields go, using only OB 3.0 terms so any verifier can process the credential without our context:
 * - recipient → `credentialSubject.identifier` (salted sha256 IdentityObject); DID → `credentialSubject.id`;
 *   a display name, only when given → an unhashed `name` IdentityObject.
 * - assessor → `credentialSubject.source` (a Profile; qualification as its description, organisation as parentOrg).
 * - assessment date → `credentialSubject.activityEndDate`; award date → `awardedDate`.
 * - rubric results → `credentialSubject.result[]` pointing at the achievement's ResultDescription and level ids.
 * - evidence → `evidence[]` (links and narratives only; files are never copied in).
 */
import type { IssueRequest } from '../schemas/issue-request.js';
import { buildProfile, compact, rubricIds, type JsonObject } from './achievement.js';
import { hashRecipient } from './recipient.js';

export const VC_V2_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
export const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const OB_EXTENSIONS_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/extensions.json';
export const OB_ACHIEVEMENT_CREDENTIAL_SCHEMA =
  'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json';

export class CredentialInputError extends Error {
  constructor(
    readonly pointer: string,
    detail: string,
    readonly kind: 'invalid' | 'below-required-level' = 'invalid',
  ) {
    super(detail);
    this.name = 'CredentialInputError';
  }
}

/** XMLSchema dateTimeStamp without milliseconds (JWT nbf/exp are whole seconds). */
export const toDateTimeStamp = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

function parseDate(value: string, pointer: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new CredentialInputError(pointer, 'not a valid date-time');
  return date;
}

interface ResultDescription {
  id: string;
  name?: string;
  requiredLevel?: string;
  rubricCriterionLevel?: Array<{ id: string; name?: string }>;
}

/**
 * Maps `{criterion, level}` keys to OB Results, checking each against the achievement's rubric.
 * @throws {CredentialInputError} for an unknown criterion or level, a missing criterion, or a level below the required one.
 */
function buildResults(request: IssueRequest, achievement: JsonObject, versionUrl: string): JsonObject[] {
  const rubric = (achievement.resultDescription ?? []) as ResultDescription[];
  const given = request.results ?? [];
  const seen = new Set<string>();
  const results = given.map((result, i) => {
    const criterionId = rubricIds(versionUrl, result.criterion);
    const criterion = rubric.find((rd) => rd.id === criterionId);
    if (criterion === undefined) {
      throw new CredentialInputError(`#/results/${i}/criterion`, `the achievement's rubric has no criterion "${result.criterion}"`);
    }
    if (seen.has(criterionId)) throw new CredentialInputError(`#/results/${i}/criterion`, `criterion "${result.criterion}" is given twice`);
    seen.add(criterionId);
    const levels = criterion.rubricCriterionLevel ?? [];
    const levelId = rubricIds(versionUrl, result.criterion, result.level);
    const achieved = levels.findIndex((l) => l.id === levelId);
    if (achieved < 0) {
      throw new CredentialInputError(`#/results/${i}/level`, `criterion "${result.criterion}" has no level "${result.level}"`);
    }
    const required = criterion.requiredLevel === undefined ? -1 : levels.findIndex((l) => l.id === criterion.requiredLevel);
    if (achieved < required) {
      throw new CredentialInputError(
        `#/results/${i}/level`,
        `"${levels[achieved]?.name}" is below the level required on "${criterion.name}" (${levels[required]?.name})`,
        'below-required-level',
      );
    }
    return { type: ['Result'], resultDescription: criterionId, achievedLevel: levelId };
  });
  const missing = rubric.filter((rd) => !seen.has(rd.id));
  if (missing.length > 0) {
    throw new CredentialInputError(
      '#/results',
      `a result is required for every rubric criterion; missing: ${missing.map((m) => m.name ?? m.id).join(', ')}`,
    );
  }
  return results;
}

function buildSource(request: IssueRequest): JsonObject | undefined {
  const assessor = request.assessor;
  if (assessor === undefined) return undefined;
  return compact({
    id: assessor.id ?? `urn:uuid:${crypto.randomUUID()}`,
    type: ['Profile'],
    name: assessor.name,
    description: assessor.qualification,
    parentOrg: assessor.organization === undefined ? undefined : organisationProfile(assessor.organization),
  });
}

function organisationProfile(org: NonNullable<NonNullable<IssueRequest['assessor']>['organization']>): JsonObject {
  return org.id === undefined && org.url === undefined
    ? compact({ id: `urn:uuid:${crypto.randomUUID()}`, type: ['Profile'], name: org.name, email: org.email, description: org.description })
    : buildProfile(org);
}

/** The recipient's IdentityObjects: the salted hash of the identifier, and the display name only when given. */
function identifiersOf(recipient: IssueRequest['recipient']): JsonObject[] {
  const identityType = recipient.identityType ?? 'emailAddress';
  const identifier: JsonObject[] = [{ ...hashRecipient({ identityType, identifier: recipient.identity }) }];
  if (recipient.name !== undefined)
    identifier.push({ type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: recipient.name });
  return identifier;
}

export interface BuildCredentialOptions {
  readonly request: IssueRequest;
  /** The credential's id (its public URL). */
  readonly id: string;
  /** The issuer's OB 3.0 Profile, embedded as an object. */
  readonly issuer: JsonObject;
  /** The pinned Achievement version and its URL. */
  readonly achievement: JsonObject;
  readonly achievementVersionUrl: string;
  readonly now: Date;
  /** The achievement lists evidence requirements, so at least one evidence item must be linked. */
  readonly requiresEvidence?: boolean;
  /** The status list entry allocated for this credential (OB 3.0: one object). */
  readonly credentialStatus?: JsonObject;
  /** Extra contexts the proof suite needs (Ed25519Signature2020). */
  readonly extraContexts?: readonly string[];
  /**
   * The recipient as identified elsewhere, instead of hashing `request.recipient` (a stack credential carries the
   * same salted identifiers as the component credentials it rests on; the plain identifier is not held).
   */
  readonly identity?: { readonly identifier: readonly JsonObject[]; readonly id?: string };
}

/**
 * @returns the unsigned credential.
 * @throws {CredentialInputError} when the request does not fit the achievement or its dates are inconsistent.
 */
export function buildCredential(options: BuildCredentialOptions): JsonObject {
  const { request, id, issuer, achievement, achievementVersionUrl, now } = options;
  if (typeof id !== 'string' || !/^https?:\/\/|^urn:uuid:/.test(id)) throw new TypeError('id must be a URL or urn:uuid');

  const validFrom = request.validFrom === undefined ? now : parseDate(request.validFrom, '#/validFrom');
  const validUntil = request.validUntil === undefined ? undefined : parseDate(request.validUntil, '#/validUntil');
  if (validUntil !== undefined && validUntil <= validFrom) {
    throw new CredentialInputError('#/validUntil', 'validUntil must be later than validFrom');
  }
  const awardedDate = request.awardedAt === undefined ? validFrom : parseDate(request.awardedAt, '#/awardedAt');
  const assessedAt = request.assessedAt === undefined ? undefined : parseDate(request.assessedAt, '#/assessedAt');
  if (assessedAt !== undefined && assessedAt > now) throw new CredentialInputError('#/assessedAt', 'the assessment date is in the future');

  if (options.requiresEvidence === true && (request.evidence ?? []).length === 0) {
    throw new CredentialInputError('#/evidence', 'this achievement requires evidence; link at least one item');
  }

  const identifier: JsonObject[] = options.identity !== undefined ? [...options.identity.identifier] : identifiersOf(request.recipient);

  return compact({
    '@context': [VC_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT, ...(options.extraContexts ?? [])],
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: String(achievement.name),
    issuer,
    validFrom: toDateTimeStamp(validFrom),
    validUntil: validUntil && toDateTimeStamp(validUntil),
    awardedDate: toDateTimeStamp(awardedDate),
    credentialSubject: compact({
      id: options.identity !== undefined ? options.identity.id : request.recipient.did,
      type: ['AchievementSubject'],
      identifier,
      achievement,
      result: buildResults(request, achievement, achievementVersionUrl),
      source: buildSource(request),
      activityEndDate: assessedAt && toDateTimeStamp(assessedAt),
      creditsEarned: request.creditsEarned,
      narrative: request.narrative,
    }),
    evidence: request.evidence?.map((e) =>
      compact({
        id: e.url,
        type: ['Evidence'],
        name: e.name,
        description: e.description,
        narrative: e.narrative,
        genre: e.genre,
        audience: e.audience,
      }),
    ),
    credentialSchema: [{ id: OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
    credentialStatus: options.credentialStatus,
  });
}
