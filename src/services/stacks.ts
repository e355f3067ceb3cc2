/**
 * Stacks and pathways. A stack is a versioned achievement whose definition has `stack` rules (schemas/achievement.ts).
 *
 * Exactly once: a stack credential is issued inside the transaction of the component credential that completes
 * it, under a per-earner advisory lock, and recorded in `stack_awards`, whose (stack, earner) UNIQUE
 * constraint refuses a second award. Two components arriving concurrently serialise on the lock; the second sees
 * the first (read committed) and awards. A revoked, suspended, not yet valid or expired component does not count.
 * A stack is never issued directly (POST /credentials refuses it): only through an award, so only once.
 */
import crypto from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import * as repo from '../db/repositories/stacks.js';
import { stacksContaining } from '../db/repositories/achievements.js';
import { evaluateStack, componentIds, type EarnedCredential, type StackEvaluation } from '../credentials/stack-rules.js';
import { asArray, isObject } from '../credentials/json.js';
import type { Keyring } from '../keys/keyring.js';
import type { SecretBox } from '../keys/master-key.js';
import { Problem } from '../errors.js';
import type { AchievementDefinition } from '../schemas/achievement.js';
import { MAX_STACK_DEPTH as MAX_DEPTH, type AchievementService } from './achievements.js';
import type { ApiKeyIdentity, IssuerService } from './issuers.js';
import type { IssuanceService } from './issuance.js';
import type { EarnerLink } from './earner.js';
import { recipientLookupHash } from './privacy.js';
import { hasIssuedTo } from '../db/repositories/credentials.js';
import type { AuditService } from './audit.js';

export interface StackProgress {
  readonly stackId: string;
  /** The stack's public achievement URL. */
  readonly url: string;
  readonly name: string;
  readonly award: 'automatic' | 'on-request';
  readonly ordered: boolean;
  readonly satisfied: boolean;
  readonly awarded: { readonly credentialUrl: string; readonly awardedAt: string } | null;
  readonly requirements: ReadonlyArray<{
    readonly name: string | null;
    readonly needed: number;
    readonly earned: number;
    readonly complete: boolean;
    readonly components: ReadonlyArray<{ readonly achievementId: string; readonly name: string; readonly credentialUrl: string | null }>;
  }>;
}

/** What one decision did (made on every component issued, so it computes no progress report). */
export interface StackDecision {
  readonly outcome: 'awarded' | 'already-awarded' | 'not-complete';
  readonly credentialUrl?: string;
  readonly text?: string;
  readonly claimLink?: EarnerLink;
}

export interface StackAwardResult extends StackDecision {
  readonly progress: StackProgress;
}

