import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * Serialises stack decisions for one earner until the transaction ends: the second of two concurrent component
 * issuances waits here, then sees the first one's credential (read committed) and any award it made. One lock per
 * earner, not per stack: nested stacks would otherwise take two locks in opposite orders and deadlock. Re-entrant
 * within a transaction.
 */
export async function lockStacksOfEarner(trx: Transaction<Database>, lookupHash: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`stacks:${lookupHash}`}, 0))`.execute(trx);
}

export async function findAward(db: Db, stackId: string, lookupHash: string) {
  return db
    .selectFrom('stack_awards')
    .innerJoin('credentials', 'credentials.id', 'stack_awards.credential_id')
    .select([
      'stack_awards.id',
      'stack_awards.credential_id',
      'credentials.credential_url',
      'credentials.signed_json',
      'stack_awards.created_at',
    ])
    .where('stack_awards.stack_id', '=', stackId)
    .where('stack_awards.recipient_lookup_hash', '=', lookupHash)
    .executeTakeFirst();
}

export async function insertAward(
  trx: Transaction<Database>,
  row: { id: string; stackId: string; lookupHash: string; credentialId: string; at: Date },
) {
  await trx
    .insertInto('stack_awards')
    .values({
      id: row.id,
      stack_id: row.stackId,
      recipient_lookup_hash: row.lookupHash,
      credential_id: row.credentialId,
      created_at: row.at,
    })
    .execute();
}

/** The earner's current credentials (active, already valid, not expired) of the given achievements, from every issuer. */
export async function currentCredentialsOf(db: Db, lookupHash: string, achievementIds: readonly string[], now: Date) {
  if (achievementIds.length === 0) return [];
  return db
    .selectFrom('credentials')
    .select(['id', 'credential_url', 'achievement_id', 'achievement_version', 'signed_json', 'created_at'])
    .where('recipient_lookup_hash', '=', lookupHash)
    .where('achievement_id', 'in', achievementIds)
    .$narrowType<{ achievement_id: string; achievement_version: number }>()
    .where('status', '=', 'active')
    .where('valid_from', '<=', now)
    .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
    .orderBy('created_at')
    .limit(2000)
    .execute();
}

/** Erasure: the issuer's stack awards forget whom they were for (the credentials stay, and keep verifying). */
export async function eraseRecipientAwards(db: Db, args: { issuerId: string; lookupHash: string }): Promise<void> {
  await db
    .updateTable('stack_awards')
    .set({ recipient_lookup_hash: null })
    .where('recipient_lookup_hash', '=', args.lookupHash)
    .where('stack_id', 'in', (eb) => eb.selectFrom('achievements').select('id').where('issuer_id', '=', args.issuerId))
    .execute();
}
