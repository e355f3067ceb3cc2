import { sql, type Kysely, type Transaction } from 'kysely';
import type { BatchItemRow, BatchItemState, BatchRow, Database } from '../database.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Rows per INSERT: 10,000 items go in ten statements, well under Postgres' parameter limit. */
const INSERT_ROWS = 1000;

export async function insertBatch(
  trx: Transaction<Database>,
  batch: Omit<BatchRow, 'completed_at' | 'state'>,
  items: ReadonlyArray<{ seq: number; idempotency_key: string; request_envelope: string }>,
): Promise<void> {
  await trx
    .insertInto('batches')
    .values({ ...batch, state: 'running', completed_at: null })
    .execute();
  for (let i = 0; i < items.length; i += INSERT_ROWS) {
    await trx
      .insertInto('batch_items')
      .values(items.slice(i, i + INSERT_ROWS).map((item) => ({ ...item, batch_id: batch.id, state: 'pending' as const })))
      .execute();
  }
}

export async function findBatch(db: Db, id: string): Promise<BatchRow | undefined> {
  return db.selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findBatchByIdempotencyKey(db: Db, issuerId: string, key: string): Promise<BatchRow | undefined> {
  return db.selectFrom('batches').selectAll().where('issuer_id', '=', issuerId).where('idempotency_key', '=', key).executeTakeFirst();
}

export async function countItems(db: Db, batchId: string): Promise<Record<BatchItemState, number>> {
  const rows = await db
    .selectFrom('batch_items')
    .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
    .where('batch_id', '=', batchId)
    .groupBy('state')
    .execute();
  const counts: Record<BatchItemState, number> = { pending: 0, issued: 0, failed: 0 };
  for (const row of rows) counts[row.state] = Number(row.n);
  return counts;
}

/** Pending items with `from <= seq < to`, in order. */
export async function pendingItems(db: Db, batchId: string, from: number, to: number): Promise<BatchItemRow[]> {
  return db
    .selectFrom('batch_items')
    .selectAll()
    .where('batch_id', '=', batchId)
    .where('state', '=', 'pending')
    .where('seq', '>=', from)
    .where('seq', '<', to)
    .orderBy('seq')
    .execute();
}

export async function listItems(
  db: Db,
  batchId: string,
  options: { after: number; limit: number; state?: BatchItemState },
): Promise<BatchItemRow[]> {
  let query = db.selectFrom('batch_items').selectAll().where('batch_id', '=', batchId).where('seq', '>', options.after);
  if (options.state !== undefined) query = query.where('state', '=', options.state);
  return query.orderBy('seq').limit(options.limit).execute();
}

/** Records an item's outcome once (a redone chunk finds it no longer pending) and drops its sealed request. */
export async function finishItem(
  db: Db,
  key: { batchId: string; seq: number },
  outcome:
    | { state: 'issued'; credentialId: string; credentialUrl: string; replayed: boolean; at: Date }
    | { state: 'failed'; problemJson: string; at: Date },
): Promise<void> {
  await db
    .updateTable('batch_items')
    .set(
      outcome.state === 'issued'
        ? {
            state: 'issued',
            credential_id: outcome.credentialId,
            credential_url: outcome.credentialUrl,
            replayed: outcome.replayed,
            request_envelope: null,
            finished_at: outcome.at,
          }
        : { state: 'failed', problem_json: outcome.problemJson, request_envelope: null, finished_at: outcome.at },
    )
    .where('batch_id', '=', key.batchId)
    .where('seq', '=', key.seq)
    .where('state', '=', 'pending')
    .execute();
}

/** Marks the batch completed if nothing is pending; true for the one caller that did it. */
export async function completeIfDone(trx: Transaction<Database>, batchId: string, at: Date): Promise<boolean> {
  const result = await trx
    .updateTable('batches')
    .set({ state: 'completed', completed_at: at })
    .where('id', '=', batchId)
    .where('state', '=', 'running')
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('batch_items')
            .select(sql<number>`1`.as('one'))
            .where('batch_id', '=', batchId)
            .where('state', '=', 'pending'),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
