/**
 * The catalogue. A published version is immutable: editing publishes version n+1 under a row lock, so two
 * concurrent edits get consecutive numbers. Credentials pin (achievement id, version) by foreign key.
 */
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import * as repo from '../db/repositories/achievements.js';
import type { AchievementVersionWithIssuer } from '../db/repositories/achievements.js';
import { buildAchievement, checkDefinition, type StackComponents } from '../credentials/achievement.js';
import { checkStackRules } from '../credentials/stack-rules.js';

/** Stacks nest at most this deep; awards follow that far (stacks.ts). */
export const MAX_STACK_DEPTH = 3;
import { Problem } from '../errors.js';
import type { AchievementDefinition, AchievementResource, StackInput } from '../schemas/achievement.js';
import { actorName, type Actor, type AuditService } from './audit.js';

export interface AchievementUrls {
  readonly url: string;
  readonly versionUrl: string;
}

export function createAchievementService(deps: {
  db: Kysely<Database>;
  audit: Pick<AuditService, 'record'>;
  publicUrl: string;
  clock: () => Date;
}) {
  const { db, audit, publicUrl, clock } = deps;

  const urls = (id: string, version: number): AchievementUrls => ({
    url: `${publicUrl}/achievements/${id}`,
    versionUrl: `${publicUrl}/achievements/${id}/versions/${version}`,
  });

  const invalid = (problems: Array<{ pointer: string; detail: string }>) =>
    new Problem('validation-failed', problems.map((p) => p.detail).join('; '), problems);

  /**
   * A stack's components must exist (in the versions named) and never lead back to the stack itself.
   * @returns each component's achievement URL and name, for the published Achievement.
   */
  const resolveStack = async (id: string, stack: StackInput, definition: AchievementDefinition): Promise<StackComponents> => {
    const problems = checkStackRules(stack, id);
    if (definition.rubric !== undefined && definition.rubric.length > 0) {
      problems.push({ pointer: '#/rubric', detail: 'a stack is awarded from its components, so it has no rubric of its own' });
    }
    const components = new Map<string, { url: string; name: string }>();
    for (const [i, requirement] of stack.requirements.entries()) {
      for (const [j, component] of requirement.components.entries()) {
        const row = await repo.findAchievementVersion(db, component.achievementId);
        const pointer = `#/stack/requirements/${i}/components/${j}`;
        if (row === undefined) {
          problems.push({ pointer, detail: `no achievement ${component.achievementId}` });
          continue;
        }
        const missing = (component.versions ?? []).filter((v) => v > row.latest_version);
        if (missing.length > 0)
          problems.push({
            pointer: `${pointer}/versions`,
            detail: `achievement ${component.achievementId} has no version ${missing.join(', ')}`,
          });
        components.set(component.achievementId, {
          url: urls(component.achievementId, 1).url,
          name: String((JSON.parse(row.achievement_json) as { name?: unknown }).name),
        });
      }
    }
    // Walk down the stack graph from the components: reaching this stack again would be a cycle.
    // Walk down from the components (stack levels below this one), and up through the stacks that already contain
    // this achievement (levels above): reaching this stack again is a cycle, and all levels together may not exceed
    // MAX_STACK_DEPTH, or automatic awards would stop short of the top.
    let below = 0;
    let frontier = [...components.keys()];
    for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
      const edges = await repo.componentsOf(db, frontier);
      if (edges.some((e) => e.component_id === id)) {
        problems.push({ pointer: '#/stack', detail: 'a component of this stack already requires this stack (a cycle)' });
        break;
      }
      if (edges.length > 0) below = depth + 1;
      frontier = edges.map((e) => e.component_id);
    }
    let above = 0;
    for (
      let parents = await repo.stacksContaining(db, [id]);
      parents.length > 0 && above < 8;
      parents = await repo.stacksContaining(db, parents)
    )
      above++;
    if (above + 1 + below > MAX_STACK_DEPTH) {
      problems.push({ pointer: '#/stack', detail: `stacks nest at most ${MAX_STACK_DEPTH} deep (a stack of stacks of stacks)` });
    }
    if (problems.length > 0) throw invalid(problems);
    return components;
  };

  const build = (id: string, version: number, definition: AchievementDefinition, stackComponents?: StackComponents) => {
    const problems = checkDefinition(definition);
    if (problems.length > 0) throw invalid(problems);
    return JSON.stringify(buildAchievement({ definition, version, ...urls(id, version), stackComponents }));
  };

  const toResource = (row: AchievementVersionWithIssuer): AchievementResource => ({
    id: row.achievement_id,
    issuerId: row.issuer_id,
    version: row.version,
    latestVersion: row.latest_version,
    ...urls(row.achievement_id, row.version),
    createdAt: row.created_at.toISOString(),
    achievement: JSON.parse(row.achievement_json) as Record<string, unknown>,
  });

  /** `executor`: a transaction in progress (the embedded database serves one connection at a time). */
  const find = async (id: string, version?: number, executor: Kysely<Database> = db): Promise<AchievementVersionWithIssuer> => {
    const row = await repo.findAchievementVersion(executor, id, version);
    if (row === undefined) {
      throw new Problem(
        'achievement-not-found',
        version === undefined ? `No achievement ${id}` : `No version ${version} of achievement ${id}`,
      );
    }
    return row;
  };

  return {
    urls,

    async create(issuerId: string, definition: AchievementDefinition, actor: Actor): Promise<AchievementResource> {
      const id = crypto.randomUUID();
      const stackComponents = definition.stack === undefined ? undefined : await resolveStack(id, definition.stack, definition);
      const achievementJson = build(id, 1, definition, stackComponents);
      await db.transaction().execute(async (trx) => {
        await repo.insertAchievement(trx, { id, issuerId, achievementJson, definitionJson: JSON.stringify(definition), at: clock() });
        await repo.replaceStackComponents(trx, id, [...(stackComponents?.keys() ?? [])]);
        await audit.record(
          { issuerId, actor: actorName(actor), action: 'achievement.create', target: urls(id, 1).url, detail: { version: 1 } },
          trx,
        );
      });
      return toResource(await find(id, 1));
    },

    /** Publishes the next version; only the owning issuer may. */
    async publishVersion(issuerId: string, id: string, definition: AchievementDefinition, actor: Actor): Promise<AchievementResource> {
      const stackComponents = definition.stack === undefined ? undefined : await resolveStack(id, definition.stack, definition);
      const version = await db.transaction().execute(async (trx) => {
        const current = await repo.lockAchievement(trx, id);
        if (current === undefined) throw new Problem('achievement-not-found', `No achievement ${id}`);
        if (current.issuer_id !== issuerId) throw new Problem('forbidden', 'This achievement belongs to another issuer');
        const next = current.latest_version + 1;
        const achievementJson = build(id, next, definition, stackComponents);
        await repo.replaceStackComponents(trx, id, [...(stackComponents?.keys() ?? [])]);
        await repo.insertAchievementVersion(trx, {
          id,
          version: next,
          achievementJson,
          definitionJson: JSON.stringify(definition),
          at: clock(),
        });
        await audit.record(
          { issuerId, actor: actorName(actor), action: 'achievement.version', target: urls(id, next).url, detail: { version: next } },
          trx,
        );
        return next;
      });
      return toResource(await find(id, version));
    },

    get: async (id: string, version?: number) => toResource(await find(id, version)),

    /** The stored version row, for issuing against it. */
    findVersion: find,

    async list(args: {
      issuerId?: string;
      limit: number;
      cursor?: string;
    }): Promise<{ items: AchievementResource[]; nextCursor: string | null }> {
      let after: { createdAt: Date; id: string } | undefined;
      if (args.cursor !== undefined) {
        const [time, id] = Buffer.from(args.cursor, 'base64url').toString('utf8').split('|');
        const createdAt = new Date(time ?? '');
        if (id === undefined || Number.isNaN(createdAt.getTime()))
          throw new Problem('validation-failed', 'cursor is not one this service returned');
        after = { createdAt, id };
      }
      const rows = await repo.listLatestAchievements(db, { issuerId: args.issuerId, limit: args.limit + 1, after });
      const page = rows.slice(0, args.limit);
      const last = page.at(-1);
      const nextCursor =
        rows.length > args.limit && last !== undefined
          ? Buffer.from(`${last.achievement_created_at.toISOString()}|${last.achievement_id}`).toString('base64url')
          : null;
      return { items: page.map(toResource), nextCursor };
    },
  };
}

export type AchievementService = ReturnType<typeof createAchievementService>;
