/**
 * What micro-credentials count for: recognitions by states, districts and universities; quality endorsements by
 * review panels (signed OB 3.0 EndorsementCredentials, embedded in new credentials where OB 3.0 allows); and
 * completion data, aggregated with small counts suppressed.
 */
import crypto from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, RecognitionRow, EndorsementRow } from '../db/database.js';
import * as repo from '../db/repositories/programmes.js';
import type { ReportPeriod } from '../db/repositories/programmes.js';
import * as credentials from '../db/repositories/credentials.js';
import { OB_CONTEXT, OB_EXTENSIONS_CONTEXT, toDateTimeStamp, VC_V2_CONTEXT } from '../credentials/build.js';
import type { DocumentLoader } from '../credentials/document-loader.js';
import { signCredential } from '../credentials/sign.js';
import { contextsForProof, createSigningSuite } from '../credentials/suites.js';
import type { Keyring } from '../keys/keyring.js';
import { Problem } from '../errors.js';
import type { AchievementService } from './achievements.js';
import { apiKeyActor, type AuditService } from './audit.js';
import { isUuid } from './ids.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import type { CredentialValidator } from './issuance.js';

export const OB_ENDORSEMENT_SCHEMA = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_endorsementcredential_schema.json';
/** At most this many endorsements of an achievement (and of an issuer) are embedded in a new credential. */
const EMBEDDED_ENDORSEMENTS = 3;

export interface RecognitionInput {
  readonly achievementId: string;
  readonly recognizerType: RecognitionRow['recognizer_type'];
  readonly purpose: RecognitionRow['purpose'];
  readonly amount?: { readonly value: number; readonly unit: NonNullable<RecognitionRow['unit']> };
  readonly jurisdiction: string;
  readonly effectiveFrom: string;
  readonly effectiveUntil?: string;
  readonly note?: string;
}

export interface Recognition {
  readonly id: string;
  readonly recognizer: { readonly id: string; readonly name: string; readonly url: string | null; readonly type: string };
  readonly achievementId: string;
  readonly achievementUrl: string;
  readonly purpose: string;
  readonly amount: { readonly value: number; readonly unit: string } | null;
  readonly jurisdiction: string;
  readonly effectiveFrom: string;
  readonly effectiveUntil: string | null;
  readonly note: string | null;
}

export interface CompletionRow {
  readonly achievementId: string;
  readonly achievementName: string;
  readonly kind: 'micro-credential' | 'stack';
  /** YYYY-MM, YYYY-Qn, YYYY or "all" (UTC, by date of issuance). */
  readonly period: string;
  readonly status: string;
  /** Null: suppressed (fewer than the threshold, or hidden so it cannot be worked out from the total). */
  readonly count: number | null;
}

export interface CompletionReport {
  readonly minimumCellSize: number;
  readonly period: ReportPeriod;
  readonly rows: readonly CompletionRow[];
  readonly totals: ReadonlyArray<{
    readonly achievementId: string;
    readonly achievementName: string;
    readonly kind: string;
    readonly count: number | null;
  }>;
}

const day = (value: Date | string | null): string | null =>
  value === null ? null : typeof value === 'string' ? value.slice(0, 10) : value.toISOString().slice(0, 10);

/**
 * Small-count suppression. Every count under `k` is hidden. Then, within each achievement, more cells are hidden
 * (the smallest shown first) while exactly one cell is hidden or the hidden cells add up to less than `k`: otherwise
 * the total minus the shown cells would give the hidden one away (every cell is at least 1). A total under `k` is
 * hidden. Pure.
 */
export function suppressSmallCounts<T extends { group: string; count: number }>(
  cells: readonly T[],
  k: number,
): { cells: Array<T & { shown: boolean }>; totals: Map<string, number | null> } {
  const out = cells.map((c) => ({ ...c, shown: c.count >= k }));
  const groups = new Map<string, Array<T & { shown: boolean }>>();
  for (const cell of out) groups.set(cell.group, [...(groups.get(cell.group) ?? []), cell]);
  const totals = new Map<string, number | null>();
  for (const [group, members] of groups) {
    const total = members.reduce((sum, c) => sum + c.count, 0);
    const hiddenSum = () => members.filter((c) => !c.shown).reduce((sum, c) => sum + c.count, 0);
    const hiddenCount = () => members.filter((c) => !c.shown).length;
    while (hiddenCount() > 0 && (hiddenCount() === 1 || hiddenSum() < k)) {
      const next = members.filter((c) => c.shown).sort((a, b) => a.count - b.count)[0];
      if (next === undefined) break;
      next.shown = false;
    }
    totals.set(group, total >= k ? total : null);
  }
  return { cells: out, totals };
}

