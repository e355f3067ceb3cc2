/** Wires the services over their dependencies. No container: each service lists exactly what it uses. */
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { createDocumentLoader, loadContexts } from '../credentials/document-loader.js';
import { loadSchemas } from '../credentials/schema.js';
import { OB_ACHIEVEMENT_CREDENTIAL_SCHEMA } from '../credentials/build.js';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { projectRoot } from '../project-root.js';
import { createAchievementService } from './achievements.js';
import { createDidResolver } from './did-resolver.js';
import { createIssuanceService } from './issuance.js';
import { createIssuerService } from './issuers.js';
import { createVerificationService, statusNotSupported } from './verification.js';

export interface ServiceDeps {
  readonly db: Kysely<Database>;
  readonly keyring: Keyring;
  readonly box: SecretBox;
  readonly config: {
    readonly publicUrl: string;
    readonly allowPrivateFetch: boolean;
    readonly fetchTimeoutMs: number;
    readonly fetchMaxBytes: number;
  };
  readonly clock?: () => Date;
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
  const resolveDid = createDidResolver({
    db,
    publicUrl: config.publicUrl,
    fetchOptions: { timeoutMs: config.fetchTimeoutMs, maxBytes: config.fetchMaxBytes, allowPrivate: config.allowPrivateFetch },
  });
  const documentLoader = createDocumentLoader({ contexts, resolveDid });
  const issuers = createIssuerService({ db, keyring, publicUrl: config.publicUrl, clock });
  const achievements = createAchievementService({ db, publicUrl: config.publicUrl, clock });
  const issuance = createIssuanceService({
    db,
    keyring,
    box,
    issuers,
    achievements,
    documentLoader,
    validate: (credential) => schemas.validate(OB_ACHIEVEMENT_CREDENTIAL_SCHEMA, credential) ?? [],
    publicUrl: config.publicUrl,
    clock,
  });
  const verification = createVerificationService({ documentLoader, schemas, checkStatus: statusNotSupported, clock });
  return { issuers, achievements, issuance, verification, documentLoader };
}

export type Services = ReturnType<typeof createServices>;