export function createStackService(deps: {
  db: Kysely<Database>;
  box: Pick<SecretBox, 'mac'>;
  keyring: Pick<Keyring, 'signerFor'>;
  issuers: Pick<IssuerService, 'getIssuer' | 'signingKey'>;
  achievements: Pick<AchievementService, 'findVersion' | 'urls'>;
  issuance: () => Pick<IssuanceService, 'issueWithin'>;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  clock: () => Date;
}) {
  const { db, box, keyring, issuers, achievements, audit, publicUrl, clock } = deps;

  // Every read takes the executor: inside a transaction on the embedded database, a read on `db` would wait forever.
  const stackOf = async (executor: Kysely<Database>, stackId: string) => {
    const version = await achievements.findVersion(stackId, undefined, executor);
    const definition = JSON.parse(version.definition_json) as AchievementDefinition;
    if (definition.stack === undefined) throw new Problem('achievement-not-found', `Achievement ${stackId} is not a stack`);
    return { version, definition, rules: definition.stack };
  };

  /**
   * A stack may count other issuers' credentials, so its issuer may ask about an educator only once it has awarded
   * them something itself: no looking up arbitrary people's records.
   */
  const assertRelationship = async (caller: ApiKeyIdentity, lookupHash: string) => {
    if (!(await hasIssuedTo(db, caller.issuerId, lookupHash))) {
      throw new Problem('forbidden', 'This issuer has issued no credential to that identifier, so it cannot ask about their progress');
    }
  };

  const awardOf = (row: { credential_url: string; created_at: Date | string } | undefined): StackProgress['awarded'] =>
    row === undefined ? null : { credentialUrl: row.credential_url, awardedAt: new Date(row.created_at).toISOString() };

  const earnedOf = (rows: Awaited<ReturnType<typeof repo.currentCredentialsOf>>): EarnedCredential[] =>
    rows.map((row) => {
      const awarded = (JSON.parse(row.signed_json) as { awardedDate?: unknown }).awardedDate;
      const earnedAt = typeof awarded === 'string' && !Number.isNaN(Date.parse(awarded)) ? new Date(awarded) : new Date(row.created_at);
      return {
        credentialId: row.id,
        credentialUrl: row.credential_url,
        achievementId: row.achievement_id,
        version: row.achievement_version,
        earnedAt,
      };
    });

  /** The latest name of each component (for progress, and the stack credential's evidence). */
  const componentNames = async (executor: Kysely<Database>, rules: NonNullable<AchievementDefinition['stack']>) => {
    const names = new Map<string, string>();
    for (const id of componentIds(rules)) {
      const row = await achievements.findVersion(id, undefined, executor).catch(() => undefined);
      names.set(id, row === undefined ? id : String((JSON.parse(row.achievement_json) as { name?: unknown }).name));
    }
    return names;
  };

  const progressOf = async (
    executor: Kysely<Database>,
    stackId: string,
    name: string,
    rules: NonNullable<AchievementDefinition['stack']>,
    evaluation: StackEvaluation,
    awarded: StackProgress['awarded'],
  ): Promise<StackProgress> => {
    const names = await componentNames(executor, rules);
    return {
      stackId,
      url: achievements.urls(stackId, 1).url,
      name,
      award: rules.award ?? 'automatic',
      ordered: rules.ordered === true,
      satisfied: evaluation.satisfied,
      awarded,
      requirements: evaluation.requirements.map((r) => ({
        name: r.name,
        needed: r.needed,
        earned: r.earned,
        complete: r.complete,
        components: r.components.map((c) => ({
          achievementId: c.achievementId,
          name: names.get(c.achievementId) ?? c.achievementId,
          credentialUrl: c.credential?.credentialUrl ?? null,
        })),
      })),
    };
  };

  /**
   * Decides one stack for one earner inside `trx`, and issues the stack credential when the rules are met.
   * `force`: award an on-request stack too (the explicit request).
   */
  async function decide(
    trx: Transaction<Database>,
    stackId: string,
    lookupHash: string,
    options: { force: boolean; depth: number },
  ): Promise<StackDecision> {
    await repo.lockStacksOfEarner(trx, lookupHash);
    const { version, rules } = await stackOf(trx, stackId);
    const now = clock();
    const rows = await repo.currentCredentialsOf(trx, lookupHash, componentIds(rules), now);
    const evaluation = evaluateStack(rules, earnedOf(rows));
    const existing = await repo.findAward(trx, stackId, lookupHash);
    if (existing !== undefined) return { outcome: 'already-awarded', credentialUrl: existing.credential_url, text: existing.signed_json };
    if (!evaluation.satisfied || (!options.force && (rules.award ?? 'automatic') !== 'automatic')) return { outcome: 'not-complete' };

    // The stack credential identifies the earner as the newest component does (the same salted hash).
    const newest = rows.find((r) => r.id === evaluation.counted.at(-1)!.credentialId)!;
    const source = JSON.parse(newest.signed_json) as Record<string, unknown>;
    const subject = asArray(source.credentialSubject).find(isObject) ?? {};
    const identifier = asArray(subject.identifier).filter(isObject);
    const names = await componentNames(trx, rules);

    const issuer = await issuers.getIssuer(version.issuer_id, trx);
    const signer = await keyring.signerFor(await issuers.signingKey(issuer, trx));
    const id = crypto.randomUUID();
    const url = `${publicUrl}/credentials/${id}`;
    const issued = await deps.issuance().issueWithin(trx, {
      issuer,
      version,
      request: {
        achievement: { id: stackId, version: version.version },
        recipient: { identity: 'stack' }, // not used: `identity` below carries the component's identifiers
        evidence: evaluation.counted.map((c) => ({
          url: c.credentialUrl,
          name: names.get(c.achievementId) ?? 'Component credential',
          description: `Component credential of this stack, awarded ${c.earnedAt.toISOString().slice(0, 10)}`,
          genre: 'Micro-credential',
        })),
      },
      proofType: issuer.default_proof_type,
      id,
      url,
      now,
      signer,
      lookupHash,
      apiKeyId: null,
      requestHash: box.mac('stack', `${stackId}:${lookupHash}`),
      identity: { identifier, id: typeof subject.id === 'string' ? subject.id : undefined },
      auditDetail: { stack: true, components: evaluation.counted.length },
      depth: options.depth + 1,
    });
    await repo.insertAward(trx, { id: crypto.randomUUID(), stackId, lookupHash, credentialId: id, at: now });
    await audit.record(
      {
        issuerId: issuer.id,
        actor: 'system',
        action: 'stack.award',
        target: url,
        detail: { stackId, components: evaluation.counted.map((c) => c.credentialUrl) },
      },
      trx,
    );
    return { outcome: 'awarded', credentialUrl: url, text: issued.text, claimLink: issued.claimLink };
  }

  return {
    /** The issuance hook: after a credential is inserted, award every automatic stack it completes. */
    async onIssued(trx: Transaction<Database>, issued: { achievementId: string; lookupHash: string; depth: number }): Promise<void> {
      if (issued.depth >= MAX_DEPTH) return;
      for (const stackId of (await stacksContaining(trx, [issued.achievementId])).sort()) {
        // Another issuer's stack must never block this credential: a failed award is undone alone, recorded, and can
        // be made later by POST /stacks/{id}/awards or from the earner's page.
        await sql`savepoint stack_award`.execute(trx);
        try {
          await decide(trx, stackId, issued.lookupHash, { force: false, depth: issued.depth });
          await sql`release savepoint stack_award`.execute(trx);
        } catch (error) {
          await sql`rollback to savepoint stack_award`.execute(trx);
          await audit.record(
            {
              issuerId: null,
              actor: 'system',
              action: 'stack.award',
              target: achievements.urls(stackId, 1).url,
              outcome: 'failed',
              detail: { reason: (error as Error).message.slice(0, 300) },
            },
            trx,
          );
        }
      }
    },

    /** The explicit request (and the way to award earners who completed a stack before it was published). */
    async requestAward(
      caller: ApiKeyIdentity,
      stackId: string,
      recipient: { identity: string; identityType?: string },
    ): Promise<StackAwardResult> {
      const { version } = await stackOf(db, stackId);
      if (version.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This stack belongs to another issuer');
      const lookupHash = recipientLookupHash(box, recipient.identityType ?? 'emailAddress', recipient.identity);
      await assertRelationship(caller, lookupHash);
      const decision = await db.transaction().execute((trx) => decide(trx, stackId, lookupHash, { force: true, depth: 0 }));
      const { definition, rules } = await stackOf(db, stackId);
      return { ...decision, progress: await progressFor(stackId, definition.name, rules, lookupHash) };
    },

    /** The earner's own request, from their private page (their consent to the issuer seeing what counts). */
    async awardForEarner(lookupHash: string, stackId: string): Promise<StackDecision> {
      await stackOf(db, stackId);
      return db.transaction().execute((trx) => decide(trx, stackId, lookupHash, { force: true, depth: 0 }));
    },

    /** How far an educator is on a stack; only the stack's issuer may ask. */
    async progress(
      caller: ApiKeyIdentity,
      stackId: string,
      recipient: { identity: string; identityType?: string },
    ): Promise<StackProgress> {
      const { version, definition, rules } = await stackOf(db, stackId);
      if (version.issuer_id !== caller.issuerId) throw new Problem('forbidden', 'This stack belongs to another issuer');
      const lookupHash = recipientLookupHash(box, recipient.identityType ?? 'emailAddress', recipient.identity);
      await assertRelationship(caller, lookupHash);
      return progressFor(stackId, definition.name, rules, lookupHash);
    },

    /** The stacks an achievement is a component of. */
    partOf: (achievementId: string) => stacksContaining(db, [achievementId]),

    /** The pathways an earner is on (stacks with at least one of their credentials), for the earner's page. */
    async pathwaysOf(lookupHash: string, achievementIds: readonly string[]): Promise<StackProgress[]> {
      const stacks = await stacksContaining(db, achievementIds);
      const out: StackProgress[] = [];
      for (const stackId of stacks.sort()) {
        const { definition, rules } = await stackOf(db, stackId);
        out.push(await progressFor(stackId, definition.name, rules, lookupHash));
      }
      return out;
    },
  };

  async function progressFor(stackId: string, name: string, rules: NonNullable<AchievementDefinition['stack']>, lookupHash: string) {
    const evaluation = evaluateStack(rules, earnedOf(await repo.currentCredentialsOf(db, lookupHash, componentIds(rules), clock())));
    const award = await repo.findAward(db, stackId, lookupHash);
    return progressOf(db, stackId, name, rules, evaluation, awardOf(award));
  }
}

export type StackService = ReturnType<typeof createStackService>;
