/** Wires the services over their dependencies. No container: each service lists exactly what it uses. */
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { createDocumentLoader, loadContexts } from '../credentials/document-loader.js';
import { declaredSchemaIds, loadSchemas } from '../credentials/schema.js';
import { OB_ACHIEVEMENT_CREDENTIAL_SCHEMA } from '../credentials/build.js';

const OB_PROFILE_SCHEMA = 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_profile_schema.json';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { projectRoot } from '../project-root.js';
import { createAchievementService } from './achievements.js';
import { createDidResolver } from './did-resolver.js';
import { createIssuanceService } from './issuance.js';
import { createIssuerService } from './issuers.js';
import { createVerificationService } from './verification.js';
import { createStatusService } from './status.js';
import { createStatusChecker } from '../credentials/status-check.js';
import { verifyCredential } from '../credentials/verify.js';
import { fetchJson } from '../net/safe-fetch.js';
import { createAuditService } from './audit.js';
import { createPrivacyService } from './privacy.js';
import { createEarnerService } from './earner.js';
import { createDownloadService } from './downloads.js';
import { CLR_SCHEMA } from '../credentials/clr.js';
import { createStackService } from './stacks.js';
import { createPageService } from './pages.js';
import { createProgrammeService, OB_ENDORSEMENT_SCHEMA } from './programmes.js';
import type { Metrics } from '../metrics.js';
import { createJobQueue } from '../db/job-queue.js';
import { createBatchService } from './batches.js';
import { createOb3ApiService } from './ob3-api.js';

export interface ServiceDeps {
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  readonly box: SecretBox;
  readonly config: {
    readonly publicUrl: string;
    readonly allowPrivateFetch: boolean;
    readonly fetchTimeoutMs: number;
    readonly fetchMaxBytes: number;
    /** false: new credentials carry no credentialStatus (benchmarks only). Default true. */
    readonly credentialStatus?: boolean;
    /** Entries a status list takes before the next starts (default 75% of 131,072; tests use small values). */
    readonly statusListCapacity?: number;
    /** Lifetimes of claim links (default 180 days) and of wallet links when a request names none (default 7). */
    readonly claimLinkTtlDays?: number;
    readonly walletLinkTtlDays?: number;
    /** Completion reports hide counts below this (default 10). */
    readonly reportMinimumCellSize?: number;
    /** A batch chunk running longer is presumed lost and retried (default 300 s). */
    readonly batchJobTimeoutSeconds?: number;
  };
  readonly clock?: () => Date;
  readonly metrics?: Metrics;
}

// Parsed once per process: they are constants shipped with the code.
let shipped: { contexts: ReturnType<typeof loadContexts>; schemas: ReturnType<typeof loadSchemas> } | undefined;
const shippedDocuments = () =>
  (shipped ??= {
    contexts: loadContexts(path.join(projectRoot, 'contexts')),
    schemas: loadSchemas(path.join(projectRoot, 'schemas')),
  });

