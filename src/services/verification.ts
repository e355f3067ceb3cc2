/**
 * Verification of any credential (ours or another issuer's), and of our stored credentials for their pages.
 */
import type { DocumentLoader } from '../credentials/document-loader.js';
import { asArray } from '../credentials/json.js';
import { declaredSchemaIds, type SchemaRegistry } from '../credentials/schema.js';
import type { Metrics } from '../metrics.js';
import { extractCredentials, UnreadableFileError, type FileFormat, type ItemRole } from '../artifacts/extract.js';
import { Problem } from '../errors.js';
import { jwtOf } from '../credentials/jwt.js';
import { verifyPresentationProof, type PresentationProofResult } from '../credentials/presentation.js';
import {
  verifyCredential,
  verifyJwtCredential,
  type Outcome,
  type RecordedSigningTime,
  type StatusChecker,
  type VerificationReport,
} from '../credentials/verify.js';

export function createVerificationService(deps: {
  documentLoader: DocumentLoader;
  schemas: SchemaRegistry;
  checkStatus: StatusChecker;
  recordedSigningTime?: RecordedSigningTime;
  clock: () => Date;
  metrics?: Pick<Metrics, 'verifications'>;
}) {
  const { documentLoader, schemas, checkStatus, recordedSigningTime, clock, metrics } = deps;

  /** Validates against each declared 1EdTechJsonSchemaValidator2019 schema that we ship. */
  const checkSchema = (credential: Record<string, unknown>): { outcome: Outcome; message: string } | undefined => {
    const declared = declaredSchemaIds(credential);
    if (declared.length === 0) return undefined;
    const problems: string[] = [];
    const unknown: string[] = [];
    for (const id of declared) {
      const errors = schemas.validate(id, credential);
      if (errors === undefined) unknown.push(id);
      else problems.push(...errors.map((e) => e.detail));
    }
    if (problems.length > 0)
      return { outcome: 'fail', message: `Does not conform to its declared schema: ${problems.slice(0, 10).join('; ')}` };
    const checked = declared.filter((id) => !unknown.includes(id));
    if (checked.length === 0) return undefined; // only schemas we do not ship: reported as a warning below
    return { outcome: 'pass', message: `Conforms to ${checked.map((id) => id.split('/').pop()).join(', ')}` };
  };

  /**
   * Every endorsement embedded in the credential, its issuer or its achievement, verified like a credential (without
   * following endorsements of endorsements). Fails when one fails: 1EdTech's validator fails the whole badge too.
   */
  const checkEndorsements = async (credential: Record<string, unknown>): Promise<{ outcome: Outcome; message: string } | undefined> => {
    const subject = asArray(credential.credentialSubject)[0] as { achievement?: { endorsement?: unknown } } | undefined;
    const issuer = credential.issuer as { endorsement?: unknown } | undefined;
    const embedded = [
      ...asArray(credential.endorsement),
      ...asArray(typeof issuer === 'object' && issuer !== null ? issuer.endorsement : undefined),
      ...asArray(subject?.achievement?.endorsement),
    ];
    if (embedded.length === 0) return undefined;
    if (embedded.length > MAX_ENDORSEMENTS) return { outcome: 'error', message: `Not checked: more than ${MAX_ENDORSEMENTS} endorsements` };
    const reports: VerificationReport[] = [];
    for (const endorsement of embedded)
      reports.push(
        await verifyCredential({ credential: endorsement, documentLoader, now: clock(), checkStatus, checkSchema, recordedSigningTime }),
      );
    const outcomes = embedded.map((e, i): Outcome => {
      const report = reports[i]!;
      if (!asArray((e as { type?: unknown } | null)?.type).includes('EndorsementCredential')) return 'fail';
      return report.verified ? 'pass' : report.checks.some((c) => c.outcome === 'fail') ? 'fail' : 'error';
    });
    const failed = outcomes.filter((o) => o === 'fail').length;
    const errored = outcomes.filter((o) => o === 'error').length;
    if (failed > 0) {
      const reasons = reports
        .flatMap((r) => r.errors)
        .slice(0, 3)
        .join('; ');
      return {
        outcome: 'fail',
        message: `${failed} of ${embedded.length} embedded endorsements do not verify${reasons ? `: ${reasons}` : ''}`,
      };
    }
    if (errored > 0) return { outcome: 'error', message: `${errored} of ${embedded.length} embedded endorsements could not be checked` };
    const by = reports.map((r) => r.issuer).filter((i): i is string => i !== null);
    return {
      outcome: 'pass',
      message: `${embedded.length} embedded endorsement${embedded.length === 1 ? '' : 's'} verified (by ${[...new Set(by)].join(', ')})`,
    };
  };

  const api = {
    /** Verifies a credential: JSON with an embedded proof, or a VC-JWT (a compact JWS, or enveloped in VCDM 2.0 JSON). */
    async verify(credential: unknown): Promise<VerificationReport> {
      const jwt = jwtOf(credential);
      const now = clock();
      const report =
        jwt === undefined
          ? await verifyCredential({ credential, documentLoader, now, checkStatus, checkSchema, checkEndorsements, recordedSigningTime })
          : await verifyJwtCredential({ jwt, documentLoader, now, checkStatus, checkSchema, recordedSigningTime });
      metrics?.verifications.inc({
        outcome: report.verified ? 'verified' : report.checks.some((c) => c.outcome === 'fail') ? 'failed' : 'error',
      });
      const unchecked = asArray((credential as { credentialSchema?: unknown } | null)?.credentialSchema)
        .map((s) => (s as { id?: unknown } | null)?.id)
        .filter((id): id is string => typeof id === 'string' && !schemas.ids.includes(id));
      return unchecked.length === 0
        ? report
        : {
            ...report,
            warnings: [...report.warnings, `Declared schema not checked (not shipped with this service): ${unchecked.join(', ')}`],
          };
    },

    /**
     * VC-API presentation verification: the presentation's own proof (when signed, or when a challenge requires one)
     * and every credential in it, each with the full credential report. Verified only when all of them are.
     */
    async verifyPresentation(request: {
      verifiablePresentation?: unknown;
      presentation?: unknown;
      options?: { challenge?: string; domain?: string };
    }): Promise<PresentationVerification> {
      const presentation = request.verifiablePresentation ?? request.presentation;
      if (presentation === undefined) throw new Problem('validation-failed', 'Send verifiablePresentation (or an unsigned presentation)');
      const presentationResult = await verifyPresentationProof({
        presentation,
        challenge: request.options?.challenge,
        domain: request.options?.domain,
        requireProof: request.options?.challenge !== undefined,
        documentLoader,
      });
      const credentials = asArray((presentation as { verifiableCredential?: unknown } | null)?.verifiableCredential);
      if (credentials.length > MAX_PRESENTED) {
        throw new Problem('validation-failed', `A presentation of more than ${MAX_PRESENTED} credentials is not verified here`);
      }
      const credentialResults: VerificationReport[] = [];
      for (const credential of credentials) credentialResults.push(await api.verify(credential));
      const errors = [
        ...presentationResult.errors,
        ...credentialResults.flatMap((r, i) => r.errors.map((e) => `verifiableCredential[${i}] ${e}`)),
      ];
      return {
        verified: presentationResult.verified && credentialResults.every((r) => r.verified),
        presentationResult,
        credentialResults,
        errors,
      };
    },

    /**
     * Unbakes an uploaded file (PNG, SVG, JSON credential, wallet file or CLR) and verifies every credential in
     * it. `verified` is true only when each one verifies (one bad badge fails a CLR, as 1EdTech's validator has it).
     * @throws {Problem} unreadable-file when no credential can be read from it.
     */
    async verifyFile(bytes: Buffer): Promise<FileVerification> {
      let extracted;
      try {
        extracted = extractCredentials(bytes);
      } catch (error) {
        if (error instanceof UnreadableFileError) throw new Problem('unreadable-file', error.message);
        throw error;
      }
      const results: FileItemResult[] = [];
      for (const item of extracted.items) {
        const subject = asArray(item.credential.credentialSubject)[0] as { achievement?: { name?: unknown } } | undefined;
        const issuer = item.credential.issuer as { name?: unknown } | string | undefined;
        results.push({
          role: item.role,
          name: textOr(item.credential.name, subject?.achievement?.name),
          issuerName: typeof issuer === 'object' && issuer !== null ? textOr(issuer.name) : null,
          report: await api.verify(item.jwt ?? item.credential),
          credential: item.credential,
        });
      }
      return {
        verified: results.every((r) => r.report.verified),
        format: extracted.format,
        description: extracted.description,
        warnings: extracted.warnings,
        results,
      };
    },
  };
  return api;
}

/** Each presented credential may cost DID and status fetches: a presentation of more is refused. */
const MAX_PRESENTED = 20;

export interface PresentationVerification {
  readonly verified: boolean;
  readonly presentationResult: PresentationProofResult;
  readonly credentialResults: readonly VerificationReport[];
  readonly errors: readonly string[];
}

/** Each embedded endorsement may cost a DID resolution: more are not checked. */
const MAX_ENDORSEMENTS = 8;

const textOr = (...values: unknown[]): string | null => values.find((v): v is string => typeof v === 'string' && v !== '') ?? null;

export interface FileItemResult {
  readonly role: ItemRole;
  readonly name: string | null;
  readonly issuerName: string | null;
  readonly report: VerificationReport;
  readonly credential: Record<string, unknown>;
}

export interface FileVerification {
  readonly verified: boolean;
  readonly format: FileFormat;
  readonly description: string;
  readonly warnings: readonly string[];
  readonly results: readonly FileItemResult[];
}

export type VerificationService = ReturnType<typeof createVerificationService>;