export function createProgrammeService(deps: {
  db: Kysely<Database>;
  keyring: Pick<Keyring, 'signerFor'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'profileOf' | 'signingKey'>;
  achievements: Pick<AchievementService, 'findVersion' | 'urls'>;
  audit: Pick<AuditService, 'record'>;
  documentLoader: DocumentLoader;
  validateEndorsement: CredentialValidator;
  publicUrl: string;
  clock: () => Date;
  minimumCellSize: number;
}) {
  const { db, keyring, issuers, achievements, audit, documentLoader, validateEndorsement, publicUrl, clock } = deps;

  const toRecognition = async (row: RecognitionRow): Promise<Recognition> => {
    const recognizer = await issuers.getIssuer(row.recognizer_id);
    return {
      id: row.id,
      recognizer: { id: recognizer.id, name: recognizer.name, url: recognizer.url, type: row.recognizer_type },
      achievementId: row.achievement_id,
      achievementUrl: achievements.urls(row.achievement_id, 1).url,
      purpose: row.purpose,
      amount: row.amount === null || row.unit === null ? null : { value: Number(row.amount), unit: row.unit },
      jurisdiction: row.jurisdiction,
      effectiveFrom: day(row.effective_from)!,
      effectiveUntil: day(row.effective_until),
      note: row.note,
    };
  };

  const endorsementUrl = (id: string) => `${publicUrl}/endorsements/${id}`;
  const toEndorsement = (row: EndorsementRow) => ({
    id: row.id,
    url: endorsementUrl(row.id),
    subject: { kind: row.subject_kind, id: row.subject_id },
    endorserId: row.endorser_id,
    createdAt: new Date(row.created_at).toISOString(),
    withdrawn: row.withdrawn_at !== null,
    credential: JSON.parse(row.signed_json) as Record<string, unknown>,
  });

  return {
    async recognize(caller: ApiKeyIdentity, input: RecognitionInput): Promise<Recognition> {
      await achievements.findVersion(input.achievementId); // 404 when unknown
      if (input.effectiveUntil !== undefined && input.effectiveUntil < input.effectiveFrom) {
        throw new Problem('validation-failed', 'effectiveUntil is before effectiveFrom', [
          { pointer: '#/effectiveUntil', detail: 'before effectiveFrom' },
        ]);
      }
      const id = crypto.randomUUID();
      await db.transaction().execute(async (trx) => {
        await repo.insertRecognition(trx, {
          id,
          recognizer_id: caller.issuerId,
          recognizer_type: input.recognizerType,
          achievement_id: input.achievementId,
          purpose: input.purpose,
          amount: input.amount?.value ?? null,
          unit: input.amount?.unit ?? null,
          jurisdiction: input.jurisdiction,
          effective_from: input.effectiveFrom,
          effective_until: input.effectiveUntil ?? null,
          note: input.note ?? null,
          created_at: clock(),
        });
        await audit.record(
          {
            issuerId: caller.issuerId,
            actor: apiKeyActor(caller.apiKeyId),
            action: 'recognition.create',
            target: id,
            detail: { achievementId: input.achievementId, purpose: input.purpose },
          },
          trx,
        );
      });
      return toRecognition((await repo.findRecognition(db, id))!);
    },

    async withdrawRecognition(caller: ApiKeyIdentity, id: string): Promise<void> {
      const row = isUuid(id) ? await repo.findRecognition(db, id) : undefined;
      if (row === undefined || row.recognizer_id !== caller.issuerId)
        throw new Problem('not-found', `No recognition ${id} of this organisation`);
      await db.transaction().execute(async (trx) => {
        if (await repo.withdrawRecognition(trx, id, clock())) {
          await audit.record(
            { issuerId: caller.issuerId, actor: apiKeyActor(caller.apiKeyId), action: 'recognition.withdraw', target: id },
            trx,
          );
        }
      });
    },

    async recognitions(filter: {
      achievementIds?: readonly string[];
      recognizerId?: string;
      jurisdiction?: string;
      purpose?: string;
      on?: string;
    }) {
      const rows = await repo.listRecognitions(db, { ...filter, jurisdictionPrefix: filter.jurisdiction });
      return Promise.all(rows.map(toRecognition));
    },

    /** "What does this credential count for (in this jurisdiction, on this day)?" */
    async recognitionsOfCredential(credentialId: string, filter: { jurisdiction?: string; on?: string }) {
      const row = isUuid(credentialId) ? await credentials.findCredential(db, credentialId) : undefined;
      if (row === undefined) throw new Problem('credential-not-found', `No credential ${credentialId}`);
      const recognitions =
        row.status === 'revoked' || row.achievement_id === null
          ? []
          : await this.recognitions({
              achievementIds: [row.achievement_id],
              jurisdiction: filter.jurisdiction,
              on: filter.on ?? day(clock())!,
            });
      return {
        credential: row.credential_url,
        achievementId: row.achievement_id,
        status: row.status,
        on: filter.on ?? day(clock())!,
        recognitions,
      };
    },

    async endorse(
      caller: ApiKeyIdentity,
      input: { subject: { achievementId: string } | { issuerId: string }; name?: string; comment: string },
    ) {
      const endorser = await issuers.getIssuer(caller.issuerId);
      let subjectKind: 'achievement' | 'issuer';
      let subjectId: string;
      let subjectUri: string;
      let subjectName: string;
      if ('achievementId' in input.subject) {
        const version = await achievements.findVersion(input.subject.achievementId);
        if (version.issuer_id === endorser.id) throw new Problem('forbidden', 'An organisation cannot endorse its own achievements');
        subjectKind = 'achievement';
        subjectId = version.achievement_id;
        subjectUri = achievements.urls(version.achievement_id, 1).url;
        subjectName = String((JSON.parse(version.achievement_json) as { name?: unknown }).name);
      } else {
        if (input.subject.issuerId === endorser.id) throw new Problem('forbidden', 'An organisation cannot endorse itself');
        const subject = await issuers.getIssuer(input.subject.issuerId);
        subjectKind = 'issuer';
        subjectId = subject.id;
        subjectUri = subject.did;
        subjectName = subject.name;
      }
      const id = crypto.randomUUID();
      const now = clock();
      const proofType = endorser.default_proof_type;
      const unsigned = {
        '@context': [VC_V2_CONTEXT, OB_CONTEXT, OB_EXTENSIONS_CONTEXT, ...contextsForProof(proofType)],
        id: endorsementUrl(id),
        type: ['VerifiableCredential', 'EndorsementCredential'],
        name: input.name ?? `${endorser.name} endorses ${subjectName}`,
        issuer: issuers.profileOf(endorser),
        validFrom: toDateTimeStamp(now),
        awardedDate: toDateTimeStamp(now),
        credentialSubject: { id: subjectUri, type: ['EndorsementSubject'], endorsementComment: input.comment },
        credentialSchema: [{ id: OB_ENDORSEMENT_SCHEMA, type: '1EdTechJsonSchemaValidator2019' }],
      };
      const errors = validateEndorsement(unsigned);
      if (errors.length > 0)
        throw new Problem('unprocessable-credential', 'The endorsement would not conform to the OB 3.0 schema', errors);
      const signer = await keyring.signerFor(await issuers.signingKey(endorser));
      const signed = await signCredential({
        credential: unsigned,
        suite: createSigningSuite({ proofType, signer, date: now }),
        documentLoader,
      });
      const text = JSON.stringify(signed);
      await db.transaction().execute(async (trx) => {
        await repo.insertEndorsement(trx, {
          id,
          endorser_id: endorser.id,
          subject_kind: subjectKind,
          subject_id: subjectId,
          signed_json: text,
          created_at: now,
        });
        await audit.record(
          {
            issuerId: endorser.id,
            actor: apiKeyActor(caller.apiKeyId),
            action: 'endorsement.issue',
            target: endorsementUrl(id),
            detail: { subjectKind, subjectId },
          },
          trx,
        );
      });
      return { id, url: endorsementUrl(id), text };
    },

    async endorsement(id: string) {
      const row = isUuid(id) ? await repo.findEndorsement(db, id) : undefined;
      if (row === undefined) throw new Problem('not-found', `No endorsement ${id}`);
      return toEndorsement(row);
    },

    async withdrawEndorsement(caller: ApiKeyIdentity, id: string): Promise<void> {
      const row = isUuid(id) ? await repo.findEndorsement(db, id) : undefined;
      if (row === undefined || row.endorser_id !== caller.issuerId)
        throw new Problem('not-found', `No endorsement ${id} by this organisation`);
      await db.transaction().execute(async (trx) => {
        if (await repo.withdrawEndorsement(trx, id, clock())) {
          await audit.record(
            { issuerId: caller.issuerId, actor: apiKeyActor(caller.apiKeyId), action: 'endorsement.withdraw', target: endorsementUrl(id) },
            trx,
          );
        }
      });
    },

    endorsementsOf: async (kind: 'achievement' | 'issuer', subjectId: string) =>
      (await repo.endorsementsOf(db, kind, subjectId)).map(toEndorsement),

    /** For issuance: the newest endorsements of the achievement and of the issuer, embedded in the credential. */
    async embeddable(
      trx: Transaction<Database>,
      issuerId: string,
      achievementId: string,
    ): Promise<{ achievement: unknown[]; issuer: unknown[] }> {
      const parse = (rows: EndorsementRow[]) => rows.map((r) => JSON.parse(r.signed_json) as unknown);
      const rows = await repo.endorsementsToEmbed(trx, { achievementId, issuerId }, EMBEDDED_ENDORSEMENTS);
      return { achievement: parse(rows.achievement), issuer: parse(rows.issuer) };
    },

    /** Completion data for an issuer (what it issued) or a recognizer (credentials of what it recognises). */
    async completions(caller: ApiKeyIdentity, options: { as: 'issuer' | 'recognizer'; period?: ReportPeriod }): Promise<CompletionReport> {
      const scope = options.as === 'issuer' ? { issuerId: caller.issuerId } : { recognizerId: caller.issuerId };
      const period = options.period ?? 'month';
      const counts = await repo.completionCounts(db, scope, period);
      const summaries = new Map(
        (await repo.achievementSummaries(db, [...new Set(counts.map((c) => c.achievement_id))])).map((s) => [
          s.id,
          {
            name: String((JSON.parse(s.achievement_json) as { name?: unknown }).name),
            kind: s.is_stack ? ('stack' as const) : ('micro-credential' as const),
          },
        ]),
      );
      const k = deps.minimumCellSize;
      const { cells, totals } = suppressSmallCounts(
        counts.map((c) => ({ group: c.achievement_id, period: c.period, status: c.status, count: Number(c.count) })),
        k,
      );
      const meta = (id: string) => summaries.get(id) ?? { name: id, kind: 'micro-credential' as const };
      return {
        minimumCellSize: k,
        period,
        rows: cells.map((c) => ({
          achievementId: c.group,
          achievementName: meta(c.group).name,
          kind: meta(c.group).kind,
          period: c.period,
          status: c.status,
          count: c.shown ? c.count : null,
        })),
        totals: [...totals].map(([id, count]) => ({ achievementId: id, achievementName: meta(id).name, kind: meta(id).kind, count })),
      };
    },
  };
}

export type ProgrammeService = ReturnType<typeof createProgrammeService>;

/** The report as CSV (RFC 4180): one row per cell, suppressed counts empty with suppressed=true. */
export function completionsCsv(report: CompletionReport): string {
  // Quoted per RFC 4180; a leading = + - @ tab or CR is neutralised so spreadsheets never evaluate a cell.
  const risky = /^[=+\-@\t\r]/;
  const quote = (v: string) => (/[",\r\n]/.test(v) || risky.test(v) ? `"${(risky.test(v) ? `'${v}` : v).replace(/"/g, '""')}"` : v);
  const lines = ['achievement_id,achievement_name,kind,period,status,count,suppressed'];
  for (const r of report.rows) {
    lines.push(
      [r.achievementId, r.achievementName, r.kind, r.period, r.status, r.count === null ? '' : String(r.count), String(r.count === null)]
        .map(quote)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}