export function createServices(deps: ServiceDeps) {
  const { db, keyring, box, config } = deps;
  const clock = deps.clock ?? (() => new Date());
  const { contexts, schemas } = shippedDocuments();
  const fetchOptions = { timeoutMs: config.fetchTimeoutMs, maxBytes: config.fetchMaxBytes, allowPrivate: config.allowPrivateFetch };
  const resolveDid = createDidResolver({ db, publicUrl: config.publicUrl, fetchOptions });
  const documentLoader = createDocumentLoader({ contexts, resolveDid });
  const audit = createAuditService({ db, clock });
  const issuers = createIssuerService({ db, keyring, audit, publicUrl: config.publicUrl, clock });
  const achievements = createAchievementService({ db, audit, publicUrl: config.publicUrl, clock });
  const privacy = createPrivacyService({ db, box, audit, clock });
  const status = createStatusService({
    db,
    keyring,
    issuers,
    audit,
    documentLoader,
    publicUrl: config.publicUrl,
    clock,
    listCapacity: config.statusListCapacity,
  });
  const earner = createEarnerService({
    db,
    box,
    keyring,
    issuers,
    audit,
    documentLoader,
    validateClr: (clr) => schemas.validate(CLR_SCHEMA, clr) ?? [],
    publicUrl: config.publicUrl,
    clock,
    claimLinkTtlDays: config.claimLinkTtlDays ?? 180,
    walletLinkTtlDays: config.walletLinkTtlDays ?? 7,
    pathwaysOf: (lookupHash, achievementIds) => stacks.pathwaysOf(lookupHash, achievementIds),
    awardStack: (lookupHash, stackId) => stacks.awardForEarner(lookupHash, stackId),
  });
  const programmes = createProgrammeService({
    db,
    keyring,
    issuers,
    achievements,
    audit,
    documentLoader,
    validateEndorsement: (credential) => schemas.validate(OB_ENDORSEMENT_SCHEMA, credential) ?? [],
    publicUrl: config.publicUrl,
    clock,
    minimumCellSize: config.reportMinimumCellSize ?? 10,
  });
  const issuance = createIssuanceService({
    db,
    keyring,
    box,
    issuers,
    achievements,
    status: config.credentialStatus === false ? undefined : status,
    audit,
    earner,
    endorsements: programmes,
    metrics: deps.metrics,
    documentLoader,
    validate: (credential) => schemas.validate(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, credential) ?? [],
    validateDeclared: (credential) => declaredSchemaIds(credential).flatMap((id) => schemas.validate(id, credential) ?? []),
    publicUrl: config.publicUrl,
    clock,
  });
  const stacks = createStackService({
    db,
    box,
    keyring,
    issuers,
    achievements,
    issuance: () => issuance,
    audit,
    publicUrl: config.publicUrl,
    clock,
  });
  issuance.onIssued((trx, issued) => stacks.onIssued(trx, issued));
  const checkStatus = createStatusChecker({
    fetchDocument: async (url) =>
      status.isLocalList(url)
        ? (JSON.parse((await status.signedList(status.localListId(url))).text) as unknown)
        : fetchJson(url, fetchOptions),
    verifyListCredential: async (credential) => {
      const report = await verifyCredential({
        credential,
        documentLoader,
        now: clock(),
        checkStatus: async (list) =>
          list.credentialStatus === undefined ? undefined : { outcome: 'error', message: 'A status list must not itself carry a status' },
      });
      return report.verified ? null : report.errors.join('; ');
    },
    localStatus: status.localStatus,
  });
  const verification = createVerificationService({
    documentLoader,
    schemas,
    checkStatus,
    recordedSigningTime: issuers.recordedSigningTime,
    clock,
    metrics: deps.metrics,
  });
  const chunkTimeoutSeconds = config.batchJobTimeoutSeconds ?? 300;
  // Expired chunks are looked for at least twice per timeout, so a lost chunk waits at most ~1.5 timeouts.
  const jobs = createJobQueue(db, { maintenanceSeconds: Math.max(1, Math.min(30, Math.floor(chunkTimeoutSeconds / 2))) });
  const batches = createBatchService({
    db,
    queue: jobs,
    box,
    issuance,
    issuers,
    audit,
    webhookFetch: fetchOptions,
    publicUrl: config.publicUrl,
    clock,
    chunkTimeoutSeconds,
  });
  const ob3Api = createOb3ApiService({
    db,
    subjectOfLink: (link) => earner.subjectOfLink(link),
    verify: (credential) => verification.verify(credential),
    validateProfile: (profile) => schemas.validate(OB_PROFILE_SCHEMA, profile) ?? [],
    clock,
  });
  return {
    jobs,
    batches,
    ob3Api,
    issuers,
    achievements,
    issuance,
    status,
    verification,
    audit,
    privacy,
    earner,
    stacks,
    programmes,
    pages: createPageService({ achievements, issuers, programmes, stacks, verification, publicUrl: config.publicUrl, clock }),
    downloads: createDownloadService({ db }),
    documentLoader,
  };
}

export type Services = ReturnType<typeof createServices>;
