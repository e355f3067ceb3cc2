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
 */
import { isUuid } from './ids.js';
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as credentials from '../db/repositories/credentials.js';
import { buildCredential, CredentialInputError } from '../credentials/build.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { signCredential } from '../credentials/sign.js';
import { contextsForProof, createSigningSuite } from '../credentials/suites.js';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { Problem } from '../errors.js';
import type { AchievementDefinition } from '../schemas/achievement.js';
import type { IssueRequest } from '../schemas/issue-request.js';
import type { AchievementService } from './achievements.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import type { StatusService } from './status.js';
import { apiKeyActor, type AuditService } from './audit.js';
import { recipientLookupHash as lookupHash } from './privacy.js';
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

export type CredentialValidator = (credential: Record<string, unknown>) => Array<{ pointer: string; detail: string }>;

/** Stable JSON (sorted keys) so equal requests hash equally whatever their key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
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
  metrics?: Pick<Metrics, 'credentialsIssued' | 'signingSeconds'>;
  documentLoader: DocumentLoader;
  validate: CredentialValidator;
  publicUrl: string;
  clock: () => Date;
}) {
  const { db, keyring, box, issuers, achievements, status, audit, earner, metrics, documentLoader, validate, publicUrl, clock } = deps;

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

  return {
    async issue(caller: ApiKeyIdentity, request: IssueRequest, idempotencyKey?: string): Promise<IssuedCredential> {
      // Keyed: the request holds the recipient's identifier, and a plain hash of it could be brute-forced.
      const requestHash = box.mac('request', canonicalJson(request));
      if (idempotencyKey !== undefined) {
        const existing = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
        if (existing !== undefined) return replay(existing, requestHash);
      }

      const issuer = await issuers.getIssuer(caller.issuerId);
      const version = await achievements.findVersion(request.achievement.id, request.achievement.version);
      if (version.issuer_id !== issuer.id) {
        throw new Problem(
          'forbidden',
          `Achievement ${request.achievement.id} belongs to another issuer; an API key issues only its own issuer's achievements`,
        );
      }
      const proofType = request.proofType ?? issuer.default_proof_type;
      const id = crypto.randomUUID();
      const url = `${publicUrl}/credentials/${id}`;
      const now = clock();

      const definition = JSON.parse(version.definition_json) as AchievementDefinition;
      const key = await issuers.signingKey(issuer);
      const signer = await keyring.signerFor(key);
      const identityType = request.recipient.identityType ?? 'emailAddress';
      const recipientLookupHash = lookupHash(box, identityType, request.recipient.identity);

      let text: string;
      let claimLink: EarnerLink;
      try {
        [text, claimLink] = await db.transaction().execute(async (trx) => {
          const credentialStatus = status === undefined ? undefined : await status.allocate(trx, issuer.id, id);
          const unsigned = build(() =>
            buildCredential({
              request,
              id: url,
              issuer: issuers.profileOf(issuer),
              achievement: JSON.parse(version.achievement_json) as Record<string, unknown>,
              achievementVersionUrl: achievements.urls(version.achievement_id, version.version).versionUrl,
              requiresEvidence: (definition.evidenceRequirements ?? []).length > 0,
              credentialStatus,
              now,
              extraContexts: contextsForProof(proofType),
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
          const signedText = JSON.stringify(signed);
          await credentials.insertCredential(trx, {
            id,
            credential_url: url,
            issuer_id: issuer.id,
            achievement_id: version.achievement_id,
            achievement_version: version.version,
            recipient_lookup_hash: recipientLookupHash,
            api_key_id: caller.apiKeyId,
            idempotency_key: idempotencyKey ?? null,
            request_hash: requestHash,
            proof_type: proofType,
            signed_json: signedText,
            valid_from: String(signed.validFrom),
            valid_until: typeof signed.validUntil === 'string' ? signed.validUntil : null,
            created_at: now,
          });
          await audit.record(
            {
              issuerId: issuer.id,
              actor: apiKeyActor(caller.apiKeyId),
              action: 'credential.issue',
              target: url,
              detail: { achievementId: version.achievement_id, achievementVersion: version.version, proofType },
            },
            trx,
          );
          const link = await earner.newClaimLink(trx, { credentialId: id, issuerId: issuer.id, apiKeyId: caller.apiKeyId, now });
          return [signedText, link] as const;
        });
      } catch (error) {
        if (idempotencyKey !== undefined && isUniqueViolation(error)) {
          const winner = await credentials.findByIdempotencyKey(db, caller.issuerId, idempotencyKey);
          if (winner !== undefined) return replay(winner, requestHash);
        }
        throw error;
      }
      metrics?.credentialsIssued.inc({ proof_type: proofType });
      return { id, url, text, replayed: false, claimLink };
    },

    async get(id: string): Promise<{ id: string; text: string; issuerId: string }> {
      const row = isUuid(id) ? await credentials.findCredential(db, id) : undefined;
      if (row === undefined) throw new Problem('credential-not-found', `No credential ${id}`);
      return { id: row.id, text: row.signed_json, issuerId: row.issuer_id };
    },
  };
}

export type IssuanceService = ReturnType<typeof createIssuanceService>;
