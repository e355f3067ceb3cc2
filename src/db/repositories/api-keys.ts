import { sql, type Kysely, type Transaction } from 'kysely';
import type { ApiKeyRow, Database, NewApiKeyRow } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertApiKey(db: Db, row: NewApiKeyRow): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApiKeys(db: Db, issuerId: string): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('issuer_id', '=', issuerId).orderBy('created_at').execute();
}

/** @returns whether a live key was revoked. */
export async function revokeApiKey(db: Db, id: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Records use, at most once a minute per key, so authentication does not write on every request. */
export async function touchApiKey(db: Db, id: string, at: Date): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: at })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`${at}::timestamptz - interval '1 minute'`)]))
    .execute();
}

/**
 * Rotation: the old key points at its successor and stops now (grace 0) or when the grace period ends, but
 * never later than the expiry it already had.
 */
export async function retireApiKey(db: Db, args: { id: string; rotatedTo: string; at: Date; graceSeconds: number }): Promise<boolean> {
  const graceEnd = new Date(args.at.getTime() + args.graceSeconds * 1000);
  const result = await db
    .updateTable('api_keys')
    .set(
      args.graceSeconds === 0
        ? { rotated_to: args.rotatedTo, revoked_at: args.at }
        : {
            rotated_to: args.rotatedTo,
            expires_at: sql<Date>`least(coalesce(expires_at, ${graceEnd}::timestamptz), ${graceEnd}::timestamptz)`,
          },
    )
    .where('id', '=', args.id)
    .where('revoked_at', 'is', null)
    .where('rotated_to', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
