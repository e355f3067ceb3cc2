import type { Kysely, Transaction } from 'kysely';
import type { CredentialRow, Database, NewCredentialRow } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function insertCredential(db: Db, row: NewCredentialRow): Promise<void> {
  await db.insertInto('credentials').values(row).execute();
}

export async function findCredential(db: Db, id: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();
}

/** An issuer's newest credential whose own `id` is `vcId` (VC-API credentials keep the caller's id, which may repeat). */
export async function findByVcId(db: Db, issuerId: string, vcId: string): Promise<CredentialRow | undefined> {
  return db
    .selectFrom('credentials')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('vc_id', '=', vcId)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function findByIdempotencyKey(db: Db, issuerId: string, key: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('issuer_id', '=', issuerId).where('idempotency_key', '=', key).executeTakeFirst();
}

export async function countCredentials(db: Db): Promise<number> {
  const row = await db
    .selectFrom('credentials')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Locks one credential row for a status change. */
export async function lockCredential(trx: Transaction<Database>, id: string): Promise<CredentialRow | undefined> {
  return trx.selectFrom('credentials').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export async function findByUrl(db: Db, url: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('credentials').selectAll().where('credential_url', '=', url).executeTakeFirst();
}

export async function setCredentialStatus(
  trx: Transaction<Database>,
  args: { id: string; status: 'active' | 'suspended' | 'revoked'; at: Date; reason: string },
): Promise<void> {
  await trx
    .updateTable('credentials')
    .set({ status: args.status, status_changed_at: args.at, status_reason: args.reason })
    .where('id', '=', args.id)
    .execute();
}

/** Forgets who a recipient is: their lookup hash goes, the signed credential and its status stay. */
export async function eraseRecipient(db: Db, args: { issuerId: string; lookupHash: string; at: Date }): Promise<number> {
  const result = await db
    .updateTable('credentials')
    .set({ recipient_lookup_hash: null, recipient_erased_at: args.at })
    .where('issuer_id', '=', args.issuerId)
    .where('recipient_lookup_hash', '=', args.lookupHash)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Whether an issuer has issued anything to a recipient (a platform may ask only about educators it has awarded). */
export async function hasIssuedTo(db: Db, issuerId: string, lookupHash: string): Promise<boolean> {
  const row = await db
    .selectFrom('credentials')
    .select('id')
    .where('issuer_id', '=', issuerId)
    .where('recipient_lookup_hash', '=', lookupHash)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
