/**
 * Issuance: build → validate → sign → record.
 *
 * Invariants:
 * 1. Allocate status → build → validate → sign → insert run in one transaction, and the credential is returned
 *    only after the commit, holding the exact text stored: nothing handed out is unrecorded, and a crash before
 *    the commit loses only a signature nobody received (and frees its status index).
 * 2. A row always holds a signed credential: the insert happens after signing.
 * 3. The status list index is claimed in the same transaction as the insert (see status.ts): a rolled-back
 *    issuance frees it, a committed one holds it alone.
 * 4. (issuer, Idempotency-Key) is UNIQUE. A retry with the same key and body returns the stored credential;
 *    another body under the same key is a 409. Two concurrent requests with one key race on the constraint and
 *    the loser returns the winner's credential, so a key never yields two credentials.
 * 5. The earner's claim link is made in the same transaction, and so is every stack credential the new credential
 *    completes (services/stacks.ts): a component and the stack it completes commit together or not at all.
 */
import { isUuid } from './ids.js';
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, IssuerRow } from '../db/database.js';
import type { AchievementVersionWithIssuer } from '../db/repositories/achievements.js';
import * as credentials from '../db/repositories/credentials.js';
import { buildCredential, CredentialInputError } from '../credentials/build.js';
import { completeGivenCredential, inspectGivenCredential, proofContextsFor } from '../credentials/vc-api.js';
import { asArray, canonicalJson, findMembers } from '../credentials/json.js';
import { encodeVcJwt, JwtFormatError, type JwsSigningKey } from '../credentials/jwt.js';
import { UnknownContextError, type DocumentLoader } from '../credentials/document-loader.js';
import { signCredential } from '../credentials/sign.js';
import { contextsForProof, createSigningSuite, type SuiteSigner } from '../credentials/suites.js';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { Problem } from '../errors.js';
import type { AchievementDefinition } from '../schemas/achievement.js';
import type { IssueRequest, ProofType } from '../schemas/issue-request.js';
import type { AchievementService } from './achievements.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import type { StatusService } from './status.js';
import { apiKeyActor, type AuditService } from './audit.js';
import { recipientLookupHash } from './privacy.js';
import type { Metrics } from '../metrics.js';
import type { EarnerLink, EarnerService } from './earner.js';

export interface IssuedCredential {
  readonly id: string;
  readonly url: string;
  /** The signed credential, exactly as stored. */
  readonly text: string;
  /** Its VC-JWT form, when one was asked for. */
  readonly jwt?: string;
  /** True when an earlier request with the same Idempotency-Key produced it. */
  readonly replayed: boolean;
  /** The earner's private claim link, for the platform to deliver (absent on a replay once it expired or was revoked). */
  readonly claimLink: EarnerLink | undefined;
}

/** A credential as stored: its signed JSON and, when one was made, its VC-JWT form. */
export interface StoredCredential {
  readonly id: string;
  readonly text: string;
  readonly jwt?: string;
  readonly issuerId: string;
}

export interface IssueParams {
  readonly issuer: IssuerRow;
  readonly version: AchievementVersionWithIssuer;
  readonly request: IssueRequest;
  readonly proofType: ProofType;
  readonly id: string;
  readonly url: string;
  readonly now: Date;
  readonly signer: SuiteSigner;
  readonly lookupHash: string;
  /** Null when the service itself issues (a stack credential). */
  readonly apiKeyId: string | null;
  readonly idempotencyKey?: string;
  readonly requestHash: string;
  /** The recipient's identifiers when not hashed from the request (stack credentials). */
  readonly identity?: { readonly identifier: readonly Record<string, unknown>[]; readonly id?: string };
  readonly auditDetail?: Record<string, unknown>;
  /** How many stack awards led here (a stack may be a component of another). */
  readonly depth?: number;
  /** Also make the VC-JWT form with this key. */
  readonly jwtSigner?: JwsSigningKey;
}

export interface IssuanceHooks {
  onIssued?: (
    trx: Transaction<Database>,
    issued: { credentialId: string; achievementId: string; lookupHash: string; depth: number },
  ) => Promise<void>;
}

export type CredentialValidator = (credential: Record<string, unknown>) => Array<{ pointer: string; detail: string }>;

