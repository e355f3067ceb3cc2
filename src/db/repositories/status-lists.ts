import { sql, type Kysely, type Transaction } from 'kysely';
import type { CredentialStatus, CredentialStatusEventRow, Database, StatusListRow, StatusPurpose } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

export async function findOpenList(db: Db, issuerId: string, purpose: StatusPurpose): Promise<StatusListRow | undefined> {
  return db
    .selectFrom('status_lists')
    .selectAll()
    .where('issuer_id', '=', issuerId)
    .where('purpose', '=', purpose)
    .where('full', '=', false)
    .orderBy('seq')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Starts the next list (seq = highest + 1) unless the issuer has an open one, in one statement: an issuer whose
 * open list another transaction committed a moment ago gets no spare list, and two creators racing for the same
 * seq meet on the unique constraint (the loser inserts nothing and uses the winner's list).
 */
export async function createNextList(
  db: Db,
  row: { id: string; issuerId: string; purpose: StatusPurpose; size: number; capacity: number; at: Date },
): Promise<void> {
  await sql`
    insert into status_lists (id, issuer_id, purpose, seq, size, capacity, created_at)
    select ${row.id}, ${row.issuerId}, ${row.purpose}, coalesce(max(seq), 0) + 1, ${row.size}, ${row.capacity}, ${row.at}::timestamptz
    from status_lists where issuer_id = ${row.issuerId} and purpose = ${row.purpose}
    having not coalesce(bool_or(not "full"), false)
    on conflict (issuer_id, purpose, seq) do nothing`.execute(db);
}

/** Claims (list, idx) for a credential; false when the index is taken. Never raises on a collision. */
export async function claimIndex(db: Db, entry: { listId: string; idx: number; credentialId: string }): Promise<boolean> {
  const inserted = await db
    .insertInto('status_entries')
    .values({ list_id: entry.listId, idx: entry.idx, credential_id: entry.credentialId })
    .onConflict((oc) => oc.columns(['list_id', 'idx']).doNothing())
    .returning('idx')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function countEntries(db: Db, listId: string): Promise<number> {
  const row = await db
    .selectFrom('status_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('list_id', '=', listId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function markFull(db: Db, listId: string): Promise<void> {
  await db.updateTable('status_lists').set({ full: true }).where('id', '=', listId).execute();
}

export async function findList(db: Db, id: string): Promise<StatusListRow | undefined> {
  return db.selectFrom('status_lists').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Indexes whose credentials have the status this list publishes. */
export async function setIndexes(db: Db, listId: string, status: CredentialStatus): Promise<number[]> {
  const rows = await db
    .selectFrom('status_entries as e')
    .innerJoin('credentials as c', 'c.id', 'e.credential_id')
    .select('e.idx')
    .where('e.list_id', '=', listId)
    .where('c.status', '=', status)
    .execute();
  return rows.map((r) => r.idx);
}

/** Caches a signed list for `version`, unless a newer version was cached meanwhile. */
export async function storeSignedList(db: Db, args: { id: string; version: number; json: string; at: Date }): Promise<void> {
  await db
    .updateTable('status_lists')
    .set({ signed_json: args.json, signed_version: args.version, signed_at: args.at })
    .where('id', '=', args.id)
    .where((eb) => eb.or([eb('signed_version', 'is', null), eb('signed_version', '<=', args.version)]))
    .execute();
}

export async function bumpListVersions(trx: Transaction<Database>, credentialId: string): Promise<void> {
  await trx
    .updateTable('status_lists')
    .set({ version: sql<number>`version + 1` })
    .where('id', 'in', (eb) => eb.selectFrom('status_entries').select('list_id').where('credential_id', '=', credentialId))
    .execute();
}

export async function insertStatusEvent(
  trx: Transaction<Database>,
  event: {
    credentialId: string;
    action: 'revoke' | 'suspend' | 'reinstate';
    from: CredentialStatus;
    to: CredentialStatus;
    reason: string;
    apiKeyId: string | null;
    at: Date;
  },
): Promise<void> {
  await trx
    .insertInto('credential_status_events')
    .values({
      credential_id: event.credentialId,
      action: event.action,
      from_status: event.from,
      to_status: event.to,
      reason: event.reason,
      api_key_id: event.apiKeyId,
      at: event.at,
    })
    .execute();
}

export async function statusHistory(db: Db, credentialId: string): Promise<CredentialStatusEventRow[]> {
  return db.selectFrom('credential_status_events').selectAll().where('credential_id', '=', credentialId).orderBy('id').execute();
}
