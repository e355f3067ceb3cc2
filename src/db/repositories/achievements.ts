import type { Kysely, Transaction } from 'kysely';
import type { AchievementRow, AchievementVersionRow, Database } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface AchievementVersionWithIssuer extends AchievementVersionRow {
  issuer_id: string;
  latest_version: number;
}

export async function insertAchievement(
  trx: Transaction<Database>,
  args: { id: string; issuerId: string; achievementJson: string; definitionJson: string; at: Date },
): Promise<void> {
  await trx
    .insertInto('achievements')
    .values({ id: args.id, issuer_id: args.issuerId, latest_version: 1, created_at: args.at, updated_at: args.at })
    .execute();
  await trx
    .insertInto('achievement_versions')
    .values({
      achievement_id: args.id,
      version: 1,
      achievement_json: args.achievementJson,
      definition_json: args.definitionJson,
      created_at: args.at,
    })
    .execute();
}

/** Locks the achievement row so concurrent edits number their versions one after another. */
export async function lockAchievement(trx: Transaction<Database>, id: string): Promise<AchievementRow | undefined> {
  return trx.selectFrom('achievements').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function insertAchievementVersion(
  trx: Transaction<Database>,
  args: { id: string; version: number; achievementJson: string; definitionJson: string; at: Date },
): Promise<void> {
  await trx
    .insertInto('achievement_versions')
    .values({
      achievement_id: args.id,
      version: args.version,
      achievement_json: args.achievementJson,
      definition_json: args.definitionJson,
      created_at: args.at,
    })
    .execute();
  await trx.updateTable('achievements').set({ latest_version: args.version, updated_at: args.at }).where('id', '=', args.id).execute();
}

/** One version (the latest when `version` is undefined). */
export async function findAchievementVersion(db: Db, id: string, version?: number): Promise<AchievementVersionWithIssuer | undefined> {
  return db
    .selectFrom('achievement_versions as v')
    .innerJoin('achievements as a', 'a.id', 'v.achievement_id')
    .selectAll('v')
    .select(['a.issuer_id', 'a.latest_version'])
    .where('v.achievement_id', '=', id)
    .where((eb) => (version === undefined ? eb('v.version', '=', eb.ref('a.latest_version')) : eb('v.version', '=', version)))
    .executeTakeFirst();
}

/** Latest versions, newest achievement first, keyset-paginated on (created_at, id). */
export async function listLatestAchievements(
  db: Db,
  args: { issuerId?: string; limit: number; after?: { createdAt: Date; id: string } },
): Promise<Array<AchievementVersionWithIssuer & { achievement_created_at: Date }>> {
  let query = db
    .selectFrom('achievements as a')
    .innerJoin('achievement_versions as v', (join) =>
      join.onRef('v.achievement_id', '=', 'a.id').onRef('v.version', '=', 'a.latest_version'),
    )
    .selectAll('v')
    .select(['a.issuer_id', 'a.latest_version', 'a.created_at as achievement_created_at']);
  if (args.issuerId !== undefined) query = query.where('a.issuer_id', '=', args.issuerId);
  const after = args.after;
  if (after !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('a.created_at', '<', after.createdAt), eb.and([eb('a.created_at', '=', after.createdAt), eb('a.id', '<', after.id)])]),
    );
  }
  return query.orderBy('a.created_at', 'desc').orderBy('a.id', 'desc').limit(args.limit).execute();
}

/** Replaces the component list of a stack (its latest version's), or clears it when the achievement is no stack. */
export async function replaceStackComponents(trx: Transaction<Database>, stackId: string, componentIds: readonly string[]): Promise<void> {
  await trx.deleteFrom('stack_components').where('stack_id', '=', stackId).execute();
  if (componentIds.length > 0) {
    await trx
      .insertInto('stack_components')
      .values(componentIds.map((component_id) => ({ stack_id: stackId, component_id })))
      .execute();
  }
}

/** The stacks whose latest version has `componentIds` among their components. */
export async function stacksContaining(db: Db, componentIds: readonly string[]): Promise<string[]> {
  if (componentIds.length === 0) return [];
  const rows = await db.selectFrom('stack_components').select('stack_id').distinct().where('component_id', 'in', componentIds).execute();
  return rows.map((r) => r.stack_id);
}

/** The components of stacks, for walking the stack graph. */
export async function componentsOf(db: Db, stackIds: readonly string[]): Promise<Array<{ stack_id: string; component_id: string }>> {
  if (stackIds.length === 0) return [];
  return db.selectFrom('stack_components').selectAll().where('stack_id', 'in', stackIds).execute();
}