/** Memory for credentials read often (public verification links); about 2,500 typical credentials. */
const CREDENTIAL_CACHE_BYTES = 16 * 1024 * 1024;

/** A least-recently-used map bounded by the total size of its values. */
function createTextCache<V>(maxBytes: number, sizeOf: (value: V) => number) {
  const entries = new Map<string, V>();
  let bytes = 0;
  return {
    get(key: string): V | undefined {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key: string, value: V): V {
      const size = sizeOf(value);
      if (size > maxBytes / 16 || entries.has(key)) return value;
      entries.set(key, value);
      bytes += size;
      for (const [oldest, old] of entries) {
        if (bytes <= maxBytes) break;
        entries.delete(oldest);
        bytes -= sizeOf(old);
      }
      return value;
    },
  };
}

const isUniqueViolation = (error: unknown): boolean => (error as { code?: string }).code === '23505';

const duplicateId = (vcId: string, pointer = '#/credential/id') =>
  new Problem('conflict', `This issuer has already issued a credential with the id ${vcId}; a credential id names one credential`, [
    { pointer, detail: 'already used by another credential of this issuer' },
  ]);

/** The id a VC-API caller gives its credential (its own `id`, else options.credentialId), and where. */
function givenIdOf(body: { credential: unknown; options?: { credentialId?: string } }): { value: string; pointer: string } | undefined {
  const own = (body.credential as { id?: unknown } | null)?.id;
  if (typeof own === 'string') return { value: own, pointer: '#/credential/id' };
  return body.options?.credentialId === undefined ? undefined : { value: body.options.credentialId, pointer: '#/options/credentialId' };
}

const UNDEFINED_TERM = 'not defined by any of the credential’s JSON-LD contexts';

/**
 * A credential the signing library refused: an undefined JSON-LD term (dropped in safe mode), an unknown context, a
 * malformed value. The caller's document is at fault, so it is a 422 naming the reason, never a 500. An undefined
 * property or type is pointed at wherever it appears in the caller's `credential` (JSON-LD does not say which
 * occurrence it met first; a term is defined or not by the contexts in scope, which are usually the same).
 */
function signingProblem(error: unknown, credential: unknown): Problem {
  const e = error as { message?: string; details?: { event?: { details?: { property?: string; type?: string } } } };
  if (error instanceof UnknownContextError)
    return new Problem('validation-failed', error.message, [{ pointer: '#/credential/@context', detail: error.message }]);
  const { property, type } = e.details?.event?.details ?? {};
  const [message, pointers] =
    property !== undefined
      ? [
          `The property "${property}" is not defined by any of the credential's JSON-LD contexts, so it would not be signed; define it in a context or remove it`,
          findMembers(credential, (name) => name === property),
        ]
      : type !== undefined
        ? [
            `The type "${type}" is not defined by any of the credential's JSON-LD contexts, so it cannot be signed; add the context that defines it`,
            findMembers(credential, (name, member) => (name === 'type' || name === '@type') && asArray(member).includes(type)),
          ]
        : [`The credential cannot be signed: ${e.message ?? 'invalid JSON-LD'}`, []];
  const errors =
    pointers.length === 0 ? undefined : pointers.map((pointer) => ({ pointer: `#/credential${pointer}`, detail: UNDEFINED_TERM }));
  return error instanceof Problem ? error : new Problem('unprocessable-credential', message, errors);
}

/** The VC-JWT of a signed credential; its input errors as the builder's. */
function jwtOrInputError(signed: Record<string, unknown>, key: JwsSigningKey): string {
  try {
    return encodeVcJwt(signed, key);
  } catch (error) {
    if (error instanceof JwtFormatError) throw new CredentialInputError('#/recipient/did', error.message);
    throw error;
  }
}

/** Runs the pure builder, turning its input errors into 422 problems. */
function build<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof CredentialInputError)) throw error;
    const slug = error.kind === 'below-required-level' ? 'result-below-required-level' : 'unprocessable-credential';
    throw new Problem(slug, error.message, [{ pointer: error.pointer, detail: error.message }]);
  }
}

