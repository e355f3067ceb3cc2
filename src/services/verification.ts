/**
 * Verification of any credential (ours or another issuer's), and of our stored credentials for their pages.
 */
import type { DocumentLoader } from '../credentials/document-loader.js';
import { asArray } from '../credentials/json.js';
import type { SchemaRegistry } from '../credentials/schema.js';
import type { Metrics } from '../metrics.js';
import { extractCredentials, UnreadableFileError, type FileFormat, type ItemRole } from '../artifacts/extract.js';
import { Problem } from '../errors.js';
import { verifyCredential, type Outcome, type StatusChecker, type VerificationReport } from '../credentials/verify.js';

export function createVerificationService(deps: {
  documentLoader: DocumentLoader;
  schemas: SchemaRegistry;
  checkStatus: StatusChecker;
  clock: () => Date;
  metrics?: Pick<Metrics, 'verifications'>;
}) {
  const { documentLoader, schemas, checkStatus, clock, metrics } = deps;

  /** Validates against each declared 1EdTechJsonSchemaValidator2019 schema that we ship. */
  const checkSchema = (credential: Record<string, unknown>): { outcome: Outcome; message: string } | undefined => {
    const declared = asArray(credential.credentialSchema).filter(
      (s): s is { id: string; type: string } =>
        typeof s === 'object' && s !== null && (s as { type?: unknown }).type === '1EdTechJsonSchemaValidator2019',
    );
    if (declared.length === 0) return undefined;
    const problems: string[] = [];
    const unknown: string[] = [];
    for (const { id } of declared) {
      const errors = schemas.validate(id, credential);
      if (errors === undefined) unknown.push(id);
      else problems.push(...errors.map((e) => e.detail));
    }
    if (problems.length > 0)
      return { outcome: 'fail', message: `Does not conform to its declared schema: ${problems.slice(0, 10).join('; ')}` };
    const checked = declared.filter((d) => !unknown.includes(d.id));
    if (checked.length === 0) return undefined; // only schemas we do not ship: reported as a warning below
    return { outcome: 'pass', message: `Conforms to ${checked.map((d) => d.id.split('/').pop()).join(', ')}` };
  };

  const api = {
    async verify(credential: unknown): Promise<VerificationReport> {
      const report = await verifyCredential({ credential, documentLoader, now: clock(), checkStatus, checkSchema });
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
          report: await api.verify(item.credential),
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
