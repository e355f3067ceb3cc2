import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, IssuerKeyRow, IssuerRow, NewIssuerKeyRow, NewIssuerRow } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertIssuer(db: Db, row: NewIssuerRow): Promise<IssuerRow> {
  return db.insertInto('issuers').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findIssuer(db: Db, id: string): Promise<IssuerRow | undefined> {
  return db.selectFrom('issuers').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findIssuerByDid(db: Db, did: string): Promise<IssuerRow | undefined> {
  return db.selectFrom('issuers').selectAll().where('did', '=', did).executeTakeFirst();
}

export async function listIssuers(db: Db): Promise<IssuerRow[]> {
  return db.selectFrom('issuers').selectAll().orderBy('created_at').orderBy('id').execute();
}

/** did:web issuers whose DID does not start with `didPrefix`, oldest first, at most `limit`. */
export async function didWebIssuersOutside(db: Db, didPrefix: string, limit: number): Promise<Array<Pick<IssuerRow, 'id' | 'did'>>> {
  return db
    .selectFrom('issuers')
    .select(['id', 'did'])
    .where('did_method', '=', 'web')
    .where(sql<boolean>`not starts_with(did, ${didPrefix})`)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function countIssuers(db: Db): Promise<number> {
  const row = await db
    .selectFrom('issuers')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertIssuerKey(db: Db, row: NewIssuerKeyRow): Promise<void> {
  await db.insertInto('issuer_keys').values(row).execute();
}

/** Every key of an issuer, oldest first; the last one signs. */
export async function listIssuerKeys(db: Db, issuerId: string): Promise<IssuerKeyRow[]> {
  return db.selectFrom('issuer_keys').selectAll().where('issuer_id', '=', issuerId).orderBy('created_at').orderBy('id').execute();
}

export async function findAnyIssuerKey(db: Db): Promise<IssuerKeyRow | undefined> {
  return db.selectFrom('issuer_keys').selectAll().limit(1).executeTakeFirst();
}

/** Retires every live key of an issuer of `algorithm` (they sign nothing new, and stay published). @returns how many. */
export async function retireLiveKeys(db: Db, issuerId: string, algorithm: string, at: Date): Promise<number> {
  const result = await db
    .updateTable('issuer_keys')
    .set({ retired_at: at })
    .where('issuer_id', '=', issuerId)
    .where('algorithm', '=', algorithm as IssuerKeyRow['algorithm'])
    .where('retired_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Marks a key compromised from `at` (and retired, if it was live). @returns false when it was already revoked. */
export async function revokeIssuerKey(db: Db, args: { id: string; at: Date; reason: string; now: Date }): Promise<boolean> {
  const result = await db
    .updateTable('issuer_keys')
    .set((eb) => ({ revoked_at: args.at, revocation_reason: args.reason, retired_at: eb.fn.coalesce('retired_at', eb.val(args.now)) }))
    .where('id', '=', args.id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * An issuer's credentials recorded at or after `since` and not revoked yet that `verificationMethod` may have signed:
 * those whose Data Integrity proof it made, and every VC-JWT (whose header names its key; the caller reads it).
 */
export async function unrevokedSignedSince(
  db: Db,
  key: { issuerId: string; verificationMethod: string },
  since: Date,
): Promise<Array<{ id: string; verification_method: string | null; jwt: string | null }>> {
  return db
    .selectFrom('credentials')
    .select(['id', 'verification_method', 'jwt'])
    .where('issuer_id', '=', key.issuerId)
    .where((eb) => eb.or([eb('verification_method', '=', key.verificationMethod), eb('jwt', 'is not', null)]))
    .where('created_at', '>=', since)
    .where('status', '<>', 'revoked')
    .orderBy('created_at')
    .execute();
}

/** Forgets an issuer's signed status lists, so they are signed again (with its current key) when next read. */
export async function forgetSignedLists(db: Db, issuerId: string): Promise<void> {
  await db
    .updateTable('status_lists')
    .set({ signed_json: null, signed_version: null, signed_at: null })
    .where('issuer_id', '=', issuerId)
    .execute();
}

/**
 * Everything an issuer signed and recorded whose `id` is `documentId`: credentials (our URL or the caller's own id),
 * CLRs and endorsements; newest first. Callers' ids may repeat, so several may come back.
 */
export async function recordedDocuments(
  db: Db,
  issuerId: string,
  documentId: string,
): Promise<Array<{ created_at: Date; signed_json: string; jwt: string | null }>> {
  const quoted = JSON.stringify(documentId);
  const { rows } = await sql<{ created_at: Date; signed_json: string; jwt: string | null }>`
    select created_at, signed_json, jwt from credentials
     where issuer_id = ${issuerId} and (credential_url = ${documentId} or vc_id = ${documentId})
    union all
    select created_at, signed_json, null from clr_credentials
     where issuer_id = ${issuerId} and position(${quoted} in signed_json) > 0
    union all
    select created_at, signed_json, null from endorsements
     where endorser_id = ${issuerId} and position(${quoted} in signed_json) > 0
    order by created_at desc
    limit 20`.execute(db);
  return rows;
}

export async function findIssuerKeyByVerificationMethod(db: Db, verificationMethod: string): Promise<IssuerKeyRow | undefined> {
  return db.selectFrom('issuer_keys').selectAll().where('verification_method', '=', verificationMethod).executeTakeFirst();
}
