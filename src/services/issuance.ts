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
import type { DocumentLoader } from '../credentials/document-loader.js';
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
  /** True when an earlier request with the same Idempotency-Key produced it. */
  readonly replayed: boolean;
  /** The earner's private claim link, for the platform to deliver (absent on a replay once it expired or was revoked). */
  readonly claimLink: EarnerLink | undefined;
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
}

export interface IssuanceHooks {
  onIssued?: (
    trx: Transaction<Database>,
    issued: { credentialId: string; achievementId: string; lookupHash: string; depth: number },
  ) => Promise<void>;
}

export type CredentialValidator = (credential: Record<string, unknown>) => Array<{ pointer: string; detail: string }>;

/** Stable JSON (sorted keys) so equal requests hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

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
  keyring: Pick<Keyring, 'signerFor'>;
  box: Pick<SecretBox, 'mac'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'profileOf' | 'signingKey'>;
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
    publicUrl,
    clock,
  } = deps;

  const hooks: IssuanceHooks = {};
  const recent = createTextCache<{ id: string; text: string; issuerId: string }>(CREDENTIAL_CACHE_BYTES, (entry) => entry.text.length);

  const replay = async (
    row: { id: string; credential_url: string; signed_json: string; request_hash: string },
    requestHash: string,
  ): Promise<IssuedCredential> => {
    if (row.request_hash !== requestHash) {
      throw new Problem(
        'idempotency-conflict',
        'This Idempotency-Key was used for a different request; use a new key for a new credential',
      );
    }
    return { id: row.id, url: row.credential_url, text: row.signed_json, replayed: true, claimLink: await earner.claimLinkOf(row.id) };
  };

  /**
   * Steps 1–2 of the invariants for one credential, inside the caller's transaction: allocate its status, build,
   * validate, sign, insert, audit, make its claim link, then let stacks react (which may issue stack credentials in
   * the same transaction). @returns the stored text and the claim link.
   */
  async function issueWithin(trx: Transaction<Database>, p: IssueParams): Promise<{ text: string; claimLink: EarnerLink }> {
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
      signed_json: text,
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
    return { text, claimLink };
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

  return {
    issueWithin,
    issuableVersion,

    /** Installs what runs after each credential is inserted, in its transaction (stacks). */
    onIssued(handler: NonNullable<IssuanceHooks['onIssued']>): void {
      hooks.onIssued = handler;
    },

    async issue(caller: ApiKeyIdentity, request: IssueRequest, idempotencyKey?: string): Promise<IssuedCredential> {
      // Keyed: the request holds the recipient's identifier, and a plain hash of it could be brute-forced.
      const requestHash = box.mac('request', canonicalJson(request));
      if (idempotencyKey !== undefined) {
        const existing = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
        if (existing !== undefined) return replay(existing, requestHash);
      }

      const issuer = await issuers.getIssuer(caller.issuerId);
      const version = await issuableVersion(issuer.id, request.achievement);
      const id = crypto.randomUUID();
      const url = `${publicUrl}/credentials/${id}`;
      const signer = await keyring.signerFor(await issuers.signingKey(issuer));
      const lookupHash = recipientLookupHash(box, request.recipient.identityType ?? 'emailAddress', request.recipient.identity);

      let issued: { text: string; claimLink: EarnerLink };
      try {
        issued = await db.transaction().execute((trx) =>
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
          }),
        );
      } catch (error) {
        if (idempotencyKey !== undefined && isUniqueViolation(error)) {
          const winner = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
          if (winner !== undefined) return replay(winner, requestHash);
        }
        throw error;
      }
      return { id, url, text: issued.text, replayed: false, claimLink: issued.claimLink };
    },

    /** A stored credential by id; signed credentials never change, so hot ones are served from memory. */
    async get(id: string): Promise<{ id: string; text: string; issuerId: string }> {
      const cached = recent.get(id);
      if (cached !== undefined) return cached;
      const row = isUuid(id) ? await credentials.findCredential(db, id) : undefined;
      if (row === undefined) throw new Problem('credential-not-found', `No credential ${id}`);
      return recent.set(id, { id: row.id, text: row.signed_json, issuerId: row.issuer_id });
    },
  };
}

export type IssuanceService = ReturnType<typeof createIssuanceService>;