export function createIssuanceService(deps: {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'signerFor' | 'jwsSignerFor'>;
  box: Pick<SecretBox, 'mac'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'profileOf' | 'signingKey' | 'jwtKey'>;
  achievements: Pick<AchievementService, 'findVersion' | 'urls'>;
  /** Undefined: credentials carry no status (CREDENTIAL_STATUS=false, for benchmarks). */
  status: Pick<StatusService, 'allocate'> | undefined;
  audit: Pick<AuditService, 'record'>;
  earner: Pick<EarnerService, 'newClaimLink' | 'claimLinkOf'>;
  /** Endorsements to embed in new credentials (the achievement's and the issuer's). */
  endorsements?: {
    embeddable(trx: Transaction<Database>, issuerId: string, achievementId: string): Promise<{ achievement: unknown[]; issuer: unknown[] }>;
  };
  metrics?: Pick<Metrics, 'credentialsIssued' | 'signingSeconds'>;
  documentLoader: DocumentLoader;
  validate: CredentialValidator;
  /** Every 1EdTech JSON Schema the credential declares that we ship (a caller's credential may declare any). */
  validateDeclared: CredentialValidator;
  publicUrl: string;
  clock: () => Date;
}) {
  const {
    db,
    keyring,
    box,
    issuers,
    achievements,
    status,
    audit,
    earner,
    endorsements,
    metrics,
    documentLoader,
    validate,
    validateDeclared,
    publicUrl,
    clock,
  } = deps;

  const hooks: IssuanceHooks = {};
  const recent = createTextCache<StoredCredential>(CREDENTIAL_CACHE_BYTES, (entry) => entry.text.length + (entry.jwt?.length ?? 0));

  const replay = async (
    row: { id: string; credential_url: string; signed_json: string; request_hash: string; jwt: string | null },
    requestHash: string,
  ): Promise<IssuedCredential> => {
    if (row.request_hash !== requestHash) {
      throw new Problem(
        'idempotency-conflict',
        'This Idempotency-Key was used for a different request; use a new key for a new credential',
      );
    }
    return {
      id: row.id,
      url: row.credential_url,
      text: row.signed_json,
      jwt: row.jwt ?? undefined,
      replayed: true,
      claimLink: await earner.claimLinkOf(row.id),
    };
  };

  /**
   * Steps 1–2 of the invariants for one credential, inside the caller's transaction: allocate its status, build,
   * validate, sign, insert, audit, make its claim link, then let stacks react (which may issue stack credentials in
   * the same transaction). @returns the stored text and the claim link.
   */
  async function issueWithin(trx: Transaction<Database>, p: IssueParams): Promise<{ text: string; jwt?: string; claimLink: EarnerLink }> {
    const { issuer, version, request, proofType, id, url, now, signer, lookupHash: recipientLookupHash } = p;
    const definition = JSON.parse(version.definition_json) as AchievementDefinition;
    const credentialStatus = status === undefined ? undefined : await status.allocate(trx, issuer.id, id);
    const endorsed = endorsements === undefined ? undefined : await endorsements.embeddable(trx, issuer.id, version.achievement_id);
    const achievement = JSON.parse(version.achievement_json) as Record<string, unknown>;
    const profile = issuers.profileOf(issuer);
    const unsigned = build(() =>
      buildCredential({
        request,
        id: url,
        issuer: endorsed?.issuer.length ? { ...profile, endorsement: endorsed.issuer } : profile,
        achievement: endorsed?.achievement.length ? { ...achievement, endorsement: endorsed.achievement } : achievement,
        achievementVersionUrl: achievements.urls(version.achievement_id, version.version).versionUrl,
        requiresEvidence: (definition.evidenceRequirements ?? []).length > 0,
        credentialStatus,
        now,
        extraContexts: contextsForProof(proofType),
        identity: p.identity,
      }),
    );
    const schemaErrors = validate(unsigned);
    if (schemaErrors.length > 0) {
      throw new Problem('unprocessable-credential', 'The credential would not conform to the Open Badges 3.0 schema', schemaErrors);
    }
    const suite = createSigningSuite({ proofType, signer, date: now });
    const stopTimer = metrics?.signingSeconds.startTimer({ proof_type: proofType });
    const signed = await signCredential({ credential: unsigned, suite, documentLoader });
    stopTimer?.();
    const text = JSON.stringify(signed);
    const jwt = p.jwtSigner === undefined ? undefined : build(() => jwtOrInputError(signed, p.jwtSigner!));
    await credentials.insertCredential(trx, {
      id,
      credential_url: url,
      issuer_id: issuer.id,
      achievement_id: version.achievement_id,
      achievement_version: version.version,
      recipient_lookup_hash: recipientLookupHash,
      api_key_id: p.apiKeyId,
      idempotency_key: p.idempotencyKey ?? null,
      request_hash: p.requestHash,
      proof_type: proofType,
      verification_method: signer.id,
      signed_json: text,
      jwt: jwt ?? null,
      valid_from: String(signed.validFrom),
      valid_until: typeof signed.validUntil === 'string' ? signed.validUntil : null,
      created_at: now,
    });
    await audit.record(
      {
        issuerId: issuer.id,
        actor: p.apiKeyId === null ? 'system' : apiKeyActor(p.apiKeyId),
        action: 'credential.issue',
        target: url,
        detail: { achievementId: version.achievement_id, achievementVersion: version.version, proofType, ...(p.auditDetail ?? {}) },
      },
      trx,
    );
    const claimLink = await earner.newClaimLink(trx, { credentialId: id, issuerId: issuer.id, apiKeyId: p.apiKeyId, now });
    metrics?.credentialsIssued.inc({ proof_type: proofType });
    await hooks.onIssued?.(trx, {
      credentialId: id,
      achievementId: version.achievement_id,
      lookupHash: recipientLookupHash,
      depth: p.depth ?? 0,
    });
    return { text, jwt, claimLink };
  }

  /**
   * The achievement version an issuer may issue directly: its own, and not a stack.
   * @throws {Problem} achievement-not-found, forbidden (another issuer's) or unprocessable-credential (a stack).
   */
  async function issuableVersion(issuerId: string, achievement: IssueRequest['achievement']): Promise<AchievementVersionWithIssuer> {
    const version = await achievements.findVersion(achievement.id, achievement.version);
    if (version.issuer_id !== issuerId) {
      throw new Problem(
        'forbidden',
        `Achievement ${achievement.id} belongs to another issuer; an API key issues only its own issuer's achievements`,
      );
    }
    // A stack version, or any version once the latest is a stack: a stack is only ever awarded.
    const latest = version.version === version.latest_version ? version : await achievements.findVersion(achievement.id);
    const isStack = (v: { definition_json: string }) => (JSON.parse(v.definition_json) as AchievementDefinition).stack !== undefined;
    if (isStack(version) || isStack(latest)) {
      throw new Problem(
        'unprocessable-credential',
        `Achievement ${achievement.id} is a stack: it is awarded from its components (POST /stacks/${achievement.id}/awards), never issued directly`,
      );
    }
    return version;
  }

  /**
   * The key that signs an issuer's VC-JWT: ES256 (P-256) by default for did:web, EdDSA (its Ed25519 key) on request or
   * for a did:key. @throws {Problem} 422 when the JWT cannot be made (no recipient DID for `sub`, ES256 from a did:key).
   */
  async function jwtSignerFor(issuer: IssuerRow, request: IssueRequest): Promise<JwsSigningKey> {
    if (request.recipient.did === undefined) {
      throw new Problem('unprocessable-credential', 'A VC-JWT needs the recipient’s DID (recipient.did): it is the JWT’s sub claim', [
        { pointer: '#/recipient/did', detail: 'required for format jwt' },
      ]);
    }
    const algorithm = request.jwtAlgorithm ?? (issuer.did_method === 'key' ? 'EdDSA' : 'ES256');
    if (algorithm === 'ES256' && issuer.did_method === 'key') {
      throw new Problem('unprocessable-credential', 'A did:key issuer has one key, Ed25519: its VC-JWTs use EdDSA', [
        { pointer: '#/jwtAlgorithm', detail: 'use EdDSA, or a did:web issuer for ES256' },
      ]);
    }
    return keyring.jwsSignerFor(algorithm === 'EdDSA' ? await issuers.signingKey(issuer) : await issuers.jwtKey(issuer));
  }

  /**
   * Runs `run` once per (issuer, Idempotency-Key): a retry with the same body gets the stored credential, another body a
   * 409; of two concurrent requests with one key, the loser returns the winner's credential.
   */
  async function idempotent(
    caller: ApiKeyIdentity,
    request: unknown,
    idempotencyKey: string | undefined,
    run: (requestHash: string) => Promise<IssuedCredential>,
  ): Promise<IssuedCredential> {
    // Keyed: the request holds the recipient's identifier, and a plain hash of it could be brute-forced.
    const requestHash = box.mac('request', canonicalJson(request));
    if (idempotencyKey !== undefined) {
      const existing = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
      if (existing !== undefined) return replay(existing, requestHash);
    }
    try {
      return await run(requestHash);
    } catch (error) {
      if (idempotencyKey !== undefined && isUniqueViolation(error)) {
        const winner = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
        if (winner !== undefined) return replay(winner, requestHash);
      }
      throw error;
    }
  }

  return {
    issueWithin,
    issuableVersion,

    /** Installs what runs after each credential is inserted, in its transaction (stacks). */
    onIssued(handler: NonNullable<IssuanceHooks['onIssued']>): void {
      hooks.onIssued = handler;
    },

    async issue(caller: ApiKeyIdentity, request: IssueRequest, idempotencyKey?: string): Promise<IssuedCredential> {
      return idempotent(caller, request, idempotencyKey, async (requestHash) => {
        const issuer = await issuers.getIssuer(caller.issuerId);
        const version = await issuableVersion(issuer.id, request.achievement);
        const id = crypto.randomUUID();
        const url = `${publicUrl}/credentials/${id}`;
        const signer = await keyring.signerFor(await issuers.signingKey(issuer));
        const format = request.format ?? issuer.default_format;
        if (request.jwtAlgorithm !== undefined && format !== 'jwt') {
          const detail = `jwtAlgorithm applies to a VC-JWT only; this request is issued as ${format}${request.format === undefined ? ' (the issuer’s default format)' : ''}: add format jwt, or leave jwtAlgorithm out`;
          throw new Problem('validation-failed', detail, [{ pointer: '#/jwtAlgorithm', detail }]);
        }
        const jwtSigner = format === 'jwt' ? await jwtSignerFor(issuer, request) : undefined;
        const lookupHash = recipientLookupHash(box, request.recipient.identityType ?? 'emailAddress', request.recipient.identity);
        const issued = await db.transaction().execute((trx) =>
          issueWithin(trx, {
            issuer,
            version,
            request,
            proofType: request.proofType ?? issuer.default_proof_type,
            id,
            url,
            now: clock(),
            signer,
            lookupHash,
            apiKeyId: caller.apiKeyId,
            idempotencyKey,
            requestHash,
            jwtSigner,
          }),
        );
        return { id, url, text: issued.text, jwt: issued.jwt, replayed: false, claimLink: issued.claimLink };
      });
    },

    /**
     * W3C VC-API issue: signs a credential the caller wrote (any VC, VCDM 2.0 or 1.1) as the caller's issuer, after
     * checking it (400), completing it (id, status entry, proof contexts; for an Open Badge its schema) and
     * validating an Open Badge against the OB 3.0 schema (422). Recorded like any credential, without an achievement.
     */
    async issueGiven(
      caller: ApiKeyIdentity,
      body: { credential: unknown; options?: { credentialId?: string; proofType?: ProofType } },
      idempotencyKey?: string,
    ): Promise<IssuedCredential> {
      const issuer = await issuers.getIssuer(caller.issuerId);
      const given = inspectGivenCredential(body.credential, issuer.did, documentLoader.isShippedContext, body.options?.credentialId);
      if ('errors' in given) throw new Problem('validation-failed', given.errors.map((e) => e.detail).join('; '), given.errors);
      const givenId = givenIdOf(body);
      if (givenId !== undefined && givenId.value.startsWith(`${publicUrl}/`)) {
        // Our URLs name our own resources (credentials, lists, issuers): a caller's credential cannot take one.
        const detail = `ids under ${publicUrl}/ belong to this service; give the credential your own id (a urn:uuid, or your URL)`;
        throw new Problem('validation-failed', detail, [{ pointer: givenId.pointer, detail }]);
      }
      return idempotent(caller, body, idempotencyKey, async (requestHash) => {
        const credential = body.credential as Record<string, unknown>;
        const proofType = body.options?.proofType ?? issuer.default_proof_type;
        const id = crypto.randomUUID();
        const url = `${publicUrl}/credentials/${id}`;
        const signer = await keyring.signerFor(await issuers.signingKey(issuer));
        const now = clock();
        const text = await db.transaction().execute(async (trx) => {
          // Status entries are VCDM 2.0 terms (BitstringStatusListEntry), so 1.1 credentials carry none.
          const credentialStatus =
            status === undefined || given.version !== '2.0' || credential.credentialStatus !== undefined
              ? undefined
              : await status.allocate(trx, issuer.id, id);
          const unsigned = completeGivenCredential(credential, given, {
            id: body.options?.credentialId ?? `urn:uuid:${id}`,
            now,
            proofContexts: proofContextsFor(given.version, contextsForProof(proofType), proofType === 'eddsa-rdfc-2022'),
            credentialStatus,
          });
          {
            // An Open Badge now declares the OB 3.0 schema; any other declared 1EdTech schema we ship is checked too.
            const schemaErrors = validateDeclared(unsigned);
            // Pointers into the request, like every other 4xx of this endpoint.
            if (schemaErrors.length > 0) {
              const errors = schemaErrors.map((e) => ({ ...e, pointer: e.pointer.replace(/^#/, '#/credential') }));
              throw new Problem(
                'unprocessable-credential',
                'The credential does not conform to a JSON Schema it declares (for an Open Badge, the Open Badges 3.0 schema)',
                errors,
              );
            }
          }
          let signed: Record<string, unknown>;
          try {
            signed = await signCredential({
              credential: unsigned,
              suite: createSigningSuite({ proofType, signer, date: now }),
              documentLoader,
              proofAsArray: false,
            });
          } catch (error) {
            throw signingProblem(error, credential);
          }
          const signedText = JSON.stringify(signed);
          const validFrom = signed.validFrom ?? signed.issuanceDate;
          const validUntil = signed.validUntil ?? signed.expirationDate;
          const vcId = typeof signed.id === 'string' ? signed.id : null;
          if (vcId !== null && (await credentials.findByVcId(trx, issuer.id, vcId)) !== undefined)
            throw duplicateId(vcId, givenId?.pointer);
          await credentials.insertCredential(trx, {
            id,
            credential_url: url,
            issuer_id: issuer.id,
            achievement_id: null,
            achievement_version: null,
            vc_id: vcId,
            recipient_lookup_hash: null,
            api_key_id: caller.apiKeyId,
            idempotency_key: idempotencyKey ?? null,
            request_hash: requestHash,
            proof_type: proofType,
            verification_method: signer.id,
            signed_json: signedText,
            valid_from: typeof validFrom === 'string' ? validFrom : now,
            valid_until: typeof validUntil === 'string' ? validUntil : null,
            created_at: now,
          });
          await audit.record(
            {
              issuerId: issuer.id,
              actor: apiKeyActor(caller.apiKeyId),
              action: 'credential.issue',
              target: url,
              detail: { via: 'vc-api', proofType, dataModel: given.version },
            },
            trx,
          );
          metrics?.credentialsIssued.inc({ proof_type: proofType });
          return signedText;
        });
        return { id, url, text, replayed: false, claimLink: undefined };
      }).catch((error: unknown) => {
        // Two concurrent requests with one credential id: the loser meets the unique index.
        if (
          givenId !== undefined &&
          isUniqueViolation(error) &&
          /credentials_issuer_vc_id_key/.test(String((error as Error).message) + String((error as { constraint?: unknown }).constraint))
        ) {
          throw duplicateId(givenId.value, givenId.pointer);
        }
        throw error;
      });
    },

    /** A stored credential by id; signed credentials never change, so hot ones are served from memory. */
    async get(id: string): Promise<StoredCredential> {
      const cached = recent.get(id);
      if (cached !== undefined) return cached;
      const row = isUuid(id) ? await credentials.findCredential(db, id) : undefined;
      if (row === undefined) throw new Problem('credential-not-found', `No credential ${id}`);
      return recent.set(id, { id: row.id, text: row.signed_json, jwt: row.jwt ?? undefined, issuerId: row.issuer_id });
    },
  };
}

export type IssuanceService = ReturnType<typeof createIssuanceService>;
