import type { Kysely, Transaction } from 'kysely';
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
