import { sql, type Kysely, type Transaction } from 'kysely';
import type { Insertable } from 'kysely';
import type { Database, EndorsementRow, RecognitionRow, RecognitionsTable } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertRecognition(db: Db, row: Insertable<RecognitionsTable>): Promise<void> {
  await db.insertInto('recognitions').values(row).execute();
}

export async function findRecognition(db: Db, id: string): Promise<RecognitionRow | undefined> {
  return db.selectFrom('recognitions').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function withdrawRecognition(db: Db, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('recognitions')
    .set({ withdrawn_at: at })
    .where('id', '=', id)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Recognitions in force: not withdrawn and, when `on` is given, effective that day. */
export async function listRecognitions(
  db: Db,
  filter: { achievementIds?: readonly string[]; recognizerId?: string; jurisdictionPrefix?: string; purpose?: string; on?: string },
): Promise<RecognitionRow[]> {
  let query = db.selectFrom('recognitions').selectAll().where('withdrawn_at', 'is', null);
  if (filter.achievementIds !== undefined) {
    if (filter.achievementIds.length === 0) return [];
    query = query.where('achievement_id', 'in', filter.achievementIds);
  }
  if (filter.recognizerId !== undefined) query = query.where('recognizer_id', '=', filter.recognizerId);
  if (filter.purpose !== undefined) query = query.where('purpose', '=', filter.purpose as RecognitionRow['purpose']);
  if (filter.jurisdictionPrefix !== undefined) {
    const pattern = `${filter.jurisdictionPrefix.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(jurisdiction) like ${pattern}`);
  }
  if (filter.on !== undefined) {
    const on = filter.on;
    query = query
      .where('effective_from', '<=', on)
      .where((eb) => eb.or([eb('effective_until', 'is', null), eb('effective_until', '>=', on)]));
  }
  return query.orderBy('jurisdiction').orderBy('purpose').orderBy('id').limit(500).execute();
}

export async function insertEndorsement(db: Db, row: Omit<EndorsementRow, 'withdrawn_at'>): Promise<void> {
  await db.insertInto('endorsements').values(row).execute();
}

export async function findEndorsement(db: Db, id: string): Promise<EndorsementRow | undefined> {
  return db.selectFrom('endorsements').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function withdrawEndorsement(db: Db, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('endorsements')
    .set({ withdrawn_at: at })
    .where('id', '=', id)
    .where('withdrawn_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The newest `limit` current endorsements of an achievement and of its issuer, in one round trip (issuance embeds both). */
export async function endorsementsToEmbed(
  db: Db,
  subjects: { achievementId: string; issuerId: string },
  limit: number,
): Promise<{ achievement: EndorsementRow[]; issuer: EndorsementRow[] }> {
  const newest = (kind: 'achievement' | 'issuer', id: string) =>
    sql`(select * from endorsements where subject_kind = ${kind} and subject_id = ${id} and withdrawn_at is null
         order by created_at desc, id limit ${limit})`;
  const { rows } =
    await sql<EndorsementRow>`${newest('achievement', subjects.achievementId)} union all ${newest('issuer', subjects.issuerId)}`.execute(
      db,
    );
  // union all keeps each branch's rows in order; the kinds are told apart by subject_kind.
  return { achievement: rows.filter((r) => r.subject_kind === 'achievement'), issuer: rows.filter((r) => r.subject_kind === 'issuer') };
}

/** Current (not withdrawn) endorsements of a subject, newest first. */
export async function endorsementsOf(db: Db, kind: 'achievement' | 'issuer', subjectId: string, limit = 50): Promise<EndorsementRow[]> {
  return db
    .selectFrom('endorsements')
    .selectAll()
    .where('subject_kind', '=', kind)
    .where('subject_id', '=', subjectId)
    .where('withdrawn_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export type ReportPeriod = 'month' | 'quarter' | 'year' | 'all';

export interface CompletionCount {
  achievement_id: string;
  period: string;
  status: string;
  count: string | number;
}

/**
 * Credentials counted by achievement, period of issuance (UTC) and status: those an issuer issued, or, for a recognizer,
 * those of the achievements it recognises (from any issuer).
 */
export async function completionCounts(
  db: Db,
  scope: { issuerId: string } | { recognizerId: string },
  periodOf: ReportPeriod,
): Promise<CompletionCount[]> {
  const utc = sql`created_at at time zone 'UTC'`;
  const period = {
    month: sql<string>`to_char(${utc}, 'YYYY-MM')`,
    quarter: sql<string>`to_char(${utc}, 'YYYY-"Q"Q')`,
    year: sql<string>`to_char(${utc}, 'YYYY')`,
    all: sql<string>`'all'`,
  }[periodOf];
  let query = db
    .selectFrom('credentials')
    .select(['achievement_id', period.as('period'), 'status', (eb) => eb.fn.countAll<string>().as('count')])
    .where('achievement_id', 'is not', null) // VC-API credentials award no achievement of ours
    .$narrowType<{ achievement_id: string }>();
  query =
    'issuerId' in scope
      ? query.where('issuer_id', '=', scope.issuerId)
      : query.where('achievement_id', 'in', (eb) =>
          eb
            .selectFrom('recognitions')
            .select('achievement_id')
            .where('recognizer_id', '=', scope.recognizerId)
            .where('withdrawn_at', 'is', null),
        );
  return query.groupBy(['achievement_id', 'period', 'status']).orderBy('achievement_id').orderBy('period').orderBy('status').execute();
}

/** Latest names of achievements, and which are stacks. */
export async function achievementSummaries(db: Db, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('achievements')
    .innerJoin('achievement_versions', (join) =>
      join
        .onRef('achievement_versions.achievement_id', '=', 'achievements.id')
        .onRef('achievement_versions.version', '=', 'achievements.latest_version'),
    )
    .select([
      'achievements.id',
      'achievement_versions.achievement_json',
      (eb) =>
        eb
          .exists(eb.selectFrom('stack_components').select('stack_id').whereRef('stack_components.stack_id', '=', 'achievements.id'))
          .as('is_stack'),
    ])
    .where('achievements.id', 'in', ids)
    .execute();
}
